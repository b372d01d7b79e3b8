#pragma once

#include "core/masks/CropBox.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weaksight {

/// A 2D binary mask on a slice (or crop) grid: row-major, one byte per pixel, values 0 or 1.
/// Row 0 / column 0 follow the canonical slice layout (anterior at the top, patient's right
/// on the left), so a mask can be compared with canonical label slices directly.
struct BinaryMask {
    int rows = 0;
    int cols = 0;
    std::vector<uint8_t> pixels;

    BinaryMask() = default;
    BinaryMask(int rows, int cols);

    uint8_t& at(int r, int c) { return pixels[static_cast<size_t>(r) * cols + c]; }
    uint8_t at(int r, int c) const { return pixels[static_cast<size_t>(r) * cols + c]; }
    size_t size() const { return pixels.size(); }
    /// Number of pixels set.
    long long count() const;
    bool empty() const { return count() == 0; }
    bool operator==(const BinaryMask& other) const;
    bool operator!=(const BinaryMask& other) const { return !(*this == other); }
};

/// Overlap of two masks on the same grid. IoU = |A∩B| / |A∪B| (the standard definition; the
/// method's thesis misprints it as |A∩B| / (|A|+|B|)), Dice = 2|A∩B| / (|A|+|B|).
/// When both masks are empty, IoU and Dice are defined as 1 (perfect agreement on "nothing").
struct OverlapScores {
    long long intersection = 0;
    long long sizeA = 0;
    long long sizeB = 0;
    long long unionSize = 0;
    double iou = 0;
    double dice = 0;
};
/// Throws std::invalid_argument if the grids differ.
OverlapScores overlap(const BinaryMask& a, const BinaryMask& b);

/// `mask` (lying on box `from` of a slice) on box `onto` of the same slice: its pixels inside `onto`
/// kept, the rest of `onto` empty. Embeds a crop's mask into a larger box, or cuts a part out.
BinaryMask placeMask(const BinaryMask& mask, const CropBox& from, const CropBox& onto);
/// The box of the set pixels of `mask` (lying on box `on`); an empty box when none are set.
CropBox setPixelBounds(const BinaryMask& mask, const CropBox& on);

/// Pixels a correction added (0 -> 1) and removed (1 -> 0). Throws if the grids differ.
struct EditCounts {
    long long added = 0;
    long long removed = 0;
};
EditCounts editCounts(const BinaryMask& before, const BinaryMask& after);

// ---- Storage encoding (the annotation store's mask BLOB format) -------------------------
/// Encodes a mask compactly (see MaskCodec.cpp for the byte layout). A 512 x 512 slice mask
/// with a few blobs costs tens to hundreds of bytes; worst-case 50 % noise costs about 33 KB,
/// just above its 32 KiB entropy. Any nonzero pixel is stored as 1. Throws std::invalid_argument
/// if pixels.size() != rows * cols or the mask has more than 2^28 pixels (the decoder's limit).
std::vector<uint8_t> encodeMask(const BinaryMask& mask);
/// Inverse of encodeMask; throws std::invalid_argument for a malformed or truncated blob.
BinaryMask decodeMask(const uint8_t* data, size_t size);
inline BinaryMask decodeMask(const std::vector<uint8_t>& blob)
{
    return decodeMask(blob.data(), blob.size());
}
/// decodeMask for a blob that must hold a `rows` x `cols` mask (its crop box): one that declares
/// another size is refused before anything is allocated (13 bytes can declare 16,384^2 pixels).
BinaryMask decodeMask(const std::vector<uint8_t>& blob, int rows, int cols);

// ---- COCO run-length encoding (what pycocotools reads) -----------------------------------
/// Uncompressed COCO RLE counts: run lengths of alternating 0/1 in column-major (Fortran)
/// order, starting with a (possibly empty) run of zeros.
std::vector<uint32_t> cocoRleCounts(const BinaryMask& mask);
/// COCO's compressed string form of counts (pycocotools' rleToString / maskApi.c).
std::string cocoRleString(const std::vector<uint32_t>& counts);
/// Inverse of cocoRleString; throws std::invalid_argument for malformed strings.
std::vector<uint32_t> cocoRleCountsFromString(const std::string& text);
/// Rebuilds a mask from counts; throws std::invalid_argument if they do not sum to rows*cols.
BinaryMask cocoRleDecode(const std::vector<uint32_t>& counts, int rows, int cols);

} // namespace weaksight
