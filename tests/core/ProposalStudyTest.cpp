// Issue 16's rows of `weaksight evaluate` on a small crop dataset with known anatomy: a kidney disc
// (180 HU, label 1) on fat, and in lesion crops a tumour (70 HU, label 2) somewhere inside it. A
// tiny classifier is trained on the image-level labels; its Grad-CAM maps are refined, and two
// U-Nets are trained (on lesion masks, and on the best weak refinement's proposals); the report
// shows them with the fraction of the gap closed.

#include "core/research/ProposalStudy.h"

#include "TestSupport.h"
#include "core/common/Error.h"
#include "core/compute/Device.h"
#include "core/compute/Trainer.h"
#include "core/masks/BinaryMask.h"
#include "core/research/EvaluationReport.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

using namespace weaksight;
using namespace weaksight::compute;
namespace fs = std::filesystem;

namespace {

constexpr int kCrop = 48;

/// With one plane of slice context each side (5 mm): the same anatomy with other noise, as the
/// neighbouring slices of a lesion that spans them.
void writeKidneyCrops(const fs::path& dir, int cases)
{
    CropDatasetWriter writer(dir, kCrop, kCrop, SliceContext{1, 5.0});
    std::mt19937 rng(11);
    std::normal_distribution<double> noise(0, 12);
    std::uniform_real_distribution<double> angle(0, 6.283), offset(0, 8), size(4, 7);
    const size_t pixels = static_cast<size_t>(kCrop) * kCrop;
    std::vector<int16_t> image(pixels), planes(2 * pixels);
    std::vector<uint8_t> mask(pixels), labels(pixels);
    for (int c = 0; c < cases; ++c)
        for (int i = 0; i < 12; ++i) {
            CropRecord r;
            r.caseId = "case_" + std::to_string(c);
            r.split = c < cases / 2 ? Split::Train : c < 3 * cases / 4 ? Split::Validation : Split::Test;
            r.slice = i;
            r.side = i % 2 ? "left" : "right";
            r.lesion = i % 2;
            const double a = angle(rng), d = offset(rng), radius = size(rng);
            const double tumourRow = 24 + d * std::sin(a), tumourCol = 24 + d * std::cos(a);
            long long lesionPixels = 0;
            for (int y = 0; y < kCrop; ++y)
                for (int x = 0; x < kCrop; ++x) {
                    const size_t p = static_cast<size_t>(y) * kCrop + x;
                    const bool kidney = (y - 24) * (y - 24) + (x - 24) * (x - 24) <= 16 * 16;
                    const bool tumour =
                        r.lesion && (y - tumourRow) * (y - tumourRow) + (x - tumourCol) * (x - tumourCol) <=
                                        radius * radius;
                    labels[p] = tumour ? 2 : kidney ? 1 : 0;
                    mask[p] = tumour ? 1 : 0;
                    lesionPixels += mask[p];
                    const double hu = tumour ? 70 : kidney ? 180 : -100;
                    image[p] = static_cast<int16_t>(std::lround(hu + noise(rng)));
                    for (size_t plane = 0; plane < 2; ++plane)
                        planes[plane * pixels + p] = static_cast<int16_t>(std::lround(hu + noise(rng)));
                }
            r.lesionFraction = static_cast<double>(lesionPixels) / static_cast<double>(pixels);
            writer.append(r, image.data(), mask.data(), labels.data(), planes.data());
        }
    DatasetParameters p;
    p.huLow = -200;
    p.huHigh = 300;
    p.synthetic = true;
    writer.finish(p);
}

const MethodResult* row(const EvaluationResult& result, const std::string& name)
{
    for (const auto& m : result.methods)
        if (m.name == name)
            return &m;
    return nullptr;
}

} // namespace

TEST(ProposalStudy, GapClosedIsTheShareOfTheWayFromRawToSupervised)
{
    EXPECT_DOUBLE_EQ(*research::gapClosed(0.4, 0.3, 0.5), 0.5);
    EXPECT_DOUBLE_EQ(*research::gapClosed(0.25, 0.3, 0.5), -0.25) << "worse than raw: negative";
    EXPECT_DOUBLE_EQ(*research::gapClosed(0.6, 0.3, 0.5), 1.5) << "beyond the supervised bound";
    EXPECT_FALSE(research::gapClosed(0.4, 0.5, 0.5).has_value()) << "no gap to close";
    EXPECT_FALSE(research::gapClosed(0.4, 0.5, 0.3).has_value());
}

