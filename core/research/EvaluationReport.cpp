#include "core/research/EvaluationReport.h"

#include "core/common/Error.h"
#include "core/research/ProposalStudy.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
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

std::string percent(double v)
{
    return fmt::format("{:.2f} %", 100.0 * v);
}

nlohmann::json metricsJson(const ClassificationMetrics& m)
{
    return {{"precision", m.precision()},
            {"recall", m.recall()},
            {"f1", m.f1()},
            {"accuracy", m.accuracy()},
            {"confusion",
             {{"tp", m.truePositives},
              {"fp", m.falsePositives},
              {"tn", m.trueNegatives},
              {"fn", m.falseNegatives}}}};
}

nlohmann::json figureJson(const std::optional<double>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json intervalJson(const std::optional<compute::Interval>& interval)
{
    return interval ? nlohmann::json::array({interval->low, interval->high}) : nlohmann::json(nullptr);
}

nlohmann::json statisticsJson(const compute::SplitStatistics& s, bool meaningful)
{
    if (!meaningful)
        return nullptr;
    return {{"patients", s.patients},
            {"iou_95ci", intervalJson(s.iouInterval)},
            {"dice_95ci", intervalJson(s.diceInterval)},
            {"patient_mean_iou", s.patientMeanIou},
            {"pooled_iou", s.pooledIou},
            {"pooled_dice", s.pooledDice}};
}

nlohmann::json subsetJson(const SubsetResult& s)
{
    return {{"setting", s.setting},
            {"val", statisticsJson(s.validationStatistics, s.validationFigure(0).has_value())},
            {"test", statisticsJson(s.testStatistics, s.testFigure(0).has_value())},
            {"oracle_setting", s.oracleThreshold ? nlohmann::json(s.oracleSetting) : nlohmann::json(nullptr)},
            {"oracle_threshold",
             s.oracleThreshold ? nlohmann::json(*s.oracleThreshold) : nlohmann::json(nullptr)},
            {"oracle_test_iou", s.oracleTestIou ? nlohmann::json(*s.oracleTestIou) : nlohmann::json(nullptr)},
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
/// One case's ground truth and how much of it the crops hold, from the dataset's manifest.json.
struct CaseCoverage {
    std::string caseId, split;
    long long lesion = 0, lesionOnSampledSlices = 0, lesionInCrops = 0;
    long long tumour = 0, tumourInCrops = 0;
};

/// Empty when the manifest is missing or was written before coverage was recorded.
std::vector<CaseCoverage> readCoverage(const fs::path& datasetDirectory)
{
    std::vector<CaseCoverage> cases;
    try {
        std::ifstream in(datasetDirectory / "manifest.json");
        if (!in)
            return {};
        const auto manifest = nlohmann::json::parse(in);
        for (const auto& c : manifest.at("cases")) {
            if (!c.contains("lesion_voxels_in_crops"))
                return {};
            cases.push_back({c.at("case_id"), c.at("split"), c.at("lesion_voxels"),
                             c.at("lesion_voxels_on_sampled_slices"), c.at("lesion_voxels_in_crops"),
                             c.at("tumour_voxels"), c.at("tumour_voxels_in_crops")});
        }
    } catch (const std::exception&) {
        return {};
    }
    return cases;
}

double outsideFraction(long long inside, long long total)
{
    return total > 0 ? 1.0 - static_cast<double>(inside) / static_cast<double>(total) : 0.0;
}

/// "0.412 [0.35, 0.47]" or "0.412" without an interval; n/a where the figure means nothing.
std::string withInterval(const std::optional<double>& value, const std::optional<compute::Interval>& interval,
                         int patients)
{
    if (!value)
        return "n/a";
    if (interval)
        return fmt::format("{:.3f} [{:.3f}, {:.3f}]", *value, interval->low, interval->high);
    return fmt::format("{:.3f} [n/a: {} patient{}]", *value, patients, patients == 1 ? "" : "s");
}

/// The method's name as tables print it: "(approximate)", "(= gradcam)" where results are identical.
std::string methodCell(const compute::MethodResult& m)
{
    return m.name + (m.approximate ? " (approximate)" : "") +
           (m.sameAs.empty() ? "" : " (= " + m.sameAs + ")");
}

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

/// The run: model, dataset, crop geometry, how heatmaps became proposals.
void writeOverview(std::ostream& md, const EvaluationResult& result, const CropDataset& dataset,
                   const EvaluationReportContext& context)
{
    const auto& parameters = dataset.parameters();
    md << "# Weaksight evaluation report\n\n";
    md << fmt::format("- Model: `{}` ({}, hash `{}`), device {}\n", context.modelFile, context.architecture,
                      context.modelHash, context.device);
    md << fmt::format(
        "- Dataset: `{}` ({} crops of {}x{}, HU window {} .. {}, every {} slice(s){}{})\n",
        context.datasetDirectory, dataset.size(), parameters.rows, parameters.cols, parameters.huLow,
        parameters.huHigh, parameters.sliceStep, parameters.synthetic ? ", synthetic phantom cases" : "",
        parameters.sanitySquare ? fmt::format(", sanity square of {} px", parameters.sanitySquare) : "");
    md << fmt::format("- Crop geometry: centred on {}, lesion = {}, pixels {}\n",
                      parameters.centring == "kidney" ? "the kidney label" : "kidney and lesion labels",
                      parameters.lesionLabels == "tumour" ? "tumour" : "tumour or cyst",
                      parameters.pixelSpacingMm > 0
                          ? fmt::format("resampled to {:.2f} mm", parameters.pixelSpacingMm)
                          : std::string("of each scan (no fixed field of view)"));
    md << fmt::format(
        "- Heatmaps normalised per {}; proposal = map > t; t swept 0 .. 1 in steps of {:.2f}, chosen on "
        "validation by mean IoU\n",
        context.normalisation, result.thresholds.size() > 1 ? result.thresholds[1] : 0.0);
    if (const auto flavours = flavoursOf(result); !flavours.empty())
        md << fmt::format(
            "- CAM definitions: {} (README, \"Reference flavours\": what each flavour reproduces)\n",
            flavours);
    md << "- IoU = |X ∩ Y| / |X ∪ Y|, Dice = 2 |X ∩ Y| / (|X| + |Y|), averaged over the correctly classified "
          "lesion "
          "crops\n";
    md << fmt::format("- Run time {:.1f} s\n\n", context.seconds);
}

/// The classifier on test and validation, against constant answers.
void writeClassification(std::ostream& md, const EvaluationResult& result)
{
    md << "## Classification (test split)\n\n";
    md << "| split | crops | precision | recall | F1 | accuracy | TP | FP | TN | FN |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [name, m] : {std::pair{"test", result.test}, std::pair{"val", result.validation}})
        md << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", name, m.total(),
                          percent(m.precision()), percent(m.recall()), percent(m.f1()), percent(m.accuracy()),
                          m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives);
    const auto& t = result.test;
    md << fmt::format(
        "\nConstant answers on test: always lesion F1 {} (accuracy {}), always no lesion F1 0.00 % "
        "(accuracy {}).\n\n",
        percent(t.alwaysLesionF1()), percent(1.0 - t.alwaysNoLesionAccuracy()),
        percent(t.alwaysNoLesionAccuracy()));
    if (!t.beatsConstantAnswers())
        md << fmt::format(
            "**Warning: the classifier does not beat a constant answer on test** (F1 {} vs always "
            "lesion {}, accuracy {} vs {}): its heatmaps explain a classifier that has not learned "
            "the lesion, and mean little.\n\n",
            percent(t.f1()), percent(t.alwaysLesionF1()), percent(t.accuracy()),
            percent(std::max(t.alwaysNoLesionAccuracy(), 1.0 - t.alwaysNoLesionAccuracy())));
    md << "![confusion matrix](confusion_matrix.png)\n\n";
}

void writeCamTable(std::ostream& md, const EvaluationResult& result, bool large)
{
    md << "| method | definitions | threshold | val IoU | val Dice | test IoU | test Dice | val crops | test "
          "crops | "
          "degenerate | ms/crop |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& m : result.methods) {
        const SubsetResult& s = large ? m.large : m.all;
        md << fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", methodCell(m),
            m.flavour.empty() ? "-" : m.flavour, s.setting, figureText(s.validationFigure(s.validationIou)),
            figureText(s.validationFigure(s.validationDice)), figureText(s.testFigure(s.testIou)),
            figureText(s.testFigure(s.testDice)), s.validationCrops, s.testCrops,
            m.baseline ? "-" : std::to_string(m.degenerateMaps),
            m.baseline || m.msPerCrop == 0 ? std::string("-") : fmt::format("{:.1f}", m.msPerCrop));
    }
}

