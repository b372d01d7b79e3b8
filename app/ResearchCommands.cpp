// The headless research pipeline: weaksight dataset build, train, evaluate, cam-batch, cam-merge
// (bench train is in main.cpp).
#include "app/Commands.h"
#include "app/ProgressLine.h"
#include "core/common/Error.h"
#include "core/compute/CamCache.h"
#include "core/compute/Device.h"
#include "core/compute/Evaluation.h"
#include "core/compute/PhysicalScale.h"
#include "core/compute/Trainer.h"
#include "core/dataset/DatasetBuilder.h"
#include "core/io/AtomicFile.h"
#include "core/research/EvaluationReport.h"
#include "core/research/ProposalStudy.h"
#include "core/research/TrainingReport.h"
#include "ui/QtLogBridge.h"
#include "ui/figures/ReportFigures.h"

#include <QGuiApplication>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace weaksight::app {

int runDatasetBuild(const DatasetBuildCommandOptions& o)
{
    DatasetBuildOptions options;
    options.cases = o.cases;
    options.out = o.out;
    options.cropRows = options.cropCols = o.cropSize;
    options.sliceStep = o.sliceStep;
    options.keepNoKidney = o.keepNoKidney;
    if (o.huWindow.size() != 2)
        throw InputError("--hu-window takes two values: low,high");
    options.huLow = o.huWindow[0];
    options.huHigh = o.huWindow[1];
    options.seed = o.seed;
    if (o.split.size() != 3 || std::abs(o.split[0] + o.split[1] + o.split[2] - 1.0) > 1e-6)
        throw InputError("--split takes three fractions that sum to 1 (train,val,test)");
    options.trainFraction = o.split[0];
    options.validationFraction = o.split[1];
    options.sanitySquare = o.sanitySquare;
    options.centring = o.centring;
    options.lesionLabels = o.lesionLabels;
    options.pixelSpacingMm = o.pixelSpacingMm;
    if (!o.spacingOfModel.empty()) {
        const auto model = compute::Classifier::load(o.spacingOfModel, "cpu");
        if (model.description().pixelSpacingMm <= 0)
            throw InputError(o.spacingOfModel, "records no pixel spacing (it was trained on crops of each scan's own "
                                               "pixels); give --spacing instead");
        options.pixelSpacingMm = model.description().pixelSpacingMm;
        std::cout << fmt::format("crops at {:.2f} mm pixels, the spacing {} was trained at\n", options.pixelSpacingMm,
                                 o.spacingOfModel);
    }
    options.contextSlices = o.contextSlices;
    options.labelTable = o.labelTable;
    options.contextSpacingMm = o.contextSpacingMm;
    if (!o.spacingOfModel.empty() && o.contextSlices == 0) { // a 2.5D model's planes too
        const auto context = compute::Classifier::load(o.spacingOfModel, "cpu").description().context;
        if (context.slices > 0) {
            options.contextSlices = context.slices;
            options.contextSpacingMm = context.spacingMm;
            std::cout << "with the planes it reads (" << context.describe() << ")\n";
        }
    }
    options.threads = o.threads;
    const bool terminal = ::isatty(STDERR_FILENO);
    const auto summary = buildCropDataset(options, [&](int done, int total) {
        if (terminal)
            std::cerr << fmt::format("\rcases {}/{}", done, total) << (done == total ? "\n" : "") << std::flush;
    });
    const auto line = [](const char* name, const SplitCount& c) {
        return fmt::format("  {:<5} {:4} cases {:7} crops {:7} with lesion ({:.1f} %)\n", name, c.cases, c.crops,
                           c.lesionCrops, c.crops ? 100.0 * static_cast<double>(c.lesionCrops) / static_cast<double>(c.crops) : 0.0);
    };
    std::cout << fmt::format("dataset {}: {} crops of {}x{} from {} cases in {:.1f} s ({:.0f} crops/s)\n", o.out,
                             summary.crops(), o.cropSize, o.cropSize, summary.casesUsed, summary.seconds,
                             summary.cropsPerSecond)
              << line("train", summary.train) << line("val", summary.validation) << line("test", summary.test);
    for (const auto& s : summary.skipped)
        std::cout << "  skipped " << s << "\n";
    return 0;
}

