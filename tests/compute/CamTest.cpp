// The compute core on real LibTorch models: ResNets, save/load, and every CAM method checked
// against closed forms, hand computation and a model trained here on a planted signal.
#include "core/compute/CamCache.h"
#include "core/compute/CamEngine.h"
#include "core/compute/CamKernels.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

using namespace weaksight::compute;
namespace fs = std::filesystem;

namespace {

ModelDescription tiny()
{
    ModelDescription d;
    d.architecture = "tiny";
    d.targetLayer = "layer3";
    d.huLow = -100;
    d.huHigh = 500;
    return d;
}

Image2D randomCrop(int size, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> hu(60.f, 80.f);
    Image2D crop{size, size, std::vector<float>(static_cast<size_t>(size) * size)};
    for (auto& v : crop.pixels)
        v = hu(rng);
    return crop;
}

std::string temporaryPath(const std::string& name)
{
    return (fs::temp_directory_path() / ("weaksight-" + std::to_string(std::random_device{}()) + "-" + name)).string();
}

long residentKb()
{
    std::ifstream in("/proc/self/statm");
    long pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * 4;
}

class Compute : public ::testing::Test {
protected:
    static void SetUpTestSuite() { configureCpuThreads(2); }
};

} // namespace

TEST_F(Compute, ResNetsHaveTheExpectedShapes)
{
    for (const char* arch : {"tiny", "resnet18", "resnet34", "resnet50", "resnet101"}) {
        SCOPED_TRACE(arch);
        ModelDescription d;
        d.architecture = arch;
        d.targetLayer = std::string(arch) == "tiny" ? "layer3" : "layer4";
        const auto model = Classifier::create(d, 1);
        torch::NoGradGuard noGrad;
        const auto x = model.impl().preprocess({randomCrop(64, 1), randomCrop(64, 2)});
        const auto a = model.impl().features(x);
        EXPECT_EQ(a.size(1), targetChannels(d));
        EXPECT_EQ(model.impl().head(a).sizes(), (std::vector<int64_t>{2, 2}));
        EXPECT_EQ(a.size(2), std::string(arch) == "tiny" ? 16 : 2); // output stride 4 vs 32
    }
    ModelDescription wrong = tiny();
    wrong.targetLayer = "layer4";
    EXPECT_THROW(Classifier::create(wrong), std::invalid_argument);
    wrong.architecture = "vgg16";
    EXPECT_THROW(Classifier::create(wrong), std::invalid_argument);
}

