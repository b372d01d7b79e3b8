#include "core/compute/Evaluation.h"

#include "core/common/Overlap.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace weaksight::compute {

std::vector<size_t> shardOf(const std::vector<size_t>& indices, int index, int count)
{
    if (count < 1 || index < 0 || index >= count)
        throw std::invalid_argument("shard " + std::to_string(index) + "/" + std::to_string(count) +
                                    " does not exist (shards are 0 .. N-1)");
    std::vector<size_t> part;
    for (size_t i = static_cast<size_t>(index); i < indices.size(); i += static_cast<size_t>(count))
        part.push_back(indices[i]);
    return part;
}

std::vector<CamResult> camsForCrops(const Classifier& classifier, const CropDataset& dataset,
                                    const std::vector<size_t>& indices, const CamOptions& options, CamCache* cache,
                                    int batchSize, const std::function<void(size_t, size_t)>& progress,
                                    const std::atomic<bool>* cancel, size_t* computed)
{
    const SliceContext& context = classifier.description().context;
    dataset.checkContext(context);
    std::vector<uint64_t> keys(indices.size()); // once: a 2.5D crop's key reads all its planes
    for (size_t n = 0; n < indices.size(); ++n)
        keys[n] = dataset.contentKey(indices[n], context);
    const CropSource crops{indices.size(), [&](size_t n) { return keys[n]; },
                           [&](size_t n) {
                               return dataset.image(indices[n], context);
                           }};
    std::vector<CamResult> results;
    try {
        results = cachedCams(classifier, crops, options, cache, batchSize, progress, cancel, computed);
    } catch (const CamCancelled&) {
        throw std::runtime_error("heatmap computation cancelled (finished maps are kept in the cache)");
    }
    // One upsampling for cached and fresh maps alike, so a result never depends on the cache.
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    for (auto& r : results)
        r.upsampled = upsampleBilinear(r.raw, rows, cols);
    return results;
}

