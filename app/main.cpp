// weaksight: one executable. No subcommand (or `gui`) opens the workstation;
// subcommands run the headless tools. `weaksight --help` lists them.

#include "app/Commands.h"
#include "core/common/Log.h"
#include "core/compute/CamBenchmark.h"
#include "core/compute/Device.h"
#include "core/compute/Trainer.h"
#include "core/io/ItkLogBridge.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <vector>

namespace {

using namespace weaksight;

/// A subcommand and what running it does: the one the command line chose runs after parsing
/// and logging are set up.
struct Command {
    CLI::App* subcommand;
    std::function<int()> run;
};
using Commands = std::vector<Command>;

struct LogFlags {
    std::string level;
    std::string file;
    bool noFile = false;
};

/// `bench cam`'s options with the flags that map onto its three-way reduced-precision choice.
struct BenchCamFlags {
    compute::CamBenchmarkOptions options;
    bool fast = false;
    bool reduced = false;
    bool noReduced = false;
};

struct BenchTrainFlags {
    compute::TrainBenchmarkOptions options;
    int threads = 0;
};

/// Every subcommand's options: CLI11 writes into them while parsing, the commands read them after.
struct CommandLineOptions {
    LogFlags log;
    app::GuiOptions gui;
    app::CaseInfoOptions caseInfo;
    app::PhantomCommandOptions phantom;
    app::StoreCommandOptions store;
    app::CamCommandOptions cam;
    app::DatasetBuildCommandOptions datasetBuild;
    app::TrainCommandOptions train;
    app::EvaluateCommandOptions evaluate;
    app::CamBatchCommandOptions camBatch;
    BenchCamFlags benchCam;
    BenchTrainFlags benchTrain;
    app::GuiBenchOptions benchGui;
};

void addLogOptions(CLI::App& cli, LogFlags& log)
{
    cli.add_option("--log-level", log.level,
                   "trace, debug, info, warn, error, critical or off "
                   "(default: $WEAKSIGHT_LOG_LEVEL or info)");
    cli.add_option("--log-file", log.file, "Log file (default: " + logging::defaultLogFile().string() + ")");
    cli.add_flag("--no-log-file", log.noFile, "Log to the terminal only");
}

/// `gui` has no entry in the commands: it is what runs when no other subcommand was chosen.
void addGuiCommand(CLI::App& cli, app::GuiOptions& gui)
{
    auto* guiCmd = cli.add_subcommand("gui", "Open the workstation (the default)");
    guiCmd->add_option("path", gui.path, "Dataset folder, case folder, volume file or DICOM series folder");
    guiCmd->add_flag("--demo", gui.demo,
                     "Open the built-in demo: synthetic cases and a classifier trained on them (made on "
                     "first use, about 1.5 min)");
    guiCmd
        ->add_option("--language", gui.language,
                     "Interface language for this run (default: the settings' choice)")
        ->check(CLI::IsMember({"en", "uk"}));
    guiCmd->add_option("--image", gui.image, "A CT volume (file or DICOM folder) to open with --labels")
        ->check(CLI::ExistingPath);
    guiCmd->add_option("--labels", gui.labels, "A segmentation of --image (checked for the same grid)")
        ->check(CLI::ExistingFile);
    guiCmd
        ->add_option("--label-table", gui.labelTable,
                     "What the segmentation's values mean: JSON, ITK-SNAP label description or .seg.nrrd "
                     "(default: the segmentation's own or the one beside it)")
        ->check(CLI::ExistingFile);
}

void addCaseInfoCommand(CLI::App& cli, app::CaseInfoOptions& caseInfo, Commands& commands)
{
    auto* caseInfoCmd = cli.add_subcommand(
        "case-info", "Print the facts of a case folder or a volume file (of a dataset folder: its cases)");
    caseInfoCmd
        ->add_option("path", caseInfo.path, "Case folder, volume file, DICOM series folder or dataset folder")
        ->required();
    caseInfoCmd->add_flag("--json", caseInfo.json, "Print JSON instead of text");
    caseInfoCmd
        ->add_option("--as", caseInfo.role, "Treat a single file as 'image' or 'labels' (default: by type)")
        ->check(CLI::IsMember({"auto", "image", "labels"}));
    caseInfoCmd
        ->add_option("--labels", caseInfo.labels, "A segmentation of the image (checked for the same grid)")
        ->check(CLI::ExistingFile);
    caseInfoCmd
        ->add_option("--label-table", caseInfo.labelTable,
                     "What the label values mean: a JSON table, an ITK-SNAP label description file or a "
                     "Slicer .seg.nrrd (default: KiTS's for KiTS folders, else the segmentation's own)")
        ->check(CLI::ExistingFile);
    commands.push_back({caseInfoCmd, [&caseInfo] {
                            return app::runCaseInfo(caseInfo);
                        }});
}

void addPhantomCommand(CLI::App& cli, app::PhantomCommandOptions& phantom, Commands& commands)
{
    auto* phantomCmd = cli.add_subcommand("phantom", "Write synthetic KiTS23-layout CT cases with labels");
    phantomCmd->add_option("--out", phantom.out, "Output dataset folder")->required();
    phantomCmd->add_option("--cases", phantom.cases, "Number of cases")->check(CLI::Range(1, 100000));
    phantomCmd->add_option("--seed", phantom.seed, "Random seed (same seed, same cases)");
    phantomCmd->add_option("--first", phantom.first, "Index of the first case (for writing in parts)");
    phantomCmd->add_option("--min-size", phantom.minSize, "Smallest in-plane matrix (pixels)")
        ->check(CLI::Range(64, 1024));
    phantomCmd->add_option("--max-size", phantom.maxSize, "Largest in-plane matrix (pixels)")
        ->check(CLI::Range(64, 1024));
    phantomCmd->add_option("--thickness", phantom.thicknesses, "Slice thicknesses (mm) to draw from")
        ->check(CLI::Range(0.3, 10.0));
    phantomCmd
        ->add_option("--lesion-free-fraction", phantom.lesionFreeFraction,
                     "Fraction of cases without any lesion")
        ->check(CLI::Range(0.0, 1.0));
    commands.push_back({phantomCmd, [&phantom] {
                            return app::runPhantom(phantom);
                        }});
}

/// import, export, stats and merge: the annotation store's subcommands, sharing one options struct.
void addStoreCommands(CLI::App& cli, app::StoreCommandOptions& store, Commands& commands)
{
    auto* importCmd =
        cli.add_subcommand("import", "Register a KiTS dataset's cases (paths and fingerprints) in a store");
    importCmd->add_option("--db", store.db, "Annotation store (SQLite file, created if missing)")->required();
    importCmd->add_option("--dataset", store.dataset, "KiTS dataset folder")
        ->required()
        ->check(CLI::ExistingDirectory);

    auto* exportCmd =
        cli.add_subcommand("export", "Export curated masks (NIfTI + provenance JSON, PNG, COCO)");
    exportCmd->add_option("--db", store.db, "Annotation store")->required()->check(CLI::ExistingFile);
    exportCmd->add_option("--out", store.out, "Output folder")->required();
    exportCmd
        ->add_option("--format", store.formats,
                     "nifti, seg-nrrd (3D Slicer), png and/or coco (with the slice images; comma-separated)")
        ->delimiter(',')
        ->check(CLI::IsMember({"nifti", "seg-nrrd", "dicom-seg", "png", "coco"}));
    exportCmd->add_option("--cases", store.cases, "Only these cases (comma-separated)")->delimiter(',');
    exportCmd->add_option("--status", store.statuses, "Decisions to export (default accepted,corrected)")
        ->delimiter(',')
        ->check(CLI::IsMember({"accepted", "corrected", "accept", "correct"}));
    exportCmd->add_option("--label", store.label, "Label value of curated lesion voxels (default 2)");

    auto* statsCmd = cli.add_subcommand("stats", "Progress and IoU summaries of an annotation store");
    statsCmd->add_option("--db", store.db, "Annotation store")->required()->check(CLI::ExistingFile);
    statsCmd->add_flag("--json", store.json, "Print JSON instead of tables");

    auto* mergeCmd =
        cli.add_subcommand("merge", "Merge annotators' stores into one and report their agreement");
    mergeCmd->add_option("--out", store.out, "Target store (created if missing)")->required();
    mergeCmd->add_option("sources", store.sources, "Stores to merge")->required()->check(CLI::ExistingFile);
    commands.push_back({importCmd, [&store] {
                            return app::runImport(store);
                        }});
    commands.push_back({exportCmd, [&store] {
                            return app::runExport(store);
                        }});
    commands.push_back({statsCmd, [&store] {
                            return app::runStats(store);
                        }});
    commands.push_back({mergeCmd, [&store] {
                            return app::runMerge(store);
                        }});
}

void addCamCommand(CLI::App& cli, app::CamCommandOptions& cam, Commands& commands)
{
    auto* camCmd =
        cli.add_subcommand("cam", "Class-activation maps of one crop with a saved model (NIfTI out)");
    camCmd->add_option("--model", cam.model, "Model file (weaksight format)")->required();
    camCmd
        ->add_option("--input", cam.input,
                     "2D crop in HU (NIfTI or any ITK 2D format), or a 3D volume with --slice")
        ->required();
    camCmd->add_option("--slice", cam.slice, "Axial slice of a 3D volume (canonical index, inferior = 0)");
    camCmd
        ->add_option(
            "--crop", cam.crop,
            "Of a volume's slice: kidney (the workstation's crops, one per kidney; default) or whole")
        ->check(CLI::IsMember({"kidney", "whole"}));
    camCmd
        ->add_option("--crop-size", cam.cropSize,
                     "Crop pixels (default: the model's training crops, else 150)")
        ->check(CLI::Range(8, 4096));
    camCmd
        ->add_option("--labels", cam.labels, "The volume's segmentation: the kidney crops sit on its kidneys")
        ->check(CLI::ExistingFile);
    camCmd->add_option("--label-table", cam.labelTable, "What the segmentation's values mean")
        ->check(CLI::ExistingFile);
    camCmd->add_option(
        "--method", cam.method,
        "cam, gradcam, gradcam++, smoothgradcam++, scorecam, scorecam-fast, xgradcam, layercam, "
        "hirescam, eigencam, or all");
    camCmd
        ->add_option("--flavour", cam.flavour,
                     "Whose definitions: weaksight (default), pytorch-grad-cam or torchcam (README: "
                     "Reference flavours)")
        ->check(CLI::IsMember({"weaksight", "pytorch-grad-cam", "torchcam"}));
    camCmd->add_option("--target", cam.target, "Target class (default 1 = lesion)");
    camCmd->add_option("--score", cam.score, "Target score: logit or probability")
        ->check(CLI::IsMember({"logit", "probability"}));
    camCmd->add_option("--out", cam.out,
                       "Map upsampled to the crop (NIfTI); with --method all, one file per method");
    camCmd->add_option("--out-raw", cam.outRaw, "Raw map at the target layer's resolution (NIfTI)");
    camCmd->add_option("--normalise", cam.normalise, "minmax (per crop) or none")
        ->check(CLI::IsMember({"minmax", "none"}));
    camCmd->add_option("--device", cam.device, "auto, cpu, cuda or cuda:N");
    camCmd->add_option("--top-k", cam.topK, "Channels for scorecam-fast (approximate Score-CAM)");
    camCmd->add_flag("--reduced-precision", cam.reducedPrecision,
                     "Score-CAM's masked forwards in float16 on CUDA (bfloat16 on the CPU, slower there)");
    camCmd->add_option("--threads", cam.threads, "CPU threads (default: all cores)");
    commands.push_back({camCmd, [&cam] {
                            return app::runCam(cam);
                        }});
}

void addDatasetCommands(CLI::App& cli, app::DatasetBuildCommandOptions& datasetBuild, Commands& commands)
{
    auto* datasetCmd = cli.add_subcommand("dataset", "Kidney-crop datasets of the research pipeline");
    datasetCmd->require_subcommand(1);
    auto* datasetBuildCmd =
        datasetCmd->add_subcommand("build", "Cut a crop per kidney side and slice, split by patient");
    datasetBuildCmd->add_option("--cases", datasetBuild.cases, "KiTS-layout dataset folder")->required();
    datasetBuildCmd->add_option("--out", datasetBuild.out, "Output dataset folder")->required();
    datasetBuildCmd->add_option("--crop", datasetBuild.cropSize, "Crop side in pixels (default 150)")
        ->check(CLI::Range(8, 1024));
    datasetBuildCmd->add_option("--every", datasetBuild.sliceStep, "Use every k-th axial slice (default 1)")
        ->check(CLI::Range(1, 1000));
    datasetBuildCmd->add_flag(
        "--keep-no-kidney", datasetBuild.keepNoKidney,
        "Keep sides without kidney label, centred where the kidney is on the nearest slices");
    datasetBuildCmd
        ->add_option("--hu-window", datasetBuild.huWindow,
                     "HU window low,high mapped to [0, 1] (default -200,300)")
        ->delimiter(',');
    datasetBuildCmd->add_option("--seed", datasetBuild.seed, "Patient split seed");
    datasetBuildCmd
        ->add_option("--split", datasetBuild.split, "Train,val,test fractions (default 0.6,0.2,0.2)")
        ->delimiter(',');
    datasetBuildCmd
        ->add_option("--centre", datasetBuild.centring,
                     "Crop centres: kidney (the method's, default) or kidney+lesion (keeps sides whose "
                     "lesion has no kidney label around it)")
        ->check(CLI::IsMember({"kidney", "kidney+lesion"}));
    datasetBuildCmd
        ->add_option("--lesion", datasetBuild.lesionLabels,
                     "What counts as lesion: tumour+cyst (default) or tumour")
        ->check(CLI::IsMember({"tumour+cyst", "tumour"}));
    datasetBuildCmd
        ->add_option("--spacing", datasetBuild.pixelSpacingMm,
                     "Resample crops to this in-plane pixel spacing in mm (a fixed field of view, e.g. "
                     "0.78: 150 px = 117 mm); default 0 = each scan's own pixels")
        ->check(CLI::Range(0.0, 20.0));
    datasetBuildCmd
        ->add_option("--spacing-of", datasetBuild.spacingOfModel,
                     "Cut crops at the pixel spacing a model records (to evaluate it on other cases at "
                     "the scale it learned)")
        ->excludes("--spacing");
    datasetBuildCmd
        ->add_option("--context", datasetBuild.contextSlices,
                     "Slice context for 2.5D models: also store N planes above and below each crop "
                     "(context.npy; default 0)")
        ->check(CLI::Range(0, 8));
    datasetBuildCmd
        ->add_option("--context-spacing", datasetBuild.contextSpacingMm,
                     "Distance between those planes in mm, interpolated between slices (default 5)")
        ->check(CLI::Range(0.1, 50.0));
    datasetBuildCmd
        ->add_option("--label-table", datasetBuild.labelTable,
                     "What every case's label values mean (JSON, ITK-SNAP or .seg.nrrd; default: KiTS's)")
        ->check(CLI::ExistingFile);
    datasetBuildCmd->add_option(
        "--sanity-square", datasetBuild.sanitySquare,
        "Paste an N-pixel black square top-left in every lesion crop (the method's sanity check)");
    datasetBuildCmd->add_option("--threads", datasetBuild.threads,
                                "Cases read in parallel (default: cores, at most 4)");
    commands.push_back({datasetBuildCmd, [&datasetBuild] {
                            return app::runDatasetBuild(datasetBuild);
                        }});
}

void addTrainCommand(CLI::App& cli, app::TrainCommandOptions& train, Commands& commands)
{
    auto* trainCmd = cli.add_subcommand("train", "Train the lesion classifier on a crop dataset");
    trainCmd->add_option("--data", train.data, "Crop dataset folder (weaksight dataset build)")->required();
    trainCmd->add_option("--out", train.out, "Model file to write (the best epoch by validation F1)")
        ->required();
    trainCmd->add_option("--arch", train.architecture, "tiny, resnet18, resnet34, resnet50 or resnet101")
        ->check(CLI::IsMember({"tiny", "resnet18", "resnet34", "resnet50", "resnet101"}));
    trainCmd->add_option("--epochs", train.epochs, "Epochs (default 50)")->check(CLI::Range(1, 100000));
    trainCmd->add_option("--lr", train.learningRate, "Adam learning rate (default 1e-2)");
    trainCmd->add_option("--batch", train.batch, "Batch size (default 60)")->check(CLI::Range(2, 100000));
    trainCmd->add_option("--step", train.stepEpochs, "Decay the learning rate every N epochs (default 40)")
        ->check(CLI::Range(1, 100000));
    trainCmd->add_option("--gamma", train.stepGamma, "Learning-rate decay factor (default 0.1)");
    trainCmd
        ->add_option("--balance", train.balance,
                     "none, weights (class-weighted loss) or sampling (balanced batches)")
        ->check(CLI::IsMember({"none", "weights", "sampling"}));
    trainCmd
        ->add_option("--blur", train.blurProbability,
                     "Probability of Gaussian-blur augmentation per crop (default 0)")
        ->check(CLI::Range(0.0, 1.0));
    trainCmd->add_option("--blur-sigma", train.blurSigma, "Largest blur sigma in pixels (default 1.5)");
    trainCmd->add_option("--seed", train.seed, "Seed of initialisation, shuffling and augmentation");
    trainCmd->add_option("--device", train.device, "auto, cpu, cuda or cuda:N");
    trainCmd->add_option("--threads", train.threads, "CPU threads (default: all cores)");
    trainCmd
        ->add_option("--context", train.contextSlices,
                     "Planes each side a 2.5D model reads (default: all the dataset has; 0 = a 2D model)")
        ->check(CLI::Range(0, 8));
    trainCmd->add_flag("--resume", train.resume,
                       "Continue from the checkpoint (MODEL.ckpt) of an interrupted run");
    commands.push_back({trainCmd, [&train] {
                            return app::runTrain(train);
                        }});
}

/// The heatmap options evaluate and cam-batch share, after each one's own.
void addBatchCamOptions(CLI::App* cmd, app::BatchCamOptions* shared)
{
    cmd->add_option(
           "--flavour", shared->flavour,
           "Whose definitions: weaksight (default), pytorch-grad-cam or torchcam; 'all' methods are the "
           "flavour's (README: Reference flavours)")
        ->check(CLI::IsMember({"weaksight", "pytorch-grad-cam", "torchcam"}));
    cmd->add_option("--target", shared->target, "Target class (default 1 = lesion)");
    cmd->add_option("--score", shared->score, "logit or probability")
        ->check(CLI::IsMember({"logit", "probability"}));
    cmd->add_option("--smooth-samples", shared->smoothSamples, "Smooth Grad-CAM++ samples (default 4)");
    cmd->add_option("--smooth-noise", shared->smoothNoise,
                    "Smooth Grad-CAM++ noise std on the [0, 1] input (default 0.3)");
    cmd->add_option("--top-k", shared->topK, "Channels of scorecam-fast (default 32)");
    cmd->add_flag("--reduced-precision", shared->reducedPrecision,
                  "Score-CAM's masked forwards in float16 on CUDA (bfloat16 on the CPU, slower there)");
    cmd->add_option("--device", shared->device, "auto, cpu, cuda or cuda:N");
    cmd->add_option("--threads", shared->threads, "CPU threads (default: all cores)");
    cmd->add_option("--batch", shared->batch, "Crops per CAM batch (default 16)")
        ->check(CLI::Range(1, 100000));
}

void addEvaluateCommand(CLI::App& cli, app::EvaluateCommandOptions& evaluate, Commands& commands)
{
    auto* evaluateCmd = cli.add_subcommand(
        "evaluate", "Classification and CAM-proposal IoU with thresholds tuned on validation");
    evaluateCmd->add_option("--data", evaluate.data, "Crop dataset folder")->required();
    evaluateCmd->add_option("--model", evaluate.model, "Model file")->required();
    evaluateCmd->add_option("--out", evaluate.out, "Report folder (report.md, CSV, JSON, PNG figures)")
        ->required();
    evaluateCmd
        ->add_option(
            "--methods", evaluate.methods,
            "CAM methods (default cam,gradcam,gradcam++,smoothgradcam++,scorecam; 'all' for all ten)")
        ->delimiter(',');
    evaluateCmd->add_option("--step", evaluate.step, "Threshold sweep step (default 0.05)");
    evaluateCmd
        ->add_option("--normalise", evaluate.normalise, "Heatmap normalisation: crop (min-max), case or none")
        ->check(CLI::IsMember({"crop", "case", "none"}));
    evaluateCmd->add_option("--cache", evaluate.cache,
                            "Heatmap cache file (default OUT/cams.wscam; cam-merge output)");
    evaluateCmd->add_option("--colormap", evaluate.colorMap, "viridis, inferno, magma or cividis")
        ->check(CLI::IsMember({"viridis", "inferno", "magma", "cividis"}));
    evaluateCmd->add_option("--examples", evaluate.examples, "Example crops in the figure (default 6)");
    evaluateCmd
        ->add_option("--min-val-crops", evaluate.minimumValidationCrops,
                     "Fewest validation crops to choose a threshold on (default 3); fewer: the row says n/a")
        ->check(CLI::Range(1, 1000000));
    evaluateCmd
        ->add_option("--proposals", evaluate.proposals,
                     "Proposals beyond map > t: refined (anatomy, region growing, watershed; default), all "
                     "(and the supervised and pseudo-label U-Nets), or none")
        ->check(CLI::IsMember({"refined", "all", "none"}));
    evaluateCmd->add_option("--refine", evaluate.refine,
                            "The CAM method whose maps are refined (default: the best on validation)");
    evaluateCmd->add_option("--unet-epochs", evaluate.unetEpochs, "U-Net training epochs (default 30)")
        ->check(CLI::Range(1, 10000));
    evaluateCmd->add_option(
        "--context-model", evaluate.contextModel,
        "A 2.5D classifier (train on a dataset built with --context): its maps of the same "
        "crops join the proposal rows");
    addBatchCamOptions(evaluateCmd, &evaluate);
    commands.push_back({evaluateCmd, [&evaluate] {
                            return app::runEvaluate(evaluate);
                        }});
}

/// cam-batch and cam-merge, sharing one options struct.
void addCamBatchCommands(CLI::App& cli, app::CamBatchCommandOptions& camBatch, Commands& commands)
{
    auto* camBatchCmd =
        cli.add_subcommand("cam-batch", "Heatmaps of a dataset's crops into a file, optionally one shard");
    camBatchCmd->add_option("--data", camBatch.data, "Crop dataset folder")->required();
    camBatchCmd->add_option("--model", camBatch.model, "Model file")->required();
    camBatchCmd->add_option("--out", camBatch.out, "Heatmap file (.wscam); rerunning continues it")
        ->required();
    camBatchCmd->add_option("--methods", camBatch.methods, "CAM methods (comma-separated, or all)")
        ->delimiter(',');
    camBatchCmd->add_option("--split", camBatch.split, "all, train, val or test")
        ->check(CLI::IsMember({"all", "train", "val", "test"}));
    camBatchCmd->add_option("--crops", camBatch.crops, "lesion (default) or all")
        ->check(CLI::IsMember({"lesion", "all"}));
    camBatchCmd->add_option("--shard", camBatch.shard,
                            "I/N: process shard I (0-based) of N, e.g. $SLURM_ARRAY_TASK_ID/16");
    camBatchCmd
        ->add_option("--proposals", camBatch.proposals,
                     "Proposal masks of each method's maps: raw, anatomy, grow, watershed, linked "
                     "(comma-separated; README: Proposals in batch)")
        ->delimiter(',');
    camBatchCmd->add_flag("--across-slices", camBatch.acrossSlices,
                          "Smooth each map with the same kidney's maps on the adjacent slices first");
    camBatchCmd
        ->add_option("--region", camBatch.region,
                     "Where refinements search: derived (from HU, default) or label (the kidney label)")
        ->check(CLI::IsMember({"derived", "label"}));
    camBatchCmd
        ->add_option("--segmenter", camBatch.segmenter, "A U-Net (.wss) whose proposals are written too")
        ->check(CLI::ExistingFile);
    camBatchCmd->add_option("--level", camBatch.level,
                            "Threshold / seed / marker level of the proposals (default 0.5)");
    camBatchCmd
        ->add_option("--levels-from", camBatch.levelsFrom,
                     "An evaluate run's results.json: each proposal at the level it chose on validation")
        ->check(CLI::ExistingFile);
    camBatchCmd->add_option("--proposals-out", camBatch.proposalsOut,
                            "Folder for the proposal masks (NAME.npy, crops.tsv, proposals.tsv)");
    camBatchCmd
        ->add_option(
            "--normalise", camBatch.normalise,
            "Map normalisation of the proposals: crop, case or none (default: the report's, else crop)")
        ->check(CLI::IsMember({"crop", "case", "none"}));

    auto* camMergeCmd = cli.add_subcommand("cam-merge", "Merge cam-batch shard files of one model");
    camMergeCmd->add_option("--out", camBatch.out, "Merged heatmap file (created or extended)")->required();
    camMergeCmd->add_option("inputs", camBatch.inputs, "Shard files")->required()->check(CLI::ExistingFile);
    addBatchCamOptions(camBatchCmd, &camBatch);
    commands.push_back({camBatchCmd, [&camBatch] {
                            return app::runCamBatch(camBatch);
                        }});
    commands.push_back({camMergeCmd, [&camBatch] {
                            return app::runCamMerge(camBatch);
                        }});
}

int runBenchCam(BenchCamFlags& bench)
{
    bench.options.exactScoreCamOnLargeModels = !bench.fast;
    if (bench.reduced)
        bench.options.reducedPrecision = compute::CamBenchmarkOptions::ReducedPrecision::On;
    if (bench.noReduced)
        bench.options.reducedPrecision = compute::CamBenchmarkOptions::ReducedPrecision::Off;
    compute::runCamBenchmark(bench.options, std::cout);
    return 0;
}

void addBenchCamCommand(CLI::App* benchCmd, BenchCamFlags& bench, Commands& commands)
{
    compute::CamBenchmarkOptions& benchCam = bench.options;
    auto* benchCamCmd =
        benchCmd->add_subcommand("cam", "CAM methods per model: ms per crop, peak memory, ratios");
    benchCamCmd
        ->add_option("--models", benchCam.architectures, "tiny, resnet18, resnet34, resnet50, resnet101")
        ->delimiter(',');
    benchCamCmd->add_option("--methods", benchCam.methods, "Methods (default: all)")->delimiter(',');
    benchCamCmd->add_option("--repeats", benchCam.repeats, "Timed runs per figure (median)");
    benchCamCmd->add_option("--device", benchCam.device, "auto, cpu, cuda or cuda:N");
    benchCamCmd->add_option("--threads", benchCam.threads, "CPU threads (default: all cores)");
    benchCamCmd->add_option("--crop", benchCam.cropSize, "Crop size in pixels");
    benchCamCmd->add_flag("--fast", bench.fast,
                          "Skip exact Score-CAM of ResNet-50/101 on a CPU (minutes per crop)");
    benchCamCmd->add_flag(
        "--reduced-precision", bench.reduced,
        "Also time Score-CAM with bfloat16 forwards on the CPU (always done on CUDA, float16)");
    benchCamCmd->add_flag("--no-reduced-precision", bench.noReduced,
                          "Skip the reduced-precision Score-CAM run");
    benchCamCmd->add_flag("--reference-path", benchCam.referencePath,
                          "Time the reference path (eager forwards, gradients by a backward pass)");
    commands.push_back({benchCamCmd, [&bench] {
                            return runBenchCam(bench);
                        }});
}

void addBenchTrainCommand(CLI::App* benchCmd, BenchTrainFlags& bench, Commands& commands)
{
    compute::TrainBenchmarkOptions& benchTrain = bench.options;
    auto* benchTrainCmd =
        benchCmd->add_subcommand("train", "Training and evaluation crops/s against bare forward+backward");
    benchTrainCmd
        ->add_option("--models", benchTrain.architectures, "tiny, resnet18, ... (default tiny,resnet18)")
        ->delimiter(',');
    benchTrainCmd->add_option("--batch", benchTrain.batchSize, "Batch size (default 60)");
    benchTrainCmd->add_option("--batches", benchTrain.batches, "Timed batches per measurement (default 4)");
    benchTrainCmd->add_option("--repeats", benchTrain.repeats, "Measurements per figure (median, default 3)");
    benchTrainCmd->add_option("--device", benchTrain.device, "auto, cpu, cuda or cuda:N");
    benchTrainCmd->add_option("--threads", bench.threads, "CPU threads (default: all cores)");
    commands.push_back({benchTrainCmd, [&bench] {
                            compute::configureCpuThreads(bench.threads);
                            return compute::runTrainBenchmark(bench.options, std::cout) ? 0 : 3;
                        }});
}

/// `bench gui` builds its own QApplication, hence argc and argv.
void addBenchGuiCommand(CLI::App* benchCmd, app::GuiBenchOptions& benchGui, Commands& commands, int argc,
                        char** argv)
{
    auto* benchGuiCmd =
        benchCmd->add_subcommand("gui", "Workstation: app work per update vs the bare VTK frame, first "
                                        "image, memory with ResNet-50 (run under xvfb-run)");
    benchGuiCmd->add_option("--size", benchGui.viewSize, "View size in pixels (default 800)");
    benchGuiCmd->add_option("--repeats", benchGui.repeats, "Timed updates per figure (median, default 30)");
    benchGuiCmd->add_option("--thickness", benchGui.sliceThickness,
                            "Slice thickness of the 512 x 512 case (mm)");
    benchGuiCmd->add_flag("--skip-resnet50", benchGui.skipResnet50, "Leave out the ResNet-50 memory figure");
    commands.push_back({benchGuiCmd, [&benchGui, argc, argv] {
                            return app::runGuiBench(benchGui, argc, argv);
                        }});
}

void addBenchCommands(CLI::App& cli, CommandLineOptions& options, Commands& commands, int argc, char** argv)
{
    auto* benchCmd = cli.add_subcommand("bench", "Benchmarks (medians and ratios on this machine)");
    benchCmd->require_subcommand(1);
    addBenchCamCommand(benchCmd, options.benchCam, commands);
    addBenchTrainCommand(benchCmd, options.benchTrain, commands);
    addBenchGuiCommand(benchCmd, options.benchGui, commands, argc, argv);
}

/// Registers every subcommand, in the order --help lists them.
void addCommands(CLI::App& cli, CommandLineOptions& options, Commands& commands, int argc, char** argv)
{
    addGuiCommand(cli, options.gui);
    addCaseInfoCommand(cli, options.caseInfo, commands);
    addPhantomCommand(cli, options.phantom, commands);
    addStoreCommands(cli, options.store, commands);
    addCamCommand(cli, options.cam, commands);
    addDatasetCommands(cli, options.datasetBuild, commands);
    addTrainCommand(cli, options.train, commands);
    addEvaluateCommand(cli, options.evaluate, commands);
    addCamBatchCommands(cli, options.camBatch, commands);
    addBenchCommands(cli, options, commands, argc, argv);
}

/// Returns 0, or the exit code 2 after printing why the logging options cannot be used.
int initialiseLogging(const LogFlags& log)
{
    try {
        logging::LogOptions logOptions;
        logOptions.level = log.level;
        logOptions.file = log.file;
        logOptions.writeFile = !log.noFile;
        logging::initialise(logOptions);
    } catch (const std::exception& e) {
        std::cerr << "weaksight: " << e.what() << "\n";
        return 2;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    using namespace weaksight;
    CLI::App cli{"Weaksight: weakly-supervised tumour segmentation workstation for CT"};
    cli.set_version_flag(
        "--version", [] { return app::versionText(); }, "Print the version, LibTorch version and device");
    cli.require_subcommand(0, 1);
    CommandLineOptions options;
    addLogOptions(cli, options.log);
    Commands commands;
    addCommands(cli, options, commands, argc, argv);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }
    if (const int failed = initialiseLogging(options.log))
        return failed;
    installItkLogBridge();

    try {
        // At most one subcommand is chosen (CLI11 enforces it); none opens the workstation.
        for (const Command& command : commands)
            if (*command.subcommand)
                return command.run();
        return app::runGui(options.gui, argc, argv);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
