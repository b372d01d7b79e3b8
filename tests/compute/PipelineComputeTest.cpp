// The research pipeline's compute side on real files and real LibTorch models: the crop dataset
// format, the heatmap cache, training (determinism, resumption) and the evaluation arithmetic.
#include "core/compute/CamCache.h"
#include "core/compute/CropDataset.h"
#include "core/compute/Device.h"
#include "core/compute/Evaluation.h"
#include "core/compute/Trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

using namespace weaksight::compute;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name)
{
    const fs::path p = fs::temp_directory_path() / ("weaksight-pipeline-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(p);
    return p;
}

constexpr int kSize = 48;
constexpr int kSquare = 14;

/// A tiny ResNet trained briefly on the CPU, written to `out`: the tests' training run.
TrainOptions quickTraining(const fs::path& out, uint64_t seed)
{
    TrainOptions o;
    o.architecture = "tiny";
    o.epochs = 4;
    o.batchSize = 12;
    o.learningRate = 3e-3;
    o.device = "cpu";
    o.seed = seed;
    o.out = out;
    return o;
}

/// Crop i of case c of `cases`: split by case (half train, a quarter each validation and test),
/// sides alternating, every other crop a lesion crop.
CropRecord alternatingRecord(int c, int i, int cases)
{
    CropRecord r;
    r.caseId = "case_" + std::to_string(c);
    r.split = c < cases / 2 ? Split::Train : c < 3 * cases / 4 ? Split::Validation : Split::Test;
    r.slice = i;
    r.side = i % 2 ? "left" : "right";
    r.lesion = i % 2;
    return r;
}

/// Crops whose label is a bright square at a random position (the mask is the square); cases of
/// 12 crops each, split by case.
fs::path writeSquaresDataset(const std::string& name, int cases = 12, uint32_t seed = 5)
{
    const fs::path dir = scratch(name);
    CropDatasetWriter writer(dir, kSize, kSize);
    std::mt19937 rng(seed);
    std::normal_distribution<float> tissue(40.f, 25.f);
    std::uniform_int_distribution<int> position(2, kSize - kSquare - 2);
    std::vector<int16_t> image(kSize * kSize);
    std::vector<uint8_t> mask(kSize * kSize);
    for (int c = 0; c < cases; ++c)
        for (int i = 0; i < 12; ++i) {
            CropRecord r = alternatingRecord(c, i, cases);
            for (auto& v : image)
                v = static_cast<int16_t>(tissue(rng));
            std::fill(mask.begin(), mask.end(), uint8_t{0});
            if (r.lesion) {
                const int top = position(rng), left = position(rng);
                for (int y = top; y < top + kSquare; ++y)
                    for (int x = left; x < left + kSquare; ++x) {
                        image[static_cast<size_t>(y * kSize + x)] += 300;
                        mask[static_cast<size_t>(y * kSize + x)] = 1;
                    }
                r.lesionFraction = double(kSquare * kSquare) / (kSize * kSize);
            }
            writer.append(r, image.data(), mask.data());
        }
    DatasetParameters p;
    p.huLow = -100;
    p.huHigh = 500;
    p.synthetic = true;
    writer.finish(p);
    return dir;
}

/// A 2.5D dataset (issue 16, slice context): `slices` planes each side, 5 mm apart. Plane `offset`
/// of crop i holds tissue + 1000 x offset HU; the own plane is tissue. With `squareAbove`, a lesion
/// crop's bright square lies on plane +1 only: only a model that reads that plane can see it.
fs::path writeContextDataset(const std::string& name, int slices, bool squareAbove, int cases = 12)
{
    const fs::path dir = scratch(name);
    const SliceContext context{slices, 5.0};
    CropDatasetWriter writer(dir, kSize, kSize, context);
    std::mt19937 rng(3);
    std::normal_distribution<float> tissue(40.f, 25.f);
    std::uniform_int_distribution<int> position(2, kSize - kSquare - 2);
    const size_t pixels = kSize * kSize;
    std::vector<int16_t> image(pixels), planes(2 * static_cast<size_t>(slices) * pixels);
    std::vector<uint8_t> mask(pixels);
    for (int c = 0; c < cases; ++c)
        for (int i = 0; i < 12; ++i) {
            CropRecord r = alternatingRecord(c, i, cases);
            for (auto& v : image)
                v = static_cast<int16_t>(tissue(rng));
            for (int channel = 0, plane = 0; channel < context.channels(); ++channel) {
                const int offset = context.offsetOf(channel);
                if (offset == 0)
                    continue;
                for (size_t p = 0; p < pixels; ++p)
                    planes[plane * pixels + p] = static_cast<int16_t>((squareAbove ? tissue(rng) : 0.f) +
                                                                      (squareAbove ? 0 : 1000 * offset));
                ++plane;
            }
            std::fill(mask.begin(), mask.end(), uint8_t{0});
            if (r.lesion && squareAbove) {
                int16_t* above = planes.data() + static_cast<size_t>(slices) * pixels; // plane +1
                const int top = position(rng), left = position(rng);
                for (int y = top; y < top + kSquare; ++y)
                    for (int x = left; x < left + kSquare; ++x) {
                        above[static_cast<size_t>(y * kSize + x)] += 300;
                        mask[static_cast<size_t>(y * kSize + x)] = 1;
                    }
                r.lesionFraction = double(kSquare * kSquare) / (kSize * kSize);
            }
            writer.append(r, image.data(), mask.data(), nullptr, planes.data());
        }
    DatasetParameters p;
    p.huLow = -100;
    p.huHigh = 500;
    p.synthetic = true;
    writer.finish(p);
    return dir;
}

} // namespace