namespace {

/// IoU and Dice of {map > t} against the mask for every threshold, in one pass over the pixels.
std::vector<Overlap> overlapsAtThresholds(const std::vector<float>& values, const uint8_t* truth,
                                          const std::vector<double>& thresholds)
{
    const size_t bins = thresholds.size() + 1;
    std::vector<long long> all(bins, 0), inTruth(bins, 0);
    long long truthSize = 0;
    for (size_t p = 0; p < values.size(); ++p) {
        // bin = number of thresholds strictly below the value: the pixel is proposed for t_j, j < bin.
        const auto bin = static_cast<size_t>(
            std::lower_bound(thresholds.begin(), thresholds.end(), static_cast<double>(values[p])) -
            thresholds.begin());
        ++all[bin];
        if (truth[p]) {
            ++inTruth[bin];
            ++truthSize;
        }
    }
    std::vector<Overlap> out(thresholds.size());
    long long proposed = 0, intersection = 0;
    for (size_t j = thresholds.size(); j-- > 0;) {
        proposed += all[j + 1];
        intersection += inTruth[j + 1];
        const long long unionSize = proposed + truthSize - intersection;
        const auto ratios = overlapRatios(intersection, unionSize);
        out[j].iou = ratios.iou;
        out[j].dice = ratios.dice;
        out[j].intersection = intersection;
        out[j].unionSize = unionSize;
    }
    return out;
}

Overlap overlapOf(const std::vector<uint8_t>& proposal, const uint8_t* truth)
{
    long long a = 0, b = 0, both = 0;
    for (size_t p = 0; p < proposal.size(); ++p) {
        a += proposal[p];
        b += truth[p];
        both += proposal[p] && truth[p];
    }
    const long long unionSize = a + b - both;
    const auto ratios = overlapRatios(both, unionSize);
    return {ratios.iou, ratios.dice, both, unionSize};
}

void normalise(std::vector<CamResult>& maps, const std::vector<size_t>& indices, const CropDataset& dataset,
               MapNormalisation how)
{
    if (how == MapNormalisation::PerCrop) {
        for (auto& m : maps)
            normaliseMinMax(m.upsampled);
    } else if (how == MapNormalisation::PerCase) {
        std::map<std::string, std::vector<CamMap*>> byCase;
        for (size_t n = 0; n < maps.size(); ++n)
            byCase[dataset.records()[indices[n]].caseId].push_back(&maps[n].upsampled);
        for (auto& [caseId, group] : byCase)
            normaliseJointly(group);
    }
}

/// Mean curves over a subset of crops (positions in `perCrop`).
OverlapCurve meanCurve(const std::vector<std::vector<Overlap>>& perCrop, const std::vector<size_t>& subset,
                       size_t count)
{
    OverlapCurve curve;
    curve.meanIou.assign(count, 0.0);
    curve.meanDice.assign(count, 0.0);
    curve.crops = static_cast<int>(subset.size());
    for (size_t n : subset)
        for (size_t j = 0; j < count; ++j) {
            curve.meanIou[j] += perCrop[n][j].iou;
            curve.meanDice[j] += perCrop[n][j].dice;
        }
    for (size_t j = 0; j < count && !subset.empty(); ++j) {
        curve.meanIou[j] /= static_cast<double>(subset.size());
        curve.meanDice[j] /= static_cast<double>(subset.size());
    }
    return curve;
}

/// Patient-level figures of the crops `subset` (positions in perCrop) at setting `best`.
SplitStatistics splitStatistics(const std::vector<std::vector<Overlap>>& perCrop,
                                const std::vector<size_t>& subset, const std::vector<std::string>& patients,
                                size_t best, int samples, uint64_t seed)
{
    SplitStatistics s;
    long long intersection = 0, unionSize = 0;
    for (size_t n : subset) {
        intersection += perCrop[n][best].intersection;
        unionSize += perCrop[n][best].unionSize;
    }
    if (!subset.empty()) {
        const auto pooled = overlapRatios(intersection, unionSize);
        s.pooledIou = pooled.iou;
        s.pooledDice = pooled.dice;
    }
    if (patients.empty() || subset.empty())
        return s;
    // Each patient's crops (positions), in a fixed order.
    std::map<std::string, std::vector<size_t>> byPatient;
    for (size_t n : subset)
        byPatient[patients.at(n)].push_back(n);
    std::vector<const std::vector<size_t>*> groups;
    for (const auto& [patient, crops] : byPatient)
        groups.push_back(&crops);
    s.patients = static_cast<int>(groups.size());
    for (const auto* crops : groups) {
        double sum = 0;
        for (size_t n : *crops)
            sum += perCrop[n][best].iou;
        s.patientMeanIou += sum / static_cast<double>(crops->size());
    }
    s.patientMeanIou /= static_cast<double>(groups.size());
    if (groups.size() < 2 || samples < 1)
        return s;
    // Raw mt19937_64 draws (the standard fixes them; distributions differ between libraries).
    std::mt19937_64 generator(seed);
    const auto pick = [&](std::mt19937_64& g) {
        return static_cast<size_t>(g() % groups.size());
    };
    std::vector<double> ious, dices;
    for (int b = 0; b < samples; ++b) {
        double iou = 0, dice = 0;
        size_t count = 0;
        for (size_t g = 0; g < groups.size(); ++g)
            for (size_t n : *groups[pick(generator)]) {
                iou += perCrop[n][best].iou;
                dice += perCrop[n][best].dice;
                ++count;
            }
        ious.push_back(iou / static_cast<double>(count));
        dices.push_back(dice / static_cast<double>(count));
    }
    const auto percentiles = [](std::vector<double>& v) {
        std::sort(v.begin(), v.end());
        const auto at = [&](double q) {
            return v[std::min(v.size() - 1,
                              static_cast<size_t>(std::floor(q * static_cast<double>(v.size()))))];
        };
        return Interval{at(0.025), at(0.975)};
    };
    s.iouInterval = percentiles(ious);
    s.diceInterval = percentiles(dices);
    return s;
}

std::vector<size_t> allPositions(size_t n)
{
    std::vector<size_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = i;
    return v;
}

std::vector<size_t> largePositions(const CropDataset& dataset, const std::vector<size_t>& indices,
                                   double fraction)
{
    std::vector<size_t> v;
    for (size_t n = 0; n < indices.size(); ++n)
        if (dataset.records()[indices[n]].lesionFraction > fraction)
            v.push_back(n);
    return v;
}

} // namespace

