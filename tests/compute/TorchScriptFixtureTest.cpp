// The TorchScript contract against PyTorch itself: models exported by tools/export_torchscript.py
// (committed fixtures in tests/fixtures/torchscript, made by make-fixtures.sh there; the ctest
// torchscript_export_script re-exports them and sets WEAKSIGHT_TORCHSCRIPT_FIXTURES to the new ones).
#include "core/compute/CamEngine.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

using namespace weaksight::compute;
namespace fs = std::filesystem;

namespace {

fs::path fixtureDir()
{
    if (const char* dir = std::getenv("WEAKSIGHT_TORCHSCRIPT_FIXTURES"))
        return dir;
    return fs::path(WEAKSIGHT_TEST_FIXTURES) / "torchscript";
}

/// The seeded HU crops PyTorch computed its references for.
std::vector<Image2D> referenceCrops(const torch::jit::Module& references)
{
    const auto hu = references.attr("input_hu").toTensor().contiguous();
    std::vector<Image2D> crops;
    for (int64_t i = 0; i < hu.size(0); ++i) {
        const auto one = hu[i][0].contiguous();
        Image2D crop{static_cast<int>(one.size(0)), static_cast<int>(one.size(1)), {}};
        crop.pixels.assign(one.data_ptr<float>(), one.data_ptr<float>() + one.numel());
        crops.push_back(std::move(crop));
    }
    return crops;
}

/// A native model of the script's architecture with the script's weights, every parameter and
/// buffer copied by name (the exporter keeps the native model's names).
Classifier nativeTwin(const Classifier& scripted)
{
    auto native = Classifier::create(scripted.description(), 99);
    std::map<std::string, at::Tensor> source;
    for (const auto& p : scripted.impl().script->named_parameters())
        source[p.name] = p.value;
    for (const auto& b : scripted.impl().script->named_buffers())
        source[b.name] = b.value;
    torch::NoGradGuard noGrad;
    auto copy = [&](const std::string& name, at::Tensor target) {
        const auto it = source.find(name);
        if (it == source.end())
            throw std::runtime_error("the exported model has no '" + name + "'");
        target.copy_(it->second);
    };
    for (auto& p : native.impl().net->named_parameters())
        copy(p.key(), p.value());
    for (auto& b : native.impl().net->named_buffers())
        copy(b.key(), b.value());
    return native;
}

/// Maps agree to `tolerance` relative to the larger map's maximum.
void expectSameMap(const CamMap& a, const CamMap& b, float tolerance)
{
    ASSERT_EQ(a.rows, b.rows);
    ASSERT_EQ(a.cols, b.cols);
    ASSERT_EQ(a.values.size(), b.values.size());
    const float scale = std::max({a.max(), b.max(), 1e-6f});
    for (size_t j = 0; j < a.values.size(); ++j)
        ASSERT_NEAR(a.values[j] / scale, b.values[j] / scale, tolerance) << "cell " << j;
}

void expectMapEquals(const CamMap& map, const at::Tensor& expected, float tolerance)
{
    const auto e = expected.contiguous();
    ASSERT_EQ(map.rows, e.size(0));
    ASSERT_EQ(map.cols, e.size(1));
    CamMap reference{map.rows, map.cols, std::vector<float>(e.data_ptr<float>(), e.data_ptr<float>() + e.numel())};
    expectSameMap(map, reference, tolerance);
}

class TorchScriptFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() { configureCpuThreads(2); }
};

} // namespace

