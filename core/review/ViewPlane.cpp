#include "core/review/ViewPlane.h"

#include <algorithm>
#include <stdexcept>

namespace weaksight::review {

const char* toString(ViewPlane plane)
{
    switch (plane) {
    case ViewPlane::Axial:
        return "axial";
    case ViewPlane::Coronal:
        return "coronal";
    case ViewPlane::Sagittal:
        return "sagittal";
    }
    return "axial";
}

PlaneGrid planeGrid(ViewPlane plane, const std::array<int, 3>& shape, const std::array<double, 3>& spacing)
{
    switch (plane) {
    case ViewPlane::Axial:
        return {shape[Row], shape[Column], shape[Axial], spacing[Row], spacing[Column], spacing[Axial]};
    case ViewPlane::Coronal:
        return {shape[Axial], shape[Column], shape[Row], spacing[Axial], spacing[Column], spacing[Row]};
    case ViewPlane::Sagittal:
        return {shape[Axial], shape[Row], shape[Column], spacing[Axial], spacing[Row], spacing[Column]};
    }
    throw std::logic_error("unknown view plane");
}

std::array<int, 3> voxelOf(ViewPlane plane, const std::array<int, 3>& shape, int index, int planeRow,
                           int planeCol)
{
    switch (plane) {
    case ViewPlane::Axial:
        return {index, planeRow, planeCol};
    case ViewPlane::Coronal:
        return {shape[Axial] - 1 - planeRow, index, planeCol};
    case ViewPlane::Sagittal:
        return {shape[Axial] - 1 - planeRow, planeCol, index};
    }
    throw std::logic_error("unknown view plane");
}

std::array<int, 3> planePointOf(ViewPlane plane, const std::array<int, 3>& shape,
                                const std::array<int, 3>& voxel)
{
    const auto [k, r, c] = voxel;
    switch (plane) {
    case ViewPlane::Axial:
        return {k, r, c};
    case ViewPlane::Coronal:
        return {r, shape[Axial] - 1 - k, c};
    case ViewPlane::Sagittal:
        return {c, shape[Axial] - 1 - k, r};
    }
    throw std::logic_error("unknown view plane");
}

StackedHeatmap stackedHeatmap(ViewPlane plane, int index, const std::array<int, 3>& shape,
                              const std::function<const SliceHeatmaps*(int slice)>& mapsOf, float absent)
{
    if (plane == ViewPlane::Axial)
        throw std::invalid_argument("stackedHeatmap: the axial plane shows its own crops");
    const PlaneGrid grid = planeGrid(plane, shape, {1, 1, 1});
    StackedHeatmap stacked;
    CropHeatmap& out = stacked.heatmap;
    out.box = CropBox{0, 0, grid.rows, grid.cols};
    out.values.assign(static_cast<size_t>(grid.rows) * grid.cols, absent);
    // The plane's line on an axial slice: a canonical row (coronal) or column (sagittal).
    const bool coronal = plane == ViewPlane::Coronal;
    for (int k = 0; k < shape[Axial]; ++k) {
        const SliceHeatmaps* maps = mapsOf(k);
        if (!maps)
            continue;
        float* line = out.values.data() + static_cast<size_t>(shape[Axial] - 1 - k) * grid.cols;
        bool crossed = false;
        for (const CropHeatmap& crop : maps->crops) {
            const CropBox& b = crop.box;
            if (crop.degenerate)
                continue;
            // In the slice: the axis the plane cuts (rows for coronal) and the one along its line.
            const int cut0 = coronal ? b.row0 : b.col0, cutSize = coronal ? b.rows : b.cols;
            const int along0 = coronal ? b.col0 : b.row0, alongSize = coronal ? b.cols : b.rows;
            if (index < cut0 || index >= cut0 + cutSize)
                continue;
            const int from = std::max(0, along0), to = std::min(grid.cols, along0 + alongSize);
            for (int p = from; p < to; ++p)
                line[p] = coronal ? crop.valueAt(index - b.row0, p - b.col0)
                                  : crop.valueAt(p - b.row0, index - b.col0);
            crossed = crossed || from < to;
        }
        stacked.slicesWithMaps += crossed ? 1 : 0;
    }
    return stacked;
}

} // namespace weaksight::review
