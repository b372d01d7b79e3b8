#pragma once

// What the values of a segmentation file mean: a label table. Weaksight works with four meanings
// (kidney, tumour, cyst, and anything else); a file's own values are mapped onto them when it is
// loaded (LabelVolume then holds labels::Kidney / Tumour / Cyst / Other). KiTS's meanings (1 kidney,
// 2 tumour, 3 cyst) are the table of KiTS layouts only: any other segmentation needs a table — its
// own (Slicer's .seg.nrrd segment metadata), one beside it (an ITK-SNAP label description file or
// a JSON table) or one given — and without one its labels are shown but mean nothing (no kidney
// crops, no lesion), so TotalSegmentator's kidneys (2 and 3) are never counted as lesions.

#include "core/io/Volume.h"

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weaksight {

enum class LabelMeaning { Background, Kidney, Tumour, Cyst, Other };
std::string toString(LabelMeaning meaning);
/// "background", "kidney", "tumour" (or "tumor"), "cyst", "other"; InputError otherwise.
LabelMeaning labelMeaningFromString(const std::string& name);
/// The meaning a label's name implies, by its whole words (case-insensitive; "adrenal" is not
/// "renal"): cyst(s), then tumour / tumor / lesion / cancer / carcinoma / mass / neoplasm (and
/// plurals), then kidney(s) / renal, else other; value 0 is the background.
LabelMeaning meaningOfName(const std::string& name, int value);

struct LabelEntry {
    int value = 0; ///< in the file, 0..255
    std::string name;
    LabelMeaning meaning = LabelMeaning::Other;
};

/// Per-value facts of a label volume in the file's own values.
struct LabelStatistics {
    std::map<int, int> slicesWithLabel;       ///< label value -> number of axial slices containing it
    std::map<int, long long> voxelsWithLabel; ///< label value -> voxel count (background excluded)
    std::vector<int> lesionSlices;            ///< axial slices with a value the table calls tumour or cyst
};

class LabelTable {
public:
    /// KiTS's table: 1 kidney, 2 tumour, 3 cyst.
    static LabelTable kits();
    /// No table: every non-zero value means "other".
    static LabelTable none();
    /// A table of `entries` (values 0..255, each once; value 0 is always the background);
    /// InputError naming `source` otherwise.
    static LabelTable fromEntries(const std::string& source, std::vector<LabelEntry> entries);

    /// Reads a table file: `.json` ({"labels": [{"value": 2, "name": "kidney_right", "meaning":
    /// "kidney"}, ...]}; "meaning" defaults to the name's), an ITK-SNAP label description file
    /// (`.txt` / `.label`: IDX R G B A VIS MSH "LABEL" lines), or a Slicer `.seg.nrrd` (its
    /// SegmentN_Name / SegmentN_LabelValue header fields). InputError naming the file otherwise.
    static LabelTable read(const std::filesystem::path& file);
    /// The table a segmentation carries or sits beside: a `.seg.nrrd`'s own segments, else
    /// SEG.labels.json, SEG.label or SEG.txt beside it (SEG without its extensions), else
    /// labels.json in its folder. nullopt when there is none.
    static std::optional<LabelTable> besideSegmentation(const std::filesystem::path& segmentation);

    /// Where the table came from: "KiTS", "none" or a file.
    const std::string& source() const { return m_source; }
    bool isNone() const { return m_source == "none"; }
    const std::vector<LabelEntry>& entries() const { return m_entries; }
    LabelMeaning meaningOf(int value) const;
    /// The entry's name, else the meaning's ("other" for values the table does not list).
    std::string nameOf(int value) const;
    /// The value Weaksight stores for a file value (labels::Background / Kidney / Tumour / Cyst / Other).
    uint8_t internalValue(int value) const;
    /// True when the table says where a kidney, a tumour or a cyst is.
    bool hasMeanings() const;

    /// Maps `labels` from the file's values onto Weaksight's (in place) and returns the file
    /// values' statistics, gathered in the same pass.
    LabelStatistics apply(LabelVolume& labels) const;

private:
    std::string m_source = "none";
    std::vector<LabelEntry> m_entries;
    std::array<uint8_t, 256> m_internal{};
};

} // namespace weaksight