TEST(CropDataset, SliceContextPlanesComeBackInChannelOrder)
{
    const fs::path dir = writeContextDataset("context", 2, false, 2);
    const CropDataset d = CropDataset::open(dir);
    EXPECT_EQ(d.parameters().context, (SliceContext{2, 5.0}));
    const size_t pixels = kSize * kSize;
    for (size_t i : {0u, 7u, 23u}) {
        const Image2D all = d.image(i, {2, 5.0});
        ASSERT_EQ(all.channels, 5);
        ASSERT_EQ(all.pixels.size(), 5 * pixels);
        for (int channel = 0; channel < 5; ++channel) {
            const int offset = channel - 2;
            const float expected = offset == 0 ? float(d.imagePixels(i)[17]) : float(1000 * offset);
            EXPECT_EQ(all.pixels[channel * pixels + 17], expected) << "crop " << i << " plane " << offset;
        }
        // A model of one plane each side reads planes -1, 0, +1 of the same crop.
        const Image2D three = d.image(i, {1, 5.0});
        ASSERT_EQ(three.channels, 3);
        EXPECT_TRUE(std::equal(three.pixels.begin(), three.pixels.end(), all.pixels.begin() + pixels));
        EXPECT_EQ(d.image(i).channels, 1) << "2D models read the crop's own plane";
        EXPECT_EQ(d.contentKey(i), cropContentKey(d.image(i))) << "the 2D key whatever the crop's type";
        EXPECT_NE(d.contentKey(i, {1, 5.0}), d.contentKey(i)) << "a 2.5D crop has a key of its own";
        EXPECT_NE(d.contentKey(i, {1, 5.0}), d.contentKey(i, {2, 5.0}));
    }
    // More planes than it has, or another spacing, is refused with the build command to run.
    for (const SliceContext wanted : {SliceContext{3, 5.0}, SliceContext{1, 2.5}})
        try {
            d.image(0, wanted);
            FAIL() << wanted.describe() << " was read";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("--context " + std::to_string(wanted.slices)),
                      std::string::npos)
                << e.what();
        }
    // context.npy is a NumPy file of count x 4 x rows x cols; a truncated one is refused by name.
    std::ifstream npy(dir / "context.npy", std::ios::binary);
    std::string header(128, '\0');
    npy.read(header.data(), 128);
    EXPECT_NE(header.find("'shape': (24, 4, 48, 48)"), std::string::npos) << header;
    npy.close();
    fs::resize_file(dir / "context.npy", fs::file_size(dir / "context.npy") - 2);
    try {
        CropDataset::open(dir);
        FAIL() << "a truncated context file was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("context.npy"), std::string::npos) << e.what();
    }
    // A writer with context refuses a crop without its planes.
    CropDatasetWriter writer(scratch("context-missing"), kSize, kSize, {1, 5.0});
    std::vector<int16_t> image(pixels);
    std::vector<uint8_t> mask(pixels);
    EXPECT_THROW(writer.append(CropRecord{}, image.data(), mask.data()), std::runtime_error);
    fs::remove_all(scratch("context-missing"));
    fs::remove_all(dir);
}

