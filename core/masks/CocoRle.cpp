// COCO run-length encoding, bit-compatible with pycocotools (common/maskApi.c: rleEncode,
// rleToString, rleFrString, rleDecode), so exported annotations load with mask.decode() unchanged.
//
// COCO masks are stored in Fortran (column-major) order: for each column left to right, the rows
// top to bottom. Our BinaryMask is row-major, so both directions transpose on the fly.
#include "core/masks/BinaryMask.h"

#include <stdexcept>

namespace weaksight {

std::vector<uint32_t> cocoRleCounts(const BinaryMask& mask)
{
    // Same shape as rleEncode: always at least one count, the first one counting leading zeros
    // (so an empty grid gives {0}, an all-zero mask {rows*cols}, an all-one mask {0, rows*cols}).
    std::vector<uint32_t> counts;
    uint8_t current = 0;
    uint32_t run = 0;
    const size_t stride = static_cast<size_t>(mask.cols);
    for (int c = 0; mask.rows > 0 && c < mask.cols; ++c) { // a 0 x N grid has no pixels to point into
        const uint8_t* p = mask.pixels.data() + c;
        for (int r = 0; r < mask.rows; ++r, p += stride) {
            const uint8_t value = *p != 0;
            if (value != current) {
                counts.push_back(run);
                run = 0;
                current = value;
            }
            ++run;
        }
    }
    counts.push_back(run);
    return counts;
}

std::string cocoRleString(const std::vector<uint32_t>& counts)
{
    // rleToString: from the third count on, store the difference to the count two back (runs of
    // the same colour have similar lengths), then write 5-bit groups, least significant first,
    // as characters 48..111; bit 0x20 marks "more groups follow", bit 0x10 of the last group is
    // the sign.
    std::string text;
    text.reserve(counts.size() * 2);
    for (size_t i = 0; i < counts.size(); ++i) {
        int64_t x = static_cast<int64_t>(counts[i]);
        if (i > 2)
            x -= static_cast<int64_t>(counts[i - 2]);
        bool more = true;
        while (more) {
            int c = static_cast<int>(x & 0x1f);
            x >>= 5; // arithmetic shift, as in maskApi.c (well defined for int64 on our compilers)
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more)
                c |= 0x20;
            text.push_back(static_cast<char>(c + 48));
        }
    }
    return text;
}

std::vector<uint32_t> cocoRleCountsFromString(const std::string& text)
{
    // rleFrString with validation. A count or difference lies in [-(2^32 - 1), 2^32 - 1], which
    // needs at most 7 groups of 5 bits; anything longer is malformed rather than a big number.
    constexpr int kMaxGroups = 7;
    std::vector<uint32_t> counts;
    size_t p = 0;
    while (p < text.size()) {
        uint64_t bits = 0;
        int k = 0;
        bool more = true;
        while (more) {
            if (p >= text.size())
                throw std::invalid_argument("cocoRleCountsFromString: string ends inside count " +
                                            std::to_string(counts.size()));
            const int ch = static_cast<unsigned char>(text[p]);
            if (ch < 48 || ch > 111)
                throw std::invalid_argument("cocoRleCountsFromString: invalid character code " +
                                            std::to_string(ch) + " at offset " + std::to_string(p));
            if (k == kMaxGroups)
                throw std::invalid_argument("cocoRleCountsFromString: count " +
                                            std::to_string(counts.size()) + " is too long");
            const int c = ch - 48;
            bits |= static_cast<uint64_t>(c & 0x1f) << (5 * k);
            more = (c & 0x20) != 0;
            ++p;
            ++k;
            if (!more && (c & 0x10))
                bits |= ~uint64_t(0) << (5 * k); // sign-extend
        }
        int64_t x = static_cast<int64_t>(bits);
        const size_t m = counts.size();
        if (m > 2)
            x += static_cast<int64_t>(counts[m - 2]);
        if (x < 0 || x > static_cast<int64_t>(UINT32_MAX))
            throw std::invalid_argument("cocoRleCountsFromString: count " + std::to_string(m) + " is " +
                                        std::to_string(x) + ", outside 0..2^32-1");
        counts.push_back(static_cast<uint32_t>(x));
    }
    return counts;
}

BinaryMask cocoRleDecode(const std::vector<uint32_t>& counts, int rows, int cols)
{
    if (rows < 0 || cols < 0)
        throw std::invalid_argument("cocoRleDecode: negative size " + std::to_string(rows) + "x" +
                                    std::to_string(cols));
    // Check the sum before allocating or writing anything: it bounds every run below.
    const uint64_t total = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
    uint64_t sum = 0;
    for (uint32_t n : counts)
        sum += n;
    if (sum != total)
        throw std::invalid_argument("cocoRleDecode: counts sum to " + std::to_string(sum) + ", expected " +
                                    std::to_string(rows) + "x" + std::to_string(cols) + " = " +
                                    std::to_string(total));

    BinaryMask mask(rows, cols);
    size_t index = 0; // position in column-major order
    const size_t rowCount = static_cast<size_t>(rows);
    const size_t colCount = static_cast<size_t>(cols);
    for (size_t i = 0; i < counts.size(); ++i) {
        const size_t n = counts[i];
        if (i % 2 == 1 && n > 0) {
            // One division per run, then walk down the column and wrap to the next one.
            size_t r = index % rowCount;
            size_t c = index / rowCount;
            for (size_t j = 0; j < n; ++j) {
                mask.pixels[r * colCount + c] = 1;
                if (++r == rowCount) {
                    r = 0;
                    ++c;
                }
            }
        }
        index += n;
    }
    return mask;
}

} // namespace weaksight