/// Uncertainty, patient-level figures and what the threshold choice costs.
void writeStatisticsTable(std::ostream& md, const EvaluationResult& result, bool large)
{
    md << "\n| method | test IoU [95 % CI] | test Dice [95 % CI] | val IoU [95 % CI] | per-patient IoU | "
          "pooled IoU "
          "| pooled Dice | test patients | oracle threshold | oracle test IoU |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& m : result.methods) {
        const SubsetResult& s = large ? m.large : m.all;
        const auto& test = s.testStatistics;
        const bool hasTest = s.testFigure(0).has_value();
        md << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", methodCell(m),
                          withInterval(s.testFigure(s.testIou), test.iouInterval, test.patients),
                          withInterval(s.testFigure(s.testDice), test.diceInterval, test.patients),
                          withInterval(s.validationFigure(s.validationIou),
                                       s.validationStatistics.iouInterval, s.validationStatistics.patients),
                          figureText(hasTest ? std::optional<double>(test.patientMeanIou) : std::nullopt),
                          figureText(hasTest ? std::optional<double>(test.pooledIou) : std::nullopt),
                          figureText(hasTest ? std::optional<double>(test.pooledDice) : std::nullopt),
                          hasTest ? std::to_string(test.patients) : "-",
                          s.oracleThreshold ? s.oracleSetting : "-", figureText(s.oracleTestIou));
    }
}

