// The kidney-crop dataset reader (core/compute/CropDataset.cpp), which `train`, `evaluate` and
// `cam-batch` memory-map: any folder either opens — and then every crop's pixels, mask and content
// key can be read within the mapped files — or is refused with std::runtime_error.
// Input: u16 length of weaksight-dataset.txt, u16 length of crops.tsv, their bytes, then the data:
// its first half becomes images.i16, the rest masks.u8.

#include "FuzzSupport.h"
#include "core/compute/CropDataset.h"

#include <cstdlib>
#include <stdexcept>

namespace fs = std::filesystem;
using weaksight::compute::CropDataset;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    weaksight::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    weaksight::fuzz::InputReader in(data, size);
    const size_t parametersBytes = std::min<size_t>(in.take<uint16_t>(), in.restSize());
    const uint8_t* parameters = in.rest();
    const size_t afterParameters = in.restSize() - parametersBytes;
    weaksight::fuzz::InputReader tail(parameters + parametersBytes, afterParameters);
    const size_t indexBytes = std::min<size_t>(tail.take<uint16_t>(), tail.restSize());
    const uint8_t* index = tail.rest();
    const uint8_t* pixels = index + indexBytes;
    const size_t pixelBytes = tail.restSize() - indexBytes;

    const fs::path folder = weaksight::fuzz::scratchFolder() / "dataset";
    fs::create_directories(folder);
    const auto put = [&](const char* name, const uint8_t* bytes, size_t count) {
        weaksight::fuzz::writeInput(std::string("dataset/") + name, bytes, count);
    };
    put("weaksight-dataset.txt", parameters, parametersBytes);
    put("crops.tsv", index, indexBytes);
    put("images.i16", pixels, pixelBytes / 2);
    put("masks.u8", pixels + pixelBytes / 2, pixelBytes - pixelBytes / 2);
    try {
        const auto dataset = CropDataset::open(folder);
        const auto& p = dataset.parameters();
        const size_t cropPixels = static_cast<size_t>(p.rows) * static_cast<size_t>(p.cols);
        uint64_t sum = 0;
        for (size_t i = 0; i < dataset.size(); ++i) {
            const int16_t* image = dataset.imagePixels(i);
            const uint8_t* mask = dataset.maskPixels(i);
            for (size_t k = 0; k < cropPixels; ++k)
                sum += static_cast<uint16_t>(image[k]) + mask[k];
            sum += dataset.contentKey(i);
        }
        for (auto split : {weaksight::compute::Split::Train, weaksight::compute::Split::Validation,
                           weaksight::compute::Split::Test})
            sum += dataset.indicesOf(split).size();
        if (sum == 1) // keeps the reads from being optimised away
            std::abort();
    } catch (const std::runtime_error&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
