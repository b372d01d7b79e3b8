#include "core/research/ProposalStudy.h"

#include "core/common/Error.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <spdlog/spdlog.h>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace weaksight::research {

namespace {

using compute::CropDataset;
using compute::MethodResult;
using proposals::ProposalKind;
using MapsByIndex = std::unordered_map<size_t, std::vector<float>>;
using RegionsByIndex = std::unordered_map<size_t, std::vector<uint8_t>>;

/// `method`'s maps of crops `indices`, normalised as the evaluation scores them, by dataset index.
MapsByIndex mapsOf(const compute::Classifier& classifier, const CropDataset& dataset,
                   const std::vector<size_t>& indices, compute::CamMethod method,
                   const compute::EvaluationOptions& options)
{
    auto maps = compute::evaluatedMaps(classifier, dataset, indices, method, options);
    MapsByIndex out;
    for (size_t n = 0; n < indices.size(); ++n)
        out[indices[n]] = std::move(maps[n].upsampled.values);
    return out;
}

/// {value > level} (compute::isProposed) of a map or a probability map on its crop.
std::vector<uint8_t> above(const std::vector<float>& values, double level)
{
    std::vector<uint8_t> mask(values.size());
    for (size_t p = 0; p < values.size(); ++p)
        mask[p] = compute::isProposed(values[p], level) ? 1 : 0;
    return mask;
}

/// A crop as the refinements see it, without a region yet.
proposals::CropView viewOf(const CropDataset& dataset, size_t index, const float* map)
{
    const auto& p = dataset.parameters();
    return {p.rows, p.cols, dataset.imagePixels(index), map, nullptr, p.pixelSpacingMm};
}

/// The region a refinement searches in: the kidney label (kidney, tumour, cyst), or the region the
/// crop's HU gives (derived once per crop and passed as the organ, so every level shares it).
std::vector<uint8_t> regionOf(const CropDataset& dataset, size_t index, const float* map, bool organLabel)
{
    if (organLabel) {
        const uint8_t* labels = dataset.labelPixels(index);
        const size_t pixels = static_cast<size_t>(dataset.parameters().rows) * dataset.parameters().cols;
        std::vector<uint8_t> organ(pixels);
        for (size_t i = 0; i < pixels; ++i)
            organ[i] = labels[i] >= 1 && labels[i] <= 3 ? 1 : 0;
        return organ;
    }
    return proposals::deriveKidneyRegion(viewOf(dataset, index, map)).pixels;
}

BinaryMask refinedProposal(const CropDataset& dataset, size_t index, const std::vector<float>& map,
                           ProposalKind kind, double level, bool organLabel)
{
    const auto region = regionOf(dataset, index, map.data(), organLabel);
    proposals::CropView view = viewOf(dataset, index, map.data());
    view.organ = region.data();
    return proposals::propose(kind, view, level);
}

std::string levelFormat(ProposalKind kind)
{
    switch (kind) {
    case ProposalKind::Grow:
        return "seed >= %.2f";
    case ProposalKind::Watershed:
        return "marker >= %.2f";
    default:
        return "t = %.2f";
    }
}

/// Each crop's region, made once: it depends on the crop's HU (or labels) only, not on the map
/// or the level, and every refinement row reads it.
RegionsByIndex regionsOf(const CropDataset& dataset, const MapsByIndex& maps, bool organLabel)
{
    RegionsByIndex regions;
    for (const auto& [index, map] : maps)
        regions[index] = regionOf(dataset, index, map.data(), organLabel);
    return regions;
}

MethodResult scoreRefinement(const compute::EvaluationResult& result, const CropDataset& dataset,
                             const compute::EvaluationOptions& options, const MapsByIndex& maps,
                             const RegionsByIndex& regions, const std::string& method, ProposalKind kind,
                             bool organLabel)
{
    const auto& levels = result.thresholds;
    const auto start = std::chrono::steady_clock::now();
    MethodResult m = compute::scoreProposal(
        proposals::toString(kind) + ": " + method + (organLabel ? ", kidney label" : ", derived kidney"),
        result, dataset, options, levels, levelFormat(kind),
        [&](size_t index, const uint8_t* truth) {
            const auto& map = maps.at(index);
            proposals::CropView view = viewOf(dataset, index, map.data());
            view.organ = regions.at(index).data();
            std::vector<std::vector<uint8_t>> masks;
            for (const double level : levels)
                masks.push_back(proposals::propose(kind, view, level).pixels);
            return compute::overlapsOfMasks(masks, truth);
        },
        [&](size_t index, double level) {
            proposals::CropView view = viewOf(dataset, index, maps.at(index).data());
            view.organ = regions.at(index).data();
            return proposals::propose(kind, view, level).pixels;
        });
    m.refines = method;
    m.rule = proposals::toString(kind);
    m.flavour = compute::toString(options.cam.flavour);
    m.pixelLabels = organLabel ? "organ" : "";
    // CPU time of one refinement at one level (the crops ran on every core).
    const size_t crops = result.evaluated.indices[0].size() + result.evaluated.indices[1].size();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (crops > 0)
        m.msPerCrop = 1000.0 * seconds * std::max(1u, std::thread::hardware_concurrency()) /
                      static_cast<double>(crops * levels.size());
    return m;
}

/// The CAM method whose maps are refined: the one asked for, else the best on validation.
std::optional<compute::CamMethod> methodToRefine(const compute::EvaluationResult& result,
                                                 const ProposalStudyOptions& study)
{
    if (study.refine)
        return study.refine;
    const MethodResult* best = nullptr;
    for (const auto& m : result.methods)
        if (m.isCamRow() && m.all.chosen() && (!best || m.all.validationIou > best->all.validationIou))
            best = &m;
    return best ? std::optional<compute::CamMethod>(compute::camMethodFromString(best->name)) : std::nullopt;
}

/// Training crops of a U-Net from one split: every lesion crop and an even spread of the others.
std::vector<size_t> segmenterCrops(const CropDataset& dataset, compute::Split split,
                                   double negativesPerLesion)
{
    std::vector<size_t> lesion, other;
    for (size_t index : dataset.indicesOf(split))
        (dataset.records()[index].lesion ? lesion : other).push_back(index);
    const auto wanted = static_cast<size_t>(negativesPerLesion * static_cast<double>(lesion.size()));
    std::vector<size_t> crops = lesion;
    for (size_t k = 0; k < std::min(wanted, other.size()); ++k)
        crops.push_back(other[k * other.size() / std::min(wanted, other.size())]);
    return crops;
}

struct SegmenterSet {
    std::vector<compute::Image2D> images;
    std::vector<std::vector<uint8_t>> masks;
};

/// `crops` with their targets: `target(index)` for lesion crops, empty masks for the others.
SegmenterSet segmenterSet(const CropDataset& dataset, const std::vector<size_t>& crops,
                          const std::function<std::vector<uint8_t>(size_t)>& target)
{
    const size_t pixels = static_cast<size_t>(dataset.parameters().rows) * dataset.parameters().cols;
    SegmenterSet set;
    for (size_t index : crops) {
        set.images.push_back(dataset.image(index));
        set.masks.push_back(dataset.records()[index].lesion ? target(index)
                                                            : std::vector<uint8_t>(pixels, 0));
    }
    return set;
}

/// A U-Net's probability maps of crops `indices`, by dataset index.
MapsByIndex probabilitiesOf(const compute::Segmenter& segmenter, const CropDataset& dataset,
                            const std::vector<size_t>& indices)
{
    std::vector<compute::Image2D> images;
    for (size_t index : indices)
        images.push_back(dataset.image(index));
    auto maps = segmenter.predict(images);
    MapsByIndex out;
    for (size_t n = 0; n < indices.size(); ++n)
        out[indices[n]] = std::move(maps[n]);
    return out;
}

/// Trains a U-Net, saves it where asked, and scores its probability maps on the evaluated crops.
MethodResult trainAndScoreSegmenter(const std::string& name, const std::string& trainedOn,
                                    const SegmenterSet& train, const SegmenterSet& validation,
                                    compute::EvaluationResult& result, const CropDataset& dataset,
                                    const compute::EvaluationOptions& options,
                                    const ProposalStudyOptions& study, const std::string& fileName,
                                    ProposalStudy& done)
{
    compute::SegmenterDescription description = study.segmenter;
    description.huLow = dataset.parameters().huLow;
    description.huHigh = dataset.parameters().huHigh;
    description.pixelSpacingMm = dataset.parameters().pixelSpacingMm;
    description.trainedOn = trainedOn;
    compute::Segmenter segmenter = compute::Segmenter::create(description, study.training.seed);
    if (study.training.device != "auto")
        segmenter.moveTo(study.training.device);
    if (options.progress)
        options.progress(name + " training", 0, static_cast<size_t>(study.training.epochs));
    const auto trained = compute::trainSegmenter(segmenter, train.images, train.masks, validation.images,
                                                 validation.masks, study.training);
    spdlog::info("{}: {} epochs in {:.1f} s, best validation soft Dice {:.3f} (epoch {})", name,
                 trained.epochs, trained.seconds, trained.bestValidationDice, trained.bestEpoch);
    if (!study.segmenterFolder.empty()) {
        std::filesystem::create_directories(study.segmenterFolder);
        done.segmenterFiles.push_back(study.segmenterFolder / fileName);
        segmenter.save(done.segmenterFiles.back().string());
    }
    MapsByIndex probabilities;
    for (const auto& indices : result.evaluated.indices)
        probabilities.merge(probabilitiesOf(segmenter, dataset, indices));
    MethodResult m = compute::scoreProposal(
        name, result, dataset, options, result.thresholds, "p > %.2f",
        [&](size_t index, const uint8_t* truth) {
            return compute::overlapsAtLevels(probabilities.at(index), truth, result.thresholds);
        },
        [&](size_t index, double level) { return above(probabilities.at(index), level); });
    m.segmenter = true;
    m.modelHash = segmenter.contentHash();
    m.msPerCrop = 1000.0 * trained.seconds /
                  static_cast<double>(std::max<size_t>(1, train.images.size() * std::max(1, trained.epochs)));
    return m;
}

/// The refinement row with the best validation IoU among the weak ones (derived kidney region).
const MethodResult* bestWeakRefinement(const std::vector<MethodResult>& methods)
{
    const MethodResult* best = nullptr;
    for (const auto& m : methods)
        if (!m.refines.empty() && m.pixelLabels.empty() && m.all.chosen() &&
            (!best || m.all.validationIou > best->all.validationIou))
            best = &m;
    return best;
}

/// The maps of `crops` and of their neighbours on the adjacent slices (computed too).
struct MapsWithNeighbours {
    std::vector<CropNeighbours> neighbours;
    MapsByIndex maps;
};

MapsWithNeighbours mapsWithNeighbours(const compute::Classifier& classifier, const CropDataset& dataset,
                                      const std::vector<size_t>& crops, compute::CamMethod method,
                                      const compute::EvaluationOptions& options)
{
    MapsWithNeighbours out{neighbouringCrops(dataset), {}};
    std::vector<size_t> needed = crops;
    for (size_t index : crops)
        for (const auto& next : {out.neighbours[index].below, out.neighbours[index].above})
            if (next)
                needed.push_back(*next);
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    out.maps = mapsOf(classifier, dataset, needed, method, options);
    return out;
}

/// The maps of every evaluated crop smoothed across slices.
/// With per-case normalisation the neighbours join the cases' min-max, which then differs slightly
/// from the CAM rows' (the default, per crop, is the same).
MapsByIndex volumetricMaps(const compute::Classifier& classifier, const CropDataset& dataset,
                           const std::vector<size_t>& crops, compute::CamMethod method,
                           const compute::EvaluationOptions& options)
{
    const MapsWithNeighbours all = mapsWithNeighbours(classifier, dataset, crops, method, options);
    MapsByIndex smoothed;
    for (size_t index : crops)
        smoothed[index] =
            volumetricMap(dataset, index, all.neighbours,
                          [&](size_t i) -> const std::vector<float>& { return all.maps.at(i); });
    return smoothed;
}

/// A crop's map with its neighbours' placed on its box (empty where there is no neighbour).
struct PlacedStack {
    std::vector<float> below, own, above;
    proposals::SliceStack view(int rows, int cols) const
    {
        return {rows, cols, below.empty() ? nullptr : below.data(), own.data(),
                above.empty() ? nullptr : above.data()};
    }
};
using StacksByIndex = std::unordered_map<size_t, PlacedStack>;

StacksByIndex sliceStacks(const compute::Classifier& classifier, const CropDataset& dataset,
                          const std::vector<size_t>& crops, compute::CamMethod method,
                          const compute::EvaluationOptions& options)
{
    const MapsWithNeighbours all = mapsWithNeighbours(classifier, dataset, crops, method, options);
    const auto placed = [&](const std::optional<size_t>& from, size_t to) {
        return from
                   ? placedOn(dataset, *from, to, all.maps.at(*from), std::numeric_limits<float>::quiet_NaN())
                   : std::vector<float>{};
    };
    StacksByIndex stacks;
    for (size_t index : crops)
        stacks[index] = {placed(all.neighbours[index].below, index), all.maps.at(index),
                         placed(all.neighbours[index].above, index)};
    return stacks;
}

/// The rule of the rows that keep what continues across slices (proposals::linkedAcrossSlices).
constexpr const char* kLinkedRule = "linked";

/// The names of the map sources beyond a method's own maps (`MethodResult::refines`).
std::string acrossSlicesName(const std::string& method)
{
    return method + " ±1 slice";
}
std::string contextModelName(const std::string& method)
{
    return "2.5D " + method;
}

} // namespace