TEST_F(TorchScriptFixture, ModelExportedFromPyTorchGivesPyTorchsLogitsAndMaps)
{
    const auto model = Classifier::load((fixtureDir() / "tiny_contract.pt").string(), "cpu");
    EXPECT_EQ(model.description().architecture, "tiny");
    EXPECT_EQ(model.description().targetLayer, "layer3");
    EXPECT_EQ(model.description().huLow, -200.0);
    EXPECT_EQ(model.description().huHigh, 300.0);
    const auto references = torch::jit::load((fixtureDir() / "tiny_reference.pt").string());
    const auto crops = referenceCrops(references);
    ASSERT_EQ(crops.size(), 2u);
    ASSERT_EQ(crops[0].rows, 48); // not square: a transposition would show
    ASSERT_EQ(crops[0].cols, 40);

    const auto logits = references.attr("logits").toTensor();
    const auto probability = model.lesionProbability(crops);
    const auto expected = torch::softmax(logits, 1);
    for (size_t i = 0; i < crops.size(); ++i)
        EXPECT_NEAR(probability[i], expected[static_cast<int64_t>(i)][1].item<float>(), 1e-6f);

    const std::pair<CamMethod, const char*> checks[] = {
        {CamMethod::GradCam, "grad_cam"}, {CamMethod::GradCamPlusPlus, "grad_cam_pp"}, {CamMethod::ScoreCam, "score_cam"}};
    for (const auto& [method, name] : checks) {
        SCOPED_TRACE(name);
        CamOptions options;
        options.method = method;
        const auto maps = computeCams(model, crops, options);
        const auto reference = references.attr(name).toTensor();
        for (size_t i = 0; i < crops.size(); ++i) {
            EXPECT_NEAR(maps[i].targetScore, logits[static_cast<int64_t>(i)][1].item<float>(), 1e-5f);
            EXPECT_FALSE(maps[i].degenerate);
            expectMapEquals(maps[i].raw, reference[static_cast<int64_t>(i)], 1e-4f);
            EXPECT_EQ(maps[i].upsampled.rows, 48);
            EXPECT_EQ(maps[i].upsampled.cols, 40);
        }
    }
}

TEST_F(TorchScriptFixture, NativeModelWithTheSameWeightsGivesTheSameMapsByEveryMethod)
{
    const auto scripted = Classifier::load((fixtureDir() / "tiny_contract.pt").string(), "cpu");
    const auto native = nativeTwin(scripted);
    const auto crops = referenceCrops(torch::jit::load((fixtureDir() / "tiny_reference.pt").string()));
    const auto a = scripted.lesionProbability(crops), b = native.lesionProbability(crops);
    for (size_t i = 0; i < crops.size(); ++i)
        EXPECT_NEAR(a[i], b[i], 1e-6f);
    for (const auto method : allCamMethods()) {
        SCOPED_TRACE(toString(method));
        CamOptions options;
        options.method = method;
        options.fastScoreTopK = 8;
        const auto fromScript = computeCams(scripted, crops, options);
        const auto fromNative = computeCams(native, crops, options);
        for (size_t i = 0; i < crops.size(); ++i) {
            EXPECT_NEAR(fromScript[i].targetScore, fromNative[i].targetScore, 1e-5f);
            expectSameMap(fromScript[i].raw, fromNative[i].raw, 1e-4f);
            expectSameMap(fromScript[i].upsampled, fromNative[i].upsampled, 1e-4f);
        }
    }
}

TEST_F(TorchScriptFixture, FrozenExportKeepsTheContractAndTheMaps)
{
    // torch.jit.freeze folds batch norm into the convolutions: the same function, other rounding.
    const auto plain = Classifier::load((fixtureDir() / "tiny_contract.pt").string(), "cpu");
    const auto frozen = Classifier::load((fixtureDir() / "tiny_contract_frozen.pt").string(), "cpu");
    EXPECT_EQ(frozen.description(), plain.description());
    EXPECT_NE(frozen.contentHash(), plain.contentHash());
    const auto crops = referenceCrops(torch::jit::load((fixtureDir() / "tiny_reference.pt").string()));
    for (const auto method : {CamMethod::Cam, CamMethod::GradCam, CamMethod::ScoreCam, CamMethod::EigenCam}) {
        SCOPED_TRACE(toString(method));
        CamOptions options;
        options.method = method;
        const auto a = computeCams(plain, crops, options), b = computeCams(frozen, crops, options);
        for (size_t i = 0; i < crops.size(); ++i)
            expectSameMap(a[i].raw, b[i].raw, 1e-4f);
    }
}

