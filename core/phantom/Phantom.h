#pragma once

#include "core/io/Volume.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace weaksight {

/// Options of the synthetic KiTS-like CT generator (`weaksight phantom`).
struct PhantomOptions {
    uint64_t seed = 1;
    /// In-plane matrix size is drawn per case from this range (pixels, square slices).
    int minInPlace = 384;
    int maxInPlace = 512;
    /// Slice thickness (mm) is drawn per case from this list.
    std::vector<double> sliceThicknesses{1.0, 2.5, 3.0, 5.0};
    /// Fraction of cases without any lesion.
    double lesionFreeFraction = 0.2;
    /// writePhantomDataset writes cases firstIndex .. firstIndex + count - 1 (to build a
    /// large dataset in parts or in parallel processes).
    int firstIndex = 0;
};

/// One lesion planted in a phantom (for tests and the dataset README).
struct PhantomLesion {
    uint8_t label = 2;      ///< 2 tumour, 3 cyst
    int side = 0;           ///< -1 patient's right kidney, +1 left kidney
    double diameterMm = 0;
    bool exophytic = false;
};

struct PhantomCase {
    std::string caseId;
    CtVolume imaging;         ///< HU, canonical layout, geometry in KiTS storage convention
    LabelVolume segmentation; ///< 0 background, 1 kidney, 2 tumour, 3 cyst
    std::vector<PhantomLesion> lesions;
};

/// Generates case number `index` deterministically from options.seed and index.
PhantomCase generatePhantomCase(const PhantomOptions& options, int index);

/// Writes `count` cases in KiTS23 layout under outDir (case_XXXXX/imaging.nii.gz,
/// segmentation.nii.gz). `progress(done, total)` is called after each case.
void writePhantomDataset(const PhantomOptions& options, const std::filesystem::path& outDir, int count,
                         const std::function<void(int, int)>& progress = {});

} // namespace weaksight
