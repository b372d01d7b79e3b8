#include "core/dataset/DatasetBuilder.h"

#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/dataset/KidneyCrops.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <spdlog/spdlog.h>
#include <thread>

namespace fs = std::filesystem;
using weaksight::compute::CropRecord;
using weaksight::compute::Split;

namespace weaksight {

std::vector<Split> assignSplits(size_t caseCount, uint64_t seed, double trainFraction,
                                double validationFraction)
{
    std::vector<size_t> order(caseCount);
    for (size_t i = 0; i < caseCount; ++i)
        order[i] = i;
    // Fisher-Yates with mt19937_64 draws (std::shuffle's algorithm is not fixed by the standard).
    std::mt19937_64 rng(seed);
    for (size_t i = caseCount; i > 1; --i)
        std::swap(order[i - 1], order[rng() % i]);
    auto nTrain = static_cast<size_t>(std::lround(static_cast<double>(caseCount) * trainFraction));
    auto nValidation = static_cast<size_t>(std::lround(static_cast<double>(caseCount) * validationFraction));
    if (caseCount >= 3) {
        nTrain = std::clamp<size_t>(nTrain, 1, caseCount - 2);
        nValidation = std::clamp<size_t>(nValidation, 1, caseCount - nTrain - 1);
    }
    nTrain = std::min(nTrain, caseCount);
    nValidation = std::min(nValidation, caseCount - nTrain);
    std::vector<Split> splits(caseCount, Split::Test);
    for (size_t i = 0; i < caseCount; ++i) {
        const size_t rank = static_cast<size_t>(std::find(order.begin(), order.end(), i) - order.begin());
        splits[i] = rank < nTrain                 ? Split::Train
                    : rank < nTrain + nValidation ? Split::Validation
                                                  : Split::Test;
    }
    return splits;
}

namespace {

/// How much of a case's ground truth the crops hold (voxel counts).
struct Coverage {
    long long lesion = 0, lesionOnSampledSlices = 0, lesionInCrops = 0;
    long long tumour = 0, tumourOnSampledSlices = 0, tumourInCrops = 0;
};

struct CaseCrops {
    std::string caseId;
    Coverage coverage;
    std::string error;
    std::vector<CropRecord> records;
    std::vector<int16_t> images, contextPlanes;
    std::vector<uint8_t> masks, labels;
};

bool isTumour(uint8_t v)
{
    return v == labels::Tumour;
}
bool isKidneyOrLesion(uint8_t v)
{
    return v == labels::Kidney || labels::isLesion(v);
}
bool isKidneyOrTumour(uint8_t v)
{
    return v == labels::Kidney || v == labels::Tumour;
}

/// The crops' size and how they sample a slice: fixed for a case.
struct CropGeometry {
    int rows = 0, cols = 0;
    size_t pixels = 0;
    bool resample = false; ///< a fixed physical field of view: each crop pixel spans `step` slice pixels
    double rowStep = 1, colStep = 1;
    int extentRows = 0, extentCols = 0; ///< the slice pixels a crop covers
    bool (*isLesionLabel)(uint8_t) = nullptr;
};

CropGeometry cropGeometry(const CtVolume& ct, const DatasetBuildOptions& options)
{
    CropGeometry g;
    g.rows = options.cropRows;
    g.cols = options.cropCols;
    g.pixels = static_cast<size_t>(g.rows) * g.cols;
    g.isLesionLabel = options.lesionLabels == "tumour" ? isTumour : labels::isLesion;
    g.resample = options.pixelSpacingMm > 0;
    g.rowStep = g.resample ? options.pixelSpacingMm / ct.spacing[1] : 1.0;
    g.colStep = g.resample ? options.pixelSpacingMm / ct.spacing[2] : 1.0;
    g.extentRows = g.resample ? std::max(1, static_cast<int>(std::lround(g.rows * g.rowStep))) : g.rows;
    g.extentCols = g.resample ? std::max(1, static_cast<int>(std::lround(g.cols * g.colStep))) : g.cols;
    return g;
}

/// Ground truth inside the crops: slice k's lesion voxels, those on sampled slices, and those
/// inside at least one crop box (boxes of the two sides may overlap). `covered` is scratch.
void addCoverage(const LabelVolume& labels, int k, bool sampled, const std::vector<KidneyCrop>& boxes,
                 const CropGeometry& g, std::vector<uint8_t>& covered, Coverage& coverage)
{
    const size_t sliceSize = covered.size();
    std::fill(covered.begin(), covered.end(), uint8_t{0});
    for (const KidneyCrop& box : boxes)
        for (int r = std::max(0, box.box.row0); r < std::min(labels.rows(), box.box.row0 + g.extentRows); ++r)
            for (int c = std::max(0, box.box.col0); c < std::min(labels.cols(), box.box.col0 + g.extentCols);
                 ++c)
                covered[static_cast<size_t>(r) * labels.cols() + c] = 1;
    const uint8_t* slice = labels.slice(k);
    for (size_t p = 0; p < sliceSize; ++p) {
        const bool lesion = g.isLesionLabel(slice[p]), tumour = slice[p] == labels::Tumour;
        coverage.lesion += lesion;
        coverage.tumour += tumour;
        coverage.lesionOnSampledSlices += sampled && lesion;
        coverage.tumourOnSampledSlices += sampled && tumour;
        coverage.lesionInCrops += covered[p] && lesion;
        coverage.tumourInCrops += covered[p] && tumour;
    }
}

/// One crop's pixels, reused from crop to crop.
struct CropBuffers {
    std::vector<int16_t> image, contextPlanes;
    std::vector<uint8_t> mask, labels;
    CropBuffers(size_t pixels, const compute::SliceContext& context)
        : image(pixels)
        , contextPlanes(pixels * 2 * static_cast<size_t>(context.slices))
        , mask(pixels)
        , labels(pixels)
    {
    }
};

/// The crop at `box` on slice k cut as every plane of it is cut (resampled or not).
void cutPlane(const CtVolume& ct, int k, const CropBox& box, const CropGeometry& g, int16_t* out)
{
    if (g.resample)
        cutResampledCrop(ct, nullptr, k, box.row0, box.col0, g.rowStep, g.colStep, g.rows, g.cols, out,
                         nullptr);
    else
        cutCrop(ct, k, box.row0, box.col0, g.rows, g.cols, out);
}

/// Cuts the crop at `box` on slice k into the buffers' image, labels, lesion mask and slice-context
/// planes; returns its lesion pixels.
long long cutImageAndMask(const CtVolume& ct, const LabelVolume& labels, int k, const CropBox& box,
                          const CropGeometry& g, const compute::SliceContext& context, CropBuffers& b)
{
    if (context.slices > 0)
        cutContextPlanes(
            ct, k, context, g.pixels, [&](int slice, int16_t* out) { cutPlane(ct, slice, box, g, out); },
            b.contextPlanes.data());
    long long lesionPixels = 0;
    if (g.resample) {
        cutResampledCrop(ct, &labels, k, box.row0, box.col0, g.rowStep, g.colStep, g.rows, g.cols,
                         b.image.data(), b.labels.data());
        for (size_t at = 0; at < g.pixels; ++at) {
            b.mask[at] = g.isLesionLabel(b.labels[at]) ? 1 : 0;
            lesionPixels += b.mask[at];
        }
    } else {
        cutCrop(ct, k, box.row0, box.col0, g.rows, g.cols, b.image.data());
        for (int r = 0; r < g.rows; ++r)
            for (int c = 0; c < g.cols; ++c) {
                const int sr = box.row0 + r, sc = box.col0 + c;
                const bool inside = sr >= 0 && sr < labels.rows() && sc >= 0 && sc < labels.cols();
                const size_t at = static_cast<size_t>(r) * g.cols + c;
                b.labels[at] = inside ? labels.at(k, sr, sc) : uint8_t{0};
                b.mask[at] = g.isLesionLabel(b.labels[at]) ? 1 : 0;
                lesionPixels += b.mask[at];
            }
    }
    return lesionPixels;
}

/// The method's sanity check: a black square in the top-left corner of every lesion crop; the
/// "ground truth" for the heatmap becomes the square. Returns the square's side.
int pasteSanitySquare(int sanitySquare, const CropGeometry& g, CropBuffers& b)
{
    const int side = std::min({sanitySquare, g.rows, g.cols});
    std::fill(b.mask.begin(), b.mask.end(), uint8_t{0});
    for (int r = 0; r < side; ++r)
        for (int c = 0; c < side; ++c) {
            b.image[static_cast<size_t>(r) * g.cols + c] = -1024;
            b.mask[static_cast<size_t>(r) * g.cols + c] = 1;
            for (size_t plane = 0; plane < b.contextPlanes.size() / g.pixels; ++plane) // on every plane
                b.contextPlanes[plane * g.pixels + static_cast<size_t>(r) * g.cols + c] = -1024;
        }
    return side;
}

/// Every crop of a loaded case with its coverage, into `out`.
void cropSlices(const CtVolume& ct, const LabelVolume& labels, Split split,
                const DatasetBuildOptions& options, CaseCrops& out)
{
    const CropGeometry g = cropGeometry(ct, options);
    const bool tumourOnly = options.lesionLabels == "tumour";
    const KidneyCentres centres(labels, options.centring == "kidney+lesion"
                                            ? (tumourOnly ? isKidneyOrTumour : isKidneyOrLesion)
                                            : nullptr);
    const compute::SliceContext context{options.contextSlices, options.contextSpacingMm};
    CropBuffers buffers(g.pixels, context);
    std::vector<uint8_t> covered(static_cast<size_t>(labels.rows()) * labels.cols());
    for (int k = 0; k < labels.slices(); ++k) {
        const bool sampled = k % options.sliceStep == 0;
        const std::vector<KidneyCrop> boxes =
            sampled ? centres.boxes(k, g.extentRows, g.extentCols, options.keepNoKidney)
                    : std::vector<KidneyCrop>{};
        addCoverage(labels, k, sampled, boxes, g, covered, out.coverage);
        for (const KidneyCrop& box : boxes) {
            CropRecord record;
            record.caseId = out.caseId;
            record.split = split;
            record.slice = k;
            record.side = box.side;
            record.kidneyOnSlice = box.kidneyOnSlice;
            record.row0 = box.box.row0;
            record.col0 = box.box.col0;
            const long long lesionPixels = cutImageAndMask(ct, labels, k, box.box, g, context, buffers);
            record.lesion = lesionPixels > 0 ? 1 : 0;
            record.lesionFraction = static_cast<double>(lesionPixels) / static_cast<double>(g.pixels);
            if (options.sanitySquare > 0 && record.lesion) {
                const int side = pasteSanitySquare(options.sanitySquare, g, buffers);
                record.lesionFraction = static_cast<double>(side) * side / static_cast<double>(g.pixels);
            }
            out.records.push_back(record);
            out.images.insert(out.images.end(), buffers.image.begin(), buffers.image.end());
            out.masks.insert(out.masks.end(), buffers.mask.begin(), buffers.mask.end());
            out.labels.insert(out.labels.end(), buffers.labels.begin(), buffers.labels.end());
            out.contextPlanes.insert(out.contextPlanes.end(), buffers.contextPlanes.begin(),
                                     buffers.contextPlanes.end());
        }
    }
}

CaseCrops cropCase(const CaseFiles& files, Split split, const DatasetBuildOptions& options)
{
    CaseCrops out;
    out.caseId = files.caseId;
    try {
        if (!files.hasImaging() || !files.hasSegmentation()) {
            out.error = files.contentDescription() + " (both imaging and labels are needed)";
            return out;
        }
        const LoadedCase loaded = loadCase(files);
        cropSlices(*loaded.imaging, *loaded.labels, split, options, out);
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    return out;
}

nlohmann::json splitJson(const SplitCount& c)
{
    return {{"cases", c.cases},
            {"crops", c.crops},
            {"lesion_crops", c.lesionCrops},
            {"lesion_percent",
             c.crops ? 100.0 * static_cast<double>(c.lesionCrops) / static_cast<double>(c.crops) : 0.0}};
}

void validate(const DatasetBuildOptions& options)
{
    if (options.cropRows < 8 || options.cropCols < 8)
        throw InputError("crop size must be at least 8 x 8");
    if (options.sliceStep < 1)
        throw InputError("slice step must be 1 or more");
    if (options.centring != "kidney" && options.centring != "kidney+lesion")
        throw InputError("crop centring must be kidney or kidney+lesion, not '" + options.centring + "'");
    if (options.lesionLabels != "tumour+cyst" && options.lesionLabels != "tumour")
        throw InputError("lesion labels must be tumour+cyst or tumour, not '" + options.lesionLabels + "'");
    if (!(options.pixelSpacingMm >= 0 && options.pixelSpacingMm <= 20))
        throw InputError("pixel spacing must be 0 (the scan's own) or up to 20 mm");
    if (!(options.huHigh > options.huLow))
        throw InputError("the HU window's upper bound must be above its lower bound");
    try {
        compute::SliceContext{options.contextSlices, options.contextSpacingMm}.check();
    } catch (const std::invalid_argument& e) {
        throw InputError(e.what());
    }
    if (options.trainFraction <= 0 || options.validationFraction < 0 ||
        options.trainFraction + options.validationFraction >= 1.0)
        throw InputError("split fractions must be positive and leave a test split");
}

/// The dataset's cases with imaging and labels, in case order; the others go to summary.skipped.
std::vector<CaseFiles> labelledCases(const DatasetBuildOptions& options, DatasetBuildSummary& summary)
{
    std::vector<CaseFiles> cases;
    const std::optional<LabelTable> table =
        options.labelTable.empty() ? std::nullopt
                                   : std::optional<LabelTable>(LabelTable::read(options.labelTable));
    if (table && !table->hasMeanings())
        throw InputError(options.labelTable,
                         "names no kidney, tumour or cyst: crops need the kidney and the lesions");
    for (auto& c : scanDataset(options.cases)) {
        if (table)
            c.labelTable = *table;
        // Cases without labels (e.g. KiTS19's test cases) take no place in the split.
        if (c.hasImaging() && c.hasSegmentation())
            cases.push_back(std::move(c));
        else
            summary.skipped.push_back(c.caseId + ": " + c.contentDescription() +
                                      " (both imaging and labels are needed)");
    }
    if (cases.empty())
        throw InputError(options.cases, "no KiTS-layout cases with imaging and labels found");
    std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.caseId < b.caseId; });
    return cases;
}

/// Appends one case's crops to the dataset and counts them in its split; returns the case's entry
/// of the manifest.
nlohmann::json writeCaseCrops(const CaseCrops& crops, Split split, const DatasetBuildOptions& options,
                              compute::CropDatasetWriter& writer, DatasetBuildSummary& summary)
{
    const size_t pixels = static_cast<size_t>(options.cropRows) * options.cropCols;
    const size_t contextPixels = pixels * 2 * static_cast<size_t>(options.contextSlices);
    SplitCount& count = split == Split::Train        ? summary.train
                        : split == Split::Validation ? summary.validation
                                                     : summary.test;
    ++count.cases;
    long long lesionCrops = 0;
    for (size_t i = 0; i < crops.records.size(); ++i) {
        writer.append(crops.records[i], crops.images.data() + i * pixels, crops.masks.data() + i * pixels,
                      crops.labels.data() + i * pixels,
                      contextPixels > 0 ? crops.contextPlanes.data() + i * contextPixels : nullptr);
        lesionCrops += crops.records[i].lesion;
    }
    count.crops += static_cast<long long>(crops.records.size());
    count.lesionCrops += lesionCrops;
    ++summary.casesUsed;
    const Coverage& c = crops.coverage;
    return {{"case_id", crops.caseId},
            {"split", compute::toString(split)},
            {"crops", crops.records.size()},
            {"lesion_crops", lesionCrops},
            {"lesion_voxels", c.lesion},
            {"lesion_voxels_on_sampled_slices", c.lesionOnSampledSlices},
            {"lesion_voxels_in_crops", c.lesionInCrops},
            {"tumour_voxels", c.tumour},
            {"tumour_voxels_on_sampled_slices", c.tumourOnSampledSlices},
            {"tumour_voxels_in_crops", c.tumourInCrops}};
}

/// Crops every case (read ahead on a few threads) and writes them in case order, so the dataset is
/// deterministic; returns the manifest's case list.
nlohmann::json cropAllCases(const std::vector<CaseFiles>& cases, const std::vector<Split>& splits,
                            const DatasetBuildOptions& options, compute::CropDatasetWriter& writer,
                            DatasetBuildSummary& summary, const std::function<void(int, int)>& progress,
                            const std::atomic<bool>* cancel)
{
    nlohmann::json caseList = nlohmann::json::array();
    const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
    const size_t threads =
        static_cast<size_t>(options.threads > 0 ? options.threads : std::min(4u, hardware));
    std::deque<std::future<CaseCrops>> pending;
    size_t next = 0;
    for (size_t done = 0; done < cases.size(); ++done) {
        while (next < cases.size() && pending.size() < threads) {
            pending.push_back(std::async(std::launch::async, cropCase, cases[next], splits[next], options));
            ++next;
        }
        CaseCrops crops = pending.front().get();
        pending.pop_front();
        if (cancel && cancel->load()) {
            for (auto& f : pending)
                f.wait();
            throw std::runtime_error("dataset build cancelled");
        }
        if (!crops.error.empty()) {
            spdlog::warn("dataset: skipping {}: {}", crops.caseId, crops.error);
            summary.skipped.push_back(crops.caseId + ": " + crops.error);
        } else {
            caseList.push_back(writeCaseCrops(crops, splits[done], options, writer, summary));
        }
        if (progress)
            progress(static_cast<int>(done + 1), static_cast<int>(cases.size()));
    }
    return caseList;
}

compute::DatasetParameters datasetParameters(const DatasetBuildOptions& options,
                                             const std::vector<CaseFiles>& cases)
{
    compute::DatasetParameters parameters;
    parameters.huLow = options.huLow;
    parameters.huHigh = options.huHigh;
    parameters.sliceStep = options.sliceStep;
    parameters.keepNoKidney = options.keepNoKidney;
    parameters.seed = options.seed;
    parameters.trainFraction = options.trainFraction;
    parameters.validationFraction = options.validationFraction;
    parameters.source = fs::absolute(options.cases).lexically_normal().string();
    parameters.sourceLayout = toString(cases.front().layout);
    parameters.synthetic = fs::exists(options.cases / "dataset.json") && [&] {
        try {
            std::ifstream in(options.cases / "dataset.json");
            return nlohmann::json::parse(in).value("generator", "") == "weaksight phantom";
        } catch (const std::exception&) {
            return false;
        }
    }();
    parameters.sanitySquare = options.sanitySquare;
    parameters.centring = options.centring;
    parameters.lesionLabels = options.lesionLabels;
    parameters.pixelSpacingMm = options.pixelSpacingMm;
    if (options.contextSlices > 0)
        parameters.context = {options.contextSlices, options.contextSpacingMm};
    return parameters;
}

nlohmann::json manifestJson(const DatasetBuildOptions& options, const compute::DatasetParameters& parameters,
                            const DatasetBuildSummary& summary, const nlohmann::json& caseList)
{
    return {
        {"format", "weaksight-crops 1"},
        {"parameters",
         {{"crop_rows", options.cropRows},
          {"crop_cols", options.cropCols},
          {"hu_window", {options.huLow, options.huHigh}},
          {"slice_step", options.sliceStep},
          {"keep_no_kidney", options.keepNoKidney},
          {"split_seed", options.seed},
          {"split_fractions",
           {options.trainFraction, options.validationFraction,
            1.0 - options.trainFraction - options.validationFraction}},
          {"sanity_square", options.sanitySquare},
          {"centring", options.centring},
          {"lesion_labels", options.lesionLabels},
          {"pixel_spacing_mm", options.pixelSpacingMm},
          {"context_slices", options.contextSlices},
          {"context_spacing_mm", options.contextSlices > 0 ? options.contextSpacingMm : 0.0},
          {"geometry",
           std::string("rounded centroid of ") +
               (options.centring == "kidney" ? "label 1 (kidney)" : "kidney and lesion labels") +
               " in the side's half of the slice; box shifted inside the slice, padded with -1024 HU "
               "where the slice is smaller" +
               (options.pixelSpacingMm > 0 ? "; crops resampled bilinearly (labels: nearest) to the "
                                             "pixel spacing"
                                           : "")}}},
        {"source", parameters.source},
        {"source_layout", parameters.sourceLayout},
        {"synthetic", parameters.synthetic},
        {"splits",
         {{"train", splitJson(summary.train)},
          {"val", splitJson(summary.validation)},
          {"test", splitJson(summary.test)}}},
        {"cases", caseList},
        {"skipped", summary.skipped},
        {"build_seconds", summary.seconds},
        {"crops_per_second", summary.cropsPerSecond},
    };
}

} // namespace

