// BinaryMask basics: construction, counting, comparison and the overlap / edit statistics the
// annotation workflow reports. Any nonzero pixel counts as "set", so a mask that was filled with
// 255 by some drawing code still scores correctly.
#include "core/masks/BinaryMask.h"
#include "core/common/Overlap.h"

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