TEST_F(TorchScriptFixture, TorchvisionResNet18ExportMatchesTheNativeResNet18)
{
    // Made by the torchscript_exports ctest fixture (45 MB each: not committed).
    const auto plainPath = fixtureDir() / "resnet18_contract.pt";
    const auto frozenPath = fixtureDir() / "resnet18_frozen.pt";
    if (!fs::exists(plainPath) || !fs::exists(frozenPath))
        GTEST_SKIP() << "no torchvision ResNet-18 export in " << fixtureDir() << " (made by the torchscript_exports ctest, tests/compute/make-export-fixtures.sh)";
    const auto scripted = Classifier::load(plainPath.string(), "cpu");
    const auto frozen = Classifier::load(frozenPath.string(), "cpu");
    EXPECT_EQ(scripted.description().architecture, "resnet18");
    const auto native = nativeTwin(scripted);
    const auto crops = referenceCrops(torch::jit::load((fixtureDir() / "tiny_reference.pt").string()));
    for (const auto method : {CamMethod::Cam, CamMethod::GradCam, CamMethod::GradCamPlusPlus, CamMethod::LayerCam}) {
        SCOPED_TRACE(toString(method));
        CamOptions options;
        options.method = method;
        const auto fromScript = computeCams(scripted, crops, options);
        const auto fromNative = computeCams(native, crops, options);
        const auto fromFrozen = computeCams(frozen, crops, options);
        for (size_t i = 0; i < crops.size(); ++i) {
            expectSameMap(fromScript[i].raw, fromNative[i].raw, 1e-4f);
            expectSameMap(fromScript[i].raw, fromFrozen[i].raw, 1e-3f);
        }
    }
}

// ---- Flavours against the libraries themselves ---------------------------------------------
// tests/fixtures/library-cams: a trained tiny model and the maps pytorch-grad-cam and TorchCAM
// computed for four of its crops (tools/make_library_fixtures.py; SOURCES.txt names the commits).

namespace {

fs::path libraryFixtureDir() { return fs::path(WEAKSIGHT_TEST_FIXTURES) / "library-cams"; }

std::string libraryKey(CamFlavour flavour, CamMethod method, const std::string& layer, const char* stage)
{
    return toString(flavour) + "__" + toString(method) + "__" + layer + "__" + stage;
}

/// max |map - expected| / max |expected|: the relative error the 1e-4 bounds.
double relativeError(const CamMap& map, const at::Tensor& expected)
{
    const auto e = expected.contiguous().to(torch::kFloat32);
    if (map.rows != e.size(0) || map.cols != e.size(1))
        return INFINITY;
    const float* values = e.data_ptr<float>();
    double worst = 0, scale = 1e-12;
    for (size_t j = 0; j < map.values.size(); ++j) {
        worst = std::max(worst, std::abs(static_cast<double>(map.values[j]) - values[j]));
        scale = std::max(scale, std::abs(static_cast<double>(values[j])));
    }
    return worst / scale;
}

class LibraryFlavour : public ::testing::Test {
protected:
    static void SetUpTestSuite() { configureCpuThreads(2); }
};

} // namespace

TEST_F(LibraryFlavour, MapsEqualTheLibrariesOwnAtTheLastAndAnIntermediateStage)
{
    const auto scripted = Classifier::load((libraryFixtureDir() / "tiny_trained.pt").string(), "cpu");
    const auto native = nativeTwin(scripted);
    const auto references = torch::jit::load((libraryFixtureDir() / "references.pt").string());
    const auto crops = referenceCrops(references);
    ASSERT_EQ(crops.size(), 4u);
    const auto logits = references.attr("logits").toTensor();
    const auto probability = native.lesionProbability(crops);
    for (size_t i = 0; i < crops.size(); ++i)
        EXPECT_NEAR(probability[i], torch::softmax(logits, 1)[static_cast<int64_t>(i)][1].item<float>(), 1e-5f);

    int rawCompared = 0, finalCompared = 0;
    for (const auto flavour : {CamFlavour::PytorchGradCam, CamFlavour::TorchCam})
        for (const auto method : camMethodsOf(flavour))
            for (const std::string layer : {"layer3", "layer2"}) {
                const auto rawKey = libraryKey(flavour, method, layer, "raw");
                if (method == CamMethod::Cam && layer == "layer2") {
                    EXPECT_FALSE(references.hasattr(rawKey)); // CAM needs the last stage, in both
                    continue;
                }
                ASSERT_TRUE(references.hasattr(rawKey)) << rawKey;
                const auto raw = references.attr(rawKey).toTensor();
                const auto finalKey = libraryKey(flavour, method, layer, "final");
                // The model's own layer through the optimised module and the closed-form
                // gradient (native and TorchScript), and the eager reference path; layer2 eager.
                struct Run {
                    const Classifier* model;
                    bool referencePath;
                    const char* name;
                };
                std::vector<Run> runs{{&native, false, "native"}};
                if (layer == "layer3")
                    runs.insert(runs.end(), {{&native, true, "native, reference path"}, {&scripted, false, "TorchScript"}});
                for (const auto& run : runs) {
                    SCOPED_TRACE(rawKey + " (" + run.name + ")");
                    CamOptions options;
                    options.method = method;
                    options.flavour = flavour;
                    options.targetLayer = layer;
                    options.referencePath = run.referencePath;
                    const auto maps = computeCams(*run.model, crops, options);
                    for (size_t i = 0; i < crops.size(); ++i) {
                        const auto index = static_cast<int64_t>(i);
                        EXPECT_LE(relativeError(maps[i].raw, raw[index]), 1e-4) << "crop " << i;
                        // TorchCAM's CAM of crop 3 lies below zero everywhere: a shape, not an empty map.
                        const bool keepsNegatives = method == CamMethod::Cam && flavour == CamFlavour::TorchCam;
                        const float high = raw[index].max().item<float>(), low = raw[index].min().item<float>();
                        EXPECT_EQ(maps[i].degenerate, keepsNegatives ? high <= low : high <= 0) << "crop " << i;
                        if (references.hasattr(finalKey)) {
                            EXPECT_LE(relativeError(libraryFinalMap(maps[i], flavour),
                                                    references.attr(finalKey).toTensor()[index]),
                                      1e-4)
                                << "final map, crop " << i;
                        }
                    }
                }
                ++rawCompared;
                finalCompared += references.hasattr(finalKey) ? 1 : 0;
            }
    // pytorch-grad-cam: 7 methods x 2 layers; TorchCAM: 7 methods at layer3, 6 at layer2.
    EXPECT_EQ(rawCompared, 27);
    EXPECT_EQ(finalCompared, 4 + 13);
}

