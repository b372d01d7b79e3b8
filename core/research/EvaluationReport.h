#pragma once

// The tables of `weaksight evaluate`: report.md (laid out like the method's tables), the same as
// CSV and JSON. Figures are drawn by ui/figures.

#include "core/compute/Evaluation.h"

#include <filesystem>
#include <optional>
#include <string>

namespace weaksight {

struct EvaluationReportContext {
    std::string modelFile, modelHash, architecture, device;
    std::string datasetDirectory;
    std::string normalisation; ///< crop, case, none
    double seconds = 0;
    /// The 2.5D classifier of the proposal rows, when one took part: its file, slice context and
    /// test classification (its maps are scored on the crops the main model's evaluation chose).
    std::string contextModelNote;
};

/// A figure with `decimals` decimals, or `missing` where it means nothing (SubsetResult's
/// validationFigure / testFigure): tables print "n/a", CSV an empty field.
std::string figureText(const std::optional<double>& value, int decimals = 3, const std::string& missing = "n/a");

/// Writes report.md, classification.csv, cams.csv, threshold_curves.csv and results.json into
/// `out` (created). With a dataset built from real KiTS data (not synthetic), the report also
/// states the method's published numbers beside ours.
void writeEvaluationReport(const compute::EvaluationResult& result, const compute::CropDataset& dataset,
                           const EvaluationReportContext& context, const std::filesystem::path& out);

} // namespace weaksight