SubsetResult chooseSetting(const std::vector<std::vector<Overlap>>& validation,
                           const std::vector<size_t>& validationSubset,
                           const std::vector<std::vector<Overlap>>& test,
                           const std::vector<size_t>& testSubset, const std::vector<double>& values,
                           const std::string& unitFormat, int minimumValidationCrops,
                           const std::vector<std::string>& validationPatients,
                           const std::vector<std::string>& testPatients, int bootstrapSamples)
{
    SubsetResult r;
    r.validationCurve = meanCurve(validation, validationSubset, values.size());
    r.testCurve = meanCurve(test, testSubset, values.size());
    r.validationCrops = r.validationCurve.crops;
    r.testCrops = r.testCurve.crops;
    // One candidate tunes nothing (the whole-crop baseline): it needs no validation crops.
    const int needed = values.size() > 1 ? std::max(1, minimumValidationCrops) : 0;
    if (r.validationCrops < needed || values.empty()) {
        r.notChosen =
            std::to_string(r.validationCrops) + (r.validationCrops == 1 ? " val crop" : " val crops");
        r.setting = "n/a (" + r.notChosen + ")";
        return r;
    }
    const size_t best = static_cast<size_t>(
        std::max_element(r.validationCurve.meanIou.begin(), r.validationCurve.meanIou.end()) -
        r.validationCurve.meanIou.begin());
    r.threshold = values[best];
    char setting[64];
    std::snprintf(setting, sizeof setting, unitFormat.c_str(), values[best]);
    r.setting = setting;
    r.validationIou = validationSubset.empty() ? 0.0 : r.validationCurve.meanIou[best];
    r.validationDice = validationSubset.empty() ? 0.0 : r.validationCurve.meanDice[best];
    r.testIou = testSubset.empty() ? 0.0 : r.testCurve.meanIou[best];
    r.testDice = testSubset.empty() ? 0.0 : r.testCurve.meanDice[best];
    // Fixed seeds: a report is the same every run.
    r.validationStatistics =
        splitStatistics(validation, validationSubset, validationPatients, best, bootstrapSamples, 1);
    r.testStatistics = splitStatistics(test, testSubset, testPatients, best, bootstrapSamples, 2);
    if (!testSubset.empty() && values.size() > 1) {
        const size_t oracle =
            static_cast<size_t>(std::max_element(r.testCurve.meanIou.begin(), r.testCurve.meanIou.end()) -
                                r.testCurve.meanIou.begin());
        r.oracleThreshold = values[oracle];
        r.oracleTestIou = r.testCurve.meanIou[oracle];
        std::snprintf(setting, sizeof setting, unitFormat.c_str(), values[oracle]);
        r.oracleSetting = setting;
    }
    return r;
}

namespace {

const Split kSplits[2] = {Split::Validation, Split::Test};

using PerCropOverlaps = std::vector<std::vector<Overlap>>;

/// What every step of one evaluation shares.
struct EvaluationContext {
    EvaluationContext(const Classifier& classifier, const CropDataset& dataset, const EvaluationOptions& o)
        : classifier(classifier)
        , dataset(dataset)
        , o(o)
    {
    }
    void report(const std::string& stage, size_t done, size_t total) const
    {
        if (o.progress)
            o.progress(stage, done, total);
    }