TEST_F(LibraryFlavour, WeaksightsDefinitionsEqualTheLibrariesWhereTheReadmeSaysSo)
{
    // README "Reference flavours": what equals what with the default (weaksight) flavour.
    const auto native = nativeTwin(Classifier::load((libraryFixtureDir() / "tiny_trained.pt").string(), "cpu"));
    const auto references = torch::jit::load((libraryFixtureDir() / "references.pt").string());
    const auto crops = referenceCrops(references);
    const auto worst = [&](CamFlavour library, CamMethod method, const std::string& layer) {
        CamOptions options;
        options.method = method;
        options.targetLayer = layer;
        const auto maps = computeCams(native, crops, options);
        const auto raw = references.attr(libraryKey(library, method, layer, "raw")).toTensor();
        double error = 0;
        for (size_t i = 0; i < crops.size(); ++i)
            error = std::max(error, relativeError(maps[i].raw, raw[static_cast<int64_t>(i)]));
        return error;
    };
    // The whole table, for the README: the weaksight flavour's largest relative difference from
    // each library's raw map.
    for (const auto library : {CamFlavour::PytorchGradCam, CamFlavour::TorchCam})
        for (const auto method : camMethodsOf(library))
            for (const std::string layer : {"layer3", "layer2"})
                if (references.hasattr(libraryKey(library, method, layer, "raw")))
                    std::cout << "weaksight vs " << toString(library) << " " << toString(method) << " " << layer << ": "
                              << worst(library, method, layer) << "\n";
    for (const std::string layer : {"layer3", "layer2"}) {
        SCOPED_TRACE(layer);
        // XGrad-CAM: the libraries' epsilons vanish beside sum A (they differ only where it is 0).
        for (const auto method : {CamMethod::GradCam, CamMethod::XGradCam, CamMethod::LayerCam, CamMethod::HiResCam})
            EXPECT_LE(worst(CamFlavour::PytorchGradCam, method, layer), 1e-4) << toString(method);
        for (const auto method : {CamMethod::GradCam, CamMethod::XGradCam, CamMethod::LayerCam})
            EXPECT_LE(worst(CamFlavour::TorchCam, method, layer), 1e-4) << toString(method);
        // Score-CAM's masks differ (align_corners, where the normalisation happens).
        EXPECT_GT(worst(CamFlavour::PytorchGradCam, CamMethod::ScoreCam, layer), 1e-2);
        EXPECT_GT(worst(CamFlavour::TorchCam, CamMethod::ScoreCam, layer), 1e-2);
        // Grad-CAM++ is where the definitions part: pytorch-grad-cam's epsilon, TorchCAM's lost division.
        EXPECT_GT(worst(CamFlavour::PytorchGradCam, CamMethod::GradCamPlusPlus, layer), 1e-2);
        EXPECT_GT(worst(CamFlavour::TorchCam, CamMethod::GradCamPlusPlus, layer), 1e-2);
    }
}