TEST_F(Compute, SaveLoadKeepsWeightsHashAndPreprocessing)
{
    const auto model = Classifier::create(tiny(), 7);
    const auto path = temporaryPath("model.pt");
    model.save(path);
    const auto loaded = Classifier::load(path, "cpu");
    EXPECT_EQ(loaded.description(), model.description());
    EXPECT_EQ(loaded.contentHash(), model.contentHash());
    EXPECT_EQ(loaded.contentHash().size(), 32u);
    const std::vector<Image2D> crops{randomCrop(48, 3)};
    EXPECT_FLOAT_EQ(loaded.lesionProbability(crops)[0], model.lesionProbability(crops)[0]);
    EXPECT_NE(Classifier::create(tiny(), 8).contentHash(), model.contentHash());

    // A truncated file and a text file are refused with the path in the message.
    const auto bytes = fs::file_size(path);
    fs::resize_file(path, bytes / 2);
    try {
        Classifier::load(path, "cpu");
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    std::ofstream(path) << "not a model";
    EXPECT_THROW(Classifier::load(path, "cpu"), std::runtime_error);
    EXPECT_THROW(Classifier::load(path + ".missing", "cpu"), std::runtime_error);
    fs::remove(path);
}

// With global average pooling + one linear layer after the target layer, dY/dA = W_c / (h w)
// at every position: CAM = (h w) * Grad-CAM, and HiResCAM and XGradCAM equal Grad-CAM.
TEST_F(Compute, ClosedFormsAtTheLastLayer)
{
    const auto model = Classifier::create(tiny(), 3);
    const std::vector<Image2D> crops{randomCrop(64, 10), randomCrop(64, 11)};
    CamOptions options;
    auto run = [&](CamMethod m) {
        options.method = m;
        return computeCams(model, crops, options);
    };
    const auto cam = run(CamMethod::Cam), grad = run(CamMethod::GradCam), hires = run(CamMethod::HiResCam),
               xgrad = run(CamMethod::XGradCam);
    for (size_t i = 0; i < crops.size(); ++i) {
        const float positions = static_cast<float>(grad[i].raw.rows * grad[i].raw.cols);
        ASSERT_EQ(grad[i].raw.rows, 16);
        for (size_t j = 0; j < grad[i].raw.values.size(); ++j) {
            EXPECT_NEAR(cam[i].raw.values[j], grad[i].raw.values[j] * positions, 1e-4f * (1 + cam[i].raw.values[j]));
            EXPECT_NEAR(hires[i].raw.values[j], grad[i].raw.values[j], 1e-5f);
            EXPECT_NEAR(xgrad[i].raw.values[j], grad[i].raw.values[j], 1e-5f);
        }
        EXPECT_EQ(grad[i].upsampled.rows, 64);
        EXPECT_EQ(grad[i].upsampled.cols, 64);
    }

    // The gradient really is W_c / (h w).
    const auto x = model.impl().preprocess(crops);
    const auto ag = kernels::activationAndGradient(model.impl(), x, 1, CamScore::Logit);
    const auto expected = model.impl().classWeights().detach()[1].view({1, -1, 1, 1}) / 256.0;
    EXPECT_TRUE(torch::allclose(ag.gradient, expected.expand_as(ag.gradient), 1e-5, 1e-7));
}

namespace {

/// A model whose batch-norm layers do something (random statistics and affine parameters), so
/// that folding them into the convolutions is put to the test.
Classifier withWorkingNorms(const ModelDescription& description, uint64_t seed)
{
    auto model = Classifier::create(description, seed);
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto& module : model.impl().net->modules(/*include_self=*/false))
        if (auto* norm = module->as<torch::nn::BatchNorm2dImpl>()) {
            norm->running_mean.normal_(0, 0.2);
            norm->running_var.uniform_(0.5, 2.0);
            norm->weight.uniform_(0.5, 1.5);
            norm->bias.normal_(0, 0.2);
        }
    return model;
}

/// Largest |difference| of two runs' raw maps relative to each reference map's maximum; checks
/// that the target scores and the degenerate flags agree too.
float largestMapDifference(const std::vector<CamResult>& reference, const std::vector<CamResult>& other)
{
    float largest = 0;
    for (size_t i = 0; i < reference.size(); ++i) {
        EXPECT_NEAR(reference[i].targetScore, other[i].targetScore, 1e-4f * (1 + std::abs(reference[i].targetScore)));
        EXPECT_EQ(reference[i].degenerate, other[i].degenerate);
        const float scale = std::max(1e-6f, reference[i].raw.max());
        for (size_t j = 0; j < reference[i].raw.values.size(); ++j)
            largest = std::max(largest, std::abs(reference[i].raw.values[j] - other[i].raw.values[j]) / scale);
    }
    return largest;
}

} // namespace

TEST_F(Compute, ClosedFormGradientEqualsTheBackwardPass)
{
    const auto model = withWorkingNorms(tiny(), 5);
    EXPECT_TRUE(model.impl().headIsPooledLinear(-1));
    EXPECT_FALSE(model.impl().headIsPooledLinear(1)); // an earlier stage: the rest of the net is the head
    const auto x = model.impl().preprocess({randomCrop(64, 1), randomCrop(64, 2), randomCrop(64, 3)});
    for (const auto score : {CamScore::Logit, CamScore::Probability})
        for (const int target : {0, 1}) {
            SCOPED_TRACE(std::string(score == CamScore::Logit ? "logit" : "probability") + " of class " +
                         std::to_string(target));
            const auto backward = kernels::activationAndGradient(model.impl(), x, target, score);
            const auto closed = kernels::activationAndClosedFormGradient(model.impl(), x, target, score);
            const double scale = backward.gradient.abs().max().item<double>();
            ASSERT_GT(scale, 0);
            EXPECT_LE((closed.gradient - backward.gradient).abs().max().item<double>(), 1e-5 * scale);
            EXPECT_LE((closed.activation - backward.activation).abs().max().item<double>(),
                      1e-4 * backward.activation.abs().max().item<double>());
            EXPECT_TRUE(torch::allclose(closed.score, backward.score, 1e-4, 1e-5));
        }
}

