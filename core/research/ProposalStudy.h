#pragma once

// Issue 16's rows of `weaksight evaluate`: proposals beyond {CAM map > t}, scored on the same crops
// by the same protocol (compute::scoreProposal: level chosen on validation, test figures with
// patient-level intervals). Three refinements of one CAM method's maps (core/proposals: anatomy,
// region growing, watershed), each within a kidney region derived from HU (weak: no pixel label)
// and, where the dataset has them, within the kidney label (lesions included: it reveals a lesion's
// outer edge, so those rows are marked and never the best weak proposal); and two U-Nets
// (compute::Segmenter): the supervised bound, trained on the lesion masks of the training split,
// and the weak one, trained on the best weak refinement's proposals of the training split's lesion
// crops (image-level labels only) and on empty masks of its lesion-free crops. With slice context:
// the maps smoothed across the adjacent slices of the same kidney ("volumetric"), thresholded and
// refined the same way, and {map > t} kept where it continues onto an adjacent slice (3D
// components: proposals::linkedAcrossSlices). With a 2.5D classifier (the slice and its neighbours as input
// channels): its maps of the same crops, thresholded and refined the same way.

#include "core/compute/Evaluation.h"
#include "core/compute/Segmenter.h"
#include "core/proposals/Proposals.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weaksight::research {

struct ProposalStudyOptions {
    std::vector<proposals::ProposalKind> refinements{
        proposals::ProposalKind::Anatomy, proposals::ProposalKind::Grow, proposals::ProposalKind::Watershed};
    /// Whose maps are refined; default: the CAM method with the best validation IoU.
    std::optional<compute::CamMethod> refine;
    /// Also the refinements within the kidney label (when the dataset has labels.npy).
    bool organLabelRows = true;
    /// The volumetric rows: the maps smoothed across the adjacent slices, thresholded and refined.
    bool volumetric = true;
    /// The 2.5D rows: this classifier's maps of the same method on the same crops (its slice
    /// context read from the dataset's context.npy), thresholded and refined; its own heatmap
    /// cache (keyed by its hash), or none.
    const compute::Classifier* contextClassifier = nullptr;
    compute::CamCache* contextCache = nullptr;
    bool supervisedSegmenter = false;        ///< the U-Net on lesion masks: the upper bound
    bool pseudoLabelSegmenter = false;       ///< the U-Net on the best weak refinement's proposals
    compute::SegmenterDescription segmenter; ///< its HU window is the dataset's
    compute::SegmenterTrainOptions training;
    /// Lesion-free training crops per lesion crop in the U-Nets' training sets (the crop dataset is
    /// mostly lesion-free; all of it would teach "nothing here").
    double negativesPerLesionCrop = 1.0;
    std::filesystem::path segmenterFolder; ///< where the trained U-Nets are saved; empty: not saved
};

/// Slice context (part 3 of issue 16): a crop's neighbours, the crops of the same case and side on
/// the adjacent sampled slices (slice -/+ the dataset's slice step).
struct CropNeighbours {
    std::optional<size_t> below, above;
};
std::vector<CropNeighbours> neighbouringCrops(const compute::CropDataset& dataset);

/// Crop `from`'s `values` (its pixels, row-major) on crop `to`'s box: at `to`'s pixel (r, c) the
/// value `from` has at the same slice position (row0 + r, col0 + c); `missing` where `from`'s box
/// does not reach. Crops cut at each scan's own pixels only (a resampled dataset's crops have no
/// common pixel grid): std::invalid_argument otherwise.
std::vector<float> placedOn(const compute::CropDataset& dataset, size_t from, size_t to,
                            const std::vector<float>& values, float missing);

/// Each crop's map smoothed across slices: 1/2 its own + 1/4 each neighbour's placed on its box
/// (a neighbour that is missing or does not reach a pixel gives its weight to the crop's own value).
std::vector<float> volumetricMap(const compute::CropDataset& dataset, size_t index,
                                 const std::vector<CropNeighbours>& neighbours,
                                 const std::function<const std::vector<float>&(size_t)>& mapOf);

/// What the study did beyond its rows (for the report and the log).
struct ProposalStudy {
    std::string refinedMethod;      ///< whose maps were refined
    std::string bestWeakRefinement; ///< the refinement row the pseudo-labels came from ("" if none)
    double pseudoLabelLevel = 0;
    std::vector<std::filesystem::path> segmenterFiles;
};

/// Scores the refinements and trains and scores the U-Nets, appending their rows to
/// `result.methods` (after the CAM methods and the baselines).
ProposalStudy addProposalRows(compute::EvaluationResult& result, const compute::Classifier& classifier,
                              const compute::CropDataset& dataset, const compute::EvaluationOptions& options,
                              const ProposalStudyOptions& study);

/// One proposal of the study made on any crops (`cam-batch --proposals`): a rule applied to one
/// CAM method's maps, exactly as the study's row of that rule makes it.
struct ProposalRecipe {
    compute::CamMethod method = compute::CamMethod::GradCamPlusPlus;
    /// The maps smoothed across the adjacent slices of the same kidney (the "±1 slice" rows).
    bool acrossSlices = false;
    std::string rule = "raw"; ///< a proposal kind's name (proposals::toString), or "linked"
    bool kidneyLabel = false; ///< within the dataset's kidney label instead of the derived kidney
    double level = 0.5;       ///< the rule's one parameter (threshold, seed or marker level)
    /// The name the study's rows give these maps (`MethodResult::refines`): "gradcam++",
    /// "gradcam++ ±1 slice", and with `contextModel` (the maps of evaluate's --context-model)
    /// "2.5D gradcam++".
    std::string mapsName(bool contextModel = false) const;
    /// The recipe's description for files and logs, e.g. "gradcam++ ±1 slice, grow, derived kidney".
    std::string describe() const;
};

/// The rules a recipe can name: the proposal kinds and "linked".
bool isProposalRule(const std::string& rule);

/// The recipe's masks on `crops` (row-major 0/1 on each crop), in `crops` order; the maps come
/// through `options` (its cache first, its normalisation). InputError for a recipe the dataset
/// cannot make: slice context on resampled crops, the kidney label on a dataset without labels.
std::vector<std::vector<uint8_t>> proposalMasks(const compute::Classifier& classifier,
                                                const compute::CropDataset& dataset,
                                                const std::vector<size_t>& crops,
                                                const ProposalRecipe& recipe,
                                                const compute::EvaluationOptions& options);

/// A U-Net's proposals on `crops`: {probability > level}, in `crops` order.
std::vector<std::vector<uint8_t>> segmenterMasks(const compute::Segmenter& segmenter,
                                                 const compute::CropDataset& dataset,
                                                 const std::vector<size_t>& crops, double level);

/// The fraction of the gap closed: (method - raw) / (supervised - raw) on test IoU; nullopt when
/// a figure is missing or the supervised bound is not above raw.
std::optional<double> gapClosed(double method, double raw, double supervised);

} // namespace weaksight::research