/// Which methods gave the same maps on every crop.
void writeIdenticalNote(std::ostream& md, const EvaluationResult& result)
{
    std::vector<std::string> groups;
    for (const auto& first : result.methods) {
        if (!first.sameAs.empty())
            continue;
        std::string group = first.name;
        for (const auto& m : result.methods)
            if (m.sameAs == first.name)
                group += " = " + m.name;
        if (group != first.name)
            groups.push_back(group);
    }
    for (const auto& group : groups)
        md << fmt::format(
            "\nThe same maps on every crop (to 1e-4 after normalisation): {} (at a global-average-"
            "pooling + linear head CAM, Grad-CAM, XGrad-CAM and HiResCAM maps are proportional; "
            "figures may differ by a pixel that rounding puts across a threshold).\n",
            group);
}

/// The heatmap proposals' tables: all correctly classified lesion crops, then the larger lesions.
void writeHeatmapProposals(std::ostream& md, const EvaluationResult& result)
{
    md << fmt::format("## Heatmap proposals (correctly classified lesion crops: {} val, {} test)\n\n",
                      result.validationLesionCrops, result.testLesionCrops);
    writeCamTable(md, result, false);
    writeIdenticalNote(md, result);
    writeStatisticsTable(md, result, false);
    md << "\n95 % intervals: patients resampled with replacement ("
       << "each with all its crops), the threshold "
          "kept; per-patient IoU: the mean of each patient's mean; pooled: Σ|X ∩ Y| / Σ|X ∪ Y| over the "
          "crops; "
          "oracle: the threshold best on test itself (the gap to test IoU is the cost of choosing on "
          "validation). "
          "Per-crop results: `per_crop.csv`.\n";
    md << fmt::format("\n## Lesions larger than 2 % of the crop (threshold chosen again on that subset)\n\n");
    writeCamTable(md, result, true);
    writeStatisticsTable(md, result, true);
    md << "\n![threshold-IoU curves](threshold_iou.png)\n\n";
}

/// The rows the gap is measured between: raw Score-CAM and the supervised U-Net (null when absent).
struct GapEnds {
    const compute::MethodResult* raw = nullptr;
    const compute::MethodResult* supervised = nullptr;
};

GapEnds gapEnds(const EvaluationResult& result)
{
    GapEnds ends;
    for (const auto& m : result.methods) {
        if (m.name == "scorecam" && m.refines.empty() && !m.baseline)
            ends.raw = &m;
        if (m.pixelLabels == "lesion")
            ends.supervised = &m;
    }
    return ends;
}