TEST_F(Compute, EigenCamIsTheFirstPrincipalComponentOfTheActivation)
{
    const auto model = withWorkingNorms(tiny(), 6);
    // 64-pixel crops: 256 positions > 64 channels; 16-pixel crops: 16 positions (both Gram matrices).
    for (const int size : {64, 16}) {
        SCOPED_TRACE(size);
        const std::vector<Image2D> crops{randomCrop(size, 60), randomCrop(size, 61)};
        CamOptions options;
        options.method = CamMethod::EigenCam;
        const auto maps = computeCams(model, crops, options);
        torch::NoGradGuard noGrad;
        const auto a = model.impl().features(model.impl().preprocess(crops));
        for (size_t i = 0; i < crops.size(); ++i) {
            const auto ai = a[static_cast<int64_t>(i)];
            auto m = ai.reshape({ai.size(0), -1}).t().to(torch::kDouble);
            m = m - m.mean(0, true);
            auto projection = torch::matmul(m, std::get<2>(torch::linalg_svd(m, false))[0]);
            if ((projection * ai.sum(0).reshape({-1}).to(torch::kDouble)).sum().item<double>() < 0)
                projection = -projection;
            const auto expected = torch::relu(projection).to(torch::kFloat).contiguous();
            ASSERT_EQ(static_cast<int64_t>(maps[i].raw.values.size()), expected.numel());
            const float scale = expected.max().item<float>();
            ASSERT_GT(scale, 0);
            for (int64_t j = 0; j < expected.numel(); ++j)
                EXPECT_NEAR(maps[i].raw.values[static_cast<size_t>(j)], expected.data_ptr<float>()[j], 1e-4f * scale);
        }
    }
}

TEST_F(Compute, OptimisedEngineGivesTheReferenceMapsByEveryMethod)
{
    ModelDescription resnet50;
    resnet50.architecture = "resnet50"; // bottleneck blocks and projections in the written module
    for (const auto& description : {tiny(), resnet50}) {
        const auto model = withWorkingNorms(description, 7);
        ASSERT_NE(model.impl().optimised(), nullptr) << description.architecture;
        const std::vector<Image2D> crops{randomCrop(64, 30), randomCrop(64, 31), randomCrop(64, 32)};
        for (const auto method : allCamMethods()) {
            if (method == CamMethod::ScoreCam && description.architecture == "resnet50")
                continue; // 2,048 masked forwards a crop; the tiny model covers the exact path
            for (const auto score : {CamScore::Logit, CamScore::Probability}) {
                SCOPED_TRACE(description.architecture + " " + toString(method) +
                             (score == CamScore::Logit ? " logit" : " probability"));
                CamOptions options;
                options.method = method;
                options.score = score;
                options.referencePath = true;
                const auto reference = computeCams(model, crops, options);
                options.referencePath = false;
                const auto optimised = computeCams(model, crops, options);
                const float largest = largestMapDifference(reference, optimised);
                std::cout << description.architecture << " " << toString(method)
                          << (score == CamScore::Logit ? " (logit)" : " (probability)")
                          << ": optimised vs reference path, max |difference| " << largest << " of the map's maximum\n";
                EXPECT_LE(largest, 1e-4f);
            }
        }
    }
}

TEST_F(Compute, OptimisedModuleFollowsTheWeightsAndTheLayout)
{
    auto model = withWorkingNorms(tiny(), 9);
    const std::vector<Image2D> crops{randomCrop(64, 50), randomCrop(64, 51)};
    CamOptions options;
    options.method = CamMethod::GradCamPlusPlus;
    const auto before = computeCams(model, crops, options);
    const auto module = model.impl().optimised();
    EXPECT_EQ(model.impl().optimised(), module) << "made once while nothing changes";

    // An in-place change of weights (what an optimiser step or a load does) is seen.
    {
        torch::NoGradGuard noGrad;
        model.impl().net->stages[1]->parameters().front().mul_(-1.5);
        model.impl().net->fc->weight.add_(0.3);
    }
    EXPECT_NE(model.impl().optimised(), module);
    const auto after = computeCams(model, crops, options);
    EXPECT_GT(std::abs(before[0].targetScore - after[0].targetScore), 1e-2f) << "the changed weights changed nothing";
    options.referencePath = true;
    EXPECT_LE(largestMapDifference(computeCams(model, crops, options), after), 1e-4f);

    // Channels-last weights give the same maps through a module made anew.
    model.impl().setChannelsLast(true);
    options.referencePath = false;
    EXPECT_LE(largestMapDifference(after, computeCams(model, crops, options)), 1e-4f);
    EXPECT_NEAR(model.lesionProbability(crops)[1], [&] {
        c10::InferenceMode guard;
        return torch::softmax(model.impl().forward(model.impl().preprocess(crops)), 1)[1][1].item<float>();
    }(), 1e-5f);
}

