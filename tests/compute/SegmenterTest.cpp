// The U-Net segmenter of issue 16 (supervised upper bound and pseudo-label training): it learns a
// mask, survives a save and a load, takes crop sizes that do not halve evenly, and trains
// reproducibly on the CPU.
#include "core/compute/Segmenter.h"

#include "core/compute/Classifier.h"
#include "core/compute/Device.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <random>

using namespace weaksight::compute;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct DiscCrops {
    std::vector<Image2D> crops;
    std::vector<std::vector<uint8_t>> masks;
};

/// Soft-tissue noise with one bright disc of random radius and position per crop; the target is
/// the disc.
DiscCrops discCrops(size_t count, int rows, int cols, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> tissue(40.f, 25.f);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    DiscCrops set;
    for (size_t i = 0; i < count; ++i) {
        const double radius = 4 + unit(rng) * 0.15 * std::min(rows, cols);
        const double cy = radius + unit(rng) * (rows - 2 * radius),
                     cx = radius + unit(rng) * (cols - 2 * radius);
        Image2D crop{rows, cols, std::vector<float>(static_cast<size_t>(rows) * cols)};
        std::vector<uint8_t> mask(crop.pixels.size(), 0);
        for (int y = 0; y < rows; ++y)
            for (int x = 0; x < cols; ++x) {
                const size_t k = static_cast<size_t>(y) * cols + x;
                const bool inside = std::hypot(y + 0.5 - cy, x + 0.5 - cx) < radius;
                crop.pixels[k] = tissue(rng) + (inside ? 150.f : 0.f);
                mask[k] = inside;
            }
        set.crops.push_back(std::move(crop));
        set.masks.push_back(std::move(mask));
    }
    return set;
}

/// IoU of {p > 0.5} with the target (1 when both are empty).
double iou(const std::vector<float>& probabilities, const std::vector<uint8_t>& target)
{
    size_t both = 0, either = 0;
    for (size_t i = 0; i < target.size(); ++i) {
        const bool predicted = probabilities[i] > 0.5f;
        both += predicted && target[i];
        either += predicted || target[i];
    }
    return either ? static_cast<double>(both) / static_cast<double>(either) : 1.0;
}

double meanIou(const Segmenter& segmenter, const DiscCrops& set)
{
    const auto maps = segmenter.predict(set.crops);
    double sum = 0;
    for (size_t i = 0; i < maps.size(); ++i)
        sum += iou(maps[i], set.masks[i]);
    return sum / static_cast<double>(maps.size());
}

std::string temporaryPath(const std::string& name)
{
    return (fs::temp_directory_path() / ("weaksight-" + std::to_string(std::random_device{}()) + "-" + name))
        .string();
}

/// What the U-Net of `d` must hold: (3x3 conv + batch norm) x 2 per level, 2x2 transposed convs
/// with bias up, a 1x1 conv with bias to one logit.
int64_t expectedParameters(const SegmenterDescription& d)
{
    auto width = [&](int level) {
        return static_cast<int64_t>(d.baseChannels) << level;
    };
    auto doubleConv = [](int64_t in, int64_t out) {
        return 9 * in * out + 9 * out * out + 4 * out;
    };
    int64_t count = doubleConv(width(d.levels - 1), width(d.levels)) + width(0) + 1;
    for (int l = 0; l < d.levels; ++l)
        count += doubleConv(l ? width(l - 1) : 1, width(l)) + 4 * width(l + 1) * width(l) + width(l) +
                 doubleConv(2 * width(l), width(l));
    return count;
}

class SegmenterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { configureCpuThreads(0); }
};

} // namespace

