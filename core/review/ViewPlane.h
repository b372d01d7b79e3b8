#pragma once

// The three orthogonal planes through a canonical volume as 2D images — which voxel a plane pixel
// is, the plane's size and spacing, a plane's voxels — and the axial slices' heatmaps stacked into a
// coronal or sagittal plane. The slice scenes of every view and the stacked overlays use this one
// mapping.

#include "core/io/Volume.h"
#include "core/review/SliceHeatmaps.h"

#include <array>
#include <cstring>
#include <functional>

namespace weaksight::review {

/// Axial: the canonical slice (row 0 anterior at the top, the patient's left on the right).
/// Coronal: a canonical row, seen from the front: superior at the top, the patient's left on the right.
/// Sagittal: a canonical column, seen from the patient's left: superior at the top, anterior on the left.
enum class ViewPlane { Axial, Coronal, Sagittal };

const char* toString(ViewPlane plane);

/// A plane's pixel grid: rows x cols pixels of the given spacing (mm), `depth` planes along its
/// normal, `normalSpacing` apart.
struct PlaneGrid {
    int rows = 0, cols = 0, depth = 0;
    double rowSpacing = 1, colSpacing = 1, normalSpacing = 1;
};

PlaneGrid planeGrid(ViewPlane plane, const std::array<int, 3>& shape, const std::array<double, 3>& spacing);

/// The canonical voxel {slice, row, col} at pixel (row, col) of plane number `index`. Coronal and
/// sagittal rows count from the top (the most superior slice), so plane row = slices - 1 - slice.
std::array<int, 3> voxelOf(ViewPlane plane, const std::array<int, 3>& shape, int index, int planeRow,
                           int planeCol);
/// The inverse: a voxel's {plane index, plane row, plane column}.
std::array<int, 3> planePointOf(ViewPlane plane, const std::array<int, 3>& shape,
                                const std::array<int, 3>& voxel);

/// Pixels rows [row0, row0 + rows) x columns [col0, col0 + cols) of plane `index`, row-major, into
/// `out` (rows * cols values; the region must lie inside the plane).
template <typename T>
void copyPlaneRegion(const Volume<T>& volume, ViewPlane plane, int index, int row0, int rows, int col0,
                     int cols, T* out)
{
    const int slices = volume.slices();
    for (int pr = row0; pr < row0 + rows; ++pr, out += cols) {
        switch (plane) {
        case ViewPlane::Axial:
            std::memcpy(out, volume.slice(index) + static_cast<size_t>(pr) * volume.cols() + col0,
                        static_cast<size_t>(cols) * sizeof(T));
            break;
        case ViewPlane::Coronal: // canonical row `index` of slice (slices - 1 - pr): contiguous
            std::memcpy(out,
                        volume.slice(slices - 1 - pr) + static_cast<size_t>(index) * volume.cols() + col0,
                        static_cast<size_t>(cols) * sizeof(T));
            break;
        case ViewPlane::Sagittal: { // column `index`: one voxel per canonical row
            const T* source = volume.slice(slices - 1 - pr) + index;
            for (int pc = 0; pc < cols; ++pc)
                out[pc] = source[static_cast<size_t>(col0 + pc) * volume.cols()];
            break;
        }
        }
    }
}

/// The whole plane `index`.
template <typename T> void copyPlane(const Volume<T>& volume, ViewPlane plane, int index, T* out)
{
    const PlaneGrid grid = planeGrid(plane, volume.shape, volume.spacing);
    copyPlaneRegion(volume, plane, index, 0, grid.rows, 0, grid.cols, out);
}

/// The shown heatmaps of the axial slices stacked into a coronal or sagittal plane: each slice's
/// crops cut along the plane's line, as one CropHeatmap whose box is the whole plane (plane pixels).
/// Pixels of slices without maps (not computed yet, degenerate) or outside every crop hold `absent`.
struct StackedHeatmap {
    CropHeatmap heatmap;
    int slicesWithMaps = 0; ///< slices whose crops cross the plane's line
};
StackedHeatmap stackedHeatmap(ViewPlane plane, int index, const std::array<int, 3>& shape,
                              const std::function<const SliceHeatmaps*(int slice)>& mapsOf, float absent);

} // namespace weaksight::review