int runTrain(const TrainCommandOptions& o)
{
    const int threads = compute::configureCpuThreads(o.threads);
    const auto dataset = compute::CropDataset::open(o.data);
    compute::TrainOptions options;
    options.architecture = o.architecture;
    options.epochs = o.epochs;
    options.learningRate = o.learningRate;
    options.batchSize = o.batch;
    options.stepEpochs = o.stepEpochs;
    options.stepGamma = o.stepGamma;
    options.balance = compute::classBalanceFromString(o.balance);
    options.blurProbability = o.blurProbability;
    options.blurSigmaMax = o.blurSigma;
    options.seed = o.seed;
    options.device = o.device;
    options.out = o.out;
    options.resume = o.resume;
    options.contextSlices = o.contextSlices;
    const auto device = compute::selectDevice(o.device);
    std::cout << fmt::format("training {} on {} ({} train / {} val crops) on {} ({} CPU threads)\n", o.architecture,
                             o.data, dataset.indicesOf(compute::Split::Train).size(),
                             dataset.indicesOf(compute::Split::Validation).size(), device.name, threads)
              << std::flush;
    // The table grows an epoch at a time, also when stdout is a file (a batch job's log).
    const auto row = [](const compute::EpochRecord& e, const char* mark) {
        return fmt::format("{:5}  {:<8.3g}  {:.4f}   {:.3f}   {:.3f}   {:.3f}   {:.1f}{}\n", e.epoch, e.learningRate,
                           e.trainLoss, e.validation.precision(), e.validation.recall(), e.validation.f1(), e.seconds,
                           mark);
    };
    std::cout << "epoch  lr        loss     val P   val R   val F1  s\n" << std::flush;
    options.epochFinished = [&row](const compute::EpochRecord& e, bool best) {
        std::cout << row(e, best ? "  best so far" : "") << std::flush;
    };
    const bool terminal = ::isatty(STDERR_FILENO);
    auto lastPrint = std::chrono::steady_clock::now() - std::chrono::hours(1);
    const auto result = compute::trainClassifier(dataset, options, [&](const compute::TrainProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        const bool last = p.batch == p.batches;
        if (!last && now - lastPrint < std::chrono::milliseconds(terminal ? 200 : 10000))
            return;
        lastPrint = now;
        std::cerr << fmt::format("{}epoch {}/{} batch {}/{} loss {:.4f} {:.1f} crops/s ETA {}{}", terminal ? "\r" : "",
                                 p.epoch, p.epochs, p.batch, p.batches, p.loss, p.cropsPerSecond,
                                 formatDuration(p.etaSeconds), terminal && !last ? "   " : "\n")
                  << std::flush;
    });
    if (result.resumed) { // the epochs before the resumption too
        std::cout << "the whole run (resumed):\n";
        for (const auto& e : result.history)
            std::cout << row(e, e.epoch == result.bestEpoch ? "  best" : "");
    }
    const fs::path historyFile = writeTrainingReport(
        {o.out, o.data, device.name, options, dataset.parameters().rows, dataset.parameters().cols}, result);
    std::cout << fmt::format("best model (epoch {}, val F1 {:.3f}) -> {} (hash {}); history -> {}\n", result.bestEpoch,
                             result.bestValidationF1, o.out, result.modelHash, historyFile.string());
    return 0;
}

// ---- evaluate, cam-batch, cam-merge ------------------------------------------------------

