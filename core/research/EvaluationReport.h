#pragma once

// The tables of `weaksight evaluate`: report.md (laid out like the method's tables), the same as
// CSV and JSON. Figures are drawn by ui/figures.

#include "core/compute/Evaluation.h"
#include "core/research/ProposalStudy.h"

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
    std::string contextModelFile, contextModelHash; ///< in results.json, for cam-batch's levels
};

/// A figure with `decimals` decimals, or `missing` where it means nothing (SubsetResult's
/// validationFigure / testFigure): tables print "n/a", CSV an empty field.
std::string figureText(const std::optional<double>& value, int decimals = 3, const std::string& missing = "n/a");

/// Writes report.md, classification.csv, cams.csv, threshold_curves.csv and results.json into
/// `out` (created). With a dataset built from real KiTS data (not synthetic), the report also
/// states the method's published numbers beside ours.
void writeEvaluationReport(const compute::EvaluationResult& result, const compute::CropDataset& dataset,
                           const EvaluationReportContext& context, const std::filesystem::path& out);

/// A level an evaluation chose on validation, and the report row it belongs to.
struct ChosenLevel {
    double level = 0;
    std::string row;
};

/// An evaluation's results.json, read back for `cam-batch --levels-from`: the levels chosen on
/// validation, so batch proposals use the setting the report measured. Every lookup checks that the
/// row was made as the batch would make it; InputError naming the file otherwise.
class ReportLevels {
public:
    static ReportLevels read(const std::filesystem::path& resultsJson);

    /// The level of the row that made `recipe`'s proposals with the classifier `classifierHash`
    /// (the report's model, or its 2.5D --context-model), CAM definitions `flavour` and map
    /// normalisation `normalisation`.
    ChosenLevel levelOf(const research::ProposalRecipe& recipe, const std::string& classifierHash,
                        const std::string& flavour, const std::string& normalisation) const;
    /// The level of the U-Net row whose model is `segmenterHash` (Segmenter::contentHash).
    ChosenLevel segmenterLevel(const std::string& segmenterHash) const;
    /// The map normalisation the report's levels were chosen with (crop, case, none).
    const std::string& normalisation() const { return m_normalisation; }

private:
    struct Row {
        std::string name, refines, rule, pixelLabels, flavour;
        std::string modelHash; ///< U-Net rows only
        bool baseline = false;
        std::optional<double> level;
    };
    ChosenLevel levelOfRow(const Row& row) const;

    std::filesystem::path m_file;
    std::string m_modelHash, m_contextModelHash, m_normalisation;
    std::vector<Row> m_rows;
};

} // namespace weaksight