TEST_F(Compute, EarlierTargetLayersGiveFinerMapsThatMatchAHandComputation)
{
    const auto model = Classifier::create(tiny(), 9);
    EXPECT_EQ(model.targetLayers(), (std::vector<std::string>{"layer1", "layer2", "layer3"}));
    const std::vector<Image2D> crops{randomCrop(48, 21)};
    CamOptions options;
    options.method = CamMethod::GradCam;
    const auto last = computeCams(model, crops, options).front();
    options.targetLayer = "layer2";
    const auto earlier = computeCams(model, crops, options).front();
    // tiny: layer2 has stride 2, layer3 stride 4.
    EXPECT_EQ(last.raw.rows, 12);
    EXPECT_EQ(earlier.raw.rows, 24);
    EXPECT_EQ(earlier.upsampled.rows, 48);

    // By hand: run the stages one by one, keep layer2's output, differentiate the lesion logit.
    auto& net = model.impl().net;
    const auto x = model.impl().preprocess(crops);
    torch::Tensor a;
    {
        torch::NoGradGuard noGrad;
        a = torch::relu(net->stemNorm(net->stem(x)));
        a = net->stages[0]->forward(a);
        a = net->stages[1]->forward(a);
    }
    a = a.detach().requires_grad_(true);
    const auto logit = net->fc(torch::adaptive_avg_pool2d(net->stages[2]->forward(a), {1, 1}).flatten(1))[0][1];
    const auto g = torch::autograd::grad({logit}, {a})[0];
    const auto expected = torch::relu((g.mean({2, 3}, true) * a.detach()).sum(1))[0].contiguous();
    ASSERT_EQ(expected.numel(), static_cast<int64_t>(earlier.raw.values.size()));
    const float* e = expected.data_ptr<float>();
    for (size_t i = 0; i < earlier.raw.values.size(); ++i)
        ASSERT_NEAR(earlier.raw.values[i], e[i], 1e-5f + 1e-4f * std::abs(e[i])) << i;
    // Cache keys tell the layers apart; CAM and unknown layers are refused with a reason.
    EXPECT_NE(camMethodKey(options, "layer3"), camMethodKey(CamOptions{}, "layer3"));
    options.method = CamMethod::Cam;
    EXPECT_THROW(computeCams(model, crops, options), std::invalid_argument);
    options.method = CamMethod::GradCam;
    options.targetLayer = "layer9";
    EXPECT_THROW(computeCams(model, crops, options), std::invalid_argument);
}

TEST_F(Compute, ScoreCamReportsItsMaskedInputsAndStopsWhenAsked)
{
    const auto model = Classifier::create(tiny(), 10);
    CamOptions options;
    options.method = CamMethod::ScoreCam;
    options.scoreBatch = 8;
    std::vector<int64_t> seen;
    int64_t reportedTotal = 0;
    options.progress = [&](int64_t done, int64_t total) {
        seen.push_back(done);
        reportedTotal = total;
        return true;
    };
    const auto maps = computeCams(model, {randomCrop(32, 1), randomCrop(32, 2)}, options);
    EXPECT_EQ(reportedTotal, 2 * 64) << "tiny's last stage has 64 channels, two crops";
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(seen.back(), reportedTotal);
    options.progress = [](int64_t done, int64_t) { return done < 16; };
    EXPECT_THROW(computeCams(model, {randomCrop(32, 1)}, options), CamCancelled);
    options.progress = {};
    EXPECT_EQ(computeCams(model, {randomCrop(32, 1), randomCrop(32, 2)}, options)[1].raw.values, maps[1].raw.values)
        << "the callback does not change the maps";
}