namespace {

/// The methods named (or "all" of the flavour's); a method the flavour's library lacks is an error.
std::vector<compute::CamMethod> parseMethods(const std::vector<std::string>& names, compute::CamFlavour flavour)
{
    std::vector<compute::CamMethod> methods;
    for (const auto& name : names) {
        if (name == "all") {
            for (auto m : compute::camMethodsOf(flavour))
                methods.push_back(m);
            continue;
        }
        try {
            methods.push_back(compute::camMethodFromString(name));
        } catch (const std::invalid_argument& e) {
            throw InputError(e.what());
        }
        if (!compute::flavourHas(flavour, methods.back())) {
            std::string has;
            for (auto m : compute::camMethodsOf(flavour))
                has += (has.empty() ? "" : ", ") + compute::toString(m);
            throw InputError(fmt::format("the {} flavour has no {} (it has {}); leave it out or use --flavour weaksight",
                                         compute::toString(flavour), name, has));
        }
    }
    return methods;
}

compute::CamOptions camOptionsOf(const BatchCamOptions& o)
{
    compute::CamOptions cam;
    cam.flavour = compute::camFlavourFromString(o.flavour);
    cam.targetClass = o.target;
    cam.score = o.score == "probability" ? compute::CamScore::Probability : compute::CamScore::Logit;
    cam.smoothSamples = o.smoothSamples;
    cam.smoothNoise = o.smoothNoise;
    cam.fastScoreTopK = o.topK;
    cam.scoreReducedPrecision = o.reducedPrecision;
    return cam;
}

/// The crops were cut at one physical scale, the model trained at another: say so before hours of work.
void warnIfScalesDiffer(const compute::ModelDescription& model, const compute::DatasetParameters& dataset)
{
    const auto text = [](double spacing) {
        return spacing > 0 ? fmt::format("{:.2f} mm pixels", spacing) : std::string("each scan's own pixels");
    };
    if (!compute::spacingsAgree(model.pixelSpacingMm, dataset.pixelSpacingMm))
        std::cout << fmt::format("note: the model was trained on crops at {}, this dataset's crops are at {}: the "
                                 "heatmaps show another physical scale than it learned\n",
                                 text(model.pixelSpacingMm), text(dataset.pixelSpacingMm));
}

} // namespace

