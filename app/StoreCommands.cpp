// Headless commands over the annotation store: import, export, stats, merge.
#include "app/Commands.h"
#include "core/common/Text.h"
#include "storage/Exporter.h"
#include "storage/StoreTools.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace weaksight::app {

using namespace storage;

namespace {
nlohmann::json optional(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
std::string cell(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : "-"; }
} // namespace

int runImport(const StoreCommandOptions& o)
{
    AnnotationStore store(o.db);
    const auto report = importDataset(store, o.dataset);
    std::cout << fmt::format("imported {} cases ({} with labels) from {} into {}\n", report.cases, report.withLabels,
                             o.dataset, o.db);
    return 0;
}

int runExport(const StoreCommandOptions& o)
{
    AnnotationStore store(o.db, Database::Mode::ReadOnly);
    ExportOptions options;
    options.outDir = o.out;
    options.formats = {o.formats.begin(), o.formats.end()};
    options.cases = o.cases;
    options.statuses.clear();
    for (const auto& s : o.statuses)
        options.statuses.push_back(decisionKindFromString(s));
    if (o.label < 1 || o.label > 255)
        throw std::invalid_argument("--label must be 1..255");
    options.label = static_cast<uint8_t>(o.label);
    const auto report = exportMasks(store, options, [](int done, int total) {
        std::cerr << "\rexport: " << done << " / " << total << " cases" << std::flush;
    });
    std::cerr << "\n";
    std::cout << fmt::format("exported {} cases, {} slices from {} decisions ({} superseded); {} files verified in {}\n",
                             report.cases, report.slices, report.decisions, report.superseded, report.files.size(),
                             o.out);
    return 0;
}

int runStats(const StoreCommandOptions& o)
{
    AnnotationStore store(o.db, Database::Mode::ReadOnly);
    const auto cases = store.caseProgress();
    const auto annotators = store.annotatorProgress();
    const auto iou = store.iouByMethodAndThreshold();
    const auto agreement = annotatorAgreement(store);
    const auto iouPerAnnotator = store.iouByAnnotator();
    if (o.json) {
        nlohmann::json j;
        j["cases"] = nlohmann::json::array();
        for (const auto& c : cases)
            j["cases"].push_back({{"case", c.caseKey}, {"status", c.status()}, {"proposals", c.proposals},
                                  {"decided", c.decided}, {"accepted", c.accepted}, {"corrected", c.corrected},
                                  {"rejected", c.rejected}, {"skipped", c.skipped}});
        j["annotators"] = nlohmann::json::array();
        for (const auto& a : annotators)
            j["annotators"].push_back({{"annotator", a.annotator}, {"decisions", a.decisions},
                                       {"time_spent_ms", a.timeSpentMs}});
        j["iou"] = nlohmann::json::array();
        for (const auto& r : iou)
            j["iou"].push_back({{"method", r.method},
                                {"proposal", r.proposal},
                                {"threshold", r.threshold},
                                {"decisions", r.decisions},
                                {"proposal_vs_truth", optional(r.meanProposalGtIou)},
                                {"proposal_vs_final", optional(r.meanProposalFinalIou)},
                                {"final_vs_truth", optional(r.meanFinalGtIou)},
                                {"mean_voxels_changed", r.meanVoxelsChanged}});
        j["iou_per_annotator"] = nlohmann::json::array();
        for (const auto& r : iouPerAnnotator)
            j["iou_per_annotator"].push_back({{"annotator", r.annotator}, {"decisions", r.decisions},
                                              {"proposal_vs_truth", optional(r.meanProposalGtIou)},
                                              {"proposal_vs_final", optional(r.meanProposalFinalIou)},
                                              {"final_vs_truth", optional(r.meanFinalGtIou)}});
        j["agreement"] = nlohmann::json::array();
        for (const auto& a : agreement)
            j["agreement"].push_back({{"a", a.annotatorA}, {"b", a.annotatorB}, {"slices", a.slices},
                                      {"mean_iou", a.meanIou}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("{:<16} {:<12} {:>9} {:>8} {:>8} {:>9} {:>8} {:>7}\n", "case", "status", "proposals",
                             "decided", "accepted", "corrected", "rejected", "skipped");
    for (const auto& c : cases)
        std::cout << fmt::format("{:<16} {:<12} {:>9} {:>8} {:>8} {:>9} {:>8} {:>7}\n", printable(c.caseKey), c.status(),
                                 c.proposals, c.decided, c.accepted, c.corrected, c.rejected, c.skipped);
    std::cout << fmt::format("\n{:<16} {:>9} {:>12}\n", "annotator", "decisions", "time (min)");
    for (const auto& a : annotators)
        std::cout << fmt::format("{:<16} {:>9} {:>12.1f}\n", printable(a.annotator), a.decisions, a.timeSpentMs / 60000.0);
    std::cout << fmt::format(
        "\nIoU (mean over standing decisions)\n{:<22} {:>9} {:>9} {:>12} {:>12} {:>12} {:>9}\n", "method",
        "threshold", "decisions", "prop-truth", "prop-final", "final-truth", "changed");
    for (const auto& r : iou)
        std::cout << fmt::format("{:<22} {:>9.3f} {:>9} {:>12} {:>12} {:>12} {:>9.1f}\n",
                                 r.method.empty() ? "(none)" : printable(proposalLabel(r.method, r.proposal)),
                                 r.threshold, r.decisions, cell(r.meanProposalGtIou),
                                 cell(r.meanProposalFinalIou), cell(r.meanFinalGtIou), r.meanVoxelsChanged);
    std::cout << fmt::format("\nIoU per annotator\n{:<16} {:>9} {:>12} {:>12} {:>12}\n", "annotator", "decisions",
                             "prop-truth", "prop-final", "final-truth");
    for (const auto& r : iouPerAnnotator)
        std::cout << fmt::format("{:<16} {:>9} {:>12} {:>12} {:>12}\n", printable(r.annotator), r.decisions,
                                 cell(r.meanProposalGtIou), cell(r.meanProposalFinalIou), cell(r.meanFinalGtIou));
    if (!agreement.empty()) {
        std::cout << "\nagreement between annotators (IoU of final masks on the same slice and crop)\n";
        for (const auto& a : agreement)
            std::cout << fmt::format("{} / {}: {} slices, mean IoU {:.3f}\n", printable(a.annotatorA),
                                     printable(a.annotatorB), a.slices,
                                     a.meanIou);
    }
    return 0;
}

int runMerge(const StoreCommandOptions& o)
{
    std::vector<std::filesystem::path> sources(o.sources.begin(), o.sources.end());
    const auto report = mergeStores(o.out, sources);
    std::cout << fmt::format("merged {} stores into {}: {} decisions copied, {} duplicates skipped\n", report.sources,
                             o.out, report.decisionsCopied, report.duplicatesSkipped);
    for (const auto& a : report.agreement)
        std::cout << fmt::format("agreement {} / {}: {} slices, mean IoU {:.3f}\n", printable(a.annotatorA),
                                 printable(a.annotatorB),
                                 a.slices, a.meanIou);
    return 0;
}

} // namespace weaksight::app