/// (test IoU - raw Score-CAM's) / (supervised U-Net's - raw Score-CAM's), where all three exist.
std::optional<double> gapClosedBy(const compute::MethodResult& m, const GapEnds& ends)
{
    const auto figure = [](const compute::MethodResult* r) {
        return r ? r->all.testFigure(r->all.testIou) : std::nullopt;
    };
    const auto method = figure(&m), raw = figure(ends.raw), supervised = figure(ends.supervised);
    if (!method || !raw || !supervised)
        return std::nullopt;
    return research::gapClosed(*method, *raw, *supervised);
}

bool isStudyRow(const compute::MethodResult& m)
{
    return !m.refines.empty() || m.segmenter;
}

/// Issue 16: the refined and learned proposals against raw Score-CAM and the supervised U-Net.
void writeProposalStudy(std::ostream& md, const EvaluationResult& result,
                        const EvaluationReportContext& context)
{
    if (std::none_of(result.methods.begin(), result.methods.end(), isStudyRow))
        return;
    const GapEnds ends = gapEnds(result);
    md << "## Proposals beyond the threshold\n\n"
          "Refinements of one CAM method's maps (anatomy: map > t within the kidney and the lesion HU band; "
          "grow: region growing from the map's peak; watershed: from markers), within a kidney region "
          "derived from HU alone or within the kidney label; with slice context, the maps smoothed "
          "across the adjacent slices of the same kidney (volumetric), the maps kept where they continue "
          "onto an adjacent slice (linked across slices: 3D components) and a 2.5D classifier's maps "
          "(the slice and its neighbours as input channels), thresholded and refined the same way; and "
          "U-Nets trained on the lesion masks "
          "(supervised: the upper bound) or on the best weak refinement's proposals (pseudo-labels). "
          "Every level is chosen on validation. Gap closed = (test IoU − raw Score-CAM's) / (supervised "
          "U-Net's − raw Score-CAM's). Pixel labels: organ = restricted to the kidney label (lesions "
          "included, so it knows a lesion's outer edge); lesion = trained on lesion masks; none = weak.\n\n";
    if (!context.contextModelNote.empty())
        md << context.contextModelNote << "\n\n";
    md << "| proposal | pixel labels | setting | val IoU | test IoU [95 % CI] | test Dice | > 2 % test IoU | "
          "gap "
          "closed | ms/crop |\n|---|---|---|---|---|---|---|---|---|\n";
    const compute::MethodResult* bestWeak = nullptr;
    for (const auto& m : result.methods) {
        if (!isStudyRow(m) && &m != ends.raw)
            continue;
        const SubsetResult& s = m.all;
        md << fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", methodCell(m),
            m.pixelLabels.empty() ? "none" : m.pixelLabels, s.setting,
            figureText(s.validationFigure(s.validationIou)),
            withInterval(s.testFigure(s.testIou), s.testStatistics.iouInterval, s.testStatistics.patients),
            figureText(s.testFigure(s.testDice)), figureText(m.large.testFigure(m.large.testIou)),
            figureText(gapClosedBy(m, ends)),
            m.msPerCrop == 0 ? std::string("-") : fmt::format("{:.1f}", m.msPerCrop));
        if (isStudyRow(m) && m.pixelLabels.empty() && s.validationFigure(s.validationIou) &&
            (!bestWeak || s.validationIou > bestWeak->all.validationIou))
            bestWeak = &m;
    }
    md << "\nms/crop: refinements, CPU time of one proposal at one level; U-Nets, training time per crop "
          "and epoch.\n\n![test IoU with intervals](iou_intervals.png)\n";
    if (bestWeak) {
        const auto gap = gapClosedBy(*bestWeak, ends);
        md << fmt::format(
            "\nBest weak proposal (by validation IoU): **{}**, test IoU {}; fraction of the gap "
            "closed: **{}**{}.\n",
            bestWeak->name, figureText(bestWeak->all.testFigure(bestWeak->all.testIou)), figureText(gap),
            gap ? " (goal: 0.5)"
                : " (needs raw Score-CAM and the supervised U-Net in this run: --methods with "
                  "scorecam, --proposals all)");
    }
    md << "\n";
}