namespace {

/// The classification line and one row per proposal on stdout (report.md has everything).
void printEvaluationSummary(const compute::EvaluationResult& result,
                            const compute::EvaluationOptions& options)
{
    std::cout << fmt::format(
        "test: P {:.2f} % R {:.2f} % F1 {:.2f} % accuracy {:.2f} % (always lesion: F1 {:.2f} %; "
        "always no lesion: accuracy {:.2f} %)\n",
        100 * result.test.precision(), 100 * result.test.recall(), 100 * result.test.f1(),
        100 * result.test.accuracy(), 100 * result.test.alwaysLesionF1(),
        100 * result.test.alwaysNoLesionAccuracy());
    if (!result.test.beatsConstantAnswers())
        std::cout
            << "WARNING: the classifier does not beat a constant answer on test; its heatmaps mean little\n";
    std::cout << fmt::format("CAM definitions: {}\n", compute::toString(options.cam.flavour));
    std::cout << fmt::format("{:<26} {:>12} {:>8} {:>8} {:>9} {:>9}\n", "method", "setting", "val IoU",
                             "test IoU", "test Dice", ">2% test");
    for (const auto& m : result.methods)
        std::cout << fmt::format(
            "{:<26} {:>12} {:>8} {:>8} {:>9} {:>9}\n",
            m.name + (m.approximate ? " (approx.)" : "") + (m.sameAs.empty() ? "" : " =" + m.sameAs),
            m.all.setting, figureText(m.all.validationFigure(m.all.validationIou)),
            figureText(m.all.testFigure(m.all.testIou)), figureText(m.all.testFigure(m.all.testDice)),
            figureText(m.large.testFigure(m.large.testIou)));
}

/// The 2.5D classifier of `--context-model`, checked against the dataset before any work: a 2D
/// model or one the dataset's planes cannot feed is refused here, not after the evaluation.
std::optional<compute::Classifier> loadContextModel(const EvaluateCommandOptions& o,
                                                    const compute::CropDataset& dataset)
{
    if (o.contextModel.empty())
        return std::nullopt;
    if (o.proposals == "none")
        throw InputError("--context-model needs the proposal rows (--proposals refined or all)");
    auto model = compute::Classifier::load(o.contextModel, o.device);
    const auto& description = model.description();
    if (description.context.slices == 0)
        throw InputError(o.contextModel, "is a 2D model (no slice context): train it on a dataset built with "
                                         "--context");
    dataset.checkContext(description.context);
    warnIfScalesDiffer(description, dataset.parameters());
    return model;
}

/// Issue 16's rows: refined, volumetric and 2.5D proposals, and with --proposals all the two
/// U-Nets. The 2.5D classifier's maps are cached beside the main cache file. Returns the report's
/// note on the 2.5D classifier (empty without one).
std::string addProposalStudy(const EvaluateCommandOptions& o, compute::EvaluationResult& result,
                             const compute::Classifier& model, const compute::Classifier* contextModel,
                             const compute::CropDataset& dataset, const compute::EvaluationOptions& options,
                             const fs::path& out, const fs::path& cacheFile)
{
    std::string contextNote;
    research::ProposalStudyOptions study;
    study.supervisedSegmenter = study.pseudoLabelSegmenter = o.proposals == "all";
    if (!o.refine.empty())
        study.refine = compute::camMethodFromString(o.refine);
    study.training.epochs = o.unetEpochs;
    study.training.device = o.device;
    study.training.seed = 0;
    study.segmenterFolder = out;
    std::optional<compute::CamCache> contextCache;
    if (contextModel) {
        fs::path contextCacheFile = cacheFile;
        contextCacheFile.replace_filename(cacheFile.stem().string() + "-2.5d" +
                                          cacheFile.extension().string());
        contextCache.emplace(contextCacheFile, contextModel->contentHash());
        study.contextClassifier = contextModel;
        study.contextCache = &*contextCache;
        const auto& description = contextModel->description();
        const auto metrics =
            compute::classifyCrops(*contextModel, dataset, dataset.indicesOf(compute::Split::Test));
        contextNote = fmt::format(
            "2.5D classifier `{}` ({}, {}): test F1 {:.2f} %, accuracy {:.2f} %. Its maps are scored on the "
            "crops the main model classified correctly, so every row shares one set of crops.",
            fs::path(o.contextModel).filename().string(), description.architecture,
            description.context.describe(), 100 * metrics.f1(), 100 * metrics.accuracy());
        std::cout << contextNote << "\n";
    }
    const auto done = research::addProposalRows(result, model, dataset, options, study);
    std::cout << (done.refinedMethod.empty()
                      ? std::string("no refined proposals: no CAM method had a threshold chosen on validation\n")
                      : fmt::format("refined proposals from the {} maps\n", done.refinedMethod));
    for (const auto& file : done.segmenterFiles)
        std::cout << "U-Net -> " << file.string() << "\n";
    return contextNote;
}

} // namespace

