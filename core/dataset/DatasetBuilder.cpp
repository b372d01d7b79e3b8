#include "core/dataset/DatasetBuilder.h"

#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/dataset/KidneyCrops.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fstream>
#include <future>
#include <optional>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using weaksight::compute::CropRecord;
using weaksight::compute::Split;

namespace weaksight {

std::vector<Split> assignSplits(size_t caseCount, uint64_t seed, double trainFraction, double validationFraction)
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
        splits[i] = rank < nTrain ? Split::Train : rank < nTrain + nValidation ? Split::Validation : Split::Test;
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
    std::vector<int16_t> images;
    std::vector<uint8_t> masks;
};

bool isTumour(uint8_t v) { return v == labels::Tumour; }
bool isKidneyOrLesion(uint8_t v) { return v == labels::Kidney || labels::isLesion(v); }
bool isKidneyOrTumour(uint8_t v) { return v == labels::Kidney || v == labels::Tumour; }

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
        const CtVolume& ct = *loaded.imaging;
        const LabelVolume& labels = *loaded.labels;
        const int rows = options.cropRows, cols = options.cropCols;
        const size_t pixels = static_cast<size_t>(rows) * cols;
        const bool tumourOnly = options.lesionLabels == "tumour";
        bool (*const isLesionLabel)(uint8_t) = tumourOnly ? isTumour : labels::isLesion;
        const KidneyCentres centres(labels, options.centring == "kidney+lesion"
                                                ? (tumourOnly ? isKidneyOrTumour : isKidneyOrLesion)
                                                : nullptr);
        // A fixed physical field of view: each crop pixel spans `step` slice pixels.
        const bool resample = options.pixelSpacingMm > 0;
        const double rowStep = resample ? options.pixelSpacingMm / ct.spacing[1] : 1.0;
        const double colStep = resample ? options.pixelSpacingMm / ct.spacing[2] : 1.0;
        const int extentRows = resample ? std::max(1, static_cast<int>(std::lround(rows * rowStep))) : rows;
        const int extentCols = resample ? std::max(1, static_cast<int>(std::lround(cols * colStep))) : cols;
        std::vector<int16_t> image(pixels);
        std::vector<uint8_t> mask(pixels), cropLabels(pixels);
        // Ground truth inside the crops: every slice's lesion voxels, those on sampled slices, and
        // those inside at least one crop box (boxes of the two sides may overlap).
        const size_t sliceSize = static_cast<size_t>(labels.rows()) * labels.cols();
        std::vector<uint8_t> covered(sliceSize);
        for (int k = 0; k < labels.slices(); ++k) {
            const bool sampled = k % options.sliceStep == 0;
            const std::vector<CropBox> boxes =
                sampled ? centres.boxes(k, extentRows, extentCols, options.keepNoKidney) : std::vector<CropBox>{};
            std::fill(covered.begin(), covered.end(), uint8_t{0});
            for (const CropBox& box : boxes)
                for (int r = std::max(0, box.row0); r < std::min(labels.rows(), box.row0 + extentRows); ++r)
                    for (int c = std::max(0, box.col0); c < std::min(labels.cols(), box.col0 + extentCols); ++c)
                        covered[static_cast<size_t>(r) * labels.cols() + c] = 1;
            const uint8_t* slice = labels.slice(k);
            for (size_t p = 0; p < sliceSize; ++p) {
                const bool lesion = isLesionLabel(slice[p]), tumour = slice[p] == labels::Tumour;
                Coverage& c = out.coverage;
                c.lesion += lesion;
                c.tumour += tumour;
                c.lesionOnSampledSlices += sampled && lesion;
                c.tumourOnSampledSlices += sampled && tumour;
                c.lesionInCrops += covered[p] && lesion;
                c.tumourInCrops += covered[p] && tumour;
            }
            for (const CropBox& box : boxes) {
                CropRecord record;
                record.caseId = files.caseId;
                record.split = split;
                record.slice = k;
                record.side = box.side;
                record.kidneyOnSlice = box.kidneyOnSlice;
                record.row0 = box.row0;
                record.col0 = box.col0;
                long long lesionPixels = 0;
                if (resample) {
                    cutResampledCrop(ct, &labels, k, box.row0, box.col0, rowStep, colStep, rows, cols, image.data(),
                                     cropLabels.data());
                    for (size_t at = 0; at < pixels; ++at) {
                        mask[at] = isLesionLabel(cropLabels[at]) ? 1 : 0;
                        lesionPixels += mask[at];
                    }
                } else {
                    cutCrop(ct, k, box.row0, box.col0, rows, cols, image.data());
                    for (int r = 0; r < rows; ++r)
                        for (int c = 0; c < cols; ++c) {
                            const int sr = box.row0 + r, sc = box.col0 + c;
                            const bool inside = sr >= 0 && sr < labels.rows() && sc >= 0 && sc < labels.cols();
                            const size_t at = static_cast<size_t>(r) * cols + c;
                            mask[at] = inside && isLesionLabel(labels.at(k, sr, sc)) ? 1 : 0;
                            lesionPixels += mask[at];
                        }
                }
                record.lesion = lesionPixels > 0 ? 1 : 0;
                record.lesionFraction = static_cast<double>(lesionPixels) / static_cast<double>(pixels);
                if (options.sanitySquare > 0 && record.lesion) {
                    // The method's sanity check: a black square in the top-left corner of every lesion
                    // crop; the "ground truth" for the heatmap becomes the square.
                    const int side = std::min({options.sanitySquare, rows, cols});
                    std::fill(mask.begin(), mask.end(), uint8_t{0});
                    for (int r = 0; r < side; ++r)
                        for (int c = 0; c < side; ++c) {
                            image[static_cast<size_t>(r) * cols + c] = -1024;
                            mask[static_cast<size_t>(r) * cols + c] = 1;
                        }
                    record.lesionFraction = static_cast<double>(side) * side / static_cast<double>(pixels);
                }
                out.records.push_back(record);
                out.images.insert(out.images.end(), image.begin(), image.end());
                out.masks.insert(out.masks.end(), mask.begin(), mask.end());
            }
        }
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
            {"lesion_percent", c.crops ? 100.0 * static_cast<double>(c.lesionCrops) / static_cast<double>(c.crops) : 0.0}};
}

} // namespace

