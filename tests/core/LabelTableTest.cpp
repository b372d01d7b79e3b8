// Label tables (core/cases/LabelTable): what a segmentation's values mean, read from a JSON
// table, an ITK-SNAP label description file or a Slicer .seg.nrrd, applied when a CT is paired
// with a segmentation; KiTS's meanings only for KiTS layouts. On real files from ../shared/data
// too: TotalSegmentator's kidneys (labels 2 and 3) are never lesions.

#include "core/cases/LabelTable.h"

#include "TestSupport.h"
#include "core/cases/CaseInfo.h"
#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

void writeText(const fs::path& path, const std::string& text)
{
    std::ofstream(path) << text;
}

std::string refusal(const std::function<void()>& action)
{
    try {
        action();
    } catch (const InputError& e) {
        return e.what();
    }
    return "accepted";
}

/// A 4-slice CT with a segmentation on its grid: file values 5 (kidney disc), 7 (a tumour in it)
/// and 9 (something else) on slices 1 and 2.
struct PairedFiles {
    fs::path image, segmentation;
};
PairedFiles writePairedCase(const TempDir& dir)
{
    CtVolume ct = makeCt({4, 32, 32}, {3.0, 1.0, 1.0}, 40);
    LabelVolume labels = makeLabels({4, 32, 32}, {3.0, 1.0, 1.0});
    for (int k = 1; k <= 2; ++k)
        for (int r = 0; r < 32; ++r)
            for (int c = 0; c < 32; ++c) {
                const int dr = r - 16, dc = c - 10;
                if (dr * dr + dc * dc <= 36)
                    labels.at(k, r, c) = dr * dr + dc * dc <= 4 ? 7 : 5;
                if (c > 28)
                    labels.at(k, r, c) = 9;
            }
    PairedFiles files{dir / "ct.nii.gz", dir / "seg.nii.gz"};
    writeVolume(ct, files.image);
    writeVolume(labels, files.segmentation);
    return files;
}

/// A Slicer-style .seg.nrrd: a 3D uint8 NRRD whose header carries the segments' names and values.
void writeSegNrrd(const fs::path& path, const LabelVolume& labels)
{
    std::ofstream out(path, std::ios::binary);
    out << "NRRD0004\n"
           "type: unsigned char\n"
           "dimension: 3\n"
           "space: left-posterior-superior\n"
        << "sizes: " << labels.cols() << " " << labels.rows() << " " << labels.slices() << "\n"
        << "space directions: (" << labels.spacing[2] << ",0,0) (0," << labels.spacing[1] << ",0) (0,0,"
        << labels.spacing[0] << ")\n"
        << "kinds: domain domain domain\n"
           "encoding: raw\n"
           "space origin: (0,0,0)\n"
           "Segment0_ID:=Segment_1\n"
           "Segment0_Name:=right kidney\n"
           "Segment0_LabelValue:=5\n"
           "Segment0_Layer:=0\n"
           "Segment1_ID:=Segment_2\n"
           "Segment1_Name:=Renal tumor\n"
           "Segment1_LabelValue:=7\n"
           "Segment1_Layer:=0\n"
           "\n";
    out.write(reinterpret_cast<const char*>(labels.voxels.data()),
              static_cast<std::streamsize>(labels.voxels.size()));
}

} // namespace

TEST(LabelTable, NamesGiveMeaningsLesionWordsFirst)
{
    EXPECT_EQ(meaningOfName("kidney_right", 2), LabelMeaning::Kidney);
    EXPECT_EQ(meaningOfName("Renal tumor", 7), LabelMeaning::Tumour);
    EXPECT_EQ(meaningOfName("kidney cyst", 3), LabelMeaning::Cyst) << "a cyst of the kidney is a cyst";
    EXPECT_EQ(meaningOfName("Lesion 1", 1), LabelMeaning::Tumour);
    EXPECT_EQ(meaningOfName("liver", 5), LabelMeaning::Other);
    EXPECT_EQ(meaningOfName("adrenal_gland_left", 9), LabelMeaning::Other) << "adrenal is no renal";
    EXPECT_EQ(meaningOfName("cystic duct", 4), LabelMeaning::Other) << "cystic is no cyst";
    EXPECT_EQ(meaningOfName("kidney", 0), LabelMeaning::Background)
        << "0 is the background whatever its name";
}