int runEvaluate(const EvaluateCommandOptions& o)
{
    const auto start = std::chrono::steady_clock::now();
    compute::configureCpuThreads(o.threads);
    const auto dataset = compute::CropDataset::open(o.data);
    const auto model = compute::Classifier::load(o.model, o.device);
    dataset.checkContext(model.description().context);
    const auto contextModel = loadContextModel(o, dataset);
    if (model.description().huLow != dataset.parameters().huLow || model.description().huHigh != dataset.parameters().huHigh)
        spdlog::warn("evaluate: the model's HU window ({} .. {}) differs from the dataset's ({} .. {}); the model's is used",
                     model.description().huLow, model.description().huHigh, dataset.parameters().huLow,
                     dataset.parameters().huHigh);
    warnIfScalesDiffer(model.description(), dataset.parameters());
    const fs::path out = o.out;
    fs::create_directories(out);
    const fs::path cacheFile = o.cache.empty() ? out / "cams.wscam" : fs::path(o.cache);
    compute::CamCache cache(cacheFile, model.contentHash());
    std::cout << fmt::format("evaluating {} ({}) on {} with {}; {} cached heatmaps in {}\n", o.model,
                             model.description().architecture, model.deviceName(), o.data, cache.size(),
                             cacheFile.string())
              << std::flush;

    compute::EvaluationOptions options;
    options.cam = camOptionsOf(o);
    options.methods = parseMethods(o.methods, options.cam.flavour);
    options.thresholdStep = o.step;
    options.normalisation = compute::mapNormalisationFromString(o.normalise);
    options.batchSize = o.batch;
    options.examples = o.examples;
    options.minimumValidationCrops = o.minimumValidationCrops;
    options.cache = &cache;
    ProgressLine progress;
    options.progress = std::ref(progress);
    auto result = compute::evaluateModel(model, dataset, options);
    EvaluationReportContext context;
    if (o.proposals != "none")
        context.contextModelNote = addProposalStudy(o, result, model, contextModel ? &*contextModel : nullptr,
                                                    dataset, options, out, cacheFile);
    if (contextModel) {
        context.contextModelFile = o.contextModel;
        context.contextModelHash = contextModel->contentHash();
    }
    context.modelFile = o.model;
    context.modelHash = model.contentHash();
    context.architecture = model.description().architecture;
    context.device = model.deviceName();
    context.datasetDirectory = fs::absolute(o.data).lexically_normal().string();
    context.normalisation = compute::toString(options.normalisation);
    context.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    writeEvaluationReport(result, dataset, context, out);

    // Figures: QPainter needs a QGuiApplication for fonts; the offscreen platform needs no display.
    std::unique_ptr<QGuiApplication> application;
    if (!QCoreApplication::instance()) {
        ui::installQtLogBridge();
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        static int argc = 1;
        static char name[] = "weaksight";
        static char* argv[] = {name, nullptr};
        application = std::make_unique<QGuiApplication>(argc, argv);
    }
    ui::drawThresholdCurves(result, QString::fromStdString((out / "threshold_iou.png").string()));
    ui::drawIouIntervals(result, QString::fromStdString((out / "iou_intervals.png").string()));
    // Reports are written in English, as report.md is (the CLI installs no translator).
    ui::drawConfusionMatrix(result.test, QStringLiteral("Test split"),
                            QString::fromStdString((out / "confusion_matrix.png").string()));
    ui::drawExampleGrid(result, dataset, QString::fromStdString(o.colorMap),
                        QString::fromStdString((out / "examples.png").string()));

    printEvaluationSummary(result, options);
    std::cout << "report -> " << (out / "report.md").string() << "\n";
    return 0;
}

