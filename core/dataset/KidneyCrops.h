#pragma once

// Where the method's crops sit on a slice: one box per side, centred on that side's kidney.
// Shared by the dataset builder and the workstation's CAM overlay, so both see the same crops.

#include "core/compute/Classifier.h"
#include "core/io/Volume.h"
#include "core/masks/CropBox.h"

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weaksight {

/// One side's crop on a slice.
struct KidneyCrop {
    std::string side;          ///< "right" (patient's right: the image's left half) or "left"
    CropBox box;               ///< on the slice grid
    bool kidneyOnSlice = true; ///< false: centred from the nearest slice with kidney on that side
};

/// Copies the rows x cols box at (row0, col0) of an axial slice into `out`; pixels outside the
/// slice are -1024 HU (air). The dataset builder and the workstation cut crops only through this,
/// so their heatmap cache keys agree.
void cutCrop(const CtVolume& ct, int slice, int row0, int col0, int rows, int cols, int16_t* out);

/// A crop of rows x cols pixels of `rowStep` x `colStep` slice pixels each, starting at (row0,
/// col0): a fixed physical field of view whatever the scan's spacing. CT is interpolated
/// bilinearly (-1024 HU outside the slice); `labelsOut` (optional) takes the nearest label.
void cutResampledCrop(const CtVolume& ct, const LabelVolume* labels, int slice, int row0, int col0,
                      double rowStep, double colStep, int rows, int cols, int16_t* out, uint8_t* labelsOut);

/// A 2.5D model's other planes of one crop (compute::SliceContext order without the crop's own
/// plane: -n .. -1, +1 .. +n): the axial planes offset x spacingMm from `slice`, each
/// interpolated linearly between the two nearest slices (positions past the first or last slice
/// take that slice). `cutSlice(k, out)` cuts the crop on slice k (cutCrop or cutResampledCrop, as
/// the crop's own plane was cut); `out` takes 2n planes of `planePixels`. One implementation for
/// the dataset builder, the workstation and `cam`, so their 2.5D crops agree.
void cutContextPlanes(const CtVolume& ct, int slice, const compute::SliceContext& context, size_t planePixels,
                      const std::function<void(int, int16_t*)>& cutSlice, int16_t* out);

/// A crop as a model of `context` reads it: its own plane (`cutSlice(slice, ...)`) and, for a 2.5D
/// model, the context planes (cutContextPlanes) in channel order; rows x cols HU per plane.
compute::Image2D cutModelInput(const CtVolume& ct, int slice, const compute::SliceContext& context, int rows,
                               int cols, const std::function<void(int, int16_t*)>& cutSlice);

/// How a model's crops of `cropSize` pixels are cut from a scan: at the scan's own pixels, or
/// resampled (`steps`: slice pixels per crop pixel, rows and columns) when the model records a
/// pixel spacing the scan lacks. The workstation and `cam --slice` cut crops alike through it.
struct CropSampling {
    int cropSize = 150;
    std::optional<std::pair<double, double>> steps;
    /// The crop's box size in slice pixels (rows, cols).
    std::pair<int, int> extent() const;
};
CropSampling cropSampling(const compute::ModelDescription& model, int cropSize, double rowSpacing,
                          double colSpacing);
/// The crop size (the model's input pixels: a multiple of 8, 32 to 512) whose box best covers
/// rows x cols slice pixels: a box the labeller drags snaps to a field of view the model reads at
/// its own pixel spacing.
int cropSizeCovering(const CropSampling& sampling, int rows, int cols);
/// The crop of `box` (extent() slice pixels) as the model reads it: cutCrop or cutResampledCrop,
/// with the context planes `context` asks for (cutModelInput).
compute::Image2D cutCropForModel(const CtVolume& ct, int slice, const CropBox& box,
                                 const CropSampling& sampling, const compute::SliceContext& context);

/// The kidney label's centroid per slice and side of a label volume (one pass over the voxels).
class KidneyCentres {
public:
    /// `isCentreVoxel(label)` picks the voxels whose centroid places a box: the kidney label by
    /// default; kidney or lesion keeps sides where the lesion has no kidney label around it.
    explicit KidneyCentres(const LabelVolume& labels, bool (*isCentreVoxel)(uint8_t) = nullptr);

    /// Boxes of rows x cols on `slice`: per side, centred on the rounded centroid of the kidney
    /// label (label 1) in that half of the slice, shifted to lie inside the slice when it is large
    /// enough (else it extends past the edge). Sides without kidney are left out, or with
    /// keepNoKidney centred where the kidney is on the nearest slice that has it (the lower slice
    /// on a tie); a side with no kidney on any slice is always left out.
    std::vector<KidneyCrop> boxes(int slice, int rows, int cols, bool keepNoKidney = false) const;
    /// Whether any slice has a centre voxel (a segmentation without a kidney has none).
    bool hasKidney() const;

private:
    struct Centroid {
        double row = 0, col = 0;
    };
    int m_slices = 0, m_rows = 0, m_cols = 0;
    std::array<std::vector<std::optional<Centroid>>, 2> m_centroids; ///< right, left
};

/// The crops the labeller placed on a case (CropPlacement, in mm) and the slice's pixel spacing.
struct PlacedCrops {
    std::vector<CropPlacement> placements;
    double rowSpacing = 1, colSpacing = 1;
    bool operator==(const PlacedCrops& o) const
    {
        return placements == o.placements && rowSpacing == o.rowSpacing && colSpacing == o.colSpacing;
    }
};

/// The crops of a slice that heatmaps are computed on and the review decides on: a side the
/// labeller placed is centred where it was placed (on every slice); the others are the kidney
/// centres' boxes when the case has kidney labels (`centres`), else the centre of each half of a
/// slice of sliceRows x sliceCols pixels. Boxes are rows x cols slice pixels.
std::vector<KidneyCrop> cropsOnSlice(const KidneyCentres* centres, int slice, int sliceRows, int sliceCols,
                                     int rows, int cols, const PlacedCrops& placed = {});

/// The placement of a Ctrl+click at slice pixel (row, col): the side of the slice's half it is in,
/// the centre in mm.
CropPlacement placementAt(double row, double col, int sliceCols, double rowSpacing, double colSpacing);

} // namespace weaksight