std::vector<CropNeighbours> neighbouringCrops(const CropDataset& dataset)
{
    std::map<std::tuple<std::string, std::string, int>, size_t> bySlice;
    const auto& records = dataset.records();
    for (size_t i = 0; i < records.size(); ++i)
        bySlice[{records[i].caseId, records[i].side, records[i].slice}] = i;
    const int step = std::max(1, dataset.parameters().sliceStep);
    std::vector<CropNeighbours> neighbours(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        if (const auto it = bySlice.find({r.caseId, r.side, r.slice - step}); it != bySlice.end())
            neighbours[i].below = it->second;
        if (const auto it = bySlice.find({r.caseId, r.side, r.slice + step}); it != bySlice.end())
            neighbours[i].above = it->second;
    }
    return neighbours;
}

std::vector<float> placedOn(const CropDataset& dataset, size_t from, size_t to,
                            const std::vector<float>& values, float missing)
{
    if (dataset.parameters().pixelSpacingMm > 0)
        throw std::invalid_argument(dataset.directory().string() +
                                    ": crops resampled to a fixed spacing share no pixel grid across slices");
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    const auto& a = dataset.records()[from];
    const auto& b = dataset.records()[to];
    std::vector<float> out(static_cast<size_t>(rows) * cols, missing);
    for (int r = 0; r < rows; ++r) {
        const int fr = b.row0 + r - a.row0;
        if (fr < 0 || fr >= rows)
            continue;
        for (int c = 0; c < cols; ++c) {
            const int fc = b.col0 + c - a.col0;
            if (fc >= 0 && fc < cols)
                out[static_cast<size_t>(r) * cols + c] = values[static_cast<size_t>(fr) * cols + fc];
        }
    }
    return out;
}