    const Classifier& classifier;
    const CropDataset& dataset;
    const EvaluationOptions& o;
    EvaluatedCrops crops;
    std::vector<size_t> examplePositions; ///< positions within crops.indices[1]
};

/// Classification, and the correctly classified lesion crops the heatmaps are scored on.
void classifySplits(EvaluationContext& c, EvaluationResult& result)
{
    const CropDataset& dataset = c.dataset;
    for (int s = 0; s < 2; ++s) {
        const auto indices = dataset.indicesOf(kSplits[s]);
        if (indices.empty())
            throw std::invalid_argument(dataset.directory().string() + ": no crops in the " +
                                        toString(kSplits[s]) + " split");
        c.report("classify " + toString(kSplits[s]), 0, indices.size());
        std::vector<float> probabilities;
        const auto metrics = classifyCrops(c.classifier, dataset, indices, &probabilities);
        (s == 0 ? result.validation : result.test) = metrics;
        for (size_t n = 0; n < indices.size(); ++n)
            if (dataset.records()[indices[n]].lesion && probabilities[n] > 0.5f)
                c.crops.indices[s].push_back(indices[n]);
        c.report("classify " + toString(kSplits[s]), indices.size(), indices.size());
    }
    result.testMajorityBaselineF1 = result.test.majorityBaselineF1();
    result.validationLesionCrops = static_cast<int>(c.crops.indices[0].size());
    result.testLesionCrops = static_cast<int>(c.crops.indices[1].size());
}

/// Examples: test crops spread over lesion sizes.
void pickExamples(EvaluationContext& c, EvaluationResult& result)
{
    const auto& testCrops = c.crops.indices[1];
    std::vector<size_t> exampleIndices = testCrops;
    std::sort(exampleIndices.begin(), exampleIndices.end(), [&](size_t a, size_t b) {
        return c.dataset.records()[a].lesionFraction < c.dataset.records()[b].lesionFraction;
    });
    const size_t exampleCount =
        std::min(exampleIndices.size(), static_cast<size_t>(std::max(c.o.examples, 0)));
    for (size_t e = 0; e < exampleCount; ++e) {
        const size_t pick = exampleIndices[(e * 2 + 1) * exampleIndices.size() / (2 * exampleCount)];
        ExampleCrop example;
        example.index = pick;
        result.examples.push_back(example);
        c.examplePositions.push_back(
            static_cast<size_t>(std::find(testCrops.begin(), testCrops.end(), pick) - testCrops.begin()));
    }
}

void selectSubsets(EvaluationContext& c)
{
    for (int s = 0; s < 2; ++s) {
        c.crops.all[s] = allPositions(c.crops.indices[s].size());
        c.crops.large[s] = largePositions(c.dataset, c.crops.indices[s], c.o.largeLesionFraction);
        for (size_t index : c.crops.indices[s])
            c.crops.patients[s].push_back(c.dataset.records()[index].caseId);
    }
}

/// Whether two methods' maps agree to float rounding (proportional maps do, not bit for bit).
bool sameMaps(const std::vector<CamMap>& a, const std::vector<CamMap>& b)
{
    if (a.size() != b.size())
        return false;
    for (size_t n = 0; n < a.size(); ++n) {
        if (a[n].values.size() != b[n].values.size())
            return false;
        const float scale = std::max({1e-12f, std::abs(a[n].max()), std::abs(a[n].min())});
        for (size_t p = 0; p < a[n].values.size(); ++p)
            if (std::abs(a[n].values[p] - b[n].values[p]) > 1e-4f * scale)
                return false;
    }
    return true;
}

/// The setting chosen on validation, for all crops and for those with large lesions; at the one
/// chosen for all crops, each crop's outcome.
void chooseSettings(MethodResult& m, const PerCropOverlaps (&perCrop)[2], const std::vector<double>& values,
                    const std::string& unitFormat, const EvaluatedCrops& crops, const EvaluationOptions& o)
{
    m.all = chooseSetting(perCrop[0], crops.all[0], perCrop[1], crops.all[1], values, unitFormat,
                          o.minimumValidationCrops, crops.patients[0], crops.patients[1], o.bootstrapSamples);
    m.large =
        chooseSetting(perCrop[0], crops.large[0], perCrop[1], crops.large[1], values, unitFormat,
                      o.minimumValidationCrops, crops.patients[0], crops.patients[1], o.bootstrapSamples);
    if (!m.all.chosen())
        return;
    const auto chosen =
        static_cast<size_t>(std::find(values.begin(), values.end(), m.all.threshold) - values.begin());
    for (int s = 0; s < 2; ++s)
        for (size_t n = 0; n < crops.indices[s].size(); ++n)
            m.crops.push_back({s == 1, crops.indices[s][n], perCrop[s][n][chosen]});
}

/// One CAM method's maps of every evaluated crop, scored; appends its raw maps (validation, then
/// test; normalised per crop unless the protocol uses raw values) to `rawMaps`.
MethodResult evaluateMethod(const EvaluationContext& c, CamMethod method, EvaluationResult& result,
                            std::vector<CamMap>& rawMaps)
{
    const EvaluationOptions& o = c.o;
    MethodResult m;
    m.name = toString(method);
    m.flavour = toString(o.cam.flavour);
    m.approximate = isApproximate(method);
    PerCropOverlaps perCrop[2];
    size_t computedMaps = 0;
    double seconds = 0;
    for (int s = 0; s < 2; ++s) {
        const auto start = std::chrono::steady_clock::now();
        size_t computed = 0;
        auto maps = evaluatedMaps(
            c.classifier, c.dataset, c.crops.indices[s], method, o,
            [&](size_t done, size_t total) { c.report(m.name + " " + toString(kSplits[s]), done, total); },
            &computed);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        computedMaps += computed;
        for (const auto& map : maps) {
            CamMap raw = map.raw;
            if (o.normalisation != MapNormalisation::None)
                normaliseMinMax(raw);
            rawMaps.push_back(std::move(raw));
        }
        for (size_t n = 0; n < maps.size(); ++n) {
            m.degenerateMaps += maps[n].degenerate;
            perCrop[s].push_back(overlapsAtThresholds(
                maps[n].upsampled.values, c.dataset.maskPixels(c.crops.indices[s][n]), result.thresholds));
        }
        if (s == 1)
            for (size_t e = 0; e < c.examplePositions.size(); ++e)
                result.examples[e].maps.push_back(maps[c.examplePositions[e]].upsampled);
    }
    m.msPerCrop = computedMaps ? 1000.0 * seconds / static_cast<double>(computedMaps) : 0.0;
    chooseSettings(m, perCrop, result.thresholds, "t = %.2f", c.crops, c.o);
    return m;
}

/// {pixel within `radius` of the crop's centre}.
std::vector<uint8_t> centredDiscMask(int rows, int cols, double radius)
{
    std::vector<uint8_t> proposal(static_cast<size_t>(rows) * cols, 0);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double dr = r + 0.5 - rows / 2.0, dc = c + 0.5 - cols / 2.0;
            proposal[static_cast<size_t>(r) * cols + c] = dr * dr + dc * dc <= radius * radius;
        }
    return proposal;
}