TEST_F(Compute, GradCamPlusPlusWeightsFollowTheirFormula)
{
    const auto model = Classifier::create(tiny(), 4);
    const auto x = model.impl().preprocess({randomCrop(40, 5)});
    // Probability target: the gradient then varies between samples and channels.
    const auto ag = kernels::activationAndGradient(model.impl(), x, 1, CamScore::Probability);
    const auto weights = kernels::gradCamPlusPlusWeights(ag.activation, ag.gradient);
    const auto A = ag.activation.accessor<float, 4>();
    const auto g = ag.gradient.accessor<float, 4>();
    const auto w = weights.accessor<float, 4>();
    for (int64_t k = 0; k < A.size(1); ++k) {
        double sumA = 0;
        for (int64_t i = 0; i < A.size(2); ++i)
            for (int64_t j = 0; j < A.size(3); ++j)
                sumA += A[0][k][i][j];
        double expected = 0;
        for (int64_t i = 0; i < A.size(2); ++i)
            for (int64_t j = 0; j < A.size(3); ++j) {
                const double gij = g[0][k][i][j];
                const double denominator = 2 * gij * gij + sumA * gij * gij * gij;
                const double alpha = gij * gij / (denominator != 0 ? denominator : 1.0);
                expected += alpha * std::max(0.0, gij);
            }
        EXPECT_NEAR(w[0][k][0][0], expected, 1e-6 + 1e-4 * std::abs(expected)) << "channel " << k;
    }
}

TEST_F(Compute, ScoreCamWeightsMatchOneForwardPerChannel)
{
    const auto model = Classifier::create(tiny(), 5);
    const auto x = model.impl().preprocess({randomCrop(24, 6)})[0];
    torch::Tensor a;
    {
        torch::NoGradGuard noGrad;
        a = model.impl().features(x.unsqueeze(0))[0];
    }
    const int64_t C = a.size(0);
    std::vector<int64_t> channels(static_cast<size_t>(C));
    std::iota(channels.begin(), channels.end(), 0);
    // Batched in chunks of 5 (not a divisor of 64) through the reusable buffer...
    const auto weights = kernels::scoreCamWeights(model.impl(), x, a, channels, 1, CamScore::Probability, 5);
    // ...against one plain forward pass per channel.
    torch::NoGradGuard noGrad;
    std::vector<double> scores;
    for (int64_t k = 0; k < C; ++k) {
        auto mask = torch::nn::functional::interpolate(
            a[k].view({1, 1, a.size(1), a.size(2)}),
            torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{24, 24}).mode(torch::kBilinear).align_corners(false));
        const float low = mask.min().item<float>(), high = mask.max().item<float>();
        mask = high > low ? (mask - low) / (high - low) : torch::zeros_like(mask);
        const auto p = torch::softmax(model.impl().net->forward(x.unsqueeze(0) * mask), 1)[0][1].item<double>();
        scores.push_back(p);
    }
    const double baseline =
        torch::softmax(model.impl().net->forward(torch::zeros_like(x).unsqueeze(0)), 1)[0][1].item<double>();
    double norm = 0;
    for (double s : scores)
        norm += std::exp(s - baseline);
    for (int64_t k = 0; k < C; ++k)
        EXPECT_NEAR(weights[k].item<double>(), std::exp(scores[static_cast<size_t>(k)] - baseline) / norm, 1e-5);
}

TEST_F(Compute, SmoothGradCamPlusPlusWithoutNoiseIsGradCamPlusPlus)
{
    const auto model = Classifier::create(tiny(), 6);
    const std::vector<Image2D> crops{randomCrop(48, 7)};
    CamOptions options;
    options.method = CamMethod::GradCamPlusPlus;
    const auto plain = computeCams(model, crops, options);
    options.method = CamMethod::SmoothGradCamPlusPlus;
    options.smoothNoise = 0;
    options.smoothSamples = 3;
    const auto smooth = computeCams(model, crops, options);
    for (size_t j = 0; j < plain[0].raw.values.size(); ++j)
        EXPECT_NEAR(smooth[0].raw.values[j], plain[0].raw.values[j], 1e-5f);
    options.smoothNoise = 0.3;
    const auto noisy = computeCams(model, crops, options);
    EXPECT_NE(noisy[0].raw.values, plain[0].raw.values);
}

TEST_F(Compute, DegenerateMapsAreReportedNotShownAsNoise)
{
    auto model = Classifier::create(tiny(), 8);
    {
        torch::NoGradGuard noGrad;
        model.impl().net->fc->weight.zero_();
        model.impl().net->fc->bias.zero_();
    }
    CamOptions options;
    const auto result = computeCams(model, {randomCrop(32, 9)}, options);
    EXPECT_TRUE(result[0].degenerate);
    EXPECT_EQ(result[0].degenerateReason, "all zero");
    CamMap map = result[0].upsampled;
    normaliseMinMax(map);
    EXPECT_EQ(map.max(), 0.f);
}