/// How much ground truth the crops hold: what no heatmap can find. Writes coverage.csv; returns
/// the per-split figures for results.json (null when the dataset did not record them).
nlohmann::json writeCoverage(std::ostream& md, const EvaluationReportContext& context,
                             const DatasetParameters& parameters, const fs::path& out)
{
    const auto coverage = readCoverage(context.datasetDirectory);
    nlohmann::json coverageJson = nullptr;
    md << "## Ground-truth lesion outside the crops\n\n";
    if (coverage.empty()) {
        md << "Not recorded: the dataset was built by an older Weaksight (rebuild it with `dataset "
              "build`).\n\n";
    } else {
        std::ostringstream csv;
        csv << "case,split,lesion_voxels,lesion_voxels_on_sampled_slices,lesion_voxels_in_crops,outside_"
               "fraction,"
               "outside_fraction_sampled_slices,tumour_voxels,tumour_voxels_in_crops,tumour_outside_"
               "fraction\n";
        struct Sum {
            long long lesion = 0, sampled = 0, inCrops = 0, tumour = 0, tumourIn = 0;
        };
        std::map<std::string, Sum> bySplit;
        for (const auto& c : coverage) {
            for (Sum* sum : {&bySplit[c.split], &bySplit["all"]}) {
                sum->lesion += c.lesion;
                sum->sampled += c.lesionOnSampledSlices;
                sum->inCrops += c.lesionInCrops;
                sum->tumour += c.tumour;
                sum->tumourIn += c.tumourInCrops;
            }
            csv << fmt::format("\"{}\",{},{},{},{},{:.6f},{:.6f},{},{},{:.6f}\n", c.caseId, c.split, c.lesion,
                               c.lesionOnSampledSlices, c.lesionInCrops,
                               outsideFraction(c.lesionInCrops, c.lesion),
                               outsideFraction(c.lesionInCrops, c.lesionOnSampledSlices), c.tumour,
                               c.tumourInCrops, outsideFraction(c.tumourInCrops, c.tumour));
        }
        writeText(out / "coverage.csv", csv.str());
        md << fmt::format(
            "Lesion ({}) voxels of the cases' label volumes that lie in no crop box: on the slices the "
            "dataset samples (`--every`), and in all. Per case: `coverage.csv`.\n\n",
            parameters.lesionLabels == "tumour" ? "tumour" : "tumour or cyst");
        md << "| cases | lesion voxels | outside the crops (sampled slices) | outside the crops (all slices) "
              "| tumour "
              "outside (all slices) |\n|---|---|---|---|---|\n";
        coverageJson = nlohmann::json::object();
        for (const char* split : {"all", "train", "val", "test"}) {
            const auto it = bySplit.find(split);
            if (it == bySplit.end())
                continue;
            const Sum& s = it->second;
            md << fmt::format("| {} | {} | {} | {} | {} |\n", split, s.lesion,
                              percent(outsideFraction(s.inCrops, s.sampled)),
                              percent(outsideFraction(s.inCrops, s.lesion)),
                              percent(outsideFraction(s.tumourIn, s.tumour)));
            coverageJson[split] = {{"lesion_voxels", s.lesion},
                                   {"outside_fraction_sampled_slices", outsideFraction(s.inCrops, s.sampled)},
                                   {"outside_fraction", outsideFraction(s.inCrops, s.lesion)},
                                   {"tumour_outside_fraction", outsideFraction(s.tumourIn, s.tumour)}};
        }
        md << "\n";
    }
    return coverageJson;
}

