// A tiny ResNet trained here, on crops whose label is a bright square at a random position:
// every gradient method and Score-CAM must point at the square on held-out crops.
#include "core/compute/CamEngine.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"

#include <gtest/gtest.h>

#include <random>

using namespace weaksight::compute;

namespace {

constexpr int kSize = 64;
constexpr int kSide = 16;

struct Sample {
    Image2D crop;
    int label = 0;
    int top = 0, left = 0;
};

Sample makeSample(std::mt19937& rng, int label)
{
    std::normal_distribution<float> tissue(40.f, 25.f);
    std::uniform_int_distribution<int> position(2, kSize - kSide - 2);
    Sample s;
    s.label = label;
    s.crop = {kSize, kSize, std::vector<float>(kSize * kSize)};
    for (auto& v : s.crop.pixels)
        v = tissue(rng);
    if (label) {
        s.top = position(rng);
        s.left = position(rng);
        for (int r = s.top; r < s.top + kSide; ++r)
            for (int c = s.left; c < s.left + kSide; ++c)
                s.crop.pixels[static_cast<size_t>(r * kSize + c)] += 300.f;
    }
    return s;
}

bool inSquare(const Sample& s, int r, int c)
{
    return r >= s.top && r < s.top + kSide && c >= s.left && c < s.left + kSide;
}

Classifier trainOnSquares()
{
    ModelDescription d;
    d.architecture = "tiny";
    d.targetLayer = "layer3";
    d.huLow = -100;
    d.huHigh = 500;
    Classifier model = Classifier::create(d, 0);
    auto& net = model.impl().net;
    net->train();
    torch::optim::Adam optimiser(net->parameters(), torch::optim::AdamOptions(3e-3));
    std::mt19937 rng(1);
    for (int step = 0; step < 150; ++step) {
        std::vector<Image2D> crops;
        std::vector<int64_t> labels;
        for (int i = 0; i < 32; ++i) {
            auto s = makeSample(rng, i % 2);
            crops.push_back(std::move(s.crop));
            labels.push_back(s.label);
        }
        optimiser.zero_grad();
        const auto loss = torch::nn::functional::cross_entropy(net->forward(model.impl().preprocess(crops)),
                                                               torch::tensor(labels));
        loss.backward();
        optimiser.step();
    }
    net->eval();
    return model;
}

} // namespace

/// Mean IoU between the min-max normalised maps thresholded at t and the squares.
double meanIou(const std::vector<CamResult>& maps, const std::vector<Sample>& samples, float threshold)
{
    double sum = 0;
    for (size_t i = 0; i < maps.size(); ++i) {
        CamMap map = maps[i].upsampled;
        normaliseMinMax(map);
        int intersection = 0, unionSize = 0;
        for (int r = 0; r < kSize; ++r)
            for (int c = 0; c < kSize; ++c) {
                const bool proposed = map.values[static_cast<size_t>(r * kSize + c)] >= threshold;
                const bool truth = inSquare(samples[i], r, c);
                intersection += proposed && truth;
                unionSize += proposed || truth;
            }
        sum += double(intersection) / unionSize;
    }
    return sum / static_cast<double>(maps.size());
}

std::vector<Image2D> cropsOf(const std::vector<Sample>& samples)
{
    std::vector<Image2D> crops;
    for (const auto& s : samples)
        crops.push_back(s.crop);
    return crops;
}

TEST(PlantedSignal, GradientMethodsAndScoreCamFindTheSquare)
{
    configureCpuThreads(2);
    const Classifier model = trainOnSquares();

    // The method's protocol: a threshold chosen on validation crops, IoU reported on held-out ones.
    std::mt19937 rng(99);
    std::vector<Sample> validation, heldOut;
    for (int i = 0; i < 16; ++i)
        validation.push_back(makeSample(rng, 1));
    for (int i = 0; i < 24; ++i)
        heldOut.push_back(makeSample(rng, 1));
    const auto crops = cropsOf(heldOut);
    std::vector<Image2D> negatives;
    for (int i = 0; i < 24; ++i)
        negatives.push_back(makeSample(rng, 0).crop);
    int correct = 0;
    for (float p : model.lesionProbability(crops))
        correct += p > 0.5f;
    for (float p : model.lesionProbability(negatives))
        correct += p < 0.5f;
    ASSERT_GE(correct, 46) << "the classifier did not learn the planted signal";

    for (auto method : {CamMethod::Cam, CamMethod::GradCam, CamMethod::GradCamPlusPlus,
                        CamMethod::SmoothGradCamPlusPlus, CamMethod::XGradCam, CamMethod::LayerCam,
                        CamMethod::HiResCam, CamMethod::ScoreCam, CamMethod::FastScoreCam}) {
        SCOPED_TRACE(toString(method));
        CamOptions options;
        options.method = method;
        options.smoothNoise = 0.02;
        options.fastScoreTopK = 16;
        const auto validationMaps = computeCams(model, cropsOf(validation), options);
        float threshold = 0.5f;
        double best = -1;
        for (int step = 1; step < 10; ++step) {
            const double iou = meanIou(validationMaps, validation, step / 10.0f);
            if (iou > best) {
                best = iou;
                threshold = step / 10.0f;
            }
        }
        const auto maps = computeCams(model, crops, options);
        // The map is one value per 4 x 4 pixels (the output stride): a peak counts when it lies
        // on the square or within one cell of it.
        int peaksNear = 0;
        for (size_t i = 0; i < maps.size(); ++i) {
            const auto& v = maps[i].upsampled.values;
            const auto peak = std::max_element(v.begin(), v.end()) - v.begin();
            const int r = static_cast<int>(peak / kSize), c = static_cast<int>(peak % kSize);
            const Sample& s = heldOut[i];
            peaksNear += r >= s.top - 4 && r < s.top + kSide + 4 && c >= s.left - 4 && c < s.left + kSide + 4;
        }
        const double iou = meanIou(maps, heldOut, threshold);
        std::printf("%-16s peak on the square %2d/%zu  threshold %.1f  held-out IoU %.3f\n",
                    toString(method).c_str(), peaksNear, maps.size(), threshold, iou);
        EXPECT_GE(peaksNear, static_cast<int>(maps.size()) - 1);
        if (method == CamMethod::GradCam || method == CamMethod::ScoreCam) {
            EXPECT_GE(iou, 0.5);
        }
    }
}
