#include "core/research/EvaluationReport.h"

#include "core/common/Error.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace weaksight::compute;

namespace weaksight {

namespace {

void writeText(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
        throw InputError(path, "cannot write (disk full or not writable?)");
}

std::string percent(double v) { return fmt::format("{:.2f} %", 100.0 * v); }

nlohmann::json metricsJson(const ClassificationMetrics& m)
{
    return {{"precision", m.precision()},
            {"recall", m.recall()},
            {"f1", m.f1()},
            {"accuracy", m.accuracy()},
            {"confusion", {{"tp", m.truePositives}, {"fp", m.falsePositives}, {"tn", m.trueNegatives}, {"fn", m.falseNegatives}}}};
}

nlohmann::json figureJson(const std::optional<double>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json subsetJson(const SubsetResult& s)
{
    return {{"setting", s.setting},
            {"chosen", s.chosen()},
            {"threshold", s.chosen() ? nlohmann::json(s.threshold) : nlohmann::json(nullptr)},
            {"val_iou", figureJson(s.validationFigure(s.validationIou))},
            {"val_dice", figureJson(s.validationFigure(s.validationDice))},
            {"test_iou", figureJson(s.testFigure(s.testIou))},
            {"test_dice", figureJson(s.testFigure(s.testDice))},
            {"val_crops", s.validationCrops},
            {"test_crops", s.testCrops},
            {"val_curve_iou", s.validationCurve.meanIou},
            {"test_curve_iou", s.testCurve.meanIou}};
}

} // namespace

std::string figureText(const std::optional<double>& value, int decimals, const std::string& missing)
{
    return value ? fmt::format("{:.{}f}", *value, decimals) : missing;
}

namespace {

/// "torchcam" or "weaksight, torchcam": the flavours of the CAM rows (baselines have none).
std::string flavoursOf(const EvaluationResult& result)
{
    std::vector<std::string> names;
    for (const auto& m : result.methods)
        if (!m.flavour.empty() && std::find(names.begin(), names.end(), m.flavour) == names.end())
            names.push_back(m.flavour);
    std::string text;
    for (const auto& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

} // namespace

void writeEvaluationReport(const EvaluationResult& result, const CropDataset& dataset,
                           const EvaluationReportContext& context, const fs::path& out)
{
    fs::create_directories(out);
    const auto& parameters = dataset.parameters();
    const bool published = !parameters.synthetic && parameters.sanitySquare == 0;

    // ---- Markdown ----
    std::ostringstream md;
    md << "# Weaksight evaluation report\n\n";
    md << fmt::format("- Model: `{}` ({}, hash `{}`), device {}\n", context.modelFile, context.architecture,
                      context.modelHash, context.device);
    md << fmt::format("- Dataset: `{}` ({} crops of {}x{}, HU window {} .. {}, every {} slice(s){}{})\n",
                      context.datasetDirectory, dataset.size(), parameters.rows, parameters.cols, parameters.huLow,
                      parameters.huHigh, parameters.sliceStep, parameters.synthetic ? ", synthetic phantom cases" : "",
                      parameters.sanitySquare ? fmt::format(", sanity square of {} px", parameters.sanitySquare) : "");
    md << fmt::format("- Heatmaps normalised per {}; proposal = map > t; t swept 0 .. 1 in steps of {:.2f}, chosen on "
                      "validation by mean IoU\n",
                      context.normalisation, result.thresholds.size() > 1 ? result.thresholds[1] : 0.0);
    if (const auto flavours = flavoursOf(result); !flavours.empty())
        md << fmt::format("- CAM definitions: {} (README, \"Reference flavours\": what each flavour reproduces)\n",
                          flavours);
    md << "- IoU = |X ∩ Y| / |X ∪ Y|, Dice = 2 |X ∩ Y| / (|X| + |Y|), averaged over the correctly classified lesion "
          "crops\n";
    md << fmt::format("- Run time {:.1f} s\n\n", context.seconds);

    md << "## Classification (test split)\n\n";
    md << "| split | crops | precision | recall | F1 | accuracy | TP | FP | TN | FN |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [name, m] : {std::pair{"test", result.test}, std::pair{"val", result.validation}})
        md << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", name, m.total(), percent(m.precision()),
                          percent(m.recall()), percent(m.f1()), percent(m.accuracy()), m.truePositives,
                          m.falsePositives, m.trueNegatives, m.falseNegatives);
    md << fmt::format("\nMajority-class baseline F1 on test: {}.\n\n", percent(result.testMajorityBaselineF1));
    md << "![confusion matrix](confusion_matrix.png)\n\n";

    const auto camTable = [&](bool large) {
        md << "| method | definitions | threshold | val IoU | val Dice | test IoU | test Dice | val crops | test crops | "
              "degenerate | ms/crop |\n";
        md << "|---|---|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& m : result.methods) {
            const SubsetResult& s = large ? m.large : m.all;
            md << fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", m.name,
                              m.approximate ? " (approximate)" : "", m.flavour.empty() ? "-" : m.flavour, s.setting,
                              figureText(s.validationFigure(s.validationIou)),
                              figureText(s.validationFigure(s.validationDice)), figureText(s.testFigure(s.testIou)),
                              figureText(s.testFigure(s.testDice)), s.validationCrops, s.testCrops,
                              m.baseline ? "-" : std::to_string(m.degenerateMaps),
                              m.baseline || m.msPerCrop == 0 ? std::string("-") : fmt::format("{:.1f}", m.msPerCrop));
        }
    };
    md << fmt::format("## Heatmap proposals (correctly classified lesion crops: {} val, {} test)\n\n",
                      result.validationLesionCrops, result.testLesionCrops);
    camTable(false);
    md << fmt::format("\n## Lesions larger than 2 % of the crop (threshold chosen again on that subset)\n\n");
    camTable(true);
    md << "\n![threshold-IoU curves](threshold_iou.png)\n\n";
    md << "Examples (test; green: ground truth, white: proposal at the chosen threshold):\n\n"
          "![examples](examples.png)\n\n";
    if (published) {
        md << "## The method's published numbers (KiTS21, 2023 thesis) beside ours\n\n";
        md << "Classification on test: ResNet-101 (all slices) P 75.75 %, R 57.53 %, F1 65.39 %; ResNet-50 (every "
              "5th slice) F1 65.31 %; ResNet-101 (every 5th slice) F1 57.35 %; with blur augmentation F1 63.56 %.\n"
              "Ours: "
           << fmt::format("P {}, R {}, F1 {}.\n\n", percent(result.test.precision()), percent(result.test.recall()),
                          percent(result.test.f1()));
        md << "| method | published threshold | published IoU (val / test) | our threshold | our IoU (val / test) |\n"
              "|---|---|---|---|---|\n";
        const struct {
            const char* method;
            const char* threshold;
            const char* iou;
        } rows[] = {{"gradcam", "0.15", "0.367 / 0.316"},
                    {"gradcam++", "0", "0.303 / 0.251"},
                    {"smoothgradcam++", "0", "0.303 / 0.251"},
                    {"scorecam", "0.15", "0.370 / 0.323"}};
        for (const auto& row : rows) {
            std::string ours = "not evaluated", oursThreshold = "-";
            for (const auto& m : result.methods)
                if (m.name == row.method) {
                    ours = figureText(m.all.validationFigure(m.all.validationIou)) + " / " +
                           figureText(m.all.testFigure(m.all.testIou));
                    oursThreshold = m.all.setting;
                }
            md << fmt::format("| {} | {} | {} | {} | {} |\n", row.method, row.threshold, row.iou, oursThreshold, ours);
        }
        md << "\nPublished, lesions > 2 %: Grad-CAM 0.332, Score-CAM (t = 0.1) 0.338 (test IoU). A supervised U-Net on "
              "the same data: test IoU 0.542. (The thesis prints IoU as |X∩Y| / (|X|+|Y|); the numbers are read as "
              "standard IoU.)\n";
    }
    writeText(out / "report.md", md.str());