TEST(LabelTable, KitsAndNoneTables)
{
    const LabelTable kits = LabelTable::kits();
    EXPECT_EQ(kits.internalValue(1), labels::Kidney);
    EXPECT_EQ(kits.internalValue(2), labels::Tumour);
    EXPECT_EQ(kits.internalValue(3), labels::Cyst);
    EXPECT_EQ(kits.internalValue(4), labels::Other);
    EXPECT_TRUE(kits.hasMeanings());
    const LabelTable none = LabelTable::none();
    EXPECT_FALSE(none.hasMeanings());
    for (int v = 1; v < 256; ++v)
        ASSERT_EQ(none.internalValue(v), labels::Other) << v;
    EXPECT_EQ(none.internalValue(0), labels::Background);
}

TEST(LabelTable, ReadsJsonItkSnapAndSlicerTablesAndRefusesBadOnes)
{
    TempDir dir;
    writeText(dir / "t.json", R"({"labels": [{"value": 5, "name": "left kidney"},
                                             {"value": 7, "name": "mass", "meaning": "tumor"},
                                             {"value": 9, "name": "kidney stone", "meaning": "other"}]})");
    const LabelTable json = LabelTable::read(dir / "t.json");
    EXPECT_EQ(json.meaningOf(5), LabelMeaning::Kidney) << "from the name";
    EXPECT_EQ(json.meaningOf(7), LabelMeaning::Tumour) << "given";
    EXPECT_EQ(json.meaningOf(9), LabelMeaning::Other) << "given beats the name";
    EXPECT_EQ(json.nameOf(5), "left kidney");
    EXPECT_EQ(json.nameOf(11), "other");

    writeText(dir / "snap.txt", "################################################\n"
                                "# ITK-SnAP Label Description File\n"
                                "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL\n"
                                "    0     0    0    0        0  0  0    \"Clear Label\"\n"
                                "    1   255    0    0        1  1  1    \"Kidney\"\n"
                                "    2     0  255    0        1  1  1    \"Tumor\"\n"
                                "    3     0    0  255      0.5  1  1    \"Cyst\"\n"
                                "    4   255  255    0        1  1  1    \"Ureter\"\n");
    const LabelTable snap = LabelTable::read(dir / "snap.txt");
    EXPECT_EQ(snap.internalValue(1), labels::Kidney);
    EXPECT_EQ(snap.internalValue(2), labels::Tumour);
    EXPECT_EQ(snap.internalValue(3), labels::Cyst);
    EXPECT_EQ(snap.internalValue(4), labels::Other);
    EXPECT_EQ(snap.nameOf(4), "Ureter");

    LabelVolume labels = makeLabels({2, 4, 4}, {1.0, 1.0, 1.0});
    writeSegNrrd(dir / "s.seg.nrrd", labels);
    const LabelTable slicer = LabelTable::read(dir / "s.seg.nrrd");
    EXPECT_EQ(slicer.meaningOf(5), LabelMeaning::Kidney);
    EXPECT_EQ(slicer.meaningOf(7), LabelMeaning::Tumour);
    EXPECT_EQ(slicer.nameOf(5), "right kidney");

    writeText(dir / "twice.json", R"({"labels": [{"value": 1, "name": "a"}, {"value": 1, "name": "b"}]})");
    EXPECT_NE(refusal([&] { LabelTable::read(dir / "twice.json"); }).find("lists label value 1 twice"),
              std::string::npos);
    writeText(dir / "range.json", R"({"labels": [{"value": 300, "name": "a"}]})");
    EXPECT_NE(refusal([&] { LabelTable::read(dir / "range.json"); }).find("outside 0..255"),
              std::string::npos);
    writeText(dir / "meaning.json", R"({"labels": [{"value": 1, "meaning": "spleen"}]})");
    EXPECT_NE(refusal([&] {
                  LabelTable::read(dir / "meaning.json");
              }).find("meaning.json: no label meaning 'spleen'"),
              std::string::npos);
    writeText(dir / "broken.json", R"({"labels": [{"value": )");
    EXPECT_NE(
        refusal([&] { LabelTable::read(dir / "broken.json"); }).find("broken.json: is not a label table"),
        std::string::npos);
    writeText(dir / "broken.txt", "1 255 0 0 no name here\n");
    EXPECT_NE(refusal([&] { LabelTable::read(dir / "broken.txt"); }).find("line 1 is not an ITK-SNAP"),
              std::string::npos);
    EXPECT_NE(refusal([&] { LabelTable::read(dir / "missing.json"); }).find("label table not found"),
              std::string::npos);
}