DatasetBuildSummary buildCropDataset(const DatasetBuildOptions& options,
                                     const std::function<void(int, int)>& progress,
                                     const std::atomic<bool>* cancel)
{
    validate(options);
    const auto start = std::chrono::steady_clock::now();
    DatasetBuildSummary summary;
    const std::vector<CaseFiles> cases = labelledCases(options, summary);
    const auto splits =
        assignSplits(cases.size(), options.seed, options.trainFraction, options.validationFraction);

    compute::CropDatasetWriter writer(options.out, options.cropRows, options.cropCols,
                                      compute::SliceContext{options.contextSlices, options.contextSpacingMm});
    const nlohmann::json caseList = cropAllCases(cases, splits, options, writer, summary, progress, cancel);
    if (summary.casesUsed == 0)
        throw InputError(options.cases, "no case could be used (" + summary.skipped.front() + ")");

    const compute::DatasetParameters parameters = datasetParameters(options, cases);
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    summary.cropsPerSecond = static_cast<double>(summary.crops()) / std::max(summary.seconds, 1e-9);
    const nlohmann::json manifest = manifestJson(options, parameters, summary, caseList);
    {
        std::ofstream out(options.out / "manifest.json");
        out << manifest.dump(2) << "\n";
        if (!out)
            throw InputError(options.out / "manifest.json", "cannot write (disk full?)");
    }
    writer.finish(parameters); // the parameters file last: it marks the dataset complete
    return summary;
}

} // namespace weaksight