MethodResult baselineMethod(const std::string& name, const PerCropOverlaps (&perCrop)[2],
                            const std::vector<double>& values, const std::string& unitFormat,
                            const EvaluationContext& c)
{
    MethodResult m;
    m.name = name;
    m.baseline = true;
    chooseSettings(m, perCrop, values, unitFormat, c.crops, c.o);
    m.crops.clear(); // the baselines' per-crop outcomes are not reported
    m.all.validationCurve = m.all.testCurve = {};
    m.large.validationCurve = m.large.testCurve = {};
    return m;
}

/// Baselines that use no model: the whole crop, and a centred disc (radius tuned on validation).
void addBaselines(const EvaluationContext& c, EvaluationResult& result)
{
    const int rows = c.dataset.parameters().rows, cols = c.dataset.parameters().cols;
    const size_t pixels = static_cast<size_t>(rows) * cols;
    std::vector<double> radii;
    for (int r = 5; r <= std::max(rows, cols) / 2 + 5; r += 5)
        radii.push_back(r);
    PerCropOverlaps whole[2], disc[2];
    for (int s = 0; s < 2; ++s)
        for (size_t index : c.crops.indices[s]) {
            const uint8_t* truth = c.dataset.maskPixels(index);
            whole[s].push_back({overlapOf(std::vector<uint8_t>(pixels, 1), truth)});
            std::vector<Overlap> byRadius;
            for (double radius : radii)
                byRadius.push_back(overlapOf(centredDiscMask(rows, cols, radius), truth));
            disc[s].push_back(std::move(byRadius));
        }
    MethodResult wholeCrop = baselineMethod("baseline: whole crop", whole, {0.0}, "-", c);
    MethodResult centredDisc = baselineMethod("baseline: centred disc", disc, radii, "r = %.0f px", c);
    result.methods.push_back(std::move(wholeCrop));
    result.methods.push_back(std::move(centredDisc));
}

} // namespace

