// BinaryMask basics: construction, counting, comparison and the overlap / edit statistics the
// annotation workflow reports. Any nonzero pixel counts as "set", so a mask that was filled with
// 255 by some drawing code still scores correctly.
#include "core/masks/BinaryMask.h"

#include "core/common/Overlap.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace weaksight {

namespace {

std::string gridText(const BinaryMask& mask)
{
    return std::to_string(mask.rows) + "x" + std::to_string(mask.cols);
}

void requireSameGrid(const BinaryMask& a, const BinaryMask& b, const char* what)
{
    if (a.rows != b.rows || a.cols != b.cols || a.pixels.size() != b.pixels.size())
        throw std::invalid_argument(std::string(what) + ": masks are on different grids (" + gridText(a) +
                                    " vs " + gridText(b) + ")");
}

} // namespace

BinaryMask::BinaryMask(int rowCount, int colCount)
    : rows(rowCount)
    , cols(colCount)
{
    if (rowCount < 0 || colCount < 0)
        throw std::invalid_argument("BinaryMask: negative size " + std::to_string(rowCount) + "x" +
                                    std::to_string(colCount));
    pixels.assign(static_cast<size_t>(rowCount) * static_cast<size_t>(colCount), 0);
}

long long BinaryMask::count() const
{
    // Eight pixels at a time: each byte becomes 1 iff it was nonzero, and a multiply adds the eight
    // bytes up into the top byte. (GCC's -O2 cost model leaves the plain per-byte loop scalar, and
    // popcount is a library call without -mpopcnt.)
    constexpr uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    constexpr uint64_t highs = 0x8080808080808080ull;
    const uint8_t* p = pixels.data();
    const size_t n = pixels.size();
    long long total = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        std::memcpy(&word, p + i, 8);
        const uint64_t nonzero = ((((word & low7) + low7) | word) & highs) >> 7;
        total += static_cast<long long>((nonzero * 0x0101010101010101ull) >> 56);
    }
    for (; i < n; ++i)
        total += p[i] != 0;
    return total;
}

bool BinaryMask::operator==(const BinaryMask& other) const
{
    return rows == other.rows && cols == other.cols && pixels == other.pixels;
}

BinaryMask placeMask(const BinaryMask& mask, const CropBox& from, const CropBox& onto)
{
    if (mask.rows != from.rows || mask.cols != from.cols)
        throw std::invalid_argument("placeMask: the mask is not the size of its box");
    BinaryMask out(onto.rows, onto.cols);
    const int r0 = std::max(from.row0, onto.row0),
              r1 = std::min(from.row0 + from.rows, onto.row0 + onto.rows);
    const int c0 = std::max(from.col0, onto.col0),
              c1 = std::min(from.col0 + from.cols, onto.col0 + onto.cols);
    for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c)
            out.at(r - onto.row0, c - onto.col0) = mask.at(r - from.row0, c - from.col0);
    return out;
}

CropBox setPixelBounds(const BinaryMask& mask, const CropBox& on)
{
    int r0 = mask.rows, r1 = -1, c0 = mask.cols, c1 = -1;
    for (int r = 0; r < mask.rows; ++r)
        for (int c = 0; c < mask.cols; ++c)
            if (mask.at(r, c)) {
                r0 = std::min(r0, r), r1 = std::max(r1, r);
                c0 = std::min(c0, c), c1 = std::max(c1, c);
            }
    if (r1 < 0)
        return {};
    return {on.row0 + r0, on.col0 + c0, r1 - r0 + 1, c1 - c0 + 1};
}

OverlapScores overlap(const BinaryMask& a, const BinaryMask& b)
{
    requireSameGrid(a, b, "overlap");
    OverlapScores s;
    const uint8_t* pa = a.pixels.data();
    const uint8_t* pb = b.pixels.data();
    for (size_t i = 0, n = a.pixels.size(); i < n; ++i) {
        const int x = pa[i] != 0;
        const int y = pb[i] != 0;
        s.sizeA += x;
        s.sizeB += y;
        s.intersection += x & y;
    }
    s.unionSize = s.sizeA + s.sizeB - s.intersection;
    const auto ratios = overlapRatios(s.intersection, s.unionSize);
    s.iou = ratios.iou;
    s.dice = ratios.dice;
    return s;
}

EditCounts editCounts(const BinaryMask& before, const BinaryMask& after)
{
    requireSameGrid(before, after, "editCounts");
    EditCounts e;
    const uint8_t* pb = before.pixels.data();
    const uint8_t* pa = after.pixels.data();
    for (size_t i = 0, n = before.pixels.size(); i < n; ++i) {
        const int was = pb[i] != 0;
        const int now = pa[i] != 0;
        e.added += now & (was ^ 1);
        e.removed += was & (now ^ 1);
    }
    return e;
}

} // namespace weaksight