TEST(LabelTable, APairedSegmentationIsReadThroughTheTableBesideIt)
{
    TempDir dir;
    const PairedFiles files = writePairedCase(dir);

    // Without a table the labels are shown but mean nothing: no kidney, no lesion, and a warning.
    const LoadedCase unknown = loadCase(pairedCase(files.image, files.segmentation));
    ASSERT_TRUE(unknown.labels);
    EXPECT_TRUE(unknown.files.labelTable.isNone());
    EXPECT_EQ(std::count(unknown.labels->voxels.begin(), unknown.labels->voxels.end(), labels::Other),
              std::count_if(unknown.labels->voxels.begin(), unknown.labels->voxels.end(),
                            [](uint8_t v) { return v != 0; }));
    ASSERT_EQ(unknown.warnings.size(), 1u);
    EXPECT_NE(unknown.warnings[0].find("the meaning of its labels is unknown"), std::string::npos);
    EXPECT_EQ(unknown.fileLabels.slicesWithLabel.at(7), 2) << "statistics keep the file's own values";
    const KidneyCentres noKidney(*unknown.labels);
    EXPECT_FALSE(noKidney.hasKidney());
    const auto halves = cropsOnSlice(&noKidney, 1, 32, 32, 16, 16);
    ASSERT_EQ(halves.size(), 2u) << "no kidney labelled: the crops are the slice's halves, as without labels";
    EXPECT_FALSE(halves[0].kidneyOnSlice);
    const auto unknownInfo = caseInfo(files.image, VolumeRole::Auto, files.segmentation);
    EXPECT_FALSE(unknownInfo.contains("slices_with_lesion")) << unknownInfo.dump(2);
    EXPECT_EQ(unknownInfo["label_table"], "none");

    // SEG.labels.json beside it gives the meanings.
    writeText(dir / "seg.labels.json",
              R"({"labels": [{"value": 5, "name": "kidney"}, {"value": 7, "name": "tumour"},
                                                      {"value": 9, "name": "spleen"}]})");
    const LoadedCase known = loadCase(pairedCase(files.image, files.segmentation));
    ASSERT_TRUE(known.labels);
    EXPECT_TRUE(known.warnings.empty());
    EXPECT_EQ(known.labels->at(1, 16, 10), labels::Tumour);
    EXPECT_EQ(known.labels->at(1, 16, 14), labels::Kidney);
    EXPECT_EQ(known.labels->at(1, 16, 30), labels::Other);
    EXPECT_EQ(known.labels->at(0, 16, 10), labels::Background);
    const auto info = caseInfo(files.image, VolumeRole::Auto, files.segmentation);
    EXPECT_EQ(info["slices_with_lesion"], 2);
    bool tumourListed = false;
    for (const auto& label : info["labels"])
        tumourListed =
            tumourListed || (label["value"] == 7 && label["meaning"] == "tumour" && label["slices"] == 2);
    EXPECT_TRUE(tumourListed) << info.dump(2);
    // The kidney crops sit on the kidney the table names.
    const KidneyCentres centres(*known.labels);
    const auto crops = cropsOnSlice(&centres, 1, 32, 32, 16, 16);
    ASSERT_FALSE(crops.empty());
    EXPECT_LE(crops.front().box.col0, 10);
    EXPECT_GE(crops.front().box.col0 + crops.front().box.cols, 10);

    // A table given explicitly wins over the one beside the file.
    writeText(dir / "other.json", R"({"labels": [{"value": 9, "name": "kidney"}]})");
    const LoadedCase given = loadCase(pairedCase(files.image, files.segmentation, dir / "other.json"));
    EXPECT_EQ(given.labels->at(1, 16, 30), labels::Kidney);
    EXPECT_EQ(given.labels->at(1, 16, 10), labels::Other);

    // A segmentation on another grid is refused, naming the file.
    LabelVolume small = makeLabels({4, 16, 16}, {3.0, 1.0, 1.0});
    writeVolume(small, dir / "small.nii.gz");
    EXPECT_NE(refusal([&] {
                  loadCase(pairedCase(files.image, dir / "small.nii.gz"));
              }).find("small.nii.gz: label grid does not match the image grid"),
              std::string::npos);
}

TEST(LabelTable, ASlicerSegmentationCarriesItsOwnTable)
{
    TempDir dir;
    const PairedFiles files = writePairedCase(dir);
    writeSegNrrd(dir / "seg.seg.nrrd", readLabelVolume(files.segmentation));
    const LoadedCase loaded = loadCase(pairedCase(files.image, dir / "seg.seg.nrrd"));
    ASSERT_TRUE(loaded.labels);
    EXPECT_EQ(loaded.labels->at(1, 16, 10), labels::Tumour);
    EXPECT_EQ(loaded.labels->at(1, 16, 14), labels::Kidney);
    EXPECT_EQ(loaded.labels->at(1, 16, 30), labels::Other) << "value 9 is not a segment of the file";
}

