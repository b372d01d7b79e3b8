#include "core/compute/Evaluation.h"
#include "core/common/Overlap.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>

namespace weaksight::compute {

std::string toString(MapNormalisation normalisation)
{
    switch (normalisation) {
    case MapNormalisation::PerCrop:
        return "crop";
    case MapNormalisation::PerCase:
        return "case";
    case MapNormalisation::None:
        return "none";
    }
    return "crop";
}

MapNormalisation mapNormalisationFromString(const std::string& name)
{
    if (name == "crop" || name == "minmax")
        return MapNormalisation::PerCrop;
    if (name == "case" || name == "volume")
        return MapNormalisation::PerCase;
    if (name == "none")
        return MapNormalisation::None;
    throw std::invalid_argument("unknown normalisation '" + name + "' (crop, case, none)");
}

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
    if (batchSize < 1)
        throw std::invalid_argument("the CAM batch size must be 1 or more");
    const std::string methodKey = camMethodKey(options, classifier.description().targetLayer);
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    std::vector<CamResult> results(indices.size());
    std::vector<size_t> missing; // positions in indices
    for (size_t n = 0; n < indices.size(); ++n) {
        const CachedCam* hit = cache ? cache->find(dataset.contentKey(indices[n]), methodKey) : nullptr;
        if (!hit) {
            missing.push_back(n);
            continue;
        }
        results[n].raw = hit->raw;
        results[n].targetScore = hit->targetScore;
        results[n].degenerate = hit->degenerate;
        results[n].degenerateReason = hit->degenerate ? "degenerate (cached)" : "";
    }
    if (computed)
        *computed = missing.size();
    size_t done = indices.size() - missing.size();
    if (progress)
        progress(done, indices.size());
    for (size_t start = 0; start < missing.size(); start += static_cast<size_t>(batchSize)) {
        if (cancel && cancel->load())
            throw std::runtime_error("heatmap computation cancelled (finished maps are kept in the cache)");
        const size_t count = std::min(static_cast<size_t>(batchSize), missing.size() - start);
        std::vector<Image2D> crops;
        for (size_t j = 0; j < count; ++j)
            crops.push_back(dataset.image(indices[missing[start + j]]));
        // Score-CAM runs minutes per batch on a CPU: report (and honour a cancel) per masked chunk.
        CamOptions batchOptions = options;
        batchOptions.progress = [&, count, done](int64_t inner, int64_t innerTotal) {
            if (options.progress && !options.progress(inner, innerTotal))
                return false;
            if (progress && innerTotal > 0)
                progress(done + static_cast<size_t>(static_cast<double>(count) * static_cast<double>(inner) /
                                                    static_cast<double>(innerTotal)),
                         indices.size());
            return !(cancel && cancel->load());
        };
        std::vector<CamResult> batch;
        try {
            batch = computeCams(classifier, crops, batchOptions);
        } catch (const CamCancelled&) {
            throw std::runtime_error("heatmap computation cancelled (finished maps are kept in the cache)");
        }
        for (size_t j = 0; j < count; ++j) {
            const size_t n = missing[start + j];
            if (cache)
                cache->insert(dataset.contentKey(indices[n]), methodKey,
                              CachedCam{batch[j].raw, batch[j].targetScore, batch[j].degenerate});
            results[n] = std::move(batch[j]);
        }
        if (cache)
            cache->flush();
        done += count;
        if (progress)
            progress(done, indices.size());
    }
    // One upsampling for cached and fresh maps alike, so a result never depends on the cache.
    for (auto& r : results)
        r.upsampled = upsampleBilinear(r.raw, rows, cols);
    return results;
}

