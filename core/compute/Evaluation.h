#pragma once

// `weaksight evaluate` and `weaksight cam-batch`: the method's evaluation protocol. Torch-free
// (it drives the CAM engine through its public API).
//
// Protocol: the classifier is scored on the test split (and validation). Heatmaps are computed
// on the correctly classified lesion crops of validation and test. A map (normalised per crop by
// default) proposes {p : map(p) > t}; t is swept from 0 to 1 in `thresholdStep` steps, and each
// method's threshold is the one with the best mean IoU on validation; validation and test IoU and
// Dice are reported there. The same again for crops whose lesion covers more than 2 % of the crop
// (with its own threshold). Baselines: the whole crop, and a centred disc whose radius is chosen on
// validation. IoU = |X n Y| / |X u Y|, Dice = 2 |X n Y| / (|X| + |Y|).

#include "core/compute/CamCache.h"
#include "core/compute/CamEngine.h"
#include "core/compute/CropDataset.h"
#include "core/compute/Trainer.h"

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weaksight::compute {


/// Crops to map, by position: each one's content key (the cache's key) and its pixels.
struct CropSource {
    size_t count = 0;
    std::function<uint64_t(size_t)> contentKey;
    std::function<Image2D(size_t)> image;
};
/// The maps of `crops` for `options` on the target layer's grid (not upsampled): from the cache
/// when there, else computed in batches on the classifier's device, added to the cache (if given)
/// and flushed. `progress(done, total)` counts crops (Score-CAM: fractions within a batch);
/// throws CamCancelled when `cancel` or `options.progress` stops it (finished maps stay cached).
/// The one cache-or-compute step of the pipeline (camsForCrops) and the workstation.
std::vector<CamResult> cachedCams(const Classifier& classifier, const CropSource& crops, const CamOptions& options,
                                  CamCache* cache, int batchSize, const std::function<void(size_t, size_t)>& progress,
                                  const std::atomic<bool>* cancel, size_t* computed);

/// Heatmaps of crops `indices` for `options`, from the cache when there, else computed in
/// batches on the classifier's device and added to the cache (if given). Upsampled, unnormalised.
std::vector<CamResult> camsForCrops(const Classifier& classifier, const CropDataset& dataset,
                                    const std::vector<size_t>& indices, const CamOptions& options, CamCache* cache,
                                    int batchSize = 16, const std::function<void(size_t, size_t)>& progress = {},
                                    const std::atomic<bool>* cancel = nullptr, size_t* computed = nullptr);

/// Which crops `--shard index/count` processes: every crop whose position in `indices` is
/// congruent to index modulo count (deterministic; interleaved, so every shard gets crops of every
/// case and shard sizes differ by at most one).
std::vector<size_t> shardOf(const std::vector<size_t>& indices, int index, int count);

struct OverlapCurve {
    std::vector<double> meanIou;  ///< per threshold
    std::vector<double> meanDice; ///< per threshold
    int crops = 0;
};

/// A 95 % interval: the 2.5th and 97.5th percentiles of a bootstrap distribution.
struct Interval {
    double low = 0, high = 0;
};

/// Patient-level figures of one split at the chosen setting.
struct SplitStatistics {
    int patients = 0;
    /// Patients resampled with replacement (each brings all its crops), the crop mean taken each
    /// time, EvaluationOptions::bootstrapSamples times, seeded: the same report every run. The
    /// setting stays the chosen one (the choice itself is not resampled). Empty with < 2 patients.
    std::optional<Interval> iouInterval, diceInterval;
    double patientMeanIou = 0; ///< mean over patients of each patient's mean crop IoU
    double pooledIou = 0;      ///< sum |X n Y| / sum |X u Y| over the crops
    double pooledDice = 0;     ///< 2 sum |X n Y| / sum (|X| + |Y|)
};

struct SubsetResult {
    std::string setting;         ///< "t = 0.15", "r = 40 px", "-", or "n/a (1 val crop)"
    double threshold = 0;        ///< the chosen threshold (or disc radius for the disc baseline)
    double validationIou = 0, validationDice = 0;
    double testIou = 0, testDice = 0;
    int validationCrops = 0, testCrops = 0;
    OverlapCurve validationCurve, testCurve; ///< CAM methods only
    SplitStatistics validationStatistics, testStatistics; ///< where patients were given
    /// The best setting on test itself (what a perfect threshold choice would give): the gap to
    /// testIou is what choosing on validation costs. Empty without test crops or with one setting.
    std::optional<double> oracleThreshold, oracleTestIou;
    std::string oracleSetting; ///< the oracle's setting as `setting` prints it, e.g. "t = 0.50"
    /// Why no setting was chosen (fewer validation crops than EvaluationOptions::
    /// minimumValidationCrops, e.g. "1 val crop"); empty when one was. The numbers are then
    /// meaningless and every report prints n/a, never a confident 0.000.
    std::string notChosen;
    bool chosen() const { return notChosen.empty(); }
    /// A validation / test figure where it means something (a setting was chosen and the split's
    /// subset has crops), else nullopt: reports print n/a.
    std::optional<double> validationFigure(double value) const
    {
        return chosen() && validationCrops > 0 ? std::optional<double>(value) : std::nullopt;
    }
    std::optional<double> testFigure(double value) const
    {
        return chosen() && testCrops > 0 ? std::optional<double>(value) : std::nullopt;
    }
};

/// IoU and Dice of one proposal against its ground truth, and the pixel counts behind them.
struct Overlap {
    double iou = 0, dice = 0;
    long long intersection = 0, unionSize = 0;
};

/// The protocol's choice on one subset: `values` are the candidate settings (thresholds or disc
/// radii), `validation[n][j]` / `test[n][j]` crop n's overlap at setting j; the subsets are
/// positions in those. The setting with the best mean validation IoU is chosen (the first on a
/// tie) and reported on both; with one candidate nothing is tuned and any number of validation
/// crops will do, otherwise at least `minimumValidationCrops` are needed (else notChosen says why).
/// `validationPatients[n]` / `testPatients[n]` name crop n's patient (empty: no patient-level
/// statistics); `bootstrapSamples` resamples for the intervals.
SubsetResult chooseSetting(const std::vector<std::vector<Overlap>>& validation,
                           const std::vector<size_t>& validationSubset,
                           const std::vector<std::vector<Overlap>>& test,
                           const std::vector<size_t>& testSubset, const std::vector<double>& values,
                           const std::string& unitFormat, int minimumValidationCrops,
                           const std::vector<std::string>& validationPatients = {},
                           const std::vector<std::string>& testPatients = {}, int bootstrapSamples = 2000);

/// One evaluated crop's result at its method's chosen threshold (the "all" subset).
struct CropOutcome {
    bool test = false;     ///< else validation
    size_t datasetIndex = 0;
    Overlap overlap;
};

struct MethodResult {
    std::string name;
    /// A refined proposal (core/proposals): the maps it starts from (a CAM method's, or those maps
    /// smoothed across slices, or a 2.5D classifier's); empty otherwise.
    std::string refines;
    /// With `refines`: the proposal rule applied to those maps (a core/proposals kind name, "raw"
    /// for the maps thresholded; "linked" for {map > t} linked across slices).
    std::string rule;
    /// Pixel labels the proposal used: "" (none: a weak method), "organ" (restricted to the kidney
    /// label, lesions included), "lesion" (trained on lesion masks: the supervised bound).
    std::string pixelLabels;
    bool segmenter = false; ///< a trained segmenter's probability map thresholded
    std::string modelHash;  ///< a segmenter row's U-Net (Segmenter::contentHash), for cam-batch's levels
    /// A CAM method's own maps thresholded: not a baseline, a refinement or a segmenter.
    bool isCamRow() const { return !baseline && refines.empty() && !segmenter; }
    std::string flavour;      ///< whose definitions made the maps (CamFlavour's name); empty for a baseline
    bool approximate = false; ///< scorecam-fast
    bool baseline = false;
    /// The earlier method whose maps are the same on every evaluated crop, to 1e-4 of each map's
    /// range after the protocol's normalisation (e.g. CAM, Grad-CAM, XGrad-CAM and HiResCAM at a
    /// pooled linear head, whose maps are proportional); empty when none. Their figures can still
    /// differ by a pixel that float rounding puts on the other side of a threshold.
    std::string sameAs;
    std::vector<CropOutcome> crops; ///< every evaluated crop at the chosen threshold (empty if none chosen)
    /// A proposal row's masks on the example crops (EvaluationResult::examples order) at the chosen
    /// level, for the example grid; empty for the CAM rows (their maps are in the examples).
    std::vector<std::vector<uint8_t>> exampleMasks;
    SubsetResult all, large;
    int degenerateMaps = 0;
    double msPerCrop = 0;     ///< of the maps computed in this run (0 when all came from the cache)
};

struct ExampleCrop {
    size_t index = 0;
    std::vector<CamMap> maps; ///< normalised as evaluated, one per CAM method (in methods order)
};

struct EvaluationOptions {
    std::vector<CamMethod> methods{CamMethod::Cam, CamMethod::GradCam, CamMethod::GradCamPlusPlus,
                                   CamMethod::SmoothGradCamPlusPlus, CamMethod::ScoreCam};
    CamOptions cam; ///< target class, score, method parameters (method is set per method)
    double thresholdStep = 0.05;
    MapNormalisation normalisation = MapNormalisation::PerCrop;
    double largeLesionFraction = 0.02;
    /// Fewer validation crops in a subset than this: no threshold (or radius) is chosen there and
    /// the subset's row says n/a with the count.
    int minimumValidationCrops = 3;
    int bootstrapSamples = 2000; ///< patient-level bootstrap resamples for the 95 % intervals
    int batchSize = 16;
    int examples = 6;
    CamCache* cache = nullptr;
    std::function<void(const std::string& stage, size_t done, size_t total)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

/// The crops an evaluation scores every proposal on: the correctly classified lesion crops of
/// validation ([0]) and test ([1]), with their subsets (positions in `indices`) and patients.
struct EvaluatedCrops {
    std::array<std::vector<size_t>, 2> indices;       ///< dataset indices
    std::array<std::vector<size_t>, 2> all;           ///< every position
    std::array<std::vector<size_t>, 2> large;         ///< lesion above EvaluationOptions::largeLesionFraction
    std::array<std::vector<std::string>, 2> patients; ///< each crop's case
};

struct EvaluationResult {
    ClassificationMetrics test, validation;
    double testMajorityBaselineF1 = 0; ///< see ClassificationMetrics for always-lesion / no-lesion
    std::vector<double> thresholds;
    std::vector<MethodResult> methods; ///< CAM methods in order, then the baselines
    std::vector<ExampleCrop> examples; ///< correctly classified lesion crops of the test split
    int validationLesionCrops = 0, testLesionCrops = 0; ///< correctly classified ones evaluated
    EvaluatedCrops evaluated;
};

EvaluationResult evaluateModel(const Classifier& classifier, const CropDataset& dataset,
                               const EvaluationOptions& options);

/// One method's maps of crops `indices` as the evaluation scores them: upsampled to the crop and
/// normalised as `options.normalisation` says (per crop, per case or raw); cache first.
std::vector<CamResult> evaluatedMaps(const Classifier& classifier, const CropDataset& dataset,
                                     const std::vector<size_t>& indices, CamMethod method,
                                     const EvaluationOptions& options,
                                     const std::function<void(size_t, size_t)>& progress = {},
                                     size_t* computed = nullptr);

/// IoU and Dice of {score > level} against `truth` for every level (ascending), in one pass.
std::vector<Overlap> overlapsAtLevels(const std::vector<float>& scores, const uint8_t* truth,
                                      const std::vector<double>& levels);
/// IoU and Dice of each mask against `truth`.
std::vector<Overlap> overlapsOfMasks(const std::vector<std::vector<uint8_t>>& masks, const uint8_t* truth);

/// A proposal's overlap with a crop's lesion mask at each level: (dataset index, lesion mask) ->
/// one Overlap per level. Called from several threads at once.
using ProposalOverlaps = std::function<std::vector<Overlap>(size_t datasetIndex, const uint8_t* truth)>;

/// A proposal's mask (rows x cols of the crop, 0/1) of dataset crop `index` at `level`.
using ProposalAt = std::function<std::vector<uint8_t>(size_t datasetIndex, double level)>;

/// Scores a proposal other than {CAM map > t} (a refinement, a segmenter) on the crops `result`
/// evaluated, by the same protocol: the level with the best mean validation IoU among `levels`,
/// test figures at it, patient-level intervals, the large-lesion subset, each crop's outcome; with
/// `proposalAt`, the proposals of the example crops at the chosen level (`exampleMasks`).
MethodResult scoreProposal(const std::string& name, const EvaluationResult& result,
                           const CropDataset& dataset, const EvaluationOptions& options,
                           const std::vector<double>& levels, const std::string& unitFormat,
                           const ProposalOverlaps& overlapsOf, const ProposalAt& proposalAt = {});

} // namespace weaksight::compute
