#pragma once

// Training the lesion classifier on a crop dataset (`weaksight train`), and the training benchmark
// (`weaksight bench train`). Torch-free header.

#include "core/compute/Classifier.h"
#include "core/compute/CropDataset.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace weaksight::compute {

/// Confusion counts with lesion as the positive class.
struct ClassificationMetrics {
    long long truePositives = 0, falsePositives = 0, trueNegatives = 0, falseNegatives = 0;
    double precision() const;
    double recall() const;
    double f1() const;
    double accuracy() const;
    long long total() const { return truePositives + falsePositives + trueNegatives + falseNegatives; }
    /// F1 of always answering the majority class of these crops (0 when that class is "no lesion").
    double majorityBaselineF1() const;
    /// F1 of answering "lesion" for every crop: precision = prevalence, recall = 1.
    double alwaysLesionF1() const;
    /// Accuracy of answering "no lesion" for every crop (its F1 for the lesion class is 0).
    double alwaysNoLesionAccuracy() const;
    /// Whether the classifier beats both constant answers: F1 above always-lesion's and accuracy
    /// above the majority answer's. When not, its heatmaps mean little.
    bool beatsConstantAnswers() const;
};

/// Predicts crops `indices` of the dataset in inference mode (the model's own preprocessing);
/// a crop is called lesion when P(lesion) > 0.5. probabilities (optional) receives P(lesion).
ClassificationMetrics classifyCrops(const Classifier& classifier, const CropDataset& dataset,
                                    const std::vector<size_t>& indices, std::vector<float>* probabilities = nullptr,
                                    int batchSize = 64);

enum class ClassBalance { None, ClassWeights, Sampling };
std::string toString(ClassBalance balance);
ClassBalance classBalanceFromString(const std::string& name);

struct EpochRecord;

struct TrainOptions {
    std::string architecture = "tiny"; ///< tiny, resnet18, resnet34, resnet50, resnet101
    int epochs = 50;
    /// The method's defaults: Adam, learning rate 1e-2, batch 60, step decay x0.1 every 40 epochs.
    double learningRate = 1e-2;
    int batchSize = 60;
    int stepEpochs = 40;
    double stepGamma = 0.1;
    ClassBalance balance = ClassBalance::None;
    /// Gaussian-blur augmentation: with this probability a training crop is blurred with a sigma
    /// drawn uniformly from [0.5, blurSigmaMax] pixels (the method's only augmentation).
    double blurProbability = 0.0;
    double blurSigmaMax = 1.5;
    uint64_t seed = 0;
    /// Planes each side a 2.5D model reads (SliceContext, at the dataset's spacing): -1 = all the
    /// dataset has, 0 = a 2D model (the crop's own plane), up to the dataset's context.
    int contextSlices = -1;
    std::string device = "auto";
    std::filesystem::path out; ///< the best model (by validation F1); a .json history beside it
    /// Checkpoint written after every epoch (model, optimiser, epoch, history); default out + ".ckpt".
    std::filesystem::path checkpoint;
    bool resume = false; ///< continue from the checkpoint (same options required)
    /// Stop after this many batches of an epoch (0 = all): benchmarks and interruption tests.
    int maxBatches = 0;
    /// Called after each epoch is validated and saved (a resumed run's earlier epochs are not
    /// repeated); `best` says whether it became the best model. The CLI prints its table row here.
    std::function<void(const EpochRecord& record, bool best)> epochFinished;
};

struct EpochRecord {
    int epoch = 0; ///< 1-based
    double learningRate = 0;
    double trainLoss = 0;
    ClassificationMetrics validation;
    double seconds = 0;
    double trainCropsPerSecond = 0;
};

struct TrainProgress {
    int epoch = 0, epochs = 0;
    int batch = 0, batches = 0;
    double loss = 0;            ///< running mean of this epoch
    double cropsPerSecond = 0;  ///< this epoch so far
    double etaSeconds = 0;      ///< whole run
};

struct TrainResult {
    std::vector<EpochRecord> history;
    int bestEpoch = 0;
    double bestValidationF1 = -1;
    std::string modelHash;
    bool resumed = false;
};

/// Trains a new classifier of options.architecture on the dataset's train split (its HU window
/// becomes the model's preprocessing), validates after each epoch, keeps the best model by
/// validation F1 in options.out, and checkpoints every epoch through a temporary file renamed into
/// place, so a killed run resumes from the last finished epoch. Shuffling, balanced sampling and
/// augmentation draw from generators seeded by (seed, epoch): on the CPU a fixed seed gives the same
/// model, and a resumed run the same model as an uninterrupted one. cancel: stops between batches
/// (throws; the last checkpoint stays).
TrainResult trainClassifier(const CropDataset& dataset, const TrainOptions& options,
                            const std::function<void(const TrainProgress&)>& progress = {},
                            const std::atomic<bool>* cancel = nullptr);

/// Figures of `weaksight bench train`.
struct TrainBenchmarkOptions {
    std::vector<std::string> architectures{"tiny", "resnet18"};
    std::string device = "auto";
    int batchSize = 60;
    int batches = 4;   ///< timed batches per measurement (after one warm-up batch)
    int repeats = 3;   ///< medians over this many measurements
    int cropSize = 150;
    std::filesystem::path scratch; ///< folder for the synthetic dataset (temporary if empty)
};
/// Per architecture: bare forward+backward+Adam step on random tensors (crops/s), the same with
/// the real pipeline (memory-mapped dataset, windowing, blur augmentation), the ratio, and
/// evaluation (inference) crops/s. Prints a table on `out`; returns false if a ratio < 0.85.
bool runTrainBenchmark(const TrainBenchmarkOptions& options, std::ostream& out);

} // namespace weaksight::compute