namespace {

/// IoU and Dice of {map > t} against the mask for every threshold, in one pass over the pixels.
std::vector<Overlap> overlapsAtThresholds(const CamMap& map, const uint8_t* truth, const std::vector<double>& thresholds)
{
    const size_t bins = thresholds.size() + 1;
    std::vector<long long> all(bins, 0), inTruth(bins, 0);
    long long truthSize = 0;
    for (size_t p = 0; p < map.values.size(); ++p) {
        // bin = number of thresholds strictly below the value: the pixel is proposed for t_j, j < bin.
        const auto bin = static_cast<size_t>(std::lower_bound(thresholds.begin(), thresholds.end(),
                                                              static_cast<double>(map.values[p])) -
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
OverlapCurve meanCurve(const std::vector<std::vector<Overlap>>& perCrop, const std::vector<size_t>& subset, size_t count)
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
SplitStatistics splitStatistics(const std::vector<std::vector<Overlap>>& perCrop, const std::vector<size_t>& subset,
                                const std::vector<std::string>& patients, size_t best, int samples, uint64_t seed)
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
    const auto pick = [&](std::mt19937_64& g) { return static_cast<size_t>(g() % groups.size()); };
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
            return v[std::min(v.size() - 1, static_cast<size_t>(std::floor(q * static_cast<double>(v.size()))))];
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

std::vector<size_t> largePositions(const CropDataset& dataset, const std::vector<size_t>& indices, double fraction)
{
    std::vector<size_t> v;
    for (size_t n = 0; n < indices.size(); ++n)
        if (dataset.records()[indices[n]].lesionFraction > fraction)
            v.push_back(n);
    return v;
}

} // namespace

SubsetResult chooseSetting(const std::vector<std::vector<Overlap>>& validation,
                           const std::vector<size_t>& validationSubset, const std::vector<std::vector<Overlap>>& test,
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
        r.notChosen = std::to_string(r.validationCrops) + (r.validationCrops == 1 ? " val crop" : " val crops");
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
    r.validationStatistics = splitStatistics(validation, validationSubset, validationPatients, best, bootstrapSamples, 1);
    r.testStatistics = splitStatistics(test, testSubset, testPatients, best, bootstrapSamples, 2);
    if (!testSubset.empty() && values.size() > 1) {
        const size_t oracle = static_cast<size_t>(
            std::max_element(r.testCurve.meanIou.begin(), r.testCurve.meanIou.end()) - r.testCurve.meanIou.begin());
        r.oracleThreshold = values[oracle];
        r.oracleTestIou = r.testCurve.meanIou[oracle];
        std::snprintf(setting, sizeof setting, unitFormat.c_str(), values[oracle]);
        r.oracleSetting = setting;
    }
    return r;
}

EvaluationResult evaluateModel(const Classifier& classifier, const CropDataset& dataset, const EvaluationOptions& o)
{
    if (!(o.thresholdStep > 0 && o.thresholdStep <= 0.5))
        throw std::invalid_argument("threshold step must be in (0, 0.5]");
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    const size_t pixels = static_cast<size_t>(rows) * cols;
    EvaluationResult result;
    const auto report = [&](const std::string& stage, size_t done, size_t total) {
        if (o.progress)
            o.progress(stage, done, total);
    };

    // Classification, and the correctly classified lesion crops the heatmaps are scored on.
    std::vector<size_t> correctLesion[2]; // validation, test
    const Split splits[2] = {Split::Validation, Split::Test};
    for (int s = 0; s < 2; ++s) {
        const auto indices = dataset.indicesOf(splits[s]);
        if (indices.empty())
            throw std::invalid_argument(dataset.directory().string() + ": no crops in the " + toString(splits[s]) + " split");
        report("classify " + toString(splits[s]), 0, indices.size());
        std::vector<float> probabilities;
        const auto metrics = classifyCrops(classifier, dataset, indices, &probabilities);
        (s == 0 ? result.validation : result.test) = metrics;
        for (size_t n = 0; n < indices.size(); ++n)
            if (dataset.records()[indices[n]].lesion && probabilities[n] > 0.5f)
                correctLesion[s].push_back(indices[n]);
        report("classify " + toString(splits[s]), indices.size(), indices.size());
    }
    result.testMajorityBaselineF1 = result.test.majorityBaselineF1();
    result.validationLesionCrops = static_cast<int>(correctLesion[0].size());
    result.testLesionCrops = static_cast<int>(correctLesion[1].size());

    const int steps = static_cast<int>(std::lround(1.0 / o.thresholdStep));
    for (int j = 0; j <= steps; ++j)
        result.thresholds.push_back(std::min(1.0, j * o.thresholdStep));

    // Examples: test crops spread over lesion sizes.
    std::vector<size_t> exampleIndices = correctLesion[1];
    std::sort(exampleIndices.begin(), exampleIndices.end(), [&](size_t a, size_t b) {
        return dataset.records()[a].lesionFraction < dataset.records()[b].lesionFraction;
    });
    std::vector<size_t> examplePositions; // positions within correctLesion[1]
    const size_t exampleCount = std::min(exampleIndices.size(), static_cast<size_t>(std::max(o.examples, 0)));
    for (size_t e = 0; e < exampleCount; ++e) {
        const size_t pick = exampleIndices[(e * 2 + 1) * exampleIndices.size() / (2 * exampleCount)];
        ExampleCrop example;
        example.index = pick;
        result.examples.push_back(example);
        examplePositions.push_back(static_cast<size_t>(
            std::find(correctLesion[1].begin(), correctLesion[1].end(), pick) - correctLesion[1].begin()));
    }

    const std::vector<size_t> validationAll = allPositions(correctLesion[0].size());
    const std::vector<size_t> testAll = allPositions(correctLesion[1].size());
    const std::vector<size_t> validationLarge = largePositions(dataset, correctLesion[0], o.largeLesionFraction);
    const std::vector<size_t> testLarge = largePositions(dataset, correctLesion[1], o.largeLesionFraction);
    std::vector<std::string> patients[2]; // the case of each evaluated crop
    for (int s = 0; s < 2; ++s)
        for (size_t index : correctLesion[s])
            patients[s].push_back(dataset.records()[index].caseId);
    // Each method's raw maps of every evaluated crop (normalised per crop unless the protocol uses
    // raw values), to name methods whose maps are the same: proportional maps (CAM, Grad-CAM,
    // XGrad-CAM, HiResCAM at a pooled linear head) agree to float rounding, not bit for bit.
    std::vector<std::vector<CamMap>> mapsOfMethod;
    const auto sameMaps = [](const std::vector<CamMap>& a, const std::vector<CamMap>& b) {
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
    };

    for (const CamMethod method : o.methods) {
        CamOptions cam = o.cam;
        cam.method = method;
        MethodResult m;
        m.name = toString(method);
        m.flavour = toString(cam.flavour);
        m.approximate = isApproximate(method);
        std::vector<std::vector<Overlap>> perCrop[2];
        std::vector<CamMap> rawMaps; // validation then test
        size_t computedMaps = 0;
        double seconds = 0;
        for (int s = 0; s < 2; ++s) {
            const auto start = std::chrono::steady_clock::now();
            size_t computed = 0;
            auto maps = camsForCrops(
                classifier, dataset, correctLesion[s], cam, o.cache, o.batchSize,
                [&](size_t done, size_t total) { report(m.name + " " + toString(splits[s]), done, total); }, o.cancel,
                &computed);
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            computedMaps += computed;
            for (const auto& map : maps) {
                CamMap raw = map.raw;
                if (o.normalisation != MapNormalisation::None)
                    normaliseMinMax(raw);
                rawMaps.push_back(std::move(raw));
            }
            normalise(maps, correctLesion[s], dataset, o.normalisation);
            for (size_t n = 0; n < maps.size(); ++n) {
                m.degenerateMaps += maps[n].degenerate;
                perCrop[s].push_back(
                    overlapsAtThresholds(maps[n].upsampled, dataset.maskPixels(correctLesion[s][n]), result.thresholds));
            }
            if (s == 1)
                for (size_t e = 0; e < examplePositions.size(); ++e)
                    result.examples[e].maps.push_back(maps[examplePositions[e]].upsampled);
        }
        m.msPerCrop = computedMaps ? 1000.0 * seconds / static_cast<double>(computedMaps) : 0.0;
        m.all = chooseSetting(perCrop[0], validationAll, perCrop[1], testAll, result.thresholds, "t = %.2f",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
        m.large = chooseSetting(perCrop[0], validationLarge, perCrop[1], testLarge, result.thresholds, "t = %.2f",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
        if (m.all.chosen()) {
            const auto chosen = static_cast<size_t>(
                std::find(result.thresholds.begin(), result.thresholds.end(), m.all.threshold) - result.thresholds.begin());
            for (int s = 0; s < 2; ++s)
                for (size_t n = 0; n < correctLesion[s].size(); ++n)
                    m.crops.push_back({s == 1, correctLesion[s][n], perCrop[s][n][chosen]});
        }
        for (size_t earlier = 0; earlier < mapsOfMethod.size(); ++earlier)
            if (sameMaps(mapsOfMethod[earlier], rawMaps)) {
                const auto& first = result.methods[earlier];
                m.sameAs = first.sameAs.empty() ? first.name : first.sameAs;
                break;
            }
        mapsOfMethod.push_back(std::move(rawMaps));
        result.methods.push_back(std::move(m));
    }

    // Baselines that use no model: the whole crop, and a centred disc (radius tuned on validation).
    std::vector<double> radii;
    for (int r = 5; r <= std::max(rows, cols) / 2 + 5; r += 5)
        radii.push_back(r);
    std::vector<std::vector<Overlap>> whole[2], disc[2];
    for (int s = 0; s < 2; ++s)
        for (size_t index : correctLesion[s]) {
            const uint8_t* truth = dataset.maskPixels(index);
            whole[s].push_back({overlapOf(std::vector<uint8_t>(pixels, 1), truth)});
            std::vector<Overlap> byRadius;
            for (double radius : radii) {
                std::vector<uint8_t> proposal(pixels, 0);
                for (int r = 0; r < rows; ++r)
                    for (int c = 0; c < cols; ++c) {
                        const double dr = r + 0.5 - rows / 2.0, dc = c + 0.5 - cols / 2.0;
                        proposal[static_cast<size_t>(r) * cols + c] = dr * dr + dc * dc <= radius * radius;
                    }
                byRadius.push_back(overlapOf(proposal, truth));
            }
            disc[s].push_back(std::move(byRadius));
        }
    MethodResult wholeCrop;
    wholeCrop.name = "baseline: whole crop";
    wholeCrop.baseline = true;
    wholeCrop.all = chooseSetting(whole[0], validationAll, whole[1], testAll, {0.0}, "-",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
    wholeCrop.large = chooseSetting(whole[0], validationLarge, whole[1], testLarge, {0.0}, "-",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
    wholeCrop.all.validationCurve = wholeCrop.all.testCurve = {};
    wholeCrop.large.validationCurve = wholeCrop.large.testCurve = {};
    MethodResult centredDisc;
    centredDisc.name = "baseline: centred disc";
    centredDisc.baseline = true;
    centredDisc.all = chooseSetting(disc[0], validationAll, disc[1], testAll, radii, "r = %.0f px",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
    centredDisc.large = chooseSetting(disc[0], validationLarge, disc[1], testLarge, radii, "r = %.0f px",
                              o.minimumValidationCrops, patients[0], patients[1], o.bootstrapSamples);
    centredDisc.all.validationCurve = centredDisc.all.testCurve = {};
    centredDisc.large.validationCurve = centredDisc.large.testCurve = {};
    result.methods.push_back(std::move(wholeCrop));
    result.methods.push_back(std::move(centredDisc));
    return result;
}

} // namespace weaksight::compute