/// The method's published numbers (KiTS21, 2023 thesis) beside ours.
void writePublishedComparison(std::ostream& md, const EvaluationResult& result)
{
    md << "## The method's published numbers (KiTS21, 2023 thesis) beside ours\n\n";
    md << "Classification on test: ResNet-101 (all slices) P 75.75 %, R 57.53 %, F1 65.39 %; ResNet-50 "
          "(every "
          "5th slice) F1 65.31 %; ResNet-101 (every 5th slice) F1 57.35 %; with blur augmentation F1 63.56 "
          "%.\n"
          "Ours: "
       << fmt::format("P {}, R {}, F1 {}.\n\n", percent(result.test.precision()),
                      percent(result.test.recall()), percent(result.test.f1()));
    md << "| method | published threshold | published IoU (val / test) | our threshold | our IoU (val / "
          "test) |\n"
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
        md << fmt::format("| {} | {} | {} | {} | {} |\n", row.method, row.threshold, row.iou, oursThreshold,
                          ours);
    }
    md << "\nPublished, lesions > 2 %: Grad-CAM 0.332, Score-CAM (t = 0.1) 0.338 (test IoU). A supervised "
          "U-Net on "
          "the same data: test IoU 0.542. (The thesis prints IoU as |X∩Y| / (|X|+|Y|); the numbers are read "
          "as "
          "standard IoU.)\n";
}

/// classification.csv, cams.csv, per_crop.csv and threshold_curves.csv.
void writeCsvFiles(const EvaluationResult& result, const CropDataset& dataset, const fs::path& out)
{
    std::ostringstream classification;
    classification << "split,crops,precision,recall,f1,accuracy,tp,fp,tn,fn\n";
    for (const auto& [name, m] : {std::pair{"test", result.test}, std::pair{"val", result.validation}})
        classification << fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{}\n", name, m.total(),
                                      m.precision(), m.recall(), m.f1(), m.accuracy(), m.truePositives,
                                      m.falsePositives, m.trueNegatives, m.falseNegatives);
    writeText(out / "classification.csv", classification.str());
    std::ostringstream cams;
    cams << "method,subset,approximate,baseline,setting,threshold,val_iou,val_dice,test_iou,test_dice,val_"
            "crops,test_"
            "crops,degenerate,ms_per_crop,flavour\n";
    for (const auto& m : result.methods)
        for (const auto& [subset, s] : {std::pair{"all", m.all}, std::pair{"large", m.large}})
            cams << fmt::format(
                "\"{}\",{},{},{},\"{}\",{},{},{},{},{},{},{},{},{:.3f},{}\n", m.name, subset,
                m.approximate ? 1 : 0, m.baseline ? 1 : 0, s.setting,
                figureText(s.chosen() ? std::optional<double>(s.threshold) : std::nullopt, 4, ""),
                figureText(s.validationFigure(s.validationIou), 6, ""),
                figureText(s.validationFigure(s.validationDice), 6, ""),
                figureText(s.testFigure(s.testIou), 6, ""), figureText(s.testFigure(s.testDice), 6, ""),
                s.validationCrops, s.testCrops, m.degenerateMaps, m.msPerCrop, m.flavour);
    writeText(out / "cams.csv", cams.str());
    std::ostringstream perCrop;
    perCrop << "method,flavour,split,case,slice,side,lesion_fraction,threshold,iou,dice,intersection,union\n";
    for (const auto& m : result.methods)
        for (const auto& c : m.crops) {
            const auto& record = dataset.records().at(c.datasetIndex);
            perCrop << fmt::format("\"{}\",{},{},\"{}\",{},{},{:.6f},{:.4f},{:.6f},{:.6f},{},{}\n", m.name,
                                   m.flavour, c.test ? "test" : "val", record.caseId, record.slice,
                                   record.side, record.lesionFraction, m.all.threshold, c.overlap.iou,
                                   c.overlap.dice, c.overlap.intersection, c.overlap.unionSize);
        }
    writeText(out / "per_crop.csv", perCrop.str());
    std::ostringstream curves;
    curves << "method,subset,threshold,val_mean_iou,val_mean_dice,test_mean_iou,test_mean_dice\n";
    for (const auto& m : result.methods)
        for (const auto& [subset, s] : {std::pair{"all", m.all}, std::pair{"large", m.large}})
            for (size_t j = 0; j < s.validationCurve.meanIou.size(); ++j)
                curves << fmt::format("\"{}\",{},{:.2f},{:.6f},{:.6f},{:.6f},{:.6f}\n", m.name, subset,
                                      result.thresholds[j], s.validationCurve.meanIou[j],
                                      s.validationCurve.meanDice[j],
                                      j < s.testCurve.meanIou.size() ? s.testCurve.meanIou[j] : 0.0,
                                      j < s.testCurve.meanDice.size() ? s.testCurve.meanDice[j] : 0.0);
    writeText(out / "threshold_curves.csv", curves.str());
}