    // ---- CSV ----
    std::ostringstream classification;
    classification << "split,crops,precision,recall,f1,accuracy,tp,fp,tn,fn\n";
    for (const auto& [name, m] : {std::pair{"test", result.test}, std::pair{"val", result.validation}})
        classification << fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{}\n", name, m.total(), m.precision(),
                                      m.recall(), m.f1(), m.accuracy(), m.truePositives, m.falsePositives,
                                      m.trueNegatives, m.falseNegatives);
    writeText(out / "classification.csv", classification.str());
    std::ostringstream cams;
    cams << "method,subset,approximate,baseline,setting,threshold,val_iou,val_dice,test_iou,test_dice,val_crops,test_"
            "crops,degenerate,ms_per_crop,flavour\n";
    for (const auto& m : result.methods)
        for (const auto& [subset, s] : {std::pair{"all", m.all}, std::pair{"large", m.large}})
            cams << fmt::format("\"{}\",{},{},{},\"{}\",{},{},{},{},{},{},{},{},{:.3f},{}\n", m.name, subset,
                                m.approximate ? 1 : 0, m.baseline ? 1 : 0, s.setting,
                                figureText(s.chosen() ? std::optional<double>(s.threshold) : std::nullopt, 4, ""),
                                figureText(s.validationFigure(s.validationIou), 6, ""),
                                figureText(s.validationFigure(s.validationDice), 6, ""),
                                figureText(s.testFigure(s.testIou), 6, ""), figureText(s.testFigure(s.testDice), 6, ""),
                                s.validationCrops, s.testCrops, m.degenerateMaps, m.msPerCrop, m.flavour);
    writeText(out / "cams.csv", cams.str());
    std::ostringstream curves;
    curves << "method,subset,threshold,val_mean_iou,val_mean_dice,test_mean_iou,test_mean_dice\n";
    for (const auto& m : result.methods)
        for (const auto& [subset, s] : {std::pair{"all", m.all}, std::pair{"large", m.large}})
            for (size_t j = 0; j < s.validationCurve.meanIou.size(); ++j)
                curves << fmt::format("\"{}\",{},{:.2f},{:.6f},{:.6f},{:.6f},{:.6f}\n", m.name, subset, result.thresholds[j],
                                      s.validationCurve.meanIou[j], s.validationCurve.meanDice[j],
                                      j < s.testCurve.meanIou.size() ? s.testCurve.meanIou[j] : 0.0,
                                      j < s.testCurve.meanDice.size() ? s.testCurve.meanDice[j] : 0.0);
    writeText(out / "threshold_curves.csv", curves.str());