TEST(LabelTable, KitsMeaningsOnlyForKitsLayouts)
{
    TempDir dir;
    const PairedFiles files = writePairedCase(dir);
    // A lone label file is not KiTS, whatever its values.
    EXPECT_TRUE(describeVolumeFile(files.segmentation, VolumeRole::Labels).labelTable.isNone());
    // A KiTS case folder is, and so is its segmentation opened alone.
    fs::create_directories(dir / "case_00000");
    fs::copy_file(files.segmentation, dir / "case_00000" / "segmentation.nii.gz");
    EXPECT_EQ(describeCaseDirectory(dir / "case_00000").labelTable.source(), "KiTS");
    EXPECT_EQ(describeVolumeFile(dir / "case_00000" / "segmentation.nii.gz", VolumeRole::Labels)
                  .labelTable.source(),
              "KiTS");
    // Another tool's output that happens to be called segmentation.nii.gz is not KiTS's.
    fs::create_directories(dir / "totalseg_out");
    fs::copy_file(files.segmentation, dir / "totalseg_out" / "segmentation.nii.gz");
    EXPECT_TRUE(describeVolumeFile(dir / "totalseg_out" / "segmentation.nii.gz", VolumeRole::Labels)
                    .labelTable.isNone());
}

TEST(RealData, TotalSegmentatorKidneysAreKidneysWithATableAndNeverLesions)
{
    const auto root = realDataDirectory();
    if (!root || !fs::exists(*root / "totalsegmentator" / "example_ct.nii.gz"))
        GTEST_SKIP()
            << "real data not present (totalsegmentator); set WEAKSIGHT_REAL_DATA or provide ../shared/data";
    const fs::path ct = *root / "totalsegmentator" / "example_ct.nii.gz";
    const fs::path seg = *root / "totalsegmentator" / "example_seg_fast_force_split.nii.gz";
    // No table: labels 2 and 3 are shown, but nothing is a lesion (KiTS would call them tumour and cyst).
    const auto bare = caseInfo(ct, VolumeRole::Auto, seg);
    EXPECT_FALSE(bare.contains("slices_with_lesion")) << bare.dump(2);
    EXPECT_GT(bare["slices_with_label"]["2"].get<int>(), 10);
    const auto labelsFile = caseInfo(seg);
    EXPECT_FALSE(labelsFile.contains("slices_with_lesion")) << "the labels file alone is not KiTS either";

    TempDir dir;
    writeText(dir / "totalseg.json", R"({"labels": [{"value": 2, "name": "kidney_right"},
                                                    {"value": 3, "name": "kidney_left"}]})");
    const LoadedCase loaded = loadCase(pairedCase(ct, seg, dir / "totalseg.json"));
    ASSERT_TRUE(loaded.labels && loaded.imaging);
    const auto info = caseInfo(ct, VolumeRole::Auto, seg, dir / "totalseg.json");
    EXPECT_EQ(info["slices_with_lesion"], 0);
    // On a slice through both kidneys the crops sit on them: the right kidney on the image's left.
    int kidneySlice = -1;
    long long most = 0;
    for (int k = 0; k < loaded.labels->slices(); ++k) {
        const uint8_t* s = loaded.labels->slice(k);
        const long long n = std::count(s, s + loaded.labels->sliceSize(), labels::Kidney);
        if (n > most) {
            most = n;
            kidneySlice = k;
        }
    }
    ASSERT_GE(kidneySlice, 0);
    const KidneyCentres centres(*loaded.labels);
    const auto crops =
        cropsOnSlice(&centres, kidneySlice, loaded.labels->rows(), loaded.labels->cols(), 40, 40);
    ASSERT_EQ(crops.size(), 2u);
    for (const auto& crop : crops) {
        long long kidney = 0;
        for (int r = std::max(0, crop.box.row0);
             r < std::min(loaded.labels->rows(), crop.box.row0 + crop.box.rows); ++r)
            for (int c = std::max(0, crop.box.col0);
                 c < std::min(loaded.labels->cols(), crop.box.col0 + crop.box.cols); ++c)
                kidney += loaded.labels->at(kidneySlice, r, c) == labels::Kidney;
        EXPECT_GT(kidney, 20) << crop.side << " crop holds kidney";
    }
}