TEST(ProposalStudy, RefinementsAndUNetsAreScoredBesideTheMapsAndReported)
{
    configureCpuThreads(2);
    test::TempDir dir;
    writeKidneyCrops(dir / "crops", 16);
    const CropDataset dataset = CropDataset::open(dir / "crops");
    ASSERT_TRUE(dataset.hasLabels());
    TrainOptions t;
    t.architecture = "tiny";
    t.epochs = 6;
    t.batchSize = 12;
    t.learningRate = 3e-3;
    t.device = "cpu";
    t.seed = 1;
    t.out = dir / "m.wsm";
    t.contextSlices = 0;
    trainClassifier(dataset, t);
    const Classifier classifier = Classifier::load(t.out.string(), "cpu");
    t.out = dir / "m-2.5d.wsm";
    t.contextSlices = 1;
    trainClassifier(dataset, t);
    const Classifier contextClassifier = Classifier::load(t.out.string(), "cpu");
    EvaluationOptions o;
    o.methods = {CamMethod::GradCam};
    o.minimumValidationCrops = 1;
    o.bootstrapSamples = 50;
    EvaluationResult result = evaluateModel(classifier, dataset, o);
    const size_t camRows = result.methods.size();
    const MethodResult raw = *row(result, "gradcam");
    ASSERT_TRUE(raw.all.chosen()) << raw.all.setting;

    research::ProposalStudyOptions study;
    study.supervisedSegmenter = study.pseudoLabelSegmenter = true;
    study.segmenter.baseChannels = 8;
    study.segmenter.levels = 2;
    study.training.epochs = 4;
    study.training.batchSize = 8;
    study.training.learningRate = 1e-2;
    study.training.device = "cpu";
    study.segmenterFolder = dir / "eval";
    study.contextClassifier = &contextClassifier;
    const auto done = research::addProposalRows(result, classifier, dataset, o, study);

    EXPECT_EQ(done.refinedMethod, "gradcam") << "the only method: the best on validation";
    for (const char* kind : {"anatomy", "grow", "watershed"})
        for (const bool organ : {false, true}) {
            const std::string name =
                std::string(kind) + ": gradcam, " + (organ ? "kidney label" : "derived kidney");
            const MethodResult* m = row(result, name);
            ASSERT_NE(m, nullptr) << name;
            EXPECT_EQ(m->refines, "gradcam");
            EXPECT_EQ(m->pixelLabels, organ ? "organ" : "");
            EXPECT_EQ(m->all.testCrops, raw.all.testCrops) << "scored on the same crops";
            EXPECT_TRUE(m->all.chosen()) << name;
        }
    // Within the kidney and the lesion HU band the 180 HU cortex cannot be proposed: the refinement
    // beats the thresholded map it starts from.
    EXPECT_GT(row(result, "anatomy: gradcam, kidney label")->all.testIou, raw.all.testIou);
    EXPECT_GT(row(result, "anatomy: gradcam, derived kidney")->all.testIou, raw.all.testIou);

    const MethodResult* supervised = row(result, "U-Net: supervised (lesion masks)");
    ASSERT_NE(supervised, nullptr);
    EXPECT_EQ(supervised->pixelLabels, "lesion");
    EXPECT_TRUE(supervised->segmenter && !supervised->isCamRow());
    EXPECT_TRUE(raw.isCamRow());
    ASSERT_FALSE(done.bestWeakRefinement.empty());
    EXPECT_EQ(row(result, done.bestWeakRefinement)->pixelLabels, "")
        << "never a row that used the kidney label";
    const MethodResult* pseudo = row(result, "U-Net: pseudo-labels (" + done.bestWeakRefinement + ")");
    ASSERT_NE(pseudo, nullptr);
    EXPECT_EQ(pseudo->pixelLabels, "");
    ASSERT_NE(row(result, "volumetric: gradcam ±1 slice"), nullptr);
    EXPECT_EQ(row(result, "anatomy: gradcam ±1 slice, derived kidney")->refines, "gradcam ±1 slice");
    // The 2.5D classifier's maps of the same crops, thresholded and refined like the others.
    const MethodResult* contextRow = row(result, "2.5D gradcam");
    ASSERT_NE(contextRow, nullptr);
    EXPECT_EQ(contextRow->rule, "raw");
    EXPECT_EQ(contextRow->all.testCrops, raw.all.testCrops);
    EXPECT_TRUE(contextRow->all.chosen());
    for (const char* kind : {"anatomy", "grow", "watershed"}) {
        const MethodResult* m = row(result, std::string(kind) + ": 2.5D gradcam, derived kidney");
        ASSERT_NE(m, nullptr) << kind;
        EXPECT_EQ(m->refines, "2.5D gradcam");
        EXPECT_EQ(m->rule, kind);
    }
    // Its maps differ from the 2D model's (another model), so the rows are not copies.
    EXPECT_NE(contextRow->all.validationIou, raw.all.validationIou);
    // Each chosen proposal row carries its masks on the example crops (the report's example grid):
    // the mask at the chosen level, whose IoU is that crop's outcome.
    ASSERT_FALSE(result.examples.empty());
    for (const auto& m : result.methods) {
        if (m.isCamRow() || m.baseline || !m.all.chosen())
            continue;
        ASSERT_EQ(m.exampleMasks.size(), result.examples.size()) << m.name;
        for (size_t e = 0; e < result.examples.size(); ++e) {
            const size_t index = result.examples[e].index;
            const auto outcome = std::find_if(m.crops.begin(), m.crops.end(),
                                              [&](const CropOutcome& c) { return c.datasetIndex == index; });
            ASSERT_NE(outcome, m.crops.end()) << m.name;
            BinaryMask proposed(kCrop, kCrop), truth(kCrop, kCrop);
            proposed.pixels = m.exampleMasks[e];
            truth.pixels.assign(dataset.maskPixels(index), dataset.maskPixels(index) + kCrop * kCrop);
            EXPECT_NEAR(overlap(proposed, truth).iou, outcome->overlap.iou, 1e-9) << m.name;
        }
    }
    const MethodResult* linked = row(result, "volumetric: gradcam linked across slices");
    ASSERT_NE(linked, nullptr);
    EXPECT_EQ(linked->rule, "linked");
    EXPECT_EQ(result.methods.size(), camRows + 6 + 4 + 4 + 1 + 2);
    ASSERT_EQ(done.segmenterFiles.size(), 2u);
    for (const auto& file : done.segmenterFiles)
        EXPECT_EQ(Segmenter::load(file.string(), "cpu").description().huLow, -200) << file;
    EXPECT_EQ(Segmenter::load(done.segmenterFiles[1].string(), "cpu").description().trainedOn,
              "pseudo-labels: " + done.bestWeakRefinement);

    EvaluationReportContext context;
    context.modelFile = "m.wsm";
    context.modelHash = classifier.contentHash();
    context.contextModelFile = "m-2.5d.wsm";
    context.contextModelHash = contextClassifier.contentHash();
    context.normalisation = "crop";
    writeEvaluationReport(result, dataset, context, dir / "eval");
    std::stringstream report;
    report << std::ifstream(dir / "eval" / "report.md").rdbuf();
    EXPECT_NE(report.str().find("## Proposals beyond the threshold"), std::string::npos);
    EXPECT_NE(report.str().find("| anatomy: gradcam, kidney label | organ |"), std::string::npos)
        << report.str();
    EXPECT_NE(report.str().find("Best weak proposal (by validation IoU)"), std::string::npos);
    EXPECT_NE(report.str().find("needs raw Score-CAM"), std::string::npos)
        << "no scorecam row: no gap figure";
    const auto json = nlohmann::json::parse(std::ifstream(dir / "eval" / "results.json"));
    bool organRow = false;
    for (const auto& m : json["methods"])
        organRow = organRow || (m["pixel_labels"] == "organ" && m["refines"] == "gradcam");
    EXPECT_TRUE(organRow);

    // cam-batch --proposals --levels-from: every proposal row made again from its recipe, at the
    // level the report chose on validation, gives that row's masks on every crop it scored.
    const ReportLevels levels = ReportLevels::read(dir / "eval" / "results.json");
    const auto iouOf = [&](const std::vector<uint8_t>& mask, size_t index) {
        BinaryMask proposed(kCrop, kCrop), truth(kCrop, kCrop);
        proposed.pixels = mask;
        truth.pixels.assign(dataset.maskPixels(index), dataset.maskPixels(index) + kCrop * kCrop);
        return overlap(proposed, truth).iou;
    };
    const auto reproduces = [&](const MethodResult& m, const std::vector<std::vector<uint8_t>>& masks) {
        for (size_t n = 0; n < m.crops.size(); ++n)
            if (std::abs(iouOf(masks[n], m.crops[n].datasetIndex) - m.crops[n].overlap.iou) > 1e-9)
                return false;
        return true;
    };
    int remade = 0;
    for (const auto& m : result.methods) {
        if (m.baseline || !m.all.chosen() || m.segmenter)
            continue;
        const bool contextRows = m.refines.rfind("2.5D ", 0) == 0;
        research::ProposalRecipe recipe;
        recipe.method = CamMethod::GradCam;
        recipe.acrossSlices = m.refines.find("±1 slice") != std::string::npos;
        recipe.rule = m.isCamRow() ? "raw" : m.rule;
        recipe.kidneyLabel = m.pixelLabels == "organ";
        const Classifier& maker = contextRows ? contextClassifier : classifier;
        const ChosenLevel chosen = levels.levelOf(recipe, maker.contentHash(), "weaksight", "crop");
        EXPECT_EQ(chosen.row, m.name);
        EXPECT_DOUBLE_EQ(chosen.level, m.all.threshold) << m.name;
        recipe.level = chosen.level;
        std::vector<size_t> crops;
        for (const auto& c : m.crops)
            crops.push_back(c.datasetIndex);
        EXPECT_TRUE(reproduces(m, research::proposalMasks(maker, dataset, crops, recipe, o))) << m.name;
        ++remade;
    }
    EXPECT_EQ(remade, 1 + 6 + 4 + 4 + 1) << "the CAM row and every map-based proposal row";
    for (const auto& file : done.segmenterFiles) {
        const Segmenter unet = Segmenter::load(file.string(), "cpu");
        const ChosenLevel chosen = levels.segmenterLevel(unet.contentHash());
        const MethodResult* m = row(result, chosen.row);
        ASSERT_NE(m, nullptr) << chosen.row;
        ASSERT_TRUE(m->segmenter);
        std::vector<size_t> crops;
        for (const auto& c : m->crops)
            crops.push_back(c.datasetIndex);
        EXPECT_TRUE(reproduces(*m, research::segmenterMasks(unet, dataset, crops, chosen.level))) << m->name;
    }
    // Levels chosen for another model's maps, other definitions or another normalisation, or for a
    // proposal the report has no row of, are refused by name.
    research::ProposalRecipe grow;
    grow.method = CamMethod::GradCam;
    grow.rule = "grow";
    const auto refusal = [&](const std::function<void()>& lookup) {
        try {
            lookup();
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(
        refusal([&] { levels.levelOf(grow, "another-model", "weaksight", "crop"); }).find("another-model"),
        std::string::npos);
    EXPECT_NE(refusal([&] {
                  levels.levelOf(grow, classifier.contentHash(), "weaksight", "case");
              }).find("--normalise crop"),
              std::string::npos);
    grow.method = CamMethod::ScoreCam;
    EXPECT_NE(refusal([&] {
                  levels.levelOf(grow, classifier.contentHash(), "weaksight", "crop");
              }).find("has no row for scorecam, grow, derived kidney"),
              std::string::npos);
    research::ProposalRecipe rawMaps;
    rawMaps.method = CamMethod::GradCam;
    EXPECT_NE(refusal([&] {
                  levels.levelOf(rawMaps, classifier.contentHash(), "torchcam", "crop");
              }).find("--flavour weaksight"),
              std::string::npos);
    EXPECT_NE(
        refusal([&] { levels.segmenterLevel(classifier.contentHash()); }).find("has no row of the U-Net"),
        std::string::npos);
}
