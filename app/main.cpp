// weaksight: one executable. No subcommand (or `gui`) opens the workstation;
// subcommands run the headless tools. `weaksight --help` lists them.

#include "app/Commands.h"
#include "core/common/Log.h"
#include "core/compute/CamBenchmark.h"
#include "core/compute/Device.h"
#include "core/io/ItkLogBridge.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv)
{
    using namespace weaksight;
    CLI::App app{"Weaksight: weakly-supervised tumour segmentation workstation for CT"};
    app.set_version_flag("--version", [] { return app::versionText(); }, "Print the version, LibTorch version and device");
    app.require_subcommand(0, 1);

    std::string logLevel;
    std::string logFile;
    bool noLogFile = false;
    app.add_option("--log-level", logLevel, "trace, debug, info, warn, error, critical or off "
                                            "(default: $WEAKSIGHT_LOG_LEVEL or info)");
    app.add_option("--log-file", logFile, "Log file (default: " + logging::defaultLogFile().string() + ")");
    app.add_flag("--no-log-file", noLogFile, "Log to the terminal only");

    app::GuiOptions gui;
    auto* guiCmd = app.add_subcommand("gui", "Open the workstation (the default)");
    guiCmd->add_option("path", gui.path, "Dataset folder, case folder, volume file or DICOM series folder");
    guiCmd->add_flag("--demo", gui.demo, "Open the built-in synthetic demo dataset (generated on first use)");

    app::CaseInfoOptions caseInfo;
    auto* caseInfoCmd = app.add_subcommand("case-info", "Print the facts of a case folder or a volume file");
    caseInfoCmd->add_option("path", caseInfo.path, "Case folder, volume file or DICOM series folder")->required();
    caseInfoCmd->add_flag("--json", caseInfo.json, "Print JSON instead of text");
    caseInfoCmd->add_option("--as", caseInfo.role, "Treat a single file as 'image' or 'labels' (default: by type)")
        ->check(CLI::IsMember({"auto", "image", "labels"}));

    app::PhantomCommandOptions phantom;
    auto* phantomCmd = app.add_subcommand("phantom", "Write synthetic KiTS23-layout CT cases with labels");
    phantomCmd->add_option("--out", phantom.out, "Output dataset folder")->required();
    phantomCmd->add_option("--cases", phantom.cases, "Number of cases")->check(CLI::Range(1, 100000));
    phantomCmd->add_option("--seed", phantom.seed, "Random seed (same seed, same cases)");
    phantomCmd->add_option("--first", phantom.first, "Index of the first case (for writing in parts)");
    phantomCmd->add_option("--min-size", phantom.minSize, "Smallest in-plane matrix (pixels)")->check(CLI::Range(64, 1024));
    phantomCmd->add_option("--max-size", phantom.maxSize, "Largest in-plane matrix (pixels)")->check(CLI::Range(64, 1024));
    phantomCmd->add_option("--thickness", phantom.thicknesses, "Slice thicknesses (mm) to draw from")
        ->check(CLI::Range(0.3, 10.0));
    phantomCmd->add_option("--lesion-free-fraction", phantom.lesionFreeFraction,
                           "Fraction of cases without any lesion")
        ->check(CLI::Range(0.0, 1.0));

    app::StoreCommandOptions store;
    auto* importCmd = app.add_subcommand("import", "Register a KiTS dataset's cases (paths and fingerprints) in a store");
    importCmd->add_option("--db", store.db, "Annotation store (SQLite file, created if missing)")->required();
    importCmd->add_option("--dataset", store.dataset, "KiTS dataset folder")->required()->check(CLI::ExistingDirectory);

    auto* exportCmd = app.add_subcommand("export", "Export curated masks (NIfTI + provenance JSON, PNG, COCO)");
    exportCmd->add_option("--db", store.db, "Annotation store")->required()->check(CLI::ExistingFile);
    exportCmd->add_option("--out", store.out, "Output folder")->required();
    exportCmd->add_option("--format", store.formats, "nifti, png and/or coco (comma-separated)")
        ->delimiter(',')
        ->check(CLI::IsMember({"nifti", "png", "coco"}));
    exportCmd->add_option("--cases", store.cases, "Only these cases (comma-separated)")->delimiter(',');
    exportCmd->add_option("--status", store.statuses, "Decisions to export (default accepted,corrected)")
        ->delimiter(',')
        ->check(CLI::IsMember({"accepted", "corrected", "accept", "correct"}));
    exportCmd->add_option("--label", store.label, "Label value of curated lesion voxels (default 2)");

    auto* statsCmd = app.add_subcommand("stats", "Progress and IoU summaries of an annotation store");
    statsCmd->add_option("--db", store.db, "Annotation store")->required()->check(CLI::ExistingFile);
    statsCmd->add_flag("--json", store.json, "Print JSON instead of tables");

    auto* mergeCmd = app.add_subcommand("merge", "Merge annotators' stores into one and report their agreement");
    mergeCmd->add_option("--out", store.out, "Target store (created if missing)")->required();
    mergeCmd->add_option("sources", store.sources, "Stores to merge")->required()->check(CLI::ExistingFile);

    app::CamCommandOptions cam;
    auto* camCmd = app.add_subcommand("cam", "Class-activation maps of one crop with a saved model (NIfTI out)");
    camCmd->add_option("--model", cam.model, "Model file (weaksight format)")->required();
    camCmd->add_option("--input", cam.input, "2D crop in HU (NIfTI or any ITK 2D format), or a 3D volume with --slice")
        ->required();
    camCmd->add_option("--slice", cam.slice, "Axial slice of a 3D volume (canonical index, inferior = 0)");
    camCmd->add_option("--method", cam.method,
                       "cam, gradcam, gradcam++, smoothgradcam++, scorecam, scorecam-fast, xgradcam, layercam, "
                       "hirescam, eigencam, or all");
    camCmd->add_option("--target", cam.target, "Target class (default 1 = lesion)");
    camCmd->add_option("--score", cam.score, "Target score: logit or probability")
        ->check(CLI::IsMember({"logit", "probability"}));
    camCmd->add_option("--out", cam.out, "Map upsampled to the crop (NIfTI); with --method all, one file per method");
    camCmd->add_option("--out-raw", cam.outRaw, "Raw map at the target layer's resolution (NIfTI)");
    camCmd->add_option("--normalise", cam.normalise, "minmax (per crop) or none")
        ->check(CLI::IsMember({"minmax", "none"}));
    camCmd->add_option("--device", cam.device, "auto, cpu, cuda or cuda:N");
    camCmd->add_option("--top-k", cam.topK, "Channels for scorecam-fast (approximate Score-CAM)");
    camCmd->add_option("--threads", cam.threads, "CPU threads (default: all cores)");

    compute::CamBenchmarkOptions benchCam;
    auto* benchCmd = app.add_subcommand("bench", "Benchmarks (medians and ratios on this machine)");
    benchCmd->require_subcommand(1);
    auto* benchCamCmd = benchCmd->add_subcommand("cam", "CAM methods per model: ms per crop, peak memory, ratios");
    benchCamCmd->add_option("--models", benchCam.architectures, "tiny, resnet18, resnet34, resnet50, resnet101")
        ->delimiter(',');
    benchCamCmd->add_option("--methods", benchCam.methods, "Methods (default: all)")->delimiter(',');
    benchCamCmd->add_option("--repeats", benchCam.repeats, "Timed runs per figure (median)");
    benchCamCmd->add_option("--device", benchCam.device, "auto, cpu, cuda or cuda:N");
    benchCamCmd->add_option("--threads", benchCam.threads, "CPU threads (default: all cores)");
    benchCamCmd->add_option("--crop", benchCam.cropSize, "Crop size in pixels");
    bool benchFast = false;
    benchCamCmd->add_flag("--fast", benchFast, "Skip exact Score-CAM of ResNet-50/101 on a CPU (minutes per crop)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    try {
        logging::LogOptions logOptions;
        logOptions.level = logLevel;
        logOptions.file = logFile;
        logOptions.writeFile = !noLogFile;
        logging::initialise(logOptions);
    } catch (const std::exception& e) {
        std::cerr << "weaksight: " << e.what() << "\n";
        return 2;
    }
    installItkLogBridge();

    try {
        if (*caseInfoCmd)
            return app::runCaseInfo(caseInfo);
        if (*phantomCmd)
            return app::runPhantom(phantom);
        if (*camCmd)
            return app::runCam(cam);
        if (*benchCamCmd) {
            benchCam.exactScoreCamOnLargeModels = !benchFast;
            compute::runCamBenchmark(benchCam, std::cout);
            return 0;
        }
        if (*importCmd)
            return app::runImport(store);
        if (*exportCmd)
            return app::runExport(store);
        if (*statsCmd)
            return app::runStats(store);
        if (*mergeCmd)
            return app::runMerge(store);
        return app::runGui(gui, argc, argv);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
