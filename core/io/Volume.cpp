#include "core/io/Volume.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace weaksight {

namespace {
// LPS component m (0 = x towards L, 1 = y towards P, 2 = z towards S) -> canonical axis.
constexpr int kCanonicalOfLps[3] = {Column, Row, Axial};

/// Which of the 256 label values count: a table, so the scan costs one look-up per voxel.
std::array<bool, 256> wantedLabels(const std::vector<uint8_t>& values)
{
    std::array<bool, 256> wanted{};
    if (values.empty()) {
        wanted.fill(true);
        wanted[0] = false;
    }
    for (uint8_t v : values)
        wanted[v] = true;
    return wanted;
}

std::optional<VoxelBox> labelBoundsOfSlices(const LabelVolume& labels, int firstSlice, int lastSlice,
                                            const std::vector<uint8_t>& values)
{
    const auto wanted = wantedLabels(values);
    const auto isWanted = [&wanted](uint8_t v) {
        return wanted[v];
    };
    const int cols = labels.cols();
    std::optional<VoxelBox> box;
    for (int k = firstSlice; k <= lastSlice; ++k)
        for (int r = 0; r < labels.rows(); ++r) {
            const uint8_t* row = labels.slice(k) + static_cast<size_t>(r) * cols;
            const uint8_t* end = row + cols;
            const uint8_t* first = std::find_if(row, end, isWanted);
            if (first == end)
                continue;
            // From both ends of the row: the labels' middle is never read.
            const uint8_t* last =
                std::find_if(std::make_reverse_iterator(end), std::make_reverse_iterator(first), isWanted)
                    .base() -
                1;
            const std::array<int, 3> low{k, r, static_cast<int>(first - row)};
            const std::array<int, 3> high{k, r, static_cast<int>(last - row)};
            if (!box) {
                box = VoxelBox{low, high};
                continue;
            }
            for (int a = 0; a < 3; ++a) {
                box->first[a] = std::min(box->first[a], low[a]);
                box->last[a] = std::max(box->last[a], high[a]);
            }
        }
    return box;
}
} // namespace

VoxelBox VoxelBox::grown(int margin, const std::array<int, 3>& shape) const
{
    VoxelBox box;
    for (int a = 0; a < 3; ++a) {
        box.first[a] = std::max(0, first[a] - margin);
        box.last[a] = std::min(shape[a] - 1, last[a] + margin);
    }
    return box;
}

std::optional<VoxelBox> labelBounds(const LabelVolume& labels, const std::vector<uint8_t>& values)
{
    return labelBoundsOfSlices(labels, 0, labels.slices() - 1, values);
}

std::optional<VoxelBox> labelBounds(const LabelVolume& labels, int slice, const std::vector<uint8_t>& values)
{
    return labelBoundsOfSlices(labels, slice, slice, values);
}

void StorageGeometry::deriveCanonicalMapping()
{
    std::array<bool, 3> taken{false, false, false};
    for (int s = 0; s < 3; ++s) {
        int best = 0;
        for (int m = 1; m < 3; ++m)
            if (std::abs(direction[m * 3 + s]) > std::abs(direction[best * 3 + s]))
                best = m;
        // An axis at 45 degrees between two anatomical axes has no honest assignment.
        if (std::abs(direction[best * 3 + s]) < 0.75)
            throw std::invalid_argument("direction matrix is too oblique to find the axial axis");
        const int canonicalAxis = kCanonicalOfLps[best];
        if (taken[canonicalAxis])
            throw std::invalid_argument("direction matrix maps two storage axes to one anatomical axis");
        taken[canonicalAxis] = true;
        storageAxisOf[canonicalAxis] = s;
        flipped[canonicalAxis] = direction[best * 3 + s] < 0;
    }
}

std::string StorageGeometry::orientationCode() const
{
    static const char positive[3] = {'L', 'P', 'S'};
    static const char negative[3] = {'R', 'A', 'I'};
    std::string code(3, '?');
    for (int s = 0; s < 3; ++s) {
        int best = 0;
        for (int m = 1; m < 3; ++m)
            if (std::abs(direction[m * 3 + s]) > std::abs(direction[best * 3 + s]))
                best = m;
        code[s] = direction[best * 3 + s] >= 0 ? positive[best] : negative[best];
    }
    return code;
}

std::array<int, 3> StorageGeometry::canonicalShape() const
{
    return {size[storageAxisOf[0]], size[storageAxisOf[1]], size[storageAxisOf[2]]};
}

std::array<double, 3> StorageGeometry::canonicalSpacing() const
{
    return {spacing[storageAxisOf[0]], spacing[storageAxisOf[1]], spacing[storageAxisOf[2]]};
}

std::array<int, 3> StorageGeometry::storageIndex(int slice, int row, int col) const
{
    const int canonical[3] = {slice, row, col};
    std::array<int, 3> index{};
    for (int a = 0; a < 3; ++a) {
        const int s = storageAxisOf[a];
        index[s] = flipped[a] ? size[s] - 1 - canonical[a] : canonical[a];
    }
    return index;
}

std::array<double, 3> StorageGeometry::physicalPoint(int slice, int row, int col) const
{
    const auto idx = storageIndex(slice, row, col);
    std::array<double, 3> p = origin;
    for (int m = 0; m < 3; ++m)
        for (int s = 0; s < 3; ++s)
            p[m] += direction[m * 3 + s] * spacing[s] * idx[s];
    return p;
}

bool StorageGeometry::sameGrid(const StorageGeometry& other, double tolerance) const
{
    if (size != other.size)
        return false;
    for (int i = 0; i < 3; ++i) {
        if (std::abs(spacing[i] - other.spacing[i]) > tolerance * std::max(1.0, std::abs(spacing[i])))
            return false;
        if (std::abs(origin[i] - other.origin[i]) > tolerance * std::max(1.0, std::abs(origin[i])))
            return false;
    }
    for (int i = 0; i < 9; ++i)
        if (std::abs(direction[i] - other.direction[i]) > tolerance)
            return false;
    return true;
}

StorageGeometry StorageGeometry::canonical(std::array<int, 3> shape, std::array<double, 3> spacingMm,
                                           std::array<double, 3> originLps)
{
    StorageGeometry g;
    // Storage axis 0 (fastest) is the column (x, towards L), 1 the row (y, towards P),
    // 2 the slice (z, towards S): the identity direction in LPS.
    g.size = {shape[2], shape[1], shape[0]};
    g.spacing = {spacingMm[2], spacingMm[1], spacingMm[0]};
    g.origin = originLps;
    g.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    g.deriveCanonicalMapping();
    return g;
}

StorageGeometry StorageGeometry::kitsStorage(std::array<int, 3> shape, std::array<double, 3> spacingMm)
{
    StorageGeometry g;
    g.size = {shape[0], shape[1], shape[2]};
    g.spacing = {spacingMm[0], spacingMm[1], spacingMm[2]};
    // Columns of the direction matrix (LPS): axis 0 -> inferior (0,0,-1),
    // axis 1 -> posterior (0,1,0), axis 2 -> left (1,0,0).
    g.direction = {0, 0, 1, 0, 1, 0, -1, 0, 0};
    g.origin = {0, 0, 0};
    g.deriveCanonicalMapping();
    return g;
}

} // namespace weaksight
