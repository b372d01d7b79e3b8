#pragma once

#include "core/io/Volume.h"
#include "core/masks/BinaryMask.h"
#include "core/masks/CropBox.h"
#include "core/io/VolumeIo.h"

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

/// Lists the cases of a dataset: `root` is either a folder of case directories (KiTS's
/// `dataset/` or `data/`) or a single case directory. Sorted by case id.
std::vector<CaseFiles> scanDataset(const std::filesystem::path& root);

/// A loaded case: either volume may be absent (masks-only or imaging-only cases).
struct LoadedCase {
    CaseFiles files;
    std::optional<CtVolume> imaging;
    std::optional<LabelVolume> labels;
    std::vector<std::string> warnings;

    const StorageGeometry& geometry() const { return imaging ? imaging->geometry : labels->geometry; }
};

/// Reads a case's imaging and reference labels and checks that their grids match.
LoadedCase loadCase(const CaseFiles& files);

/// Facts printed by `weaksight case-info`.
struct LabelStatistics {
    std::map<int, int> slicesWithLabel;     ///< label value -> number of axial slices containing it
    std::map<int, long long> voxelsWithLabel; ///< label value -> voxel count (background excluded)
};
LabelStatistics computeLabelStatistics(const LabelVolume& labels);

/// The ground-truth lesion mask (tumour or cyst) of a box of one slice; pixels off the slice are 0.
BinaryMask lesionMask(const LabelVolume& labels, int slice, const CropBox& box);

/// Checks that a label volume sits on the imaging grid; throws InputError naming the label file.
void requireMatchingGrid(const StorageGeometry& image, const StorageGeometry& labels,
                         const std::filesystem::path& labelFile);

} // namespace weaksight