TEST(Training, ATwoPointFiveDModelSeesWhatLiesOnlyOnTheNeighbouringPlanes)
{
    // The lesion is drawn on the plane 5 mm above the crop: a 2D model sees tissue only, a 2.5D
    // model of one plane each side sees the square.
    configureCpuThreads(2);
    const fs::path dir = writeContextDataset("context-train", 1, true);
    const CropDataset dataset = CropDataset::open(dir);
    TrainOptions o = quickTraining(dir / "flat.wsm", 7);
    o.contextSlices = 0;
    trainClassifier(dataset, o);
    o.out = dir / "context.wsm";
    o.contextSlices = -1; // all the dataset has
    trainClassifier(dataset, o);
    const Classifier flat = Classifier::load((dir / "flat.wsm").string(), "cpu");
    const Classifier context = Classifier::load((dir / "context.wsm").string(), "cpu");
    EXPECT_EQ(flat.description().context.slices, 0);
    EXPECT_EQ(context.description().context, (SliceContext{1, 5.0})) << "saved and loaded with the model";
    const auto test = dataset.indicesOf(Split::Test);
    const auto seen = classifyCrops(context, dataset, test), unseen = classifyCrops(flat, dataset, test);
    EXPECT_GT(seen.f1(), 0.9) << "P " << seen.precision() << " R " << seen.recall();
    EXPECT_LT(unseen.f1(), seen.f1() - 0.2) << "the 2D model cannot see the plane above";

    // Its maps: every method runs on three-plane crops, and Grad-CAM finds the square drawn above.
    std::vector<size_t> lesion;
    for (size_t i : test)
        if (dataset.records()[i].lesion)
            lesion.push_back(i);
    for (const CamMethod method :
         {CamMethod::GradCam, CamMethod::ScoreCam, CamMethod::SmoothGradCamPlusPlus}) {
        CamOptions options;
        options.method = method;
        const auto maps = camsForCrops(context, dataset, lesion, options, nullptr);
        ASSERT_EQ(maps.size(), lesion.size());
        double inside = 0, outside = 0;
        for (size_t n = 0; n < lesion.size(); ++n)
            for (int p = 0; p < kSize * kSize; ++p)
                (dataset.maskPixels(lesion[n])[p] ? inside : outside) +=
                    maps[n].upsampled.values[static_cast<size_t>(p)] /
                    (dataset.maskPixels(lesion[n])[p] ? kSquare * kSquare
                                                      : kSize * kSize - kSquare * kSquare);
        EXPECT_GT(inside, outside) << toString(method) << ": the map is higher on the square";
    }
    // A crop of one plane is refused by a three-channel model, with the reason.
    try {
        context.lesionProbability({dataset.image(test.front())});
        FAIL() << "a 2D crop was fed to a 2.5D model";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("2.5D"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

TEST(CropDataset, WritesAndMapsCropsWithTheirRecords)
{
    const fs::path dir = writeSquaresDataset("roundtrip", 4);
    const CropDataset d = CropDataset::open(dir);
    ASSERT_EQ(d.size(), 48u);
    EXPECT_EQ(d.parameters().rows, kSize);
    EXPECT_EQ(d.parameters().huLow, -100);
    EXPECT_TRUE(d.parameters().synthetic);
    EXPECT_EQ(d.records()[13].caseId, "case_1");
    EXPECT_EQ(d.records()[13].side, "left");
    EXPECT_EQ(d.records()[13].lesion, 1);
    EXPECT_EQ(d.indicesOf(Split::Train).size() + d.indicesOf(Split::Validation).size() + d.indicesOf(Split::Test).size(),
              d.size());
    // Mask and image agree: every mask pixel is bright (tissue + 300 HU).
    for (size_t i : {1u, 13u, 47u}) {
        int maskPixels = 0;
        for (int p = 0; p < kSize * kSize; ++p)
            if (d.maskPixels(i)[p]) {
                ++maskPixels;
                EXPECT_GT(d.imagePixels(i)[p], 200);
            }
        EXPECT_EQ(maskPixels, kSquare * kSquare);
    }
    EXPECT_NE(d.contentKey(1), d.contentKey(3));
    EXPECT_EQ(d.image(5).pixels[7], float(d.imagePixels(5)[7]));
    fs::remove_all(dir);
}

TEST(CropDataset, RefusesIncompleteAndTruncatedDatasets)
{
    const fs::path dir = writeSquaresDataset("broken", 2);
    fs::resize_file(dir / "images.npy", fs::file_size(dir / "images.npy") - 10);
    try {
        CropDataset::open(dir);
        FAIL() << "a truncated image file was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("images.npy"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    fs::remove(dir / "weaksight-dataset.txt");
    try {
        CropDataset::open(dir);
        FAIL() << "a dataset without its completion marker was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("did not finish"), std::string::npos) << e.what();
    }
    EXPECT_THROW(CropDataset::open(dir / "absent"), std::runtime_error);
    fs::remove_all(dir);
}

TEST(CropDataset, NumpyReadsItAsWeaksightDoes)
{
    // Issue 20: the crop dataset is readable without Weaksight, with the README's three lines.
    if (std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "no Python with NumPy here";
    const fs::path dir = writeSquaresDataset("numpy", 4);
    const CropDataset d = CropDataset::open(dir);
    const fs::path out = dir / "numpy.txt";
    const std::string script =
        "import csv, sys, numpy as np\n"
        "images = np.load(sys.argv[1] + '/images.npy', mmap_mode='r')\n"
        "masks = np.load(sys.argv[1] + '/masks.npy', mmap_mode='r')\n"
        "crops = list(csv.DictReader(open(sys.argv[1] + '/crops.tsv'), delimiter='\\t'))\n"
        "print(images.dtype, masks.dtype, *images.shape, *masks.shape, len(crops))\n"
        "print(int(images[13].astype(np.int64).sum()), int(masks[13].sum()), crops[13]['case'], crops[13]['side'])\n";
    std::ofstream(dir / "read.py") << script;
    ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir / "read.py").string() + " " + dir.string() + " > " + out.string())
                              .c_str()),
              0);
    std::ifstream in(out);
    std::string imageType, maskType, caseId, side;
    size_t shape[6] = {}, crops = 0;
    long long imageSum = 0, maskSum = 0;
    in >> imageType >> maskType >> shape[0] >> shape[1] >> shape[2] >> shape[3] >> shape[4] >> shape[5] >> crops;
    in >> imageSum >> maskSum >> caseId >> side;
    EXPECT_EQ(imageType, "int16");
    EXPECT_EQ(maskType, "uint8");
    EXPECT_EQ(shape[0], d.size());
    EXPECT_EQ(shape[1], static_cast<size_t>(kSize));
    EXPECT_EQ(shape[2], static_cast<size_t>(kSize));
    EXPECT_EQ(shape[3], d.size());
    EXPECT_EQ(crops, d.size());
    long long expectedImage = 0, expectedMask = 0;
    for (size_t p = 0; p < static_cast<size_t>(kSize) * kSize; ++p) {
        expectedImage += d.imagePixels(13)[p];
        expectedMask += d.maskPixels(13)[p];
    }
    EXPECT_EQ(imageSum, expectedImage);
    EXPECT_EQ(maskSum, expectedMask);
    EXPECT_EQ(caseId, d.records()[13].caseId);
    EXPECT_EQ(side, d.records()[13].side);
    fs::remove_all(dir);
}

TEST(CropDataset, ReadsDatasetsBuiltBeforeTheNpyFilesAndRefusesAForeignHeader)
{
    const fs::path dir = writeSquaresDataset("legacy", 2);
    const auto pixelsOf = [](const CropDataset& d) {
        return std::vector<int16_t>(d.imagePixels(0), d.imagePixels(0) + static_cast<size_t>(kSize) * kSize * d.size());
    };
    const auto expected = pixelsOf(CropDataset::open(dir));
    // An older build: the same bytes without the 128-byte header, as images.i16 and masks.u8.
    for (const auto& [npy, legacy] : {std::pair{"images.npy", "images.i16"}, std::pair{"masks.npy", "masks.u8"}}) {
        std::ifstream in(dir / npy, std::ios::binary);
        in.seekg(128);
        std::ofstream(dir / legacy, std::ios::binary) << in.rdbuf();
    }
    fs::remove(dir / "images.npy");
    fs::remove(dir / "masks.npy");
    EXPECT_EQ(pixelsOf(CropDataset::open(dir)), expected);
    // A .npy whose header describes another array is refused, naming the file.
    writeSquaresDataset("legacy", 2);
    {
        std::fstream npy(dir / "images.npy", std::ios::in | std::ios::out | std::ios::binary);
        npy.seekp(10 + std::string("{'descr': '").size());
        npy << ">i2"; // big-endian
    }
    try {
        CropDataset::open(dir);
        FAIL() << "a big-endian images.npy was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("images.npy"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(".npy header"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

TEST(CamCache, KeepsMapsAcrossOpensDropsATruncatedTailAndRefusesAnotherModel)
{
    const fs::path dir = scratch("cache");
    fs::create_directories(dir);
    const fs::path file = dir / "maps.wscam";
    CachedCam a{{2, 3, {0, 1, 2, 3, 4, 5}}, 1.5f, false};
    CachedCam b{{2, 2, {0, 0, 0, 0}}, -0.5f, true};
    {
        CamCache cache(file, "hash-1");
        cache.insert(11, "gradcam layer=layer3", a);
        cache.insert(12, "gradcam layer=layer3", b);
        cache.insert(11, "scorecam layer=layer3", b);
    }
    {
        CamCache cache(file, "hash-1");
        ASSERT_EQ(cache.size(), 3u);
        const CachedCam* hit = cache.find(11, "gradcam layer=layer3");
        ASSERT_NE(hit, nullptr);
        EXPECT_EQ(hit->raw.values, a.raw.values);
        EXPECT_EQ(hit->raw.cols, 3);
        EXPECT_FLOAT_EQ(hit->targetScore, 1.5f);
        EXPECT_TRUE(cache.find(12, "gradcam layer=layer3")->degenerate);
        EXPECT_EQ(cache.find(13, "gradcam layer=layer3"), nullptr);
    }
    // A writer killed mid-record leaves a partial tail: it is dropped, the rest kept, appends go on.
    fs::resize_file(file, fs::file_size(file) - 7);
    {
        CamCache cache(file, "hash-1");
        EXPECT_EQ(cache.size(), 2u);
        EXPECT_EQ(cache.droppedOnOpen(), 1u);
        cache.insert(14, "gradcam layer=layer3", a);
    }
    EXPECT_EQ(CamCache(file, "hash-1").size(), 3u);
    EXPECT_THROW(CamCache(file, "hash-2"), std::runtime_error);
    std::ofstream(dir / "not-a-cache.wscam") << "hello";
    EXPECT_THROW(CamCache(dir / "not-a-cache.wscam", "hash-1"), std::runtime_error);

    // Shards merge into one file, duplicates once; another model's shard is refused.
    {
        CamCache s0(dir / "s0.wscam", "hash-1"), s1(dir / "s1.wscam", "hash-1"), other(dir / "x.wscam", "hash-9");
        s0.insert(1, "m", a);
        s1.insert(2, "m", a);
        s1.insert(1, "m", a);
        other.insert(3, "m", a);
    }
    EXPECT_EQ(CamCache::merge({dir / "s0.wscam", dir / "s1.wscam"}, dir / "merged.wscam"), 2u);
    EXPECT_EQ(CamCache(dir / "merged.wscam", "hash-1").size(), 2u);
    EXPECT_THROW(CamCache::merge({dir / "s0.wscam", dir / "x.wscam"}, dir / "merged2.wscam"), std::runtime_error);
    fs::remove_all(dir);
}

TEST(CamCache, BilinearUpsamplingMatchesLibTorchs)
{
    ModelDescription d;
    d.architecture = "resnet18";
    const Classifier model = Classifier::create(d, 3);
    std::mt19937 rng(1);
    std::normal_distribution<float> hu(50.f, 90.f);
    Image2D crop{150, 150, std::vector<float>(150 * 150)};
    for (auto& v : crop.pixels)
        v = hu(rng);
    CamOptions o;
    o.method = CamMethod::HiResCam;
    const auto r = computeCams(model, {crop}, o).front();
    ASSERT_EQ(r.raw.rows, 5); // 150 / 32, rounded up
    const CamMap mine = upsampleBilinear(r.raw, 150, 150);
    const float scale = std::max(1e-6f, r.upsampled.max());
    for (size_t i = 0; i < mine.values.size(); ++i)
        ASSERT_NEAR(mine.values[i], r.upsampled.values[i], 1e-5f * scale) << "pixel " << i;
}

TEST(Evaluation, ShardsPartitionTheCropsDeterministically)
{
    std::vector<size_t> indices(103);
    for (size_t i = 0; i < indices.size(); ++i)
        indices[i] = i * 3;
    std::set<size_t> seen;
    for (int s = 0; s < 4; ++s) {
        const auto part = shardOf(indices, s, 4);
        EXPECT_EQ(part, shardOf(indices, s, 4));
        EXPECT_GE(part.size(), 25u);
        for (size_t i : part)
            EXPECT_TRUE(seen.insert(i).second) << i << " in two shards";
    }
    EXPECT_EQ(seen.size(), indices.size());
    EXPECT_THROW(shardOf(indices, 4, 4), std::invalid_argument);
}

TEST(Evaluation, ScoreCamReportsProgressWithinABatchAndStopsOnCancel)
{
    const fs::path dir = writeSquaresDataset("progress", 4);
    const auto dataset = CropDataset::open(dir);
    ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    const auto model = Classifier::create(description, 3);
    const std::vector<size_t> crops{1, 3, 5, 7};
    CamOptions options;
    options.method = CamMethod::ScoreCam;
    options.scoreBatch = 8; // 64 channels: 8 chunks per crop
    std::vector<size_t> reports;
    camsForCrops(model, dataset, crops, options, nullptr, 16, [&](size_t done, size_t) { reports.push_back(done); });
    // One batch of 4 crops, yet progress moves crop by crop (not only at the batch's end).
    EXPECT_GE(reports.size(), 5u);
    EXPECT_TRUE(std::find(reports.begin(), reports.end(), 2u) != reports.end());
    EXPECT_EQ(reports.back(), 4u);
    std::atomic<bool> cancel{false};
    EXPECT_THROW(camsForCrops(model, dataset, crops, options, nullptr, 16,
                              [&](size_t done, size_t) { cancel = done >= 1; }, &cancel),
                 std::runtime_error);
    fs::remove_all(dir);
}

TEST(Evaluation, MetricsAndBaselinesFollowTheirDefinitions)
{
    ClassificationMetrics m;
    m.truePositives = 6;
    m.falsePositives = 2;
    m.falseNegatives = 4;
    m.trueNegatives = 8;
    EXPECT_DOUBLE_EQ(m.precision(), 0.75);
    EXPECT_DOUBLE_EQ(m.recall(), 0.6);
    EXPECT_DOUBLE_EQ(m.f1(), 2 * 0.75 * 0.6 / 1.35);
    EXPECT_DOUBLE_EQ(m.majorityBaselineF1(), 0.0); // 10 positives, 10 negatives: "no lesion" wins ties
    m.trueNegatives = 0;                          // 10 positives, 2 negatives: always "lesion"
    EXPECT_NEAR(m.majorityBaselineF1(), 2 * (10.0 / 12) / (10.0 / 12 + 1), 1e-12);
    const CamMap map{1, 4, {0.0f, 0.1f, 0.5f, 1.0f}};
    EXPECT_EQ(proposalMask(map, 0.0), (std::vector<uint8_t>{0, 1, 1, 1}));
    EXPECT_EQ(proposalMask(map, 0.5), (std::vector<uint8_t>{0, 0, 0, 1}));
}

TEST(Training, IsDeterministicOnTheCpuAndResumesToTheSameModel)
{
    configureCpuThreads(2);
    const fs::path dir = writeSquaresDataset("train");
    const CropDataset dataset = CropDataset::open(dir);
    TrainOptions o;
    o.architecture = "tiny";
    o.epochs = 3;
    o.batchSize = 12;
    o.learningRate = 3e-3;
    o.blurProbability = 0.3;
    o.device = "cpu";
    o.seed = 7;
    o.out = dir / "a.wsm";
    const TrainResult a = trainClassifier(dataset, o);
    ASSERT_EQ(a.history.size(), 3u);
    o.out = dir / "b.wsm";
    const TrainResult b = trainClassifier(dataset, o);
    EXPECT_EQ(a.modelHash, b.modelHash) << "same seed, same data: same model on the CPU";
    EXPECT_EQ(a.history[2].trainLoss, b.history[2].trainLoss);

    // Interrupted after epoch 1 (a cancelled run keeps its last checkpoint), then resumed.
    o.out = dir / "c.wsm";
    std::atomic<bool> cancel{false};
    EXPECT_THROW(trainClassifier(dataset, o,
                                 [&](const TrainProgress& p) {
                                     if (p.epoch == 2 && p.batch == 2)
                                         cancel = true;
                                 },
                                 &cancel),
                 std::runtime_error);
    ASSERT_TRUE(fs::exists(dir / "c.wsm.ckpt"));
    o.resume = true;
    const TrainResult c = trainClassifier(dataset, o);
    EXPECT_TRUE(c.resumed);
    ASSERT_EQ(c.history.size(), 3u);
    for (size_t e = 0; e < 3; ++e)
        EXPECT_EQ(c.history[e].trainLoss, a.history[e].trainLoss) << "epoch " << e + 1;
    EXPECT_EQ(c.modelHash, a.modelHash) << "a resumed run gives the uninterrupted run's model";

    // Resuming with other options is refused instead of silently mixing runs.
    o.learningRate = 1e-2;
    EXPECT_THROW(trainClassifier(dataset, o), std::invalid_argument);

    // The model learnt the squares, and carries the dataset's HU window.
    const Classifier model = Classifier::load((dir / "a.wsm").string(), "cpu");
    EXPECT_EQ(model.description().huLow, -100);
    const auto test = classifyCrops(model, dataset, dataset.indicesOf(Split::Test));
    EXPECT_GT(test.f1(), test.majorityBaselineF1()) << "P " << test.precision() << " R " << test.recall();
    fs::remove_all(dir);
}

TEST(Training, RefusesADatasetWithOneClass)
{
    const fs::path dir = scratch("oneclass");
    {
        CropDatasetWriter writer(dir, 16, 16);
        std::vector<int16_t> image(256, 0);
        std::vector<uint8_t> mask(256, 0);
        for (int i = 0; i < 8; ++i) {
            CropRecord r;
            r.caseId = "c" + std::to_string(i);
            r.split = i < 6 ? Split::Train : Split::Validation;
            writer.append(r, image.data(), mask.data());
        }
        writer.finish({});
    }
    TrainOptions o;
    o.out = dir / "m.wsm";
    try {
        trainClassifier(CropDataset::open(dir), o);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("only one class"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

TEST(CamCache, ASecondWriterIsRefusedAndReadersNeitherLockNorRepair)
{
    const fs::path dir = scratch("lock");
    fs::create_directories(dir);
    const fs::path file = dir / "maps.wscam";
    CachedCam a{{1, 2, {1, 2}}, 0.f, false};
    {
        CamCache writer(file, "h");
        writer.insert(1, "m", a);
        writer.flush();
        try {
            CamCache second(file, "h");
            FAIL() << "two writers on one heatmap file";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("in use by another process"), std::string::npos) << e.what();
        }
        const CamCache reader(file, "h", CamCache::Mode::ReadOnly);
        EXPECT_EQ(reader.size(), 1u);
    }
    const auto size = fs::file_size(file);
    fs::resize_file(file, size - 3);
    {
        const CamCache reader(file, "h", CamCache::Mode::ReadOnly);
        EXPECT_EQ(reader.size(), 0u);
    }
    EXPECT_EQ(fs::file_size(file), size - 3) << "a read-only open changed the file";
    EXPECT_THROW(CamCache(dir / "absent.wscam", "h", CamCache::Mode::ReadOnly), std::runtime_error);
    fs::remove_all(dir);
}

TEST(CamEngine, SmoothGradCamPlusPlusDoesNotDependOnTheBatch)
{
    ModelDescription d;
    d.architecture = "tiny";
    d.targetLayer = "layer3";
    const Classifier model = Classifier::create(d, 5);
    std::mt19937 rng(4);
    std::normal_distribution<float> hu(50.f, 90.f);
    std::vector<Image2D> crops(3, Image2D{32, 32, std::vector<float>(32 * 32)});
    for (auto& c : crops)
        for (auto& v : c.pixels)
            v = hu(rng);
    CamOptions o;
    o.method = CamMethod::SmoothGradCamPlusPlus;
    const auto together = computeCams(model, crops, o);
    const auto alone = computeCams(model, {crops[2]}, o);
    for (size_t i = 0; i < alone[0].raw.values.size(); ++i)
        ASSERT_NEAR(alone[0].raw.values[i], together[2].raw.values[i], 1e-5f * (1 + together[2].raw.max()));
    o.smoothSeed = 9;
    const auto reseeded = computeCams(model, {crops[2]}, o);
    EXPECT_NE(reseeded[0].raw.values, alone[0].raw.values);
}

TEST(Evaluation, AProposalScoredLikeTheMapsGetsTheCamRowAndTheTruthScoresOne)
{
    // scoreProposal (issue 16's refinements and segmenters) must follow the very protocol of the
    // CAM rows: the same maps scored through it give the same choice and figures.
    configureCpuThreads(2);
    const fs::path dir = writeSquaresDataset("score-proposal", 16, 9);
    const CropDataset dataset = CropDataset::open(dir);
    const TrainOptions t = quickTraining(dir / "m.wsm", 3);
    trainClassifier(dataset, t);
    const Classifier classifier = Classifier::load(t.out.string(), "cpu");
    EvaluationOptions o;
    o.methods = {CamMethod::GradCam};
    o.minimumValidationCrops = 1;
    o.bootstrapSamples = 50;
    const EvaluationResult result = evaluateModel(classifier, dataset, o);
    const auto& evaluated = result.evaluated.indices;
    ASSERT_FALSE(evaluated[0].empty());
    ASSERT_FALSE(evaluated[1].empty());
    EXPECT_EQ(evaluated[1].size(), static_cast<size_t>(result.testLesionCrops));
    const MethodResult& cam = result.methods.front();
    ASSERT_TRUE(cam.all.chosen());

    std::vector<size_t> all = evaluated[0];
    all.insert(all.end(), evaluated[1].begin(), evaluated[1].end());
    auto maps = evaluatedMaps(classifier, dataset, all, CamMethod::GradCam, o);
    std::map<size_t, std::vector<float>> mapOf;
    for (size_t n = 0; n < all.size(); ++n)
        mapOf[all[n]] = maps[n].upsampled.values;
    const MethodResult again = scoreProposal(
        "again", result, dataset, o, result.thresholds, "t = %.2f", [&](size_t index, const uint8_t* truth) {
            return overlapsAtLevels(mapOf.at(index), truth, result.thresholds);
        });
    EXPECT_EQ(again.all.setting, cam.all.setting);
    EXPECT_DOUBLE_EQ(again.all.validationIou, cam.all.validationIou);
    EXPECT_DOUBLE_EQ(again.all.testIou, cam.all.testIou);
    EXPECT_DOUBLE_EQ(again.all.testDice, cam.all.testDice);
    EXPECT_EQ(again.large.setting, cam.large.setting);
    EXPECT_EQ(again.crops.size(), cam.crops.size());
    EXPECT_LT(cam.all.testIou, 1.0);

    // The lesion mask itself, at every level: IoU 1 everywhere.
    const size_t pixels = static_cast<size_t>(kSize) * kSize;
    const MethodResult truth =
        scoreProposal("truth", result, dataset, o, {0.2, 0.4}, "l = %.1f", [&](size_t, const uint8_t* mask) {
            const std::vector<uint8_t> m(mask, mask + pixels);
            return overlapsOfMasks({m, m}, mask);
        });
    EXPECT_DOUBLE_EQ(truth.all.testIou, 1.0);
    EXPECT_DOUBLE_EQ(truth.all.testDice, 1.0);
    EXPECT_EQ(truth.all.setting, "l = 0.2") << "the first level on a tie";
    // A failure in a worker thread reaches the caller; so does a wrong number of levels.
    EXPECT_THROW(
        scoreProposal("broken", result, dataset, o, {0.5}, "%.1f",
                      [](size_t, const uint8_t*) -> std::vector<Overlap> { throw std::runtime_error("x"); }),
        std::runtime_error);
    EXPECT_THROW(scoreProposal("short", result, dataset, o, {0.2, 0.4}, "%.1f",
                               [](size_t, const uint8_t*) { return std::vector<Overlap>(1); }),
                 std::logic_error);
}
