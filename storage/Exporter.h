#pragma once

#include "core/io/Volume.h"
#include "storage/AnnotationStore.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace weaksight::storage {

struct ExportOptions {
    std::filesystem::path outDir;
    std::set<std::string> formats{"nifti"}; ///< any of nifti, seg-nrrd, dicom-seg, png, coco
    std::vector<std::string> cases;         ///< empty: every case with decisions
    std::vector<DecisionKind> statuses{DecisionKind::Accept, DecisionKind::Correct};
    uint8_t label = 2; ///< value written for curated lesion voxels
};

struct ExportReport {
    int cases = 0;
    int slices = 0;
    int decisions = 0;
    int superseded = 0; ///< older decisions on the same slice and crop, replaced by a newer one
    std::vector<std::filesystem::path> files;
};

/// Writes the curated masks of the store:
///  - nifti: <out>/nifti/<case>.nii.gz on the case's original grid and orientation (header
///    geometry copied from the source NIfTI), plus <out>/nifti/<case>.json with every slice's
///    provenance (decision, annotator, model hash, method, threshold, IoUs);
///  - png:   <out>/png/<case>/slice_XXXX.png per decided slice (0 background, 255 lesion),
///    canonical orientation (anterior up, patient's right on the left);
///  - seg-nrrd: <out>/seg-nrrd/<case>.seg.nrrd, 3D Slicer's segmentation: the same labels on the
///    source grid with one segment (name, label value, colour) in its header;
///  - dicom-seg: <out>/dicom-seg/<case>.dcm, a DICOM Segmentation (binary, one segment per label
///    value, a frame per segment and slice that has it; in the CT's study and frame of reference
///    with each frame naming its CT slice when the CT is a DICOM series);
///  - coco:  <out>/coco.json, one image per decided slice, one annotation per case slice with
///    COCO compressed RLE (readable by pycocotools), and the images it names:
///    <out>/images/<case>/slice_XXXX.png, the CT slice windowed at W 350 / L 40 (cases without an
///    imaging file are left out of coco.json, with a warning).
/// Slice numbers in file names are 0-based canonical indices (inferior first), as in the
/// workstation's slice label and the store.
/// Per slice and crop the newest standing decision counts; crops on one slice are united.
/// Every file is read back and compared before the export reports success; any mismatch throws.
/// `progress(done, total)` is called per case.
ExportReport exportMasks(const AnnotationStore& store, const ExportOptions& options,
                         const std::function<void(int, int)>& progress = {});

/// The curated lesion mask of one case on `geometry` (the case's grid): the newest standing
/// decision of `kinds` per slice and crop painted with `label` (what the export writes).
LabelVolume curatedLesionMask(const AnnotationStore& store, const std::string& caseKey, const StorageGeometry& geometry,
                              const std::vector<DecisionKind>& kinds = {DecisionKind::Accept, DecisionKind::Correct},
                              uint8_t label = 2);

} // namespace weaksight::storage