DatasetBuildSummary buildCropDataset(const DatasetBuildOptions& options, const std::function<void(int, int)>& progress,
                                     const std::atomic<bool>* cancel)
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
    if (options.trainFraction <= 0 || options.validationFraction < 0 ||
        options.trainFraction + options.validationFraction >= 1.0)
        throw InputError("split fractions must be positive and leave a test split");
    const auto start = std::chrono::steady_clock::now();
    std::vector<CaseFiles> cases;
    DatasetBuildSummary summary;
    for (auto& c : scanDataset(options.cases)) {
        // Cases without labels (e.g. KiTS19's test cases) take no place in the split.
        if (c.hasImaging() && c.hasSegmentation())
            cases.push_back(std::move(c));
        else
            summary.skipped.push_back(c.caseId + ": " + c.contentDescription() + " (both imaging and labels are needed)");
    }
    if (cases.empty())
        throw InputError(options.cases, "no KiTS-layout cases with imaging and labels found");
    std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.caseId < b.caseId; });
    const auto splits = assignSplits(cases.size(), options.seed, options.trainFraction, options.validationFraction);

    compute::CropDatasetWriter writer(options.out, options.cropRows, options.cropCols);
    nlohmann::json caseList = nlohmann::json::array();
    const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
    const size_t threads = static_cast<size_t>(options.threads > 0 ? options.threads : std::min(4u, hardware));
    std::deque<std::future<CaseCrops>> pending;
    size_t next = 0;
    for (size_t done = 0; done < cases.size(); ++done) {
        // Read ahead on `threads` cases; write in case order so the dataset is deterministic.
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
            const size_t pixels = static_cast<size_t>(options.cropRows) * options.cropCols;
            SplitCount& count = splits[done] == Split::Train        ? summary.train
                                : splits[done] == Split::Validation ? summary.validation
                                                                    : summary.test;
            ++count.cases;
            long long lesionCrops = 0;
            for (size_t i = 0; i < crops.records.size(); ++i) {
                writer.append(crops.records[i], crops.images.data() + i * pixels, crops.masks.data() + i * pixels);
                lesionCrops += crops.records[i].lesion;
            }
            count.crops += static_cast<long long>(crops.records.size());
            count.lesionCrops += lesionCrops;
            ++summary.casesUsed;
            const Coverage& c = crops.coverage;
            caseList.push_back({{"case_id", crops.caseId},
                                {"split", compute::toString(splits[done])},
                                {"crops", crops.records.size()},
                                {"lesion_crops", lesionCrops},
                                {"lesion_voxels", c.lesion},
                                {"lesion_voxels_on_sampled_slices", c.lesionOnSampledSlices},
                                {"lesion_voxels_in_crops", c.lesionInCrops},
                                {"tumour_voxels", c.tumour},
                                {"tumour_voxels_on_sampled_slices", c.tumourOnSampledSlices},
                                {"tumour_voxels_in_crops", c.tumourInCrops}});
        }
        if (progress)
            progress(static_cast<int>(done + 1), static_cast<int>(cases.size()));
    }
    if (summary.casesUsed == 0)
        throw InputError(options.cases, "no case could be used (" + summary.skipped.front() + ")");

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

    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    summary.cropsPerSecond = static_cast<double>(summary.crops()) / std::max(summary.seconds, 1e-9);
    nlohmann::json manifest = {
        {"format", "weaksight-crops 1"},
        {"parameters",
         {{"crop_rows", options.cropRows},
          {"crop_cols", options.cropCols},
          {"hu_window", {options.huLow, options.huHigh}},
          {"slice_step", options.sliceStep},
          {"keep_no_kidney", options.keepNoKidney},
          {"split_seed", options.seed},
          {"split_fractions", {options.trainFraction, options.validationFraction,
                               1.0 - options.trainFraction - options.validationFraction}},
          {"sanity_square", options.sanitySquare},
          {"centring", options.centring},
          {"lesion_labels", options.lesionLabels},
          {"pixel_spacing_mm", options.pixelSpacingMm},
          {"geometry", std::string("rounded centroid of ") +
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
         {{"train", splitJson(summary.train)}, {"val", splitJson(summary.validation)}, {"test", splitJson(summary.test)}}},
        {"cases", caseList},
        {"skipped", summary.skipped},
        {"build_seconds", summary.seconds},
        {"crops_per_second", summary.cropsPerSecond},
    };
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
