// The kidney-crop dataset reader (core/compute/CropDataset.cpp), which `train`, `evaluate` and
// `cam-batch` memory-map: any folder either opens — and then every crop's pixels, mask and content
// key can be read within the mapped files — or is refused with std::runtime_error.
// Input: u8 flags (bit 0: the headerless files of older builds), u16 length and bytes of
// weaksight-dataset.txt, u16 length and bytes of crops.tsv, u32 length and bytes of images.npy (or
// images.i16); the rest is masks.npy (or masks.u8).

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
    const bool legacy = (in.take<uint8_t>() & 1) != 0;
    const size_t parametersBytes = std::min<size_t>(in.take<uint16_t>(), in.restSize());
    const uint8_t* parameters = in.rest();
    const size_t afterParameters = in.restSize() - parametersBytes;
    weaksight::fuzz::InputReader tail(parameters + parametersBytes, afterParameters);
    const size_t indexBytes = std::min<size_t>(tail.take<uint16_t>(), tail.restSize());
    const uint8_t* index = tail.rest();
    weaksight::fuzz::InputReader files(index + indexBytes, tail.restSize() - indexBytes);
    const size_t imageBytes = std::min<size_t>(files.take<uint32_t>(), files.restSize());
    const uint8_t* images = files.rest();
    const uint8_t* masks = images + imageBytes;
    const size_t maskBytes = files.restSize() - imageBytes;

    const fs::path folder = weaksight::fuzz::scratchFolder() / "dataset";
    fs::remove_all(folder); // only this input's files
    fs::create_directories(folder);
    const auto put = [&](const char* name, const uint8_t* bytes, size_t count) {
        weaksight::fuzz::writeInput(std::string("dataset/") + name, bytes, count);
    };
    put("weaksight-dataset.txt", parameters, parametersBytes);
    put("crops.tsv", index, indexBytes);
    put(legacy ? "images.i16" : "images.npy", images, imageBytes);
    put(legacy ? "masks.u8" : "masks.npy", masks, maskBytes);
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