TEST_F(SegmenterTest, OverfitsATinySetOnTheCpu)
{
    const DiscCrops set = discCrops(8, 48, 48, 11);
    Segmenter segmenter = Segmenter::create(SegmenterDescription{}, 1);
    const double untrained = meanIou(segmenter, set);
    SegmenterTrainOptions options;
    options.epochs = 20;
    options.learningRate = 1e-2;
    options.batchSize = 4;
    options.device = "cpu";
    int epochsReported = 0;
    options.epochFinished = [&](int, double, double) {
        ++epochsReported;
    };
    const auto start = Clock::now();
    const std::clock_t cpuStart = std::clock();
    const auto result = trainSegmenter(segmenter, set.crops, set.masks, set.crops, set.masks, options);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpuSeconds = static_cast<double>(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    const double trained = meanIou(segmenter, set);
    std::cout << "[ segmenter ] " << options.epochs << " epochs on 8 48x48 crops in " << seconds
              << " s (CPU time " << cpuSeconds << " s, " << options.epochs * 8 / seconds
              << " crops/s with validation, " << configureCpuThreads(0) << " threads); mean IoU " << untrained
              << " untrained, " << trained << " trained; best soft Dice " << result.bestValidationDice
              << " at epoch " << result.bestEpoch << "\n";
    EXPECT_LT(untrained, 0.5);
    EXPECT_GT(trained, 0.8);
    EXPECT_LT(seconds, 60.0);
    EXPECT_EQ(result.epochs, options.epochs);
    EXPECT_EQ(epochsReported, options.epochs);
    EXPECT_GE(result.bestEpoch, 1);
    EXPECT_GT(result.bestValidationDice, 0.8);
    EXPECT_EQ(segmenter.deviceName(), "cpu");
}

TEST_F(SegmenterTest, SaveAndLoadGiveTheSamePredictions)
{
    const DiscCrops set = discCrops(4, 40, 40, 21);
    SegmenterDescription description;
    description.baseChannels = 8;
    description.trainedOn = "ground truth";
    Segmenter segmenter = Segmenter::create(description, 2);
    // Two short epochs, so the batch-norm statistics differ from their initial values too.
    SegmenterTrainOptions options;
    options.epochs = 2;
    options.device = "cpu";
    trainSegmenter(segmenter, set.crops, set.masks, set.crops, set.masks, options);

    const fs::path folder = temporaryPath("segmenter");
    fs::create_directories(folder);
    const std::string path = (folder / "unet.wss").string();
    segmenter.save(path);
    EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator{}), 1)
        << "the temporary file was left behind";
    const Segmenter loaded = Segmenter::load(path, "cpu");
    EXPECT_EQ(loaded.description(), segmenter.description());
    EXPECT_EQ(loaded.predict(set.crops), segmenter.predict(set.crops));

    auto expectRefused = [&](const std::string& file, const std::string& reason) {
        try {
            Segmenter::load(file, "cpu");
            ADD_FAILURE() << file << " was accepted (" << reason << ")";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
            std::cout << "[ segmenter ] " << reason << ": " << e.what() << "\n";
        }
    };
    expectRefused((folder / "missing.wss").string(), "missing");

    const std::string classifierPath = (folder / "classifier.wsm").string();
    ModelDescription tiny;
    tiny.targetLayer = "layer3";
    Classifier::create(tiny, 1).save(classifierPath);
    expectRefused(classifierPath, "classifier");

    fs::resize_file(path, fs::file_size(path) / 2);
    expectRefused(path, "truncated");
    fs::remove_all(folder);
}

TEST_F(SegmenterTest, OddCropSizesGiveMapsOfTheirOwnSize)
{
    const SegmenterDescription description;
    Segmenter segmenter = Segmenter::create(description, 3);
    EXPECT_EQ(segmenter.parameterCount(), expectedParameters(description));
    std::cout << "[ segmenter ] base " << description.baseChannels << ", " << description.levels
              << " levels: " << segmenter.parameterCount() << " parameters\n";

    const DiscCrops odd = discCrops(3, 50, 37, 31);
    std::vector<Image2D> mixed = odd.crops;
    mixed.push_back(discCrops(1, 64, 64, 32).crops[0]);
    mixed.push_back(discCrops(1, 33, 41, 33).crops[0]);
    mixed.push_back(discCrops(1, 8, 9, 34).crops[0]); // the smallest 3 levels take
    const auto maps = segmenter.predict(mixed, 2);
    ASSERT_EQ(maps.size(), mixed.size());
    for (size_t i = 0; i < mixed.size(); ++i) {
        SCOPED_TRACE(std::to_string(mixed[i].rows) + "x" + std::to_string(mixed[i].cols));
        ASSERT_EQ(maps[i].size(), mixed[i].pixels.size());
        for (float p : maps[i])
            ASSERT_TRUE(p >= 0.f && p <= 1.f) << p;
        // Batching (here with crops of other sizes around it) does not change a crop's map.
        const auto alone = segmenter.predict({mixed[i]});
        for (size_t k = 0; k < alone[0].size(); ++k)
            ASSERT_NEAR(alone[0][k], maps[i][k], 1e-5f);
    }
    EXPECT_THROW(segmenter.predict({discCrops(1, 7, 40, 35).crops[0]}), std::invalid_argument);

    // Training goes through the padded decoder path too.
    SegmenterTrainOptions options;
    options.epochs = 1;
    options.device = "cpu";
    const auto result = trainSegmenter(segmenter, odd.crops, odd.masks, odd.crops, odd.masks, options);
    EXPECT_TRUE(std::isfinite(result.bestValidationDice));
}