std::vector<float> volumetricMap(const CropDataset& dataset, size_t index,
                                 const std::vector<CropNeighbours>& neighbours,
                                 const std::function<const std::vector<float>&(size_t)>& mapOf)
{
    const std::vector<float>& own = mapOf(index);
    std::vector<float> out(own.size());
    std::vector<std::vector<float>> placed;
    for (const auto& next : {neighbours[index].below, neighbours[index].above})
        if (next)
            placed.push_back(
                placedOn(dataset, *next, index, mapOf(*next), std::numeric_limits<float>::quiet_NaN()));
    for (size_t p = 0; p < own.size(); ++p) {
        float sum = 0.5f * own[p], ownWeight = 0.5f;
        for (size_t n = 0; n < 2; ++n) {
            if (n < placed.size() && !std::isnan(placed[n][p]))
                sum += 0.25f * placed[n][p];
            else
                ownWeight += 0.25f;
        }
        out[p] = sum + (ownWeight - 0.5f) * own[p];
    }
    return out;
}

std::optional<double> gapClosed(double method, double raw, double supervised)
{
    if (!(supervised > raw))
        return std::nullopt;
    return (method - raw) / (supervised - raw);
}

namespace {

/// What every part of the study reads and the result it adds rows to.
struct Study {
    compute::EvaluationResult& result;
    const compute::Classifier& classifier;
    const CropDataset& dataset;
    const compute::EvaluationOptions& options;
    const ProposalStudyOptions& study;
};

/// Where a refinement row's maps come from, by the name its rows carry in `refines`: the refined CAM
/// method's maps, those maps smoothed across slices, or the 2.5D classifier's maps of the method.
struct MapSource {
    std::string name;
    std::string rowName; ///< of its maps thresholded (the first source's row is the CAM row itself)
    std::function<MapsByIndex(const std::vector<size_t>&)> mapsOf;
};

std::vector<MapSource> mapSources(const Study& in, compute::CamMethod method, const std::string& methodName)
{
    std::vector<MapSource> sources{{methodName, methodName, [&in, method](const std::vector<size_t>& crops) {
                                        return mapsOf(in.classifier, in.dataset, crops, method, in.options);
                                    }}};
    if (in.study.volumetric && in.dataset.parameters().pixelSpacingMm == 0)
        sources.push_back({acrossSlicesName(methodName), "volumetric: " + acrossSlicesName(methodName),
                           [&in, method](const std::vector<size_t>& crops) {
                               return volumetricMaps(in.classifier, in.dataset, crops, method, in.options);
                           }});
    if (in.study.contextClassifier)
        sources.push_back({contextModelName(methodName), contextModelName(methodName),
                           [&in, method](const std::vector<size_t>& crops) {
                               compute::EvaluationOptions options = in.options;
                               options.cache = in.study.contextCache; // keyed by that model's hash
                               return mapsOf(*in.study.contextClassifier, in.dataset, crops, method, options);
                           }});
    return sources;
}

/// {map > t} kept where it continues onto an adjacent slice (3D components of the stack).
void addLinkedRow(const Study& in, compute::CamMethod method, const std::vector<size_t>& crops,
                  const ProposalStudy& done)
{
    const StacksByIndex stacks = sliceStacks(in.classifier, in.dataset, crops, method, in.options);
    const int rows = in.dataset.parameters().rows, cols = in.dataset.parameters().cols;
    MethodResult m = compute::scoreProposal(
        "volumetric: " + done.refinedMethod + " linked across slices", in.result, in.dataset, in.options,
        in.result.thresholds, "t = %.2f",
        [&](size_t index, const uint8_t* truth) {
            const proposals::SliceStack stack = stacks.at(index).view(rows, cols);
            std::vector<std::vector<uint8_t>> masks;
            for (const double level : in.result.thresholds)
                masks.push_back(proposals::linkedAcrossSlices(stack, level).pixels);
            return compute::overlapsOfMasks(masks, truth);
        },
        [&](size_t index, double level) {
            return proposals::linkedAcrossSlices(stacks.at(index).view(rows, cols), level).pixels;
        });
    m.refines = done.refinedMethod;
    m.rule = kLinkedRule;
    m.flavour = compute::toString(in.options.cam.flavour);
    in.result.methods.push_back(std::move(m));
}

/// The refinements of `method`'s maps (derived kidney, kidney label), then each other map source's
/// maps thresholded ("volumetric: gradcam ±1 slice", "2.5D gradcam") and refined within the
/// derived kidney, and the maps linked across slices.
void addRefinementRows(const Study& in, compute::CamMethod method, const std::vector<MapSource>& sources,
                       ProposalStudy& done)
{
    const auto& evaluated = in.result.evaluated.indices;
    std::vector<size_t> all = evaluated[0];
    all.insert(all.end(), evaluated[1].begin(), evaluated[1].end());
    const MapsByIndex maps = sources.front().mapsOf(all);
    const RegionsByIndex derived = regionsOf(in.dataset, maps, false);
    for (const bool organLabel : {false, true}) {
        if (organLabel && (!in.study.organLabelRows || !in.dataset.hasLabels()))
            continue;
        const RegionsByIndex organ = organLabel ? regionsOf(in.dataset, maps, true) : RegionsByIndex{};
        for (const ProposalKind kind : in.study.refinements)
            in.result.methods.push_back(scoreRefinement(in.result, in.dataset, in.options, maps,
                                                        organLabel ? organ : derived, done.refinedMethod,
                                                        kind, organLabel));
    }
    for (size_t s = 1; s < sources.size(); ++s) {
        const MapSource& source = sources[s];
        const MapsByIndex sourceMaps = source.mapsOf(all);
        MethodResult m = compute::scoreProposal(
            source.rowName, in.result, in.dataset, in.options, in.result.thresholds, "t = %.2f",
            [&](size_t index, const uint8_t* truth) {
                return compute::overlapsAtLevels(sourceMaps.at(index), truth, in.result.thresholds);
            },
            [&](size_t index, double level) { return above(sourceMaps.at(index), level); });
        m.refines = source.name;
        m.rule = proposals::toString(ProposalKind::Raw);
        m.flavour = compute::toString(in.options.cam.flavour);
        in.result.methods.push_back(std::move(m));
        for (const ProposalKind kind : in.study.refinements)
            in.result.methods.push_back(scoreRefinement(in.result, in.dataset, in.options, sourceMaps,
                                                        derived, source.name, kind, false));
    }
    if (in.study.volumetric && in.dataset.parameters().pixelSpacingMm == 0)
        addLinkedRow(in, method, all, done);
}

/// The U-Net on the lesion masks of the training split: the supervised bound.
void addSupervisedRow(const Study& in, ProposalStudy& done)
{
    const auto& dataset = in.dataset;
    const auto lesionMask = [&](size_t index) {
        const uint8_t* mask = dataset.maskPixels(index);
        return std::vector<uint8_t>(mask, mask + static_cast<size_t>(dataset.parameters().rows) *
                                                     dataset.parameters().cols);
    };
    const double negatives = in.study.negativesPerLesionCrop;
    const auto train =
        segmenterSet(dataset, segmenterCrops(dataset, compute::Split::Train, negatives), lesionMask);
    const auto validation =
        segmenterSet(dataset, segmenterCrops(dataset, compute::Split::Validation, negatives), lesionMask);
    MethodResult m =
        trainAndScoreSegmenter("U-Net: supervised (lesion masks)", "ground truth", train, validation,
                               in.result, dataset, in.options, in.study, "unet-supervised.wss", done);
    m.pixelLabels = "lesion";
    in.result.methods.push_back(std::move(m));
}

/// The U-Net on the best weak row's proposals: pseudo-labels from image-level labels only, the
/// refined proposal of every lesion crop of training and validation (validation picks the epoch
/// against them, never against masks), with that row's own maps (its source) and rule.
void addPseudoLabelRow(const Study& in, compute::CamMethod method, const std::vector<MapSource>& sources,
                       const MethodResult& weak, ProposalStudy& done)
{
    const auto& dataset = in.dataset;
    done.bestWeakRefinement = weak.name;
    done.pseudoLabelLevel = weak.all.threshold;
    const double negatives = in.study.negativesPerLesionCrop;
    const auto trainCrops = segmenterCrops(dataset, compute::Split::Train, negatives);
    const auto validationCrops = segmenterCrops(dataset, compute::Split::Validation, negatives);
    std::vector<size_t> lesionCrops;
    for (const auto* crops : {&trainCrops, &validationCrops})
        for (size_t index : *crops)
            if (dataset.records()[index].lesion)
                lesionCrops.push_back(index);
    const double level = done.pseudoLabelLevel;
    std::function<std::vector<uint8_t>(size_t)> pseudoLabel;
    MapsByIndex maps;
    StacksByIndex stacks;
    if (weak.rule == kLinkedRule) {
        stacks = sliceStacks(in.classifier, dataset, lesionCrops, method, in.options);
        const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
        pseudoLabel = [&, rows, cols](size_t index) {
            return proposals::linkedAcrossSlices(stacks.at(index).view(rows, cols), level).pixels;
        };
    } else {
        const auto source = std::find_if(sources.begin(), sources.end(),
                                         [&](const MapSource& s) { return s.name == weak.refines; });
        if (source == sources.end())
            throw std::logic_error("no map source named '" + weak.refines + "'");
        maps = source->mapsOf(lesionCrops);
        const ProposalKind kind = proposals::proposalKindFromString(weak.rule);
        pseudoLabel = [&, kind](size_t index) {
            return refinedProposal(dataset, index, maps.at(index), kind, level, false).pixels;
        };
    }
    const std::string name = "U-Net: pseudo-labels (" + weak.name + ")",
                      trainedOn = "pseudo-labels: " + weak.name;
    MethodResult m = trainAndScoreSegmenter(name, trainedOn, segmenterSet(dataset, trainCrops, pseudoLabel),
                                            segmenterSet(dataset, validationCrops, pseudoLabel), in.result,
                                            dataset, in.options, in.study, "unet-pseudo-labels.wss", done);
    in.result.methods.push_back(std::move(m));
}

} // namespace

