#pragma once

// `weaksight dataset build`: the method's kidney-crop dataset from KiTS-layout cases.

#include "core/compute/CropDataset.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace weaksight {

struct DatasetBuildOptions {
    std::filesystem::path cases; ///< a KiTS-layout folder (or one case folder)
    std::filesystem::path out;
    int cropRows = 150;
    int cropCols = 150;
    int sliceStep = 1;          ///< every k-th axial slice (the method also used every 5th)
    bool keepNoKidney = false;  ///< keep sides without kidney label, centred from the nearest slices
    double huLow = -200.0;      ///< HU window stored with the dataset, used by training and inference
    double huHigh = 300.0;
    uint64_t seed = 1;          ///< patient split seed
    double trainFraction = 0.6;
    double validationFraction = 0.2;
    int sanitySquare = 0;       ///< >0: the method's sanity experiment (see DatasetParameters)
    /// "kidney": boxes centred on the kidney label (the method's); "kidney+lesion": on kidney and
    /// lesion voxels together, so sides whose lesion has no kidney label around it are kept.
    std::string centring = "kidney";
    std::string lesionLabels = "tumour+cyst"; ///< what counts as lesion: "tumour+cyst" or "tumour"
    double pixelSpacingMm = 0; ///< > 0: crops resampled to this in-plane spacing (fixed field of view)
    /// Slice context for 2.5D models (compute::SliceContext): planes each side of a crop, and
    /// their distance in mm (context.npy); 0 = none.
    int contextSlices = 0;
    double contextSpacingMm = 5.0;
    int threads = 0;            ///< cases read in parallel; 0 = hardware threads (at most 4)
    /// What the segmentations' values mean (a LabelTable file); empty: KiTS's (the folders are KiTS).
    std::filesystem::path labelTable;
};

struct SplitCount {
    int cases = 0;
    long long crops = 0;
    long long lesionCrops = 0;
};

struct DatasetBuildSummary {
    int casesUsed = 0;
    std::vector<std::string> skipped; ///< "case_x: reason"
    SplitCount train, validation, test;
    long long crops() const { return train.crops + validation.crops + test.crops; }
    double seconds = 0;
    double cropsPerSecond = 0;
};

/// Patient split: case ids sorted, shuffled with a fixed generator seeded by `seed` (the same on
/// every platform), then the first round(n * train) cases train, the next round(n * val)
/// validation, the rest test; with three or more cases no split is empty.
std::vector<compute::Split> assignSplits(size_t caseCount, uint64_t seed, double trainFraction,
                                         double validationFraction);

/// Builds the dataset: for every selected axial slice of every case with imaging and labels, one
/// crop per side centred on the rounded centroid of that side's kidney label (label 1) on that
/// slice; the box is shifted to lie inside the slice where the slice is large enough, else padded
/// with -1024 HU. Cases that cannot be read are skipped and reported (the build goes on).
/// progress(casesDone, casesTotal) after each case; `cancel` stops between cases (throws).
DatasetBuildSummary buildCropDataset(const DatasetBuildOptions& options,
                                     const std::function<void(int, int)>& progress = {},
                                     const std::atomic<bool>* cancel = nullptr);

} // namespace weaksight