TEST_F(SegmenterTest, DescriptionRoundTrips)
{
    SegmenterDescription d;
    d.baseChannels = 24;
    d.levels = 4;
    d.huLow = -150.25;
    d.huHigh = 312.5;
    d.pixelSpacingMm = 0.78125;
    d.trainedOn = "pseudo-labels: cam-threshold";
    const std::string text = d.serialise();
    EXPECT_EQ(SegmenterDescription::parse(text), d) << text;
    EXPECT_EQ(SegmenterDescription::parse(SegmenterDescription{}.serialise()), SegmenterDescription{});
    EXPECT_FALSE(SegmenterDescription::parse(text) == SegmenterDescription{});
    EXPECT_THROW(SegmenterDescription::parse("architecture: resnet18\n"), std::invalid_argument);
    EXPECT_THROW(SegmenterDescription::parse("levels: 0\n"), std::invalid_argument);
    EXPECT_THROW(Segmenter::create(SegmenterDescription::parse("levels: 9\n")), std::invalid_argument);
}

TEST_F(SegmenterTest, TrainingIsReproducibleOnTheCpu)
{
    const DiscCrops set = discCrops(6, 32, 32, 41);
    SegmenterDescription description;
    description.baseChannels = 8;
    auto trained = [&](uint64_t seed) {
        Segmenter segmenter = Segmenter::create(description, 4);
        SegmenterTrainOptions options;
        options.epochs = 2;
        options.batchSize = 3;
        options.seed = seed;
        options.device = "cpu";
        trainSegmenter(segmenter, set.crops, set.masks, set.crops, set.masks, options);
        return segmenter.predict(set.crops);
    };
    const auto first = trained(5);
    EXPECT_EQ(trained(5), first);
    EXPECT_NE(trained(6), first) << "the seed should change the flips and the order";
}

// One code path, two devices: the same weights give the same map on CUDA; training runs there.
TEST_F(SegmenterTest, CudaAgreesWithTheCpu)
{
    if (!cudaAvailable())
        GTEST_SKIP() << "no CUDA device here; this runs on the GPU machine";
    const DiscCrops set = discCrops(8, 48, 48, 51);
    const Segmenter cpu = Segmenter::create(SegmenterDescription{}, 6);
    const std::string path = temporaryPath("cuda.wss");
    cpu.save(path);
    Segmenter cuda = Segmenter::load(path, "cuda");
    fs::remove(path);
    EXPECT_EQ(cuda.deviceName(), "cuda:0");
    const auto a = cpu.predict(set.crops), b = cuda.predict(set.crops);
    float largest = 0;
    for (size_t i = 0; i < a.size(); ++i)
        for (size_t k = 0; k < a[i].size(); ++k)
            largest = std::max(largest, std::abs(a[i][k] - b[i][k]));
    EXPECT_LT(largest, 2e-3f) << "TF32 convolutions keep a 10-bit mantissa";

    SegmenterTrainOptions options;
    options.epochs = 40;
    options.learningRate = 1e-2;
    options.batchSize = 4;
    options.device = "cuda";
    const auto start = Clock::now();
    trainSegmenter(cuda, set.crops, set.masks, set.crops, set.masks, options);
    const double trained = meanIou(cuda, set);
    std::cout << "[ segmenter ] CUDA: 40 epochs in "
              << std::chrono::duration<double>(Clock::now() - start).count() << " s, mean IoU " << trained
              << "\n";
    EXPECT_GT(trained, 0.8);
}

// Training throughput on 150 x 150 crops (the dataset's size): run with --gtest_also_run_disabled_tests.
// The log line of each epoch gives the optimisation steps' crops/s; the figure here adds the
// batch-norm pass over the training crops and the validation.
TEST_F(SegmenterTest, DISABLED_TrainingThroughput150)
{
    const DiscCrops set = discCrops(32, 150, 150, 61);
    const DiscCrops validation = discCrops(2, 150, 150, 62);
    Segmenter segmenter = Segmenter::create(SegmenterDescription{}, 7);
    SegmenterTrainOptions options;
    options.epochs = 1;
    options.batchSize = 16;
    options.device = cudaAvailable() ? "cuda" : "cpu";
    for (int repeat = 0; repeat < 3; ++repeat) { // the first warms up
        const auto result =
            trainSegmenter(segmenter, set.crops, set.masks, validation.crops, validation.masks, options);
        std::cout << "[ segmenter ] " << options.device << ", " << configureCpuThreads(0)
                  << " threads: an epoch of 32 150x150 crops in " << result.seconds << " s ("
                  << 32 / result.seconds << " crops/s with batch-norm pass and validation)\n";
    }
}