namespace {

/// A proposal file's name: "gradcam++_grow_derived-kidney.npy", "gradcam++-across-slices_raw.npy".
std::string proposalFileName(const research::ProposalRecipe& recipe)
{
    std::string name =
        compute::toString(recipe.method) + (recipe.acrossSlices ? "-across-slices" : "") + "_" + recipe.rule;
    if (recipe.rule != "raw" && recipe.rule != "linked")
        name += recipe.kidneyLabel ? "_kidney-label" : "_derived-kidney";
    return name + ".npy";
}

/// Masks as a NumPy uint8 array (count x rows x cols), whole or not at all.
void writeMaskArray(const fs::path& path, const std::vector<std::vector<uint8_t>>& masks, int rows, int cols)
{
    io::writeAtomically(path, [&](const fs::path& temporary) {
        std::ofstream out(temporary, std::ios::binary);
        out << compute::npyHeader("|u1", masks.size(), rows, cols);
        for (const auto& mask : masks)
            out.write(reinterpret_cast<const char*>(mask.data()), static_cast<std::streamsize>(mask.size()));
        out.flush();
        if (!out)
            throw InputError(path, "cannot be written (disk full?)");
    });
}

double proposedFraction(const std::vector<std::vector<uint8_t>>& masks)
{
    double proposed = 0, pixels = 0;
    for (const auto& mask : masks) {
        proposed += static_cast<double>(std::count(mask.begin(), mask.end(), uint8_t{1}));
        pixels += static_cast<double>(mask.size());
    }
    return pixels > 0 ? proposed / pixels : 0.0;
}

/// What cam-batch --proposals / --segmenter will write, settled (levels looked up, U-Net loaded)
/// before any heatmap is computed, so a wrong report or file fails at once.
struct BatchProposalPlan {
    struct Item {
        research::ProposalRecipe recipe;
        std::string levelFrom;
    };
    std::vector<Item> recipes;
    std::optional<compute::Segmenter> segmenter;
    double segmenterLevel = 0.5;
    std::string segmenterLevelFrom;
    compute::MapNormalisation normalisation = compute::MapNormalisation::PerCrop;
};

BatchProposalPlan planBatchProposals(const CamBatchCommandOptions& o, const compute::Classifier& model)
{
    BatchProposalPlan plan;
    if (o.proposals.empty() && o.segmenter.empty())
        return plan;
    if (o.proposalsOut.empty())
        throw InputError("--proposals and --segmenter write masks: give the folder with --proposals-out");
    std::optional<ReportLevels> report;
    if (!o.levelsFrom.empty())
        report = ReportLevels::read(o.levelsFrom);
    // Asked for, else the report's (its levels were chosen on those maps), else per crop.
    plan.normalisation = compute::mapNormalisationFromString(!o.normalise.empty() ? o.normalise
                                                             : report             ? report->normalisation()
                                                                                  : std::string("crop"));
    const std::string from = "--level";
    for (const auto method : parseMethods(o.methods, compute::camFlavourFromString(o.flavour)))
        for (const auto& rule : o.proposals) {
            if (!research::isProposalRule(rule))
                throw InputError("--proposals: no rule '" + rule +
                                 "' (raw, anatomy, grow, watershed, linked)");
            BatchProposalPlan::Item item{{method, o.acrossSlices, rule, o.region == "label", o.level}, from};
            if (report) {
                const auto chosen = report->levelOf(item.recipe, model.contentHash(), o.flavour,
                                                    compute::toString(plan.normalisation));
                item.recipe.level = chosen.level;
                item.levelFrom = "validation: " + chosen.row;
            }
            plan.recipes.push_back(std::move(item));
        }
    if (!o.segmenter.empty()) {
        plan.segmenter = compute::Segmenter::load(o.segmenter, o.device);
        plan.segmenterLevel = o.level;
        plan.segmenterLevelFrom = from;
        if (report) {
            const auto chosen = report->segmenterLevel(plan.segmenter->contentHash());
            plan.segmenterLevel = chosen.level;
            plan.segmenterLevelFrom = "validation: " + chosen.row;
        }
    }
    return plan;
}

/// Each planned proposal's masks of `crops` as OUT/NAME.npy (rows in OUT/crops.tsv order), listed
/// with their levels in OUT/proposals.tsv.
void writeBatchProposals(const BatchProposalPlan& plan, const fs::path& out, const compute::Classifier& model,
                         const compute::CropDataset& dataset, const std::vector<size_t>& crops,
                         const compute::EvaluationOptions& options, const std::string& segmenterFile)
{
    fs::create_directories(out);
    std::ostringstream index;
    index << "row\tdataset_index\tcase\tslice\tside\tsplit\tlesion\n";
    for (size_t row = 0; row < crops.size(); ++row) {
        const auto& r = dataset.records()[crops[row]];
        index << row << "\t" << crops[row] << "\t" << r.caseId << "\t" << r.slice << "\t" << r.side << "\t"
              << compute::toString(r.split) << "\t" << (r.lesion ? 1 : 0) << "\n";
    }
    io::writeAtomically(out / "crops.tsv",
                        [&](const fs::path& temporary) { std::ofstream(temporary) << index.str(); });
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    std::ostringstream table;
    table << "file\tproposal\tlevel\tlevel_from\tproposed_fraction\n";
    const auto write = [&](const std::string& file, const std::string& what, double level,
                           const std::string& from, const std::vector<std::vector<uint8_t>>& masks) {
        writeMaskArray(out / file, masks, rows, cols);
        table << fmt::format("{}\t{}\t{:.4f}\t{}\t{:.6f}\n", file, what, level, from,
                             proposedFraction(masks));
        std::cout << fmt::format("{} (level {:.2f}, {}) -> {}\n", what, level, from, (out / file).string())
                  << std::flush;
    };
    for (const auto& item : plan.recipes)
        write(proposalFileName(item.recipe), item.recipe.describe(), item.recipe.level, item.levelFrom,
              research::proposalMasks(model, dataset, crops, item.recipe, options));
    if (plan.segmenter)
        write("unet-" + plan.segmenter->contentHash().substr(0, 12) + ".npy",
              "U-Net " + fs::path(segmenterFile).filename().string(), plan.segmenterLevel,
              plan.segmenterLevelFrom,
              research::segmenterMasks(*plan.segmenter, dataset, crops, plan.segmenterLevel));
    io::writeAtomically(out / "proposals.tsv",
                        [&](const fs::path& temporary) { std::ofstream(temporary) << table.str(); });
}

} // namespace