TEST_F(Compute, NormalisationPerCropAndPerVolume)
{
    CamMap a{1, 3, {1, 2, 3}}, b{1, 3, {0, 4, 8}};
    CamMap a1 = a;
    normaliseMinMax(a1);
    EXPECT_EQ(a1.values, (std::vector<float>{0, 0.5f, 1}));
    std::vector<CamMap*> both{&a, &b};
    normaliseJointly(both);
    EXPECT_EQ(a.values, (std::vector<float>{0.125f, 0.25f, 0.375f}));
    EXPECT_EQ(b.values, (std::vector<float>{0, 0.5f, 1}));
}

TEST_F(Compute, MethodNamesRoundTrip)
{
    EXPECT_EQ(allCamMethods().size(), 10u);
    for (auto m : allCamMethods())
        EXPECT_EQ(camMethodFromString(toString(m)), m);
    EXPECT_THROW(camMethodFromString("gradcam+++"), std::invalid_argument);
    const auto model = Classifier::create(tiny(), 1);
    CamOptions options;
    options.targetClass = 2;
    EXPECT_THROW(computeCams(model, {randomCrop(32, 1)}, options), std::invalid_argument);
}

TEST_F(Compute, NoMemoryGrowthOverThousandsOfCalls)
{
    const auto model = Classifier::create(tiny(), 2);
    const std::vector<Image2D> crops{randomCrop(48, 3)};
    CamOptions options;
    for (int i = 0; i < 200; ++i)
        computeCams(model, crops, options);
    const long before = residentKb();
    for (int i = 0; i < 1000; ++i) {
        options.method = i % 2 ? CamMethod::GradCam : CamMethod::LayerCam;
        computeCams(model, crops, options);
    }
    const long grown = residentKb() - before;
    EXPECT_LT(grown, 8 * 1024) << "resident memory grew by " << grown << " KB over 1000 calls";
}

TEST_F(Compute, ReducedPrecisionScoreCamStaysCloseToFloat32AndLeavesAutocastOff)
{
    // On this CPU the forwards run in bfloat16 (8-bit mantissa); on CUDA in float16 (CpuAndCudaAgree).
    const auto model = Classifier::create(tiny(), 8);
    const std::vector<Image2D> crops{randomCrop(40, 30), randomCrop(40, 31)};
    CamOptions options;
    options.method = CamMethod::ScoreCam;
    const auto exact = computeCams(model, crops, options);
    options.scoreReducedPrecision = true;
    const auto reduced = computeCams(model, crops, options);
    // Autocast is off again: a convolution on this thread gives float32.
    EXPECT_EQ(torch::conv2d(torch::rand({1, 1, 4, 4}), torch::rand({1, 1, 3, 3})).scalar_type(), torch::kFloat);
    for (size_t i = 0; i < crops.size(); ++i) {
        EXPECT_EQ(reduced[i].targetScore, exact[i].targetScore); // the unmasked score stays float32
        const float scale = exact[i].raw.max();
        float largest = 0;
        for (size_t j = 0; j < exact[i].raw.values.size(); ++j)
            largest = std::max(largest, std::abs(exact[i].raw.values[j] - reduced[i].raw.values[j]) / scale);
        EXPECT_GT(largest, 0.0f) << "the reduced-precision path did not run";
        EXPECT_LT(largest, 0.05f);
    }
    // A different map identity, so caches keep the two apart; other methods ignore the flag.
    CamOptions plain = options;
    plain.scoreReducedPrecision = false;
    EXPECT_NE(camMethodKey(options, "layer3"), camMethodKey(plain, "layer3"));
    options.method = plain.method = CamMethod::GradCam;
    EXPECT_EQ(camMethodKey(options, "layer3"), camMethodKey(plain, "layer3"));
    EXPECT_EQ(computeCams(model, crops, options)[0].raw.values, computeCams(model, crops, plain)[0].raw.values);
}

TEST_F(Compute, ScoreCamBatchFollowsTheDevicesFreeMemory)
{
    EXPECT_EQ(kernels::scoreBatchFor(torch::Device(torch::kCPU), 150, 150, 12), 12); // asked for
    const int cpu = kernels::scoreBatchFor(torch::Device(torch::kCPU), 150, 150, 0);
    EXPECT_GE(cpu, 1);
    EXPECT_LE(cpu, 16);
    if (!cudaAvailable())
        GTEST_SKIP() << "no CUDA device here; the CUDA half runs on the GPU machine (tools/gpu-check.sh)";
    const auto memory = cudaMemory(0);
    ASSERT_TRUE(memory.has_value());
    const double perInput = 64.0 * sizeof(float) * 150 * 150;
    const int expected = static_cast<int>(std::clamp(static_cast<double>(memory->freeBytes) / 4.0 / perInput, 1.0, 1024.0));
    const int cuda = kernels::scoreBatchFor(torch::Device(torch::kCUDA, 0), 150, 150, 0);
    EXPECT_NEAR(cuda, expected, std::max(1, expected / 20)); // free memory moves a little between the calls
}

