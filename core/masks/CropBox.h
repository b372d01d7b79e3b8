#pragma once

// A box of pixels on an axial slice's grid (canonical rows and columns): a kidney crop, the whole
// slice, a heatmap patch's place, a stored proposal's crop. The one box type of the project, so
// boxes compare with == and no layer reads another's fields one by one.

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

namespace weaksight {

struct CropBox {
    int row0 = 0, col0 = 0; ///< the box's first pixel on the slice; negative where it extends past the edge
    int rows = 0, cols = 0;

    size_t pixelCount() const { return static_cast<size_t>(rows) * static_cast<size_t>(cols); }
    bool empty() const { return rows <= 0 || cols <= 0; }
    /// Whether the box lies wholly on a slice of sliceRows x sliceCols pixels.
    bool liesWithin(int sliceRows, int sliceCols) const
    {
        return row0 >= 0 && col0 >= 0 && row0 + rows <= sliceRows && col0 + cols <= sliceCols;
    }
    bool contains(int row, int col) const
    {
        return row >= row0 && col >= col0 && row < row0 + rows && col < col0 + cols;
    }
    friend bool operator==(const CropBox& a, const CropBox& b)
    {
        return a.row0 == b.row0 && a.col0 == b.col0 && a.rows == b.rows && a.cols == b.cols;
    }
    friend bool operator!=(const CropBox& a, const CropBox& b) { return !(a == b); }
    /// An order for maps and sets of boxes (top to bottom, then left to right, then size).
    friend bool operator<(const CropBox& a, const CropBox& b)
    {
        return std::tie(a.row0, a.col0, a.rows, a.cols) < std::tie(b.row0, b.col0, b.rows, b.cols);
    }
};

/// The smallest box holding every box's pixels that lie on a slice of sliceRows x sliceCols; an
/// empty box when none do.
inline CropBox boundsOnSlice(const std::vector<CropBox>& boxes, int sliceRows, int sliceCols)
{
    int r0 = sliceRows, c0 = sliceCols, r1 = -1, c1 = -1;
    for (const CropBox& b : boxes) {
        r0 = std::min(r0, std::max(0, b.row0));
        c0 = std::min(c0, std::max(0, b.col0));
        r1 = std::max(r1, std::min(sliceRows - 1, b.row0 + b.rows - 1));
        c1 = std::max(c1, std::min(sliceCols - 1, b.col0 + b.cols - 1));
    }
    if (r1 < r0 || c1 < c0)
        return {};
    return {r0, c0, r1 - r0 + 1, c1 - c0 + 1};
}

/// The smallest box holding both boxes (whether or not they lie on a slice).
inline CropBox unionOf(const CropBox& a, const CropBox& b)
{
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    const int r0 = std::min(a.row0, b.row0), c0 = std::min(a.col0, b.col0);
    const int r1 = std::max(a.row0 + a.rows, b.row0 + b.rows),
              c1 = std::max(a.col0 + a.cols, b.col0 + b.cols);
    return {r0, c0, r1 - r0, c1 - c0};
}

/// Whether `inner` lies wholly inside `outer`.
inline bool holds(const CropBox& outer, const CropBox& inner)
{
    return inner.row0 >= outer.row0 && inner.col0 >= outer.col0 &&
           inner.row0 + inner.rows <= outer.row0 + outer.rows &&
           inner.col0 + inner.cols <= outer.col0 + outer.cols;
}

/// A side's crop placed by the labeller (with Ctrl+click in the workstation): its centre on the
/// axial plane in mm from the centre of canonical voxel (row 0, column 0), the same on every slice of
/// the case. In mm, so it holds whatever crop size or pixel spacing a model has; the box around it
/// is the model's field of view (cropsOnSlice). Stored per case in the annotation store.
struct CropPlacement {
    std::string side; ///< "right" or "left" (the patient's)
    double rowMm = 0, colMm = 0;
    friend bool operator==(const CropPlacement& a, const CropPlacement& b)
    {
        return a.side == b.side && a.rowMm == b.rowMm && a.colMm == b.colMm;
    }
};

} // namespace weaksight
