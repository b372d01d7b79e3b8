// COCO compressed RLE (core/masks/CocoRle.cpp), the string form pycocotools writes and CVAT or
// Detectron2 files hold: any text either parses to counts that decode to a mask of the declared
// size — whose own counts encode back to a string that parses to them — or is refused with
// std::invalid_argument. Input: u16 rows, u16 cols (at most 1024 x 1024), then the RLE string.

#include "FuzzSupport.h"
#include "core/masks/BinaryMask.h"

#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    weaksight::fuzz::InputReader in(data, size);
    const int rows = in.take<uint16_t>() % 1025;
    const int cols = in.take<uint16_t>() % 1025;
    const std::string text(reinterpret_cast<const char*>(in.rest()), in.restSize());
    try {
        const auto counts = weaksight::cocoRleCountsFromString(text);
        const auto mask = weaksight::cocoRleDecode(counts, rows, cols);
        if (mask.size() != static_cast<size_t>(rows) * cols)
            std::abort();
        const auto again = weaksight::cocoRleCounts(mask);
        if (weaksight::cocoRleCountsFromString(weaksight::cocoRleString(again)) != again)
            std::abort();
        if (weaksight::cocoRleDecode(again, rows, cols) != mask)
            std::abort();
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
