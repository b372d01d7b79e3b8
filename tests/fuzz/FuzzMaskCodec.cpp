// The store's mask codec (core/masks/MaskCodec.cpp): any blob either decodes to a mask of the size
// its crop box declares, which encodes and decodes back to itself, or is refused with
// std::invalid_argument. Input: u16 rows, u16 cols (the crop box, at most 1024 x 1024), then the blob.

#include "FuzzSupport.h"
#include "core/masks/BinaryMask.h"

#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    weaksight::fuzz::InputReader in(data, size);
    const int rows = in.take<uint16_t>() % 1025;
    const int cols = in.take<uint16_t>() % 1025;
    const std::vector<uint8_t> blob(in.rest(), in.rest() + in.restSize());
    try {
        const auto mask = weaksight::decodeMask(blob, rows, cols);
        if (mask.rows != rows || mask.cols != cols || mask.size() != static_cast<size_t>(rows) * cols)
            std::abort();
        for (uint8_t v : mask.pixels)
            if (v > 1)
                std::abort();
        if (weaksight::decodeMask(weaksight::encodeMask(mask), rows, cols) != mask)
            std::abort();
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
