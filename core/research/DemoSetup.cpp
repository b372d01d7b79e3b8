#include "core/research/DemoSetup.h"

#include "core/compute/CropDataset.h"
#include "core/compute/Device.h"
#include "core/compute/Trainer.h"
#include "core/dataset/DatasetBuilder.h"
#include "core/phantom/Phantom.h"
#include "core/research/TrainingReport.h"

#include <spdlog/spdlog.h>

namespace weaksight {

namespace fs = std::filesystem;

DemoFiles demoFiles(const fs::path& root, const DemoOptions& options)
{
    return {root / "cases", root / "crops", root / "model.wsm", options.cropSize};
}

bool demoReady(const DemoFiles& files)
{
    std::error_code ec;
    return fs::exists(files.dataset / "case_00000" / "segmentation.nii.gz", ec) &&
           fs::exists(files.model, ec) && fs::exists(files.model.string() + ".training.json", ec);
}

namespace {

/// Reports a stage's progress and throws DemoCancelled once cancelled.
using StageReport = std::function<void(const std::string& stage, int done, int total)>;

/// 1. Synthetic cases, generated into a staging folder renamed when complete.
void writeDemoCases(const DemoFiles& files, const DemoOptions& options, const StageReport& report)
{
    std::error_code ec;
    if (fs::exists(files.dataset / "case_00000" / "segmentation.nii.gz", ec))
        return;
    const fs::path staging = files.dataset.string() + ".partial";
    fs::remove_all(staging, ec);
    PhantomOptions phantom;
    phantom.seed = options.seed;
    phantom.lesionFreeFraction = 0.0; // every demo case shows lesions
    phantom.minInPlace = options.phantomMinInPlane;
    phantom.maxInPlace = options.phantomMaxInPlane;
    phantom.sliceThicknesses = {options.sliceThickness};
    report("cases", 0, options.cases);
    writePhantomDataset(phantom, staging, options.cases,
                        [&](int done, int total) { report("cases", done, total); });
    fs::remove_all(files.dataset, ec);
    fs::rename(staging, files.dataset);
    fs::remove(files.model, ec); // a model of other cases is stale
}

/// 2. Kidney crops (rebuilt: a few seconds).
void buildDemoCrops(const DemoFiles& files, const DemoOptions& options, const StageReport& report,
                    const std::atomic<bool>* cancel)
{
    report("crops", 0, options.cases);
    DatasetBuildOptions build;
    build.cases = files.dataset;
    build.out = files.crops;
    build.cropRows = build.cropCols = options.cropSize;
    try {
        buildCropDataset(
            build, [&](int done, int total) { report("crops", done, total); }, cancel);
    } catch (const DemoCancelled&) {
        throw;
    } catch (const std::exception&) {
        if (cancel && cancel->load())
            throw DemoCancelled();
        throw;
    }
}

/// 3. The classifier; a checkpoint from an interrupted run is resumed.
void trainDemoModel(const DemoFiles& files, const DemoOptions& options, const compute::CropDataset& dataset,
                    const StageReport& report, const std::atomic<bool>* cancel)
{
    std::error_code ec;
    compute::TrainOptions train;
    train.architecture = "tiny";
    train.epochs = options.epochs;
    train.learningRate = options.learningRate;
    train.balance = compute::ClassBalance::Sampling;
    train.seed = 0;
    train.device = "auto";
    train.out = files.model;
    train.resume = fs::exists(files.model.string() + ".ckpt", ec);
    const auto onProgress = [&](const compute::TrainProgress& p) {
        report("training", (p.epoch - 1) * p.batches + p.batch, p.epochs * p.batches);
    };
    const auto cancelled = [cancel] {
        return cancel && cancel->load();
    };
    compute::TrainResult result;
    try {
        result = compute::trainClassifier(dataset, train, onProgress, cancel);
    } catch (const DemoCancelled&) {
        throw;
    } catch (const std::exception& e) {
        if (cancelled())
            throw DemoCancelled();
        if (!train.resume)
            throw;
        spdlog::warn("demo: cannot resume training ({}); starting again", e.what());
        fs::remove(files.model.string() + ".ckpt", ec);
        train.resume = false;
        result = compute::trainClassifier(dataset, train, onProgress, cancel);
    }
    writeTrainingReport({files.model, files.crops, compute::selectDevice(train.device).name, train,
                         options.cropSize, options.cropSize},
                        result);
    fs::remove(files.model.string() + ".ckpt", ec);
    spdlog::info("demo model trained: best epoch {} (val F1 {:.3f}) -> {}", result.bestEpoch,
                 result.bestValidationF1, files.model.string());
}

} // namespace

DemoFiles prepareDemo(const fs::path& root, const DemoOptions& options,
                      const std::function<void(const std::string&, int, int)>& progress,
                      const std::atomic<bool>* cancel)
{
    const DemoFiles files = demoFiles(root, options);
    const StageReport report = [&](const std::string& stage, int done, int total) {
        if (progress)
            progress(stage, done, total);
        if (cancel && cancel->load())
            throw DemoCancelled();
    };
    fs::create_directories(root);
    writeDemoCases(files, options, report);
    if (demoReady(files))
        return files;
    buildDemoCrops(files, options, report, cancel);
    const auto dataset = compute::CropDataset::open(files.crops);
    trainDemoModel(files, options, dataset, report, cancel);
    return files;
}

} // namespace weaksight