// One code path, two devices: on a machine with CUDA every method must agree with the CPU.
TEST_F(Compute, CpuAndCudaAgree)
{
    if (!cudaAvailable())
        GTEST_SKIP() << "no CUDA device here; this runs on the GPU machine (tools/gpu-check.sh)";
    auto cpu = Classifier::create(tiny(), 12);
    const auto path = temporaryPath("agree.pt");
    cpu.save(path);
    const auto cuda = Classifier::load(path, "cuda");
    fs::remove(path);
    const std::vector<Image2D> crops{randomCrop(64, 20), randomCrop(64, 21)};
    // TF32 convolutions (the default, as in PyTorch) keep a 10-bit mantissa: 2e-3 of the map's
    // maximum; true float32 convolutions: 1e-4.
    const bool tf32Default = cudaTf32();
    for (const bool tf32 : {true, false}) {
        setCudaTf32(tf32);
        const float tolerance = tf32 ? 2e-3f : 1e-4f;
        for (auto method : allCamMethods()) {
            SCOPED_TRACE(toString(method) + (tf32 ? " TF32" : " float32"));
            CamOptions options;
            options.method = method;
            options.smoothNoise = 0; // the noise generators differ between devices
            const auto a = computeCams(cpu, crops, options);
            const auto b = computeCams(cuda, crops, options);
            float largest = 0;
            for (size_t i = 0; i < crops.size(); ++i) {
                EXPECT_NEAR(a[i].targetScore, b[i].targetScore, 1e-3f);
                const float scale = std::max(1e-6f, a[i].raw.max());
                for (size_t j = 0; j < a[i].raw.values.size(); ++j)
                    largest = std::max(largest, std::abs(a[i].raw.values[j] - b[i].raw.values[j]) / scale);
            }
            std::cout << "CPU vs CUDA, " << (tf32 ? "TF32" : "float32") << " convolutions, " << toString(method)
                      << ": max |difference| " << largest << " of the map's maximum\n";
            EXPECT_LE(largest, tolerance);
        }
    }
    setCudaTf32(tf32Default);
    // Score-CAM with float16 forwards on CUDA stays within 5 % of the float32 CPU map.
    CamOptions options;
    options.method = CamMethod::ScoreCam;
    const auto a = computeCams(cpu, crops, options);
    options.scoreReducedPrecision = true;
    const auto b = computeCams(cuda, crops, options);
    for (size_t i = 0; i < crops.size(); ++i) {
        const float scale = std::max(1e-6f, a[i].raw.max());
        for (size_t j = 0; j < a[i].raw.values.size(); ++j)
            ASSERT_NEAR(a[i].raw.values[j] / scale, b[i].raw.values[j] / scale, 0.05f) << "float16, cell " << j;
    }
}

// ---- TorchScript contract -----------------------------------------------------------------

namespace {

/// A TorchScript module built here with the contract's methods (the same file format PyTorch's
/// torch.jit.save writes): conv 3x3/2 + ReLU as features, mean pool + linear as head.
torch::jit::Module contractModule(const ModelDescription& description, bool withHead = true, bool withDescription = true)
{
    torch::manual_seed(3);
    torch::jit::Module m("WeaksightContractFixture");
    m.register_parameter("conv_weight", torch::randn({8, 1, 3, 3}), false);
    m.register_parameter("head_weight", torch::randn({2, 8}), false);
    m.register_parameter("head_bias", torch::randn({2}), false);
    if (withDescription)
        m.register_attribute("weaksight_description", c10::StringType::get(), description.serialise());
    std::string source = R"(
def forward_features(self, x):
    return torch.relu(torch.conv2d(x, self.conv_weight, None, [2, 2], [1, 1]))
)";
    if (withHead)
        source += R"(
def forward_head(self, a):
    return torch.matmul(torch.mean(a, [2, 3]), self.head_weight.t()) + self.head_bias
def forward(self, x):
    return self.forward_head(self.forward_features(x))
)";
    m.define(source);
    return m;
}

} // namespace