void writeResultsJson(const EvaluationResult& result, const CropDataset& dataset,
                      const EvaluationReportContext& context, const nlohmann::json& coverageJson,
                      const fs::path& out)
{
    const auto& parameters = dataset.parameters();
    nlohmann::json methods = nlohmann::json::array();
    const GapEnds ends = gapEnds(result);
    for (const auto& m : result.methods)
        methods.push_back(
            {{"method", m.name},
             {"refines", m.refines.empty() ? nlohmann::json() : nlohmann::json(m.refines)},
             {"rule", m.rule.empty() ? nlohmann::json() : nlohmann::json(m.rule)},
             {"pixel_labels", m.pixelLabels.empty() ? nlohmann::json() : nlohmann::json(m.pixelLabels)},
             {"gap_closed", figureJson(gapClosedBy(m, ends))},
             {"flavour", m.flavour.empty() ? nlohmann::json() : nlohmann::json(m.flavour)},
             {"same_as", m.sameAs.empty() ? nlohmann::json() : nlohmann::json(m.sameAs)},
             {"approximate", m.approximate},
             {"baseline", m.baseline},
             {"degenerate_maps", m.degenerateMaps},
             {"ms_per_crop", m.msPerCrop},
             {"model_hash", m.modelHash.empty() ? nlohmann::json() : nlohmann::json(m.modelHash)},
             {"all", subsetJson(m.all)},
             {"large", subsetJson(m.large)}});
    const nlohmann::json json = {
        {"model",
         {{"file", context.modelFile}, {"hash", context.modelHash}, {"architecture", context.architecture}}},
        {"context_model",
         context.contextModelHash.empty()
             ? nlohmann::json()
             : nlohmann::json{{"file", context.contextModelFile}, {"hash", context.contextModelHash}}},
        {"device", context.device},
        {"dataset",
         {{"directory", context.datasetDirectory},
          {"synthetic", parameters.synthetic},
          {"sanity_square", parameters.sanitySquare},
          {"crops", dataset.size()}}},
        {"crop_geometry",
         {{"centring", parameters.centring},
          {"lesion_labels", parameters.lesionLabels},
          {"pixel_spacing_mm", parameters.pixelSpacingMm}}},
        {"normalisation", context.normalisation},
        {"thresholds", result.thresholds},
        {"classification",
         {{"test", metricsJson(result.test)},
          {"val", metricsJson(result.validation)},
          {"test_majority_baseline_f1", result.testMajorityBaselineF1},
          {"test_always_lesion_f1", result.test.alwaysLesionF1()},
          {"test_always_no_lesion_accuracy", result.test.alwaysNoLesionAccuracy()},
          {"beats_constant_answers", result.test.beatsConstantAnswers()}}},
        {"evaluated_lesion_crops", {{"val", result.validationLesionCrops}, {"test", result.testLesionCrops}}},
        {"methods", methods},
        {"ground_truth_outside_crops", coverageJson},
        {"seconds", context.seconds},
    };
    writeText(out / "results.json", json.dump(2) + "\n");
}

} // namespace

void writeEvaluationReport(const EvaluationResult& result, const CropDataset& dataset,
                           const EvaluationReportContext& context, const fs::path& out)
{
    fs::create_directories(out);
    const auto& parameters = dataset.parameters();
    const bool published = !parameters.synthetic && parameters.sanitySquare == 0;

    // report.md; coverage.csv is written on the way, before it.
    std::ostringstream md;
    writeOverview(md, result, dataset, context);
    writeClassification(md, result);
    writeHeatmapProposals(md, result);
    writeProposalStudy(md, result, context);
    const nlohmann::json coverageJson = writeCoverage(md, context, parameters, out);
    md << "Examples (test; green: ground truth, white: proposal at the chosen threshold):\n\n"
          "![examples](examples.png)\n\n";
    if (published)
        writePublishedComparison(md, result);
    writeText(out / "report.md", md.str());

    writeCsvFiles(result, dataset, out);
    writeResultsJson(result, dataset, context, coverageJson, out);
}