int runCamBatch(const CamBatchCommandOptions& o)
{
    int shardIndex = 0, shardCount = 1;
    if (std::sscanf(o.shard.c_str(), "%d/%d", &shardIndex, &shardCount) != 2)
        throw InputError("--shard takes I/N (0-based shard I of N), e.g. 3/16");
    compute::configureCpuThreads(o.threads);
    const auto dataset = compute::CropDataset::open(o.data);
    const auto model = compute::Classifier::load(o.model, o.device);
    std::vector<size_t> indices;
    for (size_t i = 0; i < dataset.size(); ++i) {
        const auto& r = dataset.records()[i];
        if (o.split != "all" && r.split != compute::splitFromString(o.split))
            continue;
        if (o.crops == "lesion" && !r.lesion)
            continue;
        indices.push_back(i);
    }
    warnIfScalesDiffer(model.description(), dataset.parameters());
    const BatchProposalPlan plan = planBatchProposals(o, model);
    const auto part = compute::shardOf(indices, shardIndex, shardCount);
    compute::CamCache cache(o.out, model.contentHash());
    std::cout << fmt::format("shard {}/{}: {} of {} crops, {} methods, on {}; {} heatmaps already in {}\n", shardIndex,
                             shardCount, part.size(), indices.size(), o.methods.size(), model.deviceName(), cache.size(),
                             o.out)
              << std::flush;
    ProgressLine progress;
    compute::CamOptions cam = camOptionsOf(o);
    size_t computedTotal = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const auto method : parseMethods(o.methods, cam.flavour)) {
        cam.method = method;
        size_t computed = 0;
        compute::camsForCrops(
            model, dataset, part, cam, &cache, o.batch,
            [&](size_t done, size_t total) { progress(compute::toString(method), done, total); }, nullptr, &computed);
        computedTotal += computed;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << fmt::format("{} heatmaps computed in {:.1f} s ({:.1f} maps/s); {} in {}\n", computedTotal, seconds,
                             computedTotal / std::max(seconds, 1e-9), cache.size(), o.out);
    if (!plan.recipes.empty() || plan.segmenter) {
        compute::EvaluationOptions options;
        options.cam = camOptionsOf(o);
        options.normalisation = plan.normalisation;
        options.batchSize = o.batch;
        options.cache = &cache;
        // Each shard its own folder: a shard's rows are its own crops.
        const fs::path folder =
            shardCount > 1 ? fs::path(o.proposalsOut) / fmt::format("shard-{}-of-{}", shardIndex, shardCount)
                           : fs::path(o.proposalsOut);
        writeBatchProposals(plan, folder, model, dataset, part, options, o.segmenter);
    }
    return 0;
}

int runCamMerge(const CamBatchCommandOptions& o)
{
    std::vector<fs::path> inputs(o.inputs.begin(), o.inputs.end());
    const size_t added = compute::CamCache::merge(inputs, o.out);
    std::cout << fmt::format("merged {} files into {}: {} heatmaps added\n", inputs.size(), o.out, added);
    return 0;
}

} // namespace weaksight::app