    // ---- JSON ----
    nlohmann::json methods = nlohmann::json::array();
    for (const auto& m : result.methods)
        methods.push_back({{"method", m.name},
                           {"flavour", m.flavour.empty() ? nlohmann::json() : nlohmann::json(m.flavour)},
                           {"approximate", m.approximate},
                           {"baseline", m.baseline},
                           {"degenerate_maps", m.degenerateMaps},
                           {"ms_per_crop", m.msPerCrop},
                           {"all", subsetJson(m.all)},
                           {"large", subsetJson(m.large)}});
    const nlohmann::json json = {
        {"model", {{"file", context.modelFile}, {"hash", context.modelHash}, {"architecture", context.architecture}}},
        {"device", context.device},
        {"dataset", {{"directory", context.datasetDirectory}, {"synthetic", parameters.synthetic},
                     {"sanity_square", parameters.sanitySquare}, {"crops", dataset.size()}}},
        {"normalisation", context.normalisation},
        {"thresholds", result.thresholds},
        {"classification", {{"test", metricsJson(result.test)}, {"val", metricsJson(result.validation)},
                            {"test_majority_baseline_f1", result.testMajorityBaselineF1}}},
        {"evaluated_lesion_crops", {{"val", result.validationLesionCrops}, {"test", result.testLesionCrops}}},
        {"methods", methods},
        {"seconds", context.seconds},
    };
    writeText(out / "results.json", json.dump(2) + "\n");
}

} // namespace weaksight