TEST_F(Compute, TorchScriptModelMeetingTheContractGivesTheSameMapsAsItsWeights)
{
    ModelDescription d = tiny();
    d.architecture = "torchscript-fixture";
    auto module = contractModule(d);
    const auto path = temporaryPath("contract.pt");
    module.save(path);
    const auto model = Classifier::load(path, "cpu");
    EXPECT_EQ(model.description(), d);
    EXPECT_EQ(model.contentHash().size(), 32u);

    const std::vector<Image2D> crops{randomCrop(32, 40)};
    CamOptions options;
    options.method = CamMethod::GradCam;
    const auto grad = computeCams(model, crops, options);
    options.method = CamMethod::Cam;
    const auto cam = computeCams(model, crops, options);

    // The same weights by hand: A = relu(conv(x)), Grad-CAM weights = W_1 / (h w).
    torch::NoGradGuard noGrad;
    const auto x = model.impl().preprocess(crops);
    const auto conv = module.attr("conv_weight").toTensor();
    const auto headWeight = module.attr("head_weight").toTensor();
    const auto a = torch::relu(torch::conv2d(x, conv, {}, 2, 1));
    const auto positions = a.size(2) * a.size(3);
    const auto expected = torch::relu((headWeight[1].view({1, -1, 1, 1}) / positions * a).sum(1))[0].contiguous();
    ASSERT_EQ(grad[0].raw.rows, a.size(2));
    for (int64_t i = 0; i < expected.numel(); ++i) {
        EXPECT_NEAR(grad[0].raw.values[static_cast<size_t>(i)], expected.data_ptr<float>()[i], 1e-5f);
        EXPECT_NEAR(cam[0].raw.values[static_cast<size_t>(i)], expected.data_ptr<float>()[i] * positions, 1e-3f);
    }
    // Score-CAM and the probability run through the script's forward.
    options.method = CamMethod::ScoreCam;
    EXPECT_FALSE(computeCams(model, crops, options)[0].raw.values.empty());
    const auto logits = module.forward({x}).toTensor();
    EXPECT_NEAR(model.lesionProbability(crops)[0], torch::softmax(logits, 1)[0][1].item<float>(), 1e-6f);
    EXPECT_FALSE(model.impl().headIsPooledLinear(-1)) << "a head not declared is differentiated";
    fs::remove(path);
}

TEST_F(Compute, TorchScriptModelDeclaringAPooledLinearHeadGetsTheClosedForm)
{
    ModelDescription d = tiny();
    d.architecture = "torchscript-fixture";
    d.head = "avgpool-linear";
    const auto path = temporaryPath("contract-head.pt");
    contractModule(d).save(path);
    const auto model = Classifier::load(path, "cpu");
    fs::remove(path);
    EXPECT_EQ(model.description().head, "avgpool-linear");
    EXPECT_TRUE(model.impl().headIsPooledLinear(-1));
    ASSERT_NE(model.impl().optimised(), nullptr);
    const std::vector<Image2D> crops{randomCrop(32, 41), randomCrop(32, 42)};
    for (const auto method : {CamMethod::GradCam, CamMethod::GradCamPlusPlus, CamMethod::LayerCam,
                              CamMethod::SmoothGradCamPlusPlus, CamMethod::FastScoreCam})
        for (const auto score : {CamScore::Logit, CamScore::Probability}) {
            SCOPED_TRACE(toString(method));
            CamOptions options;
            options.method = method;
            options.score = score;
            options.fastScoreTopK = 4;
            options.referencePath = true;
            const auto reference = computeCams(model, crops, options);
            options.referencePath = false;
            EXPECT_LE(largestMapDifference(reference, computeCams(model, crops, options)), 1e-4f);
        }
}

TEST_F(Compute, TorchScriptWithoutTheContractIsRefusedByName)
{
    const auto path = temporaryPath("nocontract.pt");
    contractModule(tiny(), /*withHead=*/false).save(path);
    try {
        Classifier::load(path, "cpu");
        FAIL() << "expected a refusal";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing: method forward_head"), std::string::npos) << e.what();
    }
    contractModule(tiny(), true, /*withDescription=*/false).save(path);
    try {
        Classifier::load(path, "cpu");
        FAIL() << "expected a refusal";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("weaksight_description"), std::string::npos) << e.what();
    }
    fs::remove(path);
}
