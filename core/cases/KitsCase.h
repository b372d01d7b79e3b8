#pragma once

#include "core/cases/LabelTable.h"
#include "core/io/Volume.h"
#include "core/io/VolumeIo.h"
#include "core/masks/BinaryMask.h"
#include "core/masks/CropBox.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weaksight {

/// Which KiTS release a case directory follows, recognised from its files:
///   KiTS19: imaging.nii.gz + segmentation.nii.gz
///   KiTS21: imaging.nii.gz + aggregated_MAJ_seg.nii.gz (+ aggregated_*_seg, segmentations/)
///   KiTS23: imaging.nii.gz + segmentation.nii.gz + instances/
enum class KitsLayout { Kits19, Kits21, Kits23, SingleFile, Unknown };
std::string toString(KitsLayout layout);

/// The files of one case, found without reading any voxels.
struct CaseFiles {
    std::string caseId; ///< directory name, e.g. "case_00110"
    std::filesystem::path directory;
    KitsLayout layout = KitsLayout::Unknown;
    std::optional<std::filesystem::path> imaging;
    std::optional<std::filesystem::path> segmentation; ///< reference labels (KiTS21: majority vote)
    /// Per-annotator or per-instance masks (KiTS21 segmentations/, KiTS23 instances/).
    std::vector<std::filesystem::path> annotatorMasks;
    /// What the segmentation's values mean: KiTS's for KiTS layouts, else the segmentation's own
    /// or the one beside it (LabelTable::besideSegmentation), else none.
    LabelTable labelTable = LabelTable::none();

    bool hasImaging() const { return imaging.has_value(); }
    bool hasSegmentation() const { return segmentation.has_value(); }
    /// "imaging and labels", "imaging only" or "labels only".
    std::string contentDescription() const;
};

/// True for a folder holding a KiTS imaging or segmentation file (no voxels are read).
bool looksLikeCaseDirectory(const std::filesystem::path& directory);

/// Recognises one case directory. Throws InputError if it holds neither imaging nor labels.
CaseFiles describeCaseDirectory(const std::filesystem::path& directory);

/// Treats a single volume file (or a DICOM directory) as a case: unsigned 8-bit files are
/// taken as labels, anything else as imaging, unless `asLabels` forces the choice.
enum class VolumeRole { Auto, Imaging, Labels };
CaseFiles describeVolumeFile(const std::filesystem::path& path, VolumeRole role = VolumeRole::Auto);

/// A CT paired with a segmentation from anywhere (File › Load segmentation…, `--labels`): the
/// case of `image` with `segmentation` as its labels, read with `labelTable` (a table file), else
/// the table the segmentation carries or sits beside, else none. Nothing is read but the tables.
CaseFiles pairedCase(const std::filesystem::path& image, const std::filesystem::path& segmentation,
                     const std::optional<std::filesystem::path>& labelTable = std::nullopt);

/// Lists the cases of a dataset: `root` is either a folder of case directories (KiTS's
/// `dataset/` or `data/`) or a single case directory. Sorted by case id.
std::vector<CaseFiles> scanDataset(const std::filesystem::path& root);

/// A loaded case: either volume may be absent (masks-only or imaging-only cases).
struct LoadedCase {
    CaseFiles files;
    std::optional<CtVolume> imaging;
    std::optional<LabelVolume> labels; ///< in Weaksight's values (labels::), mapped by the case's table
    LabelStatistics fileLabels;        ///< per value of the segmentation file, before the mapping
    /// Axial slices with a tumour or cyst voxel, when the labels' table says what a lesion is.
    std::optional<std::vector<int>> lesionSlices;
    std::vector<std::string> warnings;

    const StorageGeometry& geometry() const { return imaging ? imaging->geometry : labels->geometry; }
};

/// Reads a case's imaging and reference labels, checks that their grids match and maps the labels
/// through the case's table (a table without meanings adds a warning).
LoadedCase loadCase(const CaseFiles& files);

/// The ground-truth lesion mask (tumour or cyst) of a box of one slice; pixels off the slice are 0.
BinaryMask lesionMask(const LabelVolume& labels, int slice, const CropBox& box);

/// Checks that a label volume sits on the imaging grid; throws InputError naming the label file.
void requireMatchingGrid(const StorageGeometry& image, const StorageGeometry& labels,
                         const std::filesystem::path& labelFile);

} // namespace weaksight