EvaluationResult evaluateModel(const Classifier& classifier, const CropDataset& dataset,
                               const EvaluationOptions& o)
{
    if (!(o.thresholdStep > 0 && o.thresholdStep <= 0.5))
        throw std::invalid_argument("threshold step must be in (0, 0.5]");
    EvaluationResult result;
    EvaluationContext c(classifier, dataset, o);
    classifySplits(c, result);
    const int steps = static_cast<int>(std::lround(1.0 / o.thresholdStep));
    for (int j = 0; j <= steps; ++j)
        result.thresholds.push_back(std::min(1.0, j * o.thresholdStep));
    pickExamples(c, result);
    selectSubsets(c);
    // Each method's raw maps of every evaluated crop, to name methods whose maps are the same:
    // proportional maps (CAM, Grad-CAM, XGrad-CAM, HiResCAM at a pooled linear head) agree to
    // float rounding, not bit for bit.
    std::vector<std::vector<CamMap>> mapsOfMethod;
    for (const CamMethod method : o.methods) {
        std::vector<CamMap> rawMaps;
        MethodResult m = evaluateMethod(c, method, result, rawMaps);
        for (size_t earlier = 0; earlier < mapsOfMethod.size(); ++earlier)
            if (sameMaps(mapsOfMethod[earlier], rawMaps)) {
                const auto& first = result.methods[earlier];
                m.sameAs = first.sameAs.empty() ? first.name : first.sameAs;
                break;
            }
        mapsOfMethod.push_back(std::move(rawMaps));
        result.methods.push_back(std::move(m));
    }
    addBaselines(c, result);
    result.evaluated = std::move(c.crops);
    return result;
}

std::vector<CamResult> evaluatedMaps(const Classifier& classifier, const CropDataset& dataset,
                                     const std::vector<size_t>& indices, CamMethod method,
                                     const EvaluationOptions& options,
                                     const std::function<void(size_t, size_t)>& progress, size_t* computed)
{
    CamOptions cam = options.cam;
    cam.method = method;
    auto maps = camsForCrops(classifier, dataset, indices, cam, options.cache, options.batchSize, progress,
                             options.cancel, computed);
    normalise(maps, indices, dataset, options.normalisation);
    return maps;
}

std::vector<Overlap> overlapsAtLevels(const std::vector<float>& scores, const uint8_t* truth,
                                      const std::vector<double>& levels)
{
    return overlapsAtThresholds(scores, truth, levels);
}

std::vector<Overlap> overlapsOfMasks(const std::vector<std::vector<uint8_t>>& masks, const uint8_t* truth)
{
    std::vector<Overlap> out;
    out.reserve(masks.size());
    for (const auto& mask : masks)
        out.push_back(overlapOf(mask, truth));
    return out;
}

MethodResult scoreProposal(const std::string& name, const EvaluationResult& result,
                           const CropDataset& dataset, const EvaluationOptions& options,
                           const std::vector<double>& levels, const std::string& unitFormat,
                           const ProposalOverlaps& overlapsOf, const ProposalAt& proposalAt)
{
    MethodResult m;
    m.name = name;
    PerCropOverlaps perCrop[2];
    // Crops are independent: spread over the cores (the proposals' ITK filters run one thread each).
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    for (int s = 0; s < 2; ++s) {
        const auto& indices = result.evaluated.indices[static_cast<size_t>(s)];
        perCrop[s].resize(indices.size());
        std::atomic<size_t> next{0};
        std::exception_ptr failure;
        std::mutex failureMutex;
        const auto work = [&] {
            for (size_t n = next++; n < indices.size(); n = next++) {
                if (options.cancel && options.cancel->load())
                    return;
                try {
                    perCrop[s][n] = overlapsOf(indices[n], dataset.maskPixels(indices[n]));
                    if (perCrop[s][n].size() != levels.size())
                        throw std::logic_error(name + ": a proposal's overlaps do not match its levels");
                } catch (...) {
                    const std::lock_guard<std::mutex> lock(failureMutex);
                    if (!failure)
                        failure = std::current_exception();
                    next = indices.size();
                }
            }
        };
        std::vector<std::thread> workers;
        for (unsigned t = 1; t < threads; ++t)
            workers.emplace_back(work);
        work();
        for (auto& worker : workers)
            worker.join();
        if (failure)
            std::rethrow_exception(failure);
        if (options.cancel && options.cancel->load())
            throw std::runtime_error("evaluation cancelled");
        if (options.progress)
            options.progress(name + " " + toString(kSplits[s]), indices.size(), indices.size());
    }
    chooseSettings(m, perCrop, levels, unitFormat, result.evaluated, options);
    if (proposalAt && m.all.chosen())
        for (const auto& example : result.examples)
            m.exampleMasks.push_back(proposalAt(example.index, m.all.threshold));
    return m;
}

} // namespace weaksight::compute
