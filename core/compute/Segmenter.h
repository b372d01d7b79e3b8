#pragma once

// A small 2D U-Net that segments the lesion in a crop (issue 16): trained on the ground-truth masks
// it is the supervised upper bound; trained on proposals derived from CAM heatmaps it is the
// pseudo-label method. Its probability map is evaluated like a CAM map (thresholded, the threshold
// chosen on validation). Torch-free header; the Torch side lives in Segmenter.cpp.

#include "core/compute/Classifier.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace weaksight::compute {

/// Everything needed to rebuild and feed a segmenter: the U-Net's shape and its preprocessing.
struct SegmenterDescription {
    /// Channels of the first level; each down-sampling stage doubles them.
    int baseChannels = 16;
    /// Down-sampling stages (crops need at least 2^levels pixels per side).
    int levels = 3;
    /// HU window mapped linearly to [0, 1] (values outside are clamped), as for the classifier.
    double huLow = -200.0;
    double huHigh = 300.0;
    /// In-plane pixel spacing (mm) of the training crops; 0 = not recorded.
    double pixelSpacingMm = 0;
    /// What the targets were: "ground truth" or "pseudo-labels: <proposal kind>".
    std::string trainedOn;

    /// "key: value" lines; parse() accepts what serialise() writes and throws
    /// std::invalid_argument for a shape it cannot build.
    std::string serialise() const;
    static SegmenterDescription parse(const std::string& text);
    bool operator==(const SegmenterDescription& o) const;
};

class SegmenterImpl;
struct SegmenterTrainOptions;
struct SegmenterTrainingResult;

/// A U-Net with one output channel: the lesion logit of every pixel.
class Segmenter {
public:
    /// A new U-Net with weights initialised from `seed` (deterministic on the CPU), on the CPU.
    static Segmenter create(const SegmenterDescription& description, uint64_t seed = 0);
    /// Loads a file written by save(). device: "auto", "cpu", "cuda", "cuda:N". Throws
    /// std::runtime_error naming the file and what is wrong (missing, truncated or foreign, a
    /// classifier model, weights that do not fit the description).
    static Segmenter load(const std::string& path, const std::string& device = "auto");

    Segmenter(Segmenter&&) noexcept;
    Segmenter& operator=(Segmenter&&) noexcept;
    ~Segmenter();

    /// Writes a temporary file beside `path` and renames it into place, so a reader never sees a
    /// half-written model.
    void save(const std::string& path) const;
    const SegmenterDescription& description() const;
    std::string deviceName() const;
    void moveTo(const std::string& device);
    /// Number of trainable weights (independent of the crop size: the network is fully convolutional).
    int64_t parameterCount() const;

    /// Lesion probability per pixel (sigmoid of the logit), rows x cols for each crop, in
    /// inference mode. Consecutive crops of one size are batched up to `batchSize`; sizes may vary
    /// across the list. Throws std::invalid_argument for a crop smaller than 2^levels pixels a side.
    std::vector<std::vector<float>> predict(const std::vector<Image2D>& crops, int batchSize = 32) const;
    /// 128-bit hex identity of the description and every weight (as Classifier::contentHash): the
    /// annotation store's model key for its proposals.
    std::string contentHash() const;

private:
    explicit Segmenter(std::unique_ptr<SegmenterImpl> impl);
    std::unique_ptr<SegmenterImpl> m_impl;

    friend SegmenterTrainingResult trainSegmenter(Segmenter&, const std::vector<Image2D>&,
                                                  const std::vector<std::vector<uint8_t>>&,
                                                  const std::vector<Image2D>&,
                                                  const std::vector<std::vector<uint8_t>>&,
                                                  const SegmenterTrainOptions&);
};

struct SegmenterTrainOptions {
    int epochs = 30;
    double learningRate = 1e-3; ///< Adam
    int batchSize = 16;
    uint64_t seed = 0; ///< weight-free randomness: shuffling and flips (create() seeds the weights)
    std::string device = "auto";
    /// loss = (1 - diceWeight) * binary cross-entropy + diceWeight * soft Dice loss (over the batch).
    double diceWeight = 0.5;
    /// Stop each epoch after this many batches (0 = all): benchmarks.
    int maxBatches = 0;
    /// Called after each epoch is validated.
    std::function<void(int epoch, double trainLoss, double validationDice)> epochFinished;
    /// Checked between batches: training stops with std::runtime_error, the best weights so far
    /// restored.
    const std::atomic<bool>* cancel = nullptr;
};

struct SegmenterTrainingResult {
    int epochs = 0; ///< epochs run
    double bestValidationDice = 0;
    int bestEpoch = 0; ///< 1-based
    double seconds = 0;
};

/// Trains on crops `train` with target masks `trainMasks` (0/1, rows x cols each; ground truth or
/// pseudo-labels: the caller decides what a target is), with random horizontal and vertical flips,
/// and keeps the weights of the epoch with the best soft Dice on (`validation`, `validationMasks`),
/// pooled over all validation pixels. Batch-norm statistics are recomputed over the training crops
/// after every epoch (the running averages lag far behind the weights on small sets). Shuffling
/// and flips draw from generators seeded by (seed, epoch): on the CPU a fixed seed gives the same
/// model. All crops must share one size. Moves the segmenter to options.device; leaves it in
/// inference mode. Throws std::invalid_argument for empty or mismatched inputs.
SegmenterTrainingResult trainSegmenter(Segmenter& segmenter, const std::vector<Image2D>& train,
                                       const std::vector<std::vector<uint8_t>>& trainMasks,
                                       const std::vector<Image2D>& validation,
                                       const std::vector<std::vector<uint8_t>>& validationMasks,
                                       const SegmenterTrainOptions& options);

} // namespace weaksight::compute
