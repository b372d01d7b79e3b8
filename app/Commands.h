#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weaksight::app {

struct GuiOptions {
    std::string path;
    std::string image, labels, labelTable; ///< a CT paired with a segmentation (and its table)
    bool demo = false;
    std::string language; ///< "" = the settings' choice (or the system's), "en", "uk"
};

struct GuiBenchOptions {
    int viewSize = 800;
    int repeats = 30;
    double sliceThickness = 1.75; ///< gives about 100 slices of 512 x 512
    bool skipResnet50 = false;
};
int runGuiBench(const GuiBenchOptions& options, int argc, char** argv);
/// The OpenGL 3.2 core format VTK 9.1 needs; set before the QApplication exists.
void configureOpenGlFormat();
/// Whether Qt can open a window here (QT_QPA_PLATFORM, DISPLAY or WAYLAND_DISPLAY set); if not,
/// says so on stderr with how to run headless (Qt itself would abort with an unhelpful message).
bool displayAvailable(const char* command);

struct CaseInfoOptions {
    std::string path;
    bool json = false;
    std::string role = "auto";
    std::string labels;     ///< a segmentation paired with the image
    std::string labelTable; ///< what the segmentation's values mean (JSON, ITK-SNAP, .seg.nrrd)
};

struct PhantomCommandOptions {
    std::string out;
    int cases = 10;
    int first = 0;
    uint64_t seed = 1;
    int minSize = 384;
    int maxSize = 512;
    std::vector<double> thicknesses;
    double lesionFreeFraction = 0.2;
};

struct StoreCommandOptions {
    std::string db;
    std::string out;
    std::string dataset;
    std::vector<std::string> formats{"nifti"};
    std::vector<std::string> cases;
    std::vector<std::string> statuses{"accepted", "corrected"};
    int label = 2;
    bool json = false;
    std::vector<std::string> sources;
};

struct CamCommandOptions {
    std::string model;
    std::string input;
    int slice = -1;
    std::string crop = "kidney"; ///< of a volume's slice: the workstation's kidney crops, or "whole"
    int cropSize = 0;            ///< crop pixels; 0 = the model's training crops (else 150)
    std::string labels;          ///< the volume's segmentation (places the kidney crops)
    std::string labelTable;
    std::string method = "gradcam";
    std::string flavour = "weaksight"; ///< whose definitions (weaksight, pytorch-grad-cam, torchcam)
    int target = 1;
    std::string score = "logit";
    std::string out;
    std::string outRaw;
    std::string normalise = "minmax";
    std::string device = "auto";
    int topK = 32;
    bool reducedPrecision = false; ///< Score-CAM forwards in float16 (CUDA) / bfloat16 (CPU)
    int threads = 0;
};

struct DatasetBuildCommandOptions {
    std::string cases;
    std::string out;
    int cropSize = 150;
    int sliceStep = 1;
    bool keepNoKidney = false;
    std::vector<double> huWindow{-200.0, 300.0};
    uint64_t seed = 1;
    std::vector<double> split{0.6, 0.2, 0.2};
    int sanitySquare = 0;
    std::string centring = "kidney";
    std::string lesionLabels = "tumour+cyst";
    double pixelSpacingMm = 0;
    std::string spacingOfModel; ///< take --spacing from this model's description
    int contextSlices = 0;      ///< planes each side for 2.5D models (context.npy)
    double contextSpacingMm = 5.0;
    int threads = 0;
    std::string labelTable; ///< what the segmentations' values mean (default: KiTS's)
};

struct TrainCommandOptions {
    std::string data;
    std::string out;
    std::string architecture = "tiny";
    int epochs = 50;
    double learningRate = 1e-2;
    int batch = 60;
    int stepEpochs = 40;
    double stepGamma = 0.1;
    std::string balance = "none";
    double blurProbability = 0.0;
    double blurSigma = 1.5;
    uint64_t seed = 0;
    std::string device = "auto";
    int threads = 0;
    bool resume = false;
    int contextSlices = -1; ///< planes each side the model reads: -1 = the dataset's, 0 = 2D
};

/// What evaluate and cam-batch share: the model, the crops and how heatmaps are computed.
struct BatchCamOptions {
    std::string data;
    std::string model;
    std::string out;
    std::vector<std::string> methods{"cam", "gradcam", "gradcam++", "smoothgradcam++", "scorecam"};
    std::string flavour = "weaksight"; ///< whose definitions (weaksight, pytorch-grad-cam, torchcam)
    int target = 1;
    std::string score = "logit";
    int smoothSamples = 4;
    double smoothNoise = 0.3;
    int topK = 32;
    bool reducedPrecision = false; ///< Score-CAM forwards in float16 (CUDA) / bfloat16 (CPU)
    std::string device = "auto";
    int threads = 0;
    int batch = 16;
};

struct EvaluateCommandOptions : BatchCamOptions {
    double step = 0.05;
    std::string normalise = "crop";
    std::string cache;
    std::string colorMap = "viridis";
    int examples = 6;
    int minimumValidationCrops = 3;
    /// Issue 16's proposals: "refined" (anatomy, grow, watershed of one method's maps), "all" (those
    /// and the supervised and pseudo-label U-Nets) or "none".
    std::string proposals = "refined";
    std::string refine; ///< whose maps are refined (default: the best on validation)
    int unetEpochs = 30;
    std::string contextModel; ///< a 2.5D classifier whose maps join the proposal rows (issue 16)
};

struct CamBatchCommandOptions : BatchCamOptions {
    std::string split = "all";
    std::string crops = "lesion";
    std::string shard = "0/1";
    /// Issue 16's proposals of each method's maps: rules (raw, anatomy, grow, watershed, linked)
    /// written as masks into `proposalsOut`, at `level` or at the levels `levelsFrom` (an
    /// evaluation's results.json) chose on validation.
    std::vector<std::string> proposals;
    bool acrossSlices = false;      ///< the maps smoothed across the adjacent slices first
    std::string region = "derived"; ///< derived (from HU) or label (the dataset's kidney label)
    std::string segmenter;          ///< a U-Net whose proposals are written too
    double level = 0.5;
    std::string levelsFrom;
    std::string proposalsOut;
    std::string normalise;           ///< crop, case or none; default: the report's (--levels-from), else crop
    std::vector<std::string> inputs; ///< cam-merge
};

std::string versionText();
int runEvaluate(const EvaluateCommandOptions& options);
int runCamBatch(const CamBatchCommandOptions& options);
int runCamMerge(const CamBatchCommandOptions& options);
int runDatasetBuild(const DatasetBuildCommandOptions& options);
int runTrain(const TrainCommandOptions& options);
int runCam(const CamCommandOptions& options);
int runImport(const StoreCommandOptions& options);
int runExport(const StoreCommandOptions& options);
int runStats(const StoreCommandOptions& options);
int runMerge(const StoreCommandOptions& options);
int runGui(const GuiOptions& options, int argc, char** argv);
int runCaseInfo(const CaseInfoOptions& options);
int runPhantom(const PhantomCommandOptions& options);

} // namespace weaksight::app