ProposalStudy addProposalRows(compute::EvaluationResult& result, const compute::Classifier& classifier,
                              const CropDataset& dataset, const compute::EvaluationOptions& options,
                              const ProposalStudyOptions& study)
{
    ProposalStudy done;
    const Study in{result, classifier, dataset, options, study};
    const auto method = methodToRefine(result, study);
    std::vector<MapSource> sources;
    if (method && !study.refinements.empty()) {
        done.refinedMethod = compute::toString(*method);
        sources = mapSources(in, *method, done.refinedMethod);
        addRefinementRows(in, *method, sources, done);
    }
    if (study.supervisedSegmenter)
        addSupervisedRow(in, done);
    if (const MethodResult* weak = bestWeakRefinement(result.methods);
        study.pseudoLabelSegmenter && weak && method) {
        const MethodResult best = *weak; // rows are appended below: keep a copy, not a pointer
        addPseudoLabelRow(in, *method, sources, best, done);
    }
    return done;
}

std::string ProposalRecipe::mapsName(bool contextModel) const
{
    const std::string method = compute::toString(this->method);
    const std::string maps = acrossSlices ? acrossSlicesName(method) : method;
    return contextModel ? contextModelName(maps) : maps;
}

std::string ProposalRecipe::describe() const
{
    if (rule == kLinkedRule || rule == proposals::toString(ProposalKind::Raw))
        return mapsName() + ", " + rule;
    return mapsName() + ", " + rule + (kidneyLabel ? ", kidney label" : ", derived kidney");
}

