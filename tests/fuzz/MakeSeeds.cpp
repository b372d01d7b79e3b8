// Writes the seed corpus of every fuzz target into OUT/<target>/, from the project's own writers
// (so CI needs no data) and, for each folder given after OUT, from the real files in it (NIfTI
// headers of real scans with their sizes cut down; real KiTS mask slices for the mask codecs).
//   weaksight_fuzz_seeds OUT [DATA_FOLDER...]

#include "core/common/Error.h"
#include "core/compute/CamCache.h"
#include "core/compute/CropDataset.h"
#include "core/io/VolumeIo.h"
#include "core/masks/BinaryMask.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <spdlog/spdlog.h>
#include <sstream>
#include <zlib.h>

namespace fs = std::filesystem;
using namespace weaksight;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes readFile(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

Bytes gunzip(const fs::path& file, size_t limit)
{
    gzFile in = gzopen(file.c_str(), "rb");
    Bytes out(limit);
    const int got = in ? gzread(in, out.data(), static_cast<unsigned>(limit)) : 0;
    if (in)
        gzclose(in);
    out.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return out;
}

void putU16(Bytes& out, unsigned value)
{
    out.push_back(static_cast<uint8_t>(value & 0xff));
    out.push_back(static_cast<uint8_t>((value >> 8) & 0xff));
}

class Corpus {
public:
    explicit Corpus(fs::path root)
        : m_root(std::move(root))
    {
    }
    void add(const std::string& target, const Bytes& seed)
    {
        fs::create_directories(m_root / target);
        std::ofstream(m_root / target / ("seed-" + std::to_string(m_count[target]++)), std::ios::binary)
            .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
    }
    void report() const
    {
        for (const auto& [target, count] : m_count)
            std::cout << target << ": " << count << " seeds\n";
    }

private:
    fs::path m_root;
    std::map<std::string, int> m_count;
};

/// A few masks of the shapes proposals have: empty, full, a disc, two blobs, noise.
std::vector<BinaryMask> syntheticMasks()
{
    std::vector<BinaryMask> masks;
    masks.emplace_back(16, 16);
    BinaryMask full(8, 12);
    std::fill(full.pixels.begin(), full.pixels.end(), 1);
    masks.push_back(full);
    BinaryMask disc(64, 64), blobs(40, 30), noise(24, 24);
    for (int r = 0; r < 64; ++r)
        for (int c = 0; c < 64; ++c)
            disc.at(r, c) = (r - 30) * (r - 30) + (c - 34) * (c - 34) < 150;
    for (int r = 0; r < 40; ++r)
        for (int c = 0; c < 30; ++c)
            blobs.at(r, c) = (r > 5 && r < 12 && c > 3 && c < 9) || (r > 20 && c > 20);
    std::mt19937 random(7);
    for (auto& p : noise.pixels)
        p = random() % 2;
    masks.insert(masks.end(), {disc, blobs, noise});
    return masks;
}

/// Lesion-bearing slices of real label volumes (at most three per file).
std::vector<BinaryMask> realMasks(const std::vector<fs::path>& labelFiles)
{
    std::vector<BinaryMask> masks;
    for (const auto& file : labelFiles) {
        try {
            const auto labels = readLabelVolume(file);
            int taken = 0;
            for (int k = 0; k < labels.slices() && taken < 3; k += 7) {
                BinaryMask mask(labels.rows(), labels.cols());
                const uint8_t* slice = labels.slice(k);
                for (size_t i = 0; i < mask.size(); ++i)
                    mask.pixels[i] = slice[i] >= 2;
                if (mask.count() > 0) {
                    masks.push_back(std::move(mask));
                    ++taken;
                }
            }
        } catch (const InputError& e) {
            std::cerr << "skipped " << file << ": " << e.what() << "\n";
        }
    }
    return masks;
}

void volumeSeeds(Corpus& corpus, const std::vector<fs::path>& niftiFiles)
{
    const fs::path scratch = fs::temp_directory_path() / "weaksight-fuzz-seeds";
    fs::create_directories(scratch);
    CtVolume ct(StorageGeometry::kitsStorage({3, 6, 5}, {2.5, 0.8, 0.8}));
    for (size_t i = 0; i < ct.voxels.size(); ++i)
        ct.voxels[i] = static_cast<int16_t>(i * 37 % 2000 - 1000);
    const std::pair<int, const char*> formats[] = {
        {0, "seed.nii"}, {2, "seed.nii.gz"}, {3, "seed.nrrd"}, {4, "seed.mha"}};
    for (const auto& [selector, name] : formats) {
        writeVolume(ct, scratch / name);
        Bytes seed{static_cast<uint8_t>(selector)};
        const Bytes file = readFile(scratch / name);
        seed.insert(seed.end(), file.begin(), file.end());
        corpus.add("volume_header", seed);
        if (selector == 2) { // the same NIfTI, for the harness to gzip
            Bytes plain{1};
            const Bytes inner = gunzip(scratch / name, 1 << 20);
            plain.insert(plain.end(), inner.begin(), inner.end());
            corpus.add("volume_header", plain);
        }
    }
    // Real headers (qform, sform, pixdim, datatype of real scans), sizes cut to 8 x 8 x 2.
    for (const auto& file : niftiFiles) {
        Bytes header = file.extension() == ".gz" ? gunzip(file, 352) : readFile(file);
        if (header.size() < 352)
            continue;
        header.resize(352);
        int32_t sizeofHeader = 0;
        std::memcpy(&sizeofHeader, header.data(), 4);
        if (sizeofHeader != 348)
            continue; // NIfTI-2 or the other byte order: the synthetic seeds cover those
        const int16_t dims[8] = {3, 8, 8, 2, 1, 1, 1, 1};
        std::memcpy(header.data() + 40, dims, sizeof dims);
        const float offset = 352;
        std::memcpy(header.data() + 108, &offset, 4);
        int16_t bitpix = 0;
        std::memcpy(&bitpix, header.data() + 72, 2);
        Bytes seed{0};
        seed.insert(seed.end(), header.begin(), header.end());
        seed.resize(seed.size() + 128 * std::max(1, bitpix / 8), 0);
        corpus.add("volume_header", seed);
        seed[0] = 1;
        corpus.add("volume_header", seed);
    }
}

void maskSeeds(Corpus& corpus, const std::vector<BinaryMask>& masks)
{
    for (const auto& mask : masks) {
        Bytes codec;
        putU16(codec, static_cast<unsigned>(mask.rows));
        putU16(codec, static_cast<unsigned>(mask.cols));
        Bytes rle = codec;
        const auto blob = encodeMask(mask);
        codec.insert(codec.end(), blob.begin(), blob.end());
        corpus.add("mask_codec", codec);
        const std::string text = cocoRleString(cocoRleCounts(mask));
        rle.insert(rle.end(), text.begin(), text.end());
        corpus.add("coco_rle", rle);
        if (mask.rows <= 64 && mask.cols <= 64) { // the store's crop boxes
            Bytes store;
            putU16(store, static_cast<unsigned>(mask.rows));
            putU16(store, static_cast<unsigned>(mask.cols));
            putU16(store, 4);
            putU16(store, 4);
            putU16(store, static_cast<unsigned>(blob.size()));
            store.insert(store.end(), blob.begin(), blob.end());
            for (int i = 0; i < 16; ++i) {
                const float value = static_cast<float>(i) / 15.f;
                const auto* b = reinterpret_cast<const uint8_t*>(&value);
                store.insert(store.end(), b, b + 4);
            }
            corpus.add("store_blobs", store);
        }
    }
}

void cropDatasetSeed(Corpus& corpus)
{
    const fs::path folder = fs::temp_directory_path() / "weaksight-fuzz-seeds" / "dataset";
    fs::remove_all(folder);
    {
        compute::CropDatasetWriter writer(folder, 8, 8);
        std::vector<int16_t> image(64);
        std::vector<uint8_t> mask(64, 0);
        for (int i = 0; i < 3; ++i) {
            for (size_t k = 0; k < image.size(); ++k)
                image[k] = static_cast<int16_t>(k * 11 + i * 100 - 300);
            mask[27] = i % 2;
            compute::CropRecord record{"case_0000" + std::to_string(i),
                                       static_cast<compute::Split>(i),
                                       4 + i,
                                       i % 2 ? "left" : "right",
                                       10,
                                       -3,
                                       i % 2,
                                       i % 2 ? 1 / 64.0 : 0,
                                       true};
            writer.append(record, image.data(), mask.data());
        }
        compute::DatasetParameters parameters;
        parameters.rows = parameters.cols = 8;
        parameters.pixelSpacingMm = 0.8;
        writer.finish(parameters);
    }
    const Bytes parameters = readFile(folder / "weaksight-dataset.txt");
    const Bytes index = readFile(folder / "crops.tsv");
    for (const bool legacy : {false, true}) {
        // Older builds wrote the same bytes without the 128-byte .npy header.
        Bytes images = readFile(folder / "images.npy"), masks = readFile(folder / "masks.npy");
        if (legacy) {
            images.erase(images.begin(), images.begin() + 128);
            masks.erase(masks.begin(), masks.begin() + 128);
        }
        Bytes seed{static_cast<uint8_t>(legacy ? 1 : 0)};
        putU16(seed, static_cast<unsigned>(parameters.size()));
        seed.insert(seed.end(), parameters.begin(), parameters.end());
        putU16(seed, static_cast<unsigned>(index.size()));
        seed.insert(seed.end(), index.begin(), index.end());
        for (int shift = 0; shift < 32; shift += 8)
            seed.push_back(static_cast<uint8_t>((images.size() >> shift) & 0xff));
        seed.insert(seed.end(), images.begin(), images.end());
        seed.insert(seed.end(), masks.begin(), masks.end());
        corpus.add("crop_dataset", seed);
    }
}

void camCacheSeed(Corpus& corpus)
{
    const fs::path file = fs::temp_directory_path() / "weaksight-fuzz-seeds" / "seed.wscam";
    fs::remove(file);
    {
        compute::CamCache cache(file, "fuzz-model");
        cache.insert(1, "gradcam layer=layer4 target=1 score=logit",
                     {{2, 3, {0, 1, 2, 3, 4, 5}}, 1.5f, false});
        cache.insert(2, "scorecam layer=layer4 target=1 score=logit", {{1, 1, {0}}, -2.f, true});
    }
    corpus.add("cam_cache", readFile(file));
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: weaksight_fuzz_seeds OUT [DATA_FOLDER...]\n";
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    std::vector<fs::path> niftiFiles, labelFiles;
    for (int i = 2; i < argc; ++i) {
        std::error_code ec;
        if (!fs::is_directory(argv[i], ec))
            continue;
        for (const auto& entry : fs::recursive_directory_iterator(argv[i], ec)) {
            const std::string name = entry.path().filename().string();
            if (!entry.is_regular_file() || (name.size() < 4 || (name.substr(name.size() - 4) != ".nii" &&
                                                                 name.find(".nii.gz") == std::string::npos)))
                continue;
            niftiFiles.push_back(entry.path());
            if (name.find("seg") != std::string::npos)
                labelFiles.push_back(entry.path());
        }
    }
    std::sort(niftiFiles.begin(), niftiFiles.end());
    std::sort(labelFiles.begin(), labelFiles.end());
    Corpus corpus(argv[1]);
    volumeSeeds(corpus, niftiFiles);
    auto masks = syntheticMasks();
    const auto real = realMasks(labelFiles);
    masks.insert(masks.end(), real.begin(), real.end());
    maskSeeds(corpus, masks);
    cropDatasetSeed(corpus);
    camCacheSeed(corpus);
    std::cout << "seeds from the project's writers and " << niftiFiles.size() << " real NIfTI files ("
              << real.size() << " real mask slices)\n";
    corpus.report();
    return 0;
}