ReportLevels ReportLevels::read(const fs::path& resultsJson)
{
    std::ifstream in(resultsJson);
    if (!in)
        throw InputError(resultsJson, "cannot be read (give the results.json of a weaksight evaluate run)");
    ReportLevels levels;
    levels.m_file = resultsJson;
    const auto text = [](const nlohmann::json& value) {
        return value.is_string() ? value.get<std::string>() : std::string();
    };
    try {
        const auto json = nlohmann::json::parse(in);
        levels.m_modelHash = json.at("model").at("hash").get<std::string>();
        if (json.contains("context_model") && json["context_model"].is_object())
            levels.m_contextModelHash = json["context_model"].at("hash").get<std::string>();
        levels.m_normalisation = json.at("normalisation").get<std::string>();
        for (const auto& m : json.at("methods")) {
            Row row;
            row.name = m.at("method").get<std::string>();
            row.refines = text(m.value("refines", nlohmann::json()));
            row.rule = text(m.value("rule", nlohmann::json()));
            row.pixelLabels = text(m.value("pixel_labels", nlohmann::json()));
            row.flavour = text(m.value("flavour", nlohmann::json()));
            row.modelHash = text(m.value("model_hash", nlohmann::json()));
            row.baseline = m.value("baseline", false);
            const auto& threshold = m.at("all").at("threshold");
            if (threshold.is_number())
                row.level = threshold.get<double>();
            levels.m_rows.push_back(std::move(row));
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(resultsJson, std::string("is not an evaluation's results.json: ") + e.what());
    }
    return levels;
}

ChosenLevel ReportLevels::levelOfRow(const Row& row) const
{
    if (!row.level)
        throw InputError(m_file, "chose no level for '" + row.name +
                                     "' (too few validation crops): give the level with --level");
    return {*row.level, row.name};
}

ChosenLevel ReportLevels::levelOf(const research::ProposalRecipe& recipe, const std::string& classifierHash,
                                  const std::string& flavour, const std::string& normalisation) const
{
    const bool contextModel = !m_contextModelHash.empty() && classifierHash == m_contextModelHash;
    if (classifierHash != m_modelHash && !contextModel)
        throw InputError(m_file, fmt::format("was made with the model {}{}, not with {}: its levels do not "
                                             "belong to this model's maps",
                                             m_modelHash,
                                             m_contextModelHash.empty() ? "" : " and " + m_contextModelHash,
                                             classifierHash));
    if (normalisation != m_normalisation)
        throw InputError(m_file, "chose its levels on maps normalised per " + m_normalisation + ", not per " +
                                     normalisation + " (--normalise " + m_normalisation + ")");
    const std::string maps = recipe.mapsName(contextModel);
    const std::string method = compute::toString(recipe.method);
    const bool camRow = recipe.rule == "raw" && maps == method;
    const std::string pixelLabels = recipe.kidneyLabel ? "organ" : "";
    for (const Row& row : m_rows) {
        const bool same =
            camRow ? row.name == method && row.refines.empty() && !row.baseline
                   : row.refines == maps && row.rule == recipe.rule &&
                         (recipe.rule == "raw" || recipe.rule == "linked" || row.pixelLabels == pixelLabels);
        if (!same)
            continue;
        if (!row.flavour.empty() && row.flavour != flavour)
            throw InputError(m_file, "chose the level of '" + row.name + "' on " + row.flavour +
                                         " maps, not " + flavour + " ones (--flavour " + row.flavour + ")");
        return levelOfRow(row);
    }
    throw InputError(m_file,
                     "has no row for " + recipe.describe() +
                         " (evaluate makes refinement rows of one method, --refine; the 2.5D rows need "
                         "--context-model): give the level with --level");
}

ChosenLevel ReportLevels::segmenterLevel(const std::string& segmenterHash) const
{
    for (const Row& row : m_rows)
        if (!row.modelHash.empty() && row.modelHash == segmenterHash)
            return levelOfRow(row);
    throw InputError(m_file,
                     "has no row of the U-Net " + segmenterHash +
                         " (the U-Nets evaluate --proposals all saved beside it): give the level with "
                         "--level");
}

} // namespace weaksight