bool isProposalRule(const std::string& rule)
{
    if (rule == kLinkedRule)
        return true;
    try {
        proposals::proposalKindFromString(rule);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

std::vector<std::vector<uint8_t>> proposalMasks(const compute::Classifier& classifier,
                                                const CropDataset& dataset, const std::vector<size_t>& crops,
                                                const ProposalRecipe& recipe,
                                                const compute::EvaluationOptions& options)
{
    if (!isProposalRule(recipe.rule))
        throw InputError("no proposal rule '" + recipe.rule + "' (raw, anatomy, grow, watershed or linked)");
    const bool linked = recipe.rule == kLinkedRule;
    if ((linked || recipe.acrossSlices) && dataset.parameters().pixelSpacingMm > 0)
        throw InputError(dataset.directory(),
                         "holds crops resampled to a fixed pixel spacing: they share no "
                         "pixel grid across slices, so maps cannot be linked or smoothed "
                         "across slices (build it without --spacing)");
    if (linked && recipe.acrossSlices)
        throw InputError("the linked rule reads the adjacent slices' maps itself: leave out the smoothing "
                         "across slices");
    if (recipe.kidneyLabel && !dataset.hasLabels())
        throw InputError(dataset.directory(), "has no kidney labels (labels.npy): use the derived kidney");
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    std::vector<std::vector<uint8_t>> masks;
    masks.reserve(crops.size());
    if (linked) {
        const StacksByIndex stacks = sliceStacks(classifier, dataset, crops, recipe.method, options);
        for (size_t index : crops)
            masks.push_back(
                proposals::linkedAcrossSlices(stacks.at(index).view(rows, cols), recipe.level).pixels);
        return masks;
    }
    const MapsByIndex maps = recipe.acrossSlices
                                 ? volumetricMaps(classifier, dataset, crops, recipe.method, options)
                                 : mapsOf(classifier, dataset, crops, recipe.method, options);
    const ProposalKind kind = proposals::proposalKindFromString(recipe.rule);
    for (size_t index : crops)
        masks.push_back(kind == ProposalKind::Raw ? above(maps.at(index), recipe.level)
                                                  : refinedProposal(dataset, index, maps.at(index), kind,
                                                                    recipe.level, recipe.kidneyLabel)
                                                        .pixels);
    return masks;
}

std::vector<std::vector<uint8_t>> segmenterMasks(const compute::Segmenter& segmenter,
                                                 const CropDataset& dataset, const std::vector<size_t>& crops,
                                                 double level)
{
    const MapsByIndex probabilities = probabilitiesOf(segmenter, dataset, crops);
    std::vector<std::vector<uint8_t>> masks;
    masks.reserve(crops.size());
    for (size_t index : crops)
        masks.push_back(above(probabilities.at(index), level));
    return masks;
}

} // namespace weaksight::research
