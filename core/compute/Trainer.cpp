#include "core/compute/Trainer.h"

#include "core/common/LogLine.h"
#include "core/compute/BenchmarkSupport.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"
#include "core/compute/HuWindow.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <random>
#include <sstream>
#include <unistd.h>

namespace weaksight::compute {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

// ---- Metrics ----------------------------------------------------------------------------

double ClassificationMetrics::precision() const
{
    const auto d = truePositives + falsePositives;
    return d ? static_cast<double>(truePositives) / static_cast<double>(d) : 0.0;
}
double ClassificationMetrics::recall() const
{
    const auto d = truePositives + falseNegatives;
    return d ? static_cast<double>(truePositives) / static_cast<double>(d) : 0.0;
}
double ClassificationMetrics::f1() const
{
    const auto d = 2 * truePositives + falsePositives + falseNegatives;
    return d ? 2.0 * static_cast<double>(truePositives) / static_cast<double>(d) : 0.0;
}
double ClassificationMetrics::accuracy() const
{
    return total() ? static_cast<double>(truePositives + trueNegatives) / static_cast<double>(total()) : 0.0;
}
double ClassificationMetrics::majorityBaselineF1() const
{
    const auto positives = truePositives + falseNegatives;
    const auto negatives = trueNegatives + falsePositives;
    if (positives <= negatives || total() == 0)
        return 0.0; // always "no lesion": no true positives
    // Always "lesion": precision = positives / total, recall = 1.
    const double p = static_cast<double>(positives) / static_cast<double>(total());
    return 2 * p / (p + 1);
}

double ClassificationMetrics::alwaysLesionF1() const
{
    const auto positives = truePositives + falseNegatives;
    return total() ? 2.0 * static_cast<double>(positives) / static_cast<double>(positives + total()) : 0.0;
}

double ClassificationMetrics::alwaysNoLesionAccuracy() const
{
    return total() ? static_cast<double>(trueNegatives + falsePositives) / static_cast<double>(total()) : 0.0;
}

bool ClassificationMetrics::beatsConstantAnswers() const
{
    const double majorityAccuracy =
        std::max(alwaysNoLesionAccuracy(), total() ? 1.0 - alwaysNoLesionAccuracy() : 0.0);
    return f1() > alwaysLesionF1() && accuracy() > majorityAccuracy;
}

std::string toString(ClassBalance balance)
{
    switch (balance) {
    case ClassBalance::None:
        return "none";
    case ClassBalance::ClassWeights:
        return "weights";
    case ClassBalance::Sampling:
        return "sampling";
    }
    return "none";
}

ClassBalance classBalanceFromString(const std::string& name)
{
    if (name == "none")
        return ClassBalance::None;
    if (name == "weights")
        return ClassBalance::ClassWeights;
    if (name == "sampling")
        return ClassBalance::Sampling;
    throw std::invalid_argument("unknown class balance '" + name + "' (none, weights, sampling)");
}

namespace {

/// Crops -> N x C x H x W windowed [0, 1] float tensor on the CPU (the model's preprocessing, C
/// its slice context's planes, read straight from the memory-mapped int16 pixels).
torch::Tensor loadBatch(const CropDataset& dataset, const size_t* indices, size_t count,
                        const ModelDescription& description)
{
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    const SliceContext& context = description.context;
    dataset.checkContext(context);
    auto batch = torch::empty({static_cast<int64_t>(count), context.channels(), rows, cols}, torch::kFloat32);
    float* out = batch.data_ptr<float>();
    const HuWindow window(description.huLow, description.huHigh);
    const size_t pixels = static_cast<size_t>(rows) * cols;
    for (size_t i = 0; i < count; ++i)
        for (int channel = 0; channel < context.channels(); ++channel) {
            const int16_t* p = dataset.planePixels(indices[i], context.offsetOf(channel));
            for (size_t j = 0; j < pixels; ++j)
                *out++ = window(static_cast<float>(p[j]));
        }
    return batch;
}

/// Gaussian blur of one 1 x C x H x W image, each plane alone, separable, edges replicated.
torch::Tensor gaussianBlur(const torch::Tensor& crop, double sigma)
{
    const auto image = crop.reshape({-1, 1, crop.size(2), crop.size(3)});
    const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
    auto kernel = torch::arange(-radius, radius + 1, torch::kFloat32);
    kernel = torch::exp(-(kernel * kernel) / static_cast<float>(2 * sigma * sigma));
    kernel = kernel / kernel.sum();
    auto padded = F::pad(image, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
    auto horizontal = F::conv2d(padded, kernel.view({1, 1, 1, -1}));
    return F::conv2d(horizontal, kernel.view({1, 1, -1, 1})).reshape(crop.sizes());
}

std::mt19937_64 epochGenerator(uint64_t seed, int epoch, uint64_t stream)
{
    std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                           static_cast<uint32_t>(epoch), static_cast<uint32_t>(stream)};
    return std::mt19937_64(sequence);
}

/// One optimisation step on crops `indices`: the same code in training and in the benchmark.
double trainingStep(ClassifierImpl& model, torch::optim::Optimizer& optimiser, const CropDataset& dataset,
                    const size_t* indices, size_t count, const TrainOptions& options,
                    const torch::Tensor& classWeights, std::mt19937_64& rng)
{
    auto inputs = loadBatch(dataset, indices, count, model.description);
    if (options.blurProbability > 0) {
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::uniform_real_distribution<double> sigma(0.5, std::max(0.5, options.blurSigmaMax));
        for (size_t i = 0; i < count; ++i)
            if (unit(rng) < options.blurProbability) {
                const auto k = static_cast<int64_t>(i);
                inputs.slice(0, k, k + 1).copy_(gaussianBlur(inputs.slice(0, k, k + 1), sigma(rng)));
            }
    }
    std::vector<int64_t> labels(count);
    for (size_t i = 0; i < count; ++i)
        labels[i] = dataset.records()[indices[i]].lesion;
    inputs = inputs.to(model.device);
    if (model.channelsLast)
        inputs = inputs.contiguous(at::MemoryFormat::ChannelsLast);
    const auto target = torch::tensor(labels, torch::kLong).to(model.device);
    optimiser.zero_grad();
    auto loss = F::cross_entropy(model.net->forward(inputs), target,
                                 F::CrossEntropyFuncOptions().weight(classWeights));
    loss.backward();
    optimiser.step();
    return loss.item<double>();
}

/// Re-estimates every batch-norm layer's running mean and variance as the average over batches of
/// up to `maxCrops` training crops (evenly spaced, in a fixed shuffled order so batches mix cases),
/// with the weights fixed. BatchNorm's default
/// exponential average (momentum 0.1) lags far behind the weights after the few hundred updates of
/// a small dataset: measured here, a model with a training loss of 0.07 predicted every crop
/// negative in eval mode until its statistics were recomputed.
void recalibrateBatchNorm(ClassifierImpl& model, const CropDataset& dataset, const std::vector<size_t>& train,
                          size_t batchSize, size_t maxCrops = 600)
{
    std::vector<torch::nn::BatchNorm2dImpl*> norms;
    for (auto& module : model.net->modules(/*include_self=*/false))
        if (auto* bn = module->as<torch::nn::BatchNorm2d>())
            norms.push_back(bn);
    for (auto* bn : norms) {
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt); // cumulative average over all batches seen
    }
    // Evenly spread over the (case-ordered) train split, so every case contributes.
    std::vector<size_t> indices;
    const size_t stride = (train.size() + maxCrops - 1) / maxCrops;
    for (size_t i = 0; i < train.size(); i += std::max<size_t>(stride, 1))
        indices.push_back(train[i]);
    std::mt19937_64 rng(0x5EED);
    for (size_t i = indices.size(); i > 1; --i)
        std::swap(indices[i - 1], indices[rng() % i]);
    model.net->train();
    {
        torch::NoGradGuard noGrad;
        for (size_t start = 0; start < indices.size(); start += batchSize) {
            const size_t count = std::min(batchSize, indices.size() - start);
            if (count < 2)
                break;
            auto inputs =
                loadBatch(dataset, indices.data() + start, count, model.description).to(model.device);
            if (model.channelsLast)
                inputs = inputs.contiguous(at::MemoryFormat::ChannelsLast);
            model.net->features(inputs);
        }
    }
    for (auto* bn : norms)
        bn->options.momentum(0.1);
}

std::string serialiseHistory(const std::vector<EpochRecord>& history)
{
    std::ostringstream out;
    out << std::setprecision(17);
    for (const auto& e : history)
        out << e.epoch << ' ' << e.learningRate << ' ' << e.trainLoss << ' ' << e.validation.truePositives
            << ' ' << e.validation.falsePositives << ' ' << e.validation.trueNegatives << ' '
            << e.validation.falseNegatives << ' ' << e.seconds << ' ' << e.trainCropsPerSecond << '\n';
    return out.str();
}

std::vector<EpochRecord> parseHistory(const std::string& text)
{
    std::vector<EpochRecord> history;
    std::istringstream in(text);
    EpochRecord e;
    while (in >> e.epoch >> e.learningRate >> e.trainLoss >> e.validation.truePositives >>
           e.validation.falsePositives >> e.validation.trueNegatives >> e.validation.falseNegatives >>
           e.seconds >> e.trainCropsPerSecond)
        history.push_back(e);
    return history;
}

/// The planes a model trained with `options` reads: the dataset's, or as many as asked for at the
/// dataset's spacing (checkContext refuses more than it holds, naming the build command).
SliceContext trainingContext(const CropDataset& dataset, const TrainOptions& options)
{
    SliceContext context = dataset.parameters().context;
    if (options.contextSlices >= 0)
        context.slices = options.contextSlices;
    if (context.slices == 0)
        return {};
    if (context.spacingMm <= 0)
        context.spacingMm = 5.0; // the dataset has none: the message suggests the default spacing
    return context;
}

/// What must not change between a run and its resumption.
std::string optionsFingerprint(const TrainOptions& o, const CropDataset& dataset)
{
    std::ostringstream out;
    out << std::setprecision(17) << o.architecture << ' ' << o.learningRate << ' ' << o.batchSize << ' '
        << o.stepEpochs << ' ' << o.stepGamma << ' ' << toString(o.balance) << ' ' << o.blurProbability << ' '
        << o.blurSigmaMax << ' ' << o.seed << " context " << trainingContext(dataset, o).slices << " dataset "
        << std::hex << dataset.identity();
    return out.str();
}

void saveAtomically(const fs::path& path, const std::function<void(const fs::path&)>& write)
{
    const fs::path temporary = path.string() + ".tmp";
    write(temporary);
    fs::rename(temporary, path);
}

} // namespace

ClassificationMetrics classifyCrops(const Classifier& classifier, const CropDataset& dataset,
                                    const std::vector<size_t>& indices, std::vector<float>* probabilities,
                                    int batchSize)
{
    ClassifierImpl& model = classifier.impl();
    const bool wasTraining = !model.script && model.net->is_training();
    if (!model.script)
        model.net->eval();
    torch::InferenceMode inference;
    ClassificationMetrics metrics;
    if (probabilities)
        probabilities->assign(indices.size(), 0.0f);
    for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(batchSize)) {
        const size_t count = std::min(static_cast<size_t>(batchSize), indices.size() - start);
        auto inputs = loadBatch(dataset, indices.data() + start, count, model.description).to(model.device);
        if (model.channelsLast)
            inputs = inputs.contiguous(at::MemoryFormat::ChannelsLast);
        const auto p = torch::softmax(model.forward(inputs), 1).select(1, 1).to(torch::kCPU).contiguous();
        const float* values = p.data_ptr<float>();
        for (size_t i = 0; i < count; ++i) {
            const bool predicted = values[i] > 0.5f;
            const bool truth = dataset.records()[indices[start + i]].lesion != 0;
            metrics.truePositives += predicted && truth;
            metrics.falsePositives += predicted && !truth;
            metrics.trueNegatives += !predicted && !truth;
            metrics.falseNegatives += !predicted && truth;
            if (probabilities)
                (*probabilities)[start + i] = values[i];
        }
    }
    if (wasTraining)
        model.net->train();
    return metrics;
}

namespace {

struct ClassCounts {
    long long positives = 0, negatives = 0;
};

/// The train split's lesion and clear crops; throws unless both classes are present.
ClassCounts trainClassCounts(const CropDataset& dataset, const std::vector<size_t>& train)
{
    ClassCounts counts;
    for (size_t i : train)
        counts.positives += dataset.records()[i].lesion;
    counts.negatives = static_cast<long long>(train.size()) - counts.positives;
    if (counts.positives == 0 || counts.negatives == 0)
        throw std::invalid_argument(dataset.directory().string() + ": the train split has only one class (" +
                                    std::to_string(counts.positives) + " lesion crops of " +
                                    std::to_string(train.size()) + ")");
    return counts;
}

/// A new model for `options` (seeded, deterministic algorithms) on the requested device.
Classifier createTrainingModel(const CropDataset& dataset, const TrainOptions& options)
{
    ModelDescription description;
    description.architecture = options.architecture;
    description.huLow = dataset.parameters().huLow;
    description.huHigh = dataset.parameters().huHigh;
    description.pixelSpacingMm = dataset.parameters().pixelSpacingMm; // the physical scale travels with it
    description.targetLayer = defaultTargetLayer(options.architecture);
    description.context = trainingContext(dataset, options);
    dataset.checkContext(description.context);
    torch::manual_seed(options.seed);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    Classifier classifier = Classifier::create(description, options.seed);
    classifier.moveTo(options.device);
    return classifier;
}

/// Restores the model, the optimiser and the history from `checkpoint`; returns the first epoch to run.
int resumeFromCheckpoint(const fs::path& checkpoint, const std::string& fingerprint, ClassifierImpl& model,
                         torch::optim::Optimizer& optimiser, TrainResult& result)
{
    torch::serialize::InputArchive archive;
    archive.load_from(checkpoint.string(), model.device);
    c10::IValue value;
    archive.read("fingerprint", value);
    if (value.toStringRef() != fingerprint)
        throw std::invalid_argument(checkpoint.string() +
                                    ": was written with other training options or another "
                                    "dataset; resume with the same options, or start without --resume");
    torch::serialize::InputArchive weights, optimiserState;
    archive.read("model", weights);
    model.net->load(weights);
    archive.read("optimiser", optimiserState);
    optimiser.load(optimiserState);
    archive.read("epoch", value);
    const int firstEpoch = static_cast<int>(value.toInt()) + 1;
    archive.read("best_f1", value);
    result.bestValidationF1 = value.toDouble();
    archive.read("best_epoch", value);
    result.bestEpoch = static_cast<int>(value.toInt());
    archive.read("history", value);
    result.history = parseHistory(value.toStringRef());
    result.resumed = true;
    logging::writeLine(logging::Level::Info, "train: resuming after epoch " + std::to_string(firstEpoch - 1) +
                                                 " from " + checkpoint.string());
    return firstEpoch;
}

/// Inverse class frequencies for the loss (ClassBalance::ClassWeights), else none.
torch::Tensor lossClassWeights(ClassBalance balance, size_t trainSize, const ClassCounts& counts,
                               const torch::Device& device)
{
    torch::Tensor classWeights;
    if (balance == ClassBalance::ClassWeights) {
        const double n = static_cast<double>(trainSize);
        classWeights = torch::tensor({static_cast<float>(n / (2.0 * static_cast<double>(counts.negatives))),
                                      static_cast<float>(n / (2.0 * static_cast<double>(counts.positives)))})
                           .to(device);
    }
    return classWeights;
}

/// The epoch's crop order: shuffled, or drawn class-balanced with replacement.
std::vector<size_t> epochOrder(const CropDataset& dataset, const std::vector<size_t>& train,
                               ClassBalance balance, std::mt19937_64& rng)
{
    std::vector<size_t> order = train;
    if (balance == ClassBalance::Sampling) {
        // Each class drawn with equal probability, crops with replacement.
        std::vector<size_t> lesion, clear;
        for (size_t i : train)
            (dataset.records()[i].lesion ? lesion : clear).push_back(i);
        for (auto& slot : order) {
            const auto& pool = (rng() & 1) ? lesion : clear;
            slot = pool[rng() % pool.size()];
        }
    } else {
        for (size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[rng() % i]);
    }
    return order;
}

void saveCheckpoint(const fs::path& checkpoint, const std::string& fingerprint, ClassifierImpl& model,
                    torch::optim::Optimizer& optimiser, int epoch, const TrainResult& result)
{
    saveAtomically(checkpoint, [&](const fs::path& p) {
        torch::serialize::OutputArchive archive, weights, optimiserState;
        archive.write("fingerprint", c10::IValue(fingerprint));
        model.net->save(weights);
        archive.write("model", weights);
        optimiser.save(optimiserState);
        archive.write("optimiser", optimiserState);
        archive.write("epoch", c10::IValue(static_cast<int64_t>(epoch)));
        archive.write("best_f1", c10::IValue(result.bestValidationF1));
        archive.write("best_epoch", c10::IValue(static_cast<int64_t>(result.bestEpoch)));
        archive.write("history", c10::IValue(serialiseHistory(result.history)));
        archive.save_to(p.string());
    });
}

/// What every epoch of one training run shares.
struct TrainingRun {
    const CropDataset& dataset;
    const TrainOptions& options;
    const std::function<void(const TrainProgress&)>& progress;
    const std::atomic<bool>* cancel;
    const Classifier& classifier;
    ClassifierImpl& model;
    torch::optim::Adam& optimiser;
    const std::vector<size_t>& train;
    const std::vector<size_t>& validation;
    const fs::path& checkpoint;
    const std::string& fingerprint;
    torch::Tensor classWeights;
    size_t batchSize;
    int batches; ///< per epoch
    Clock::time_point runStart;
    int batchesThisRun;
    int batchesDoneThisRun = 0;
};

struct EpochLoss {
    double lossSum = 0; ///< loss x crops, summed over the batches
    size_t cropsSeen = 0;
};

/// The epoch's optimisation steps over `order`, reporting progress after each.
EpochLoss trainEpochBatches(TrainingRun& run, int epoch, const std::vector<size_t>& order,
                            std::mt19937_64& rng, Clock::time_point epochStart)
{
    EpochLoss sum;
    for (int b = 0; b < run.batches; ++b) {
        if (run.cancel && run.cancel->load())
            throw std::runtime_error(
                "training cancelled (the checkpoint of the last finished epoch is kept)");
        const size_t start = static_cast<size_t>(b) * run.batchSize;
        const size_t count = std::min(run.batchSize, order.size() - start);
        const double loss = trainingStep(run.model, run.optimiser, run.dataset, order.data() + start, count,
                                         run.options, run.classWeights, rng);
        sum.lossSum += loss * static_cast<double>(count);
        sum.cropsSeen += count;
        ++run.batchesDoneThisRun;
        if (run.progress) {
            const double elapsed = std::chrono::duration<double>(Clock::now() - run.runStart).count();
            const double epochElapsed = std::chrono::duration<double>(Clock::now() - epochStart).count();
            TrainProgress p;
            p.epoch = epoch;
            p.epochs = run.options.epochs;
            p.batch = b + 1;
            p.batches = run.batches;
            p.loss = sum.lossSum / static_cast<double>(sum.cropsSeen);
            p.cropsPerSecond = static_cast<double>(sum.cropsSeen) / std::max(epochElapsed, 1e-9);
            p.etaSeconds = elapsed / run.batchesDoneThisRun * (run.batchesThisRun - run.batchesDoneThisRun);
            run.progress(p);
        }
    }
    return sum;
}

/// Recalibrates batch norm and validates: the epoch's record.
EpochRecord validateEpoch(TrainingRun& run, int epoch, double lr, const EpochLoss& loss,
                          Clock::time_point epochStart)
{
    recalibrateBatchNorm(run.model, run.dataset, run.train, run.batchSize);
    EpochRecord record;
    record.epoch = epoch;
    record.learningRate = lr;
    record.trainLoss = loss.lossSum / static_cast<double>(std::max<size_t>(loss.cropsSeen, 1));
    record.trainCropsPerSecond =
        static_cast<double>(loss.cropsSeen) /
        std::max(std::chrono::duration<double>(Clock::now() - epochStart).count(), 1e-9);
    record.validation = classifyCrops(run.classifier, run.dataset, run.validation);
    record.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
    return record;
}

void logEpoch(const EpochRecord& record, int epochs)
{
    char line[192];
    std::snprintf(line, sizeof line,
                  "train: epoch %d/%d lr %.3g loss %.4f val P %.3f R %.3f F1 %.3f (%.1f crops/s)",
                  record.epoch, epochs, record.learningRate, record.trainLoss, record.validation.precision(),
                  record.validation.recall(), record.validation.f1(), record.trainCropsPerSecond);
    logging::writeLine(logging::Level::Info, line);
}

/// One epoch: train, validate, keep the best model, write the checkpoint.
void runEpoch(TrainingRun& run, int epoch, TrainResult& result)
{
    const auto& options = run.options;
    const auto epochStart = Clock::now();
    const double lr = options.learningRate * std::pow(options.stepGamma, (epoch - 1) / options.stepEpochs);
    for (auto& group : run.optimiser.param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

    std::mt19937_64 rng = epochGenerator(options.seed, epoch, 1);
    const std::vector<size_t> order = epochOrder(run.dataset, run.train, options.balance, rng);
    run.model.net->train();
    const EpochLoss loss = trainEpochBatches(run, epoch, order, rng, epochStart);
    const EpochRecord record = validateEpoch(run, epoch, lr, loss, epochStart);
    result.history.push_back(record);
    logEpoch(record, options.epochs);
    if (record.validation.f1() > result.bestValidationF1) {
        result.bestValidationF1 = record.validation.f1();
        result.bestEpoch = epoch;
        run.model.net->eval();
        saveAtomically(options.out, [&](const fs::path& p) { run.classifier.save(p.string()); });
    }
    saveCheckpoint(run.checkpoint, run.fingerprint, run.model, run.optimiser, epoch, result);
    if (options.epochFinished)
        options.epochFinished(record, result.bestEpoch == epoch);
}

} // namespace

TrainResult trainClassifier(const CropDataset& dataset, const TrainOptions& options,
                            const std::function<void(const TrainProgress&)>& progress,
                            const std::atomic<bool>* cancel)
{
    if (options.out.empty())
        throw std::invalid_argument("no output model file given");
    if (options.epochs < 1 || options.batchSize < 2 || options.learningRate <= 0 || options.stepEpochs < 1)
        throw std::invalid_argument(
            "epochs >= 1, batch size >= 2, learning rate > 0 and step >= 1 are required");
    const auto train = dataset.indicesOf(Split::Train);
    const auto validation = dataset.indicesOf(Split::Validation);
    if (train.empty() || validation.empty())
        throw std::invalid_argument(dataset.directory().string() +
                                    ": the dataset needs crops in the train and val splits");
    const ClassCounts counts = trainClassCounts(dataset, train);
    Classifier classifier = createTrainingModel(dataset, options);
    ClassifierImpl& model = classifier.impl();

    torch::optim::Adam optimiser(model.net->parameters(), torch::optim::AdamOptions(options.learningRate));
    const fs::path checkpoint =
        options.checkpoint.empty() ? fs::path(options.out.string() + ".ckpt") : options.checkpoint;
    const std::string fingerprint = optionsFingerprint(options, dataset);
    TrainResult result;
    int firstEpoch = 1;
    if (options.resume && fs::exists(checkpoint)) {
        firstEpoch = resumeFromCheckpoint(checkpoint, fingerprint, model, optimiser, result);
    } else if (options.resume) {
        logging::writeLine(logging::Level::Warning,
                           "train: no checkpoint " + checkpoint.string() + "; starting from scratch");
    }

    const torch::Tensor classWeights = lossClassWeights(options.balance, train.size(), counts, model.device);
    const size_t batchSize = static_cast<size_t>(options.batchSize);
    const int batchesPerEpoch = static_cast<int>((train.size() + batchSize - 1) / batchSize);
    const int batches =
        options.maxBatches > 0 ? std::min(options.maxBatches, batchesPerEpoch) : batchesPerEpoch;
    TrainingRun run{dataset,    options,    progress,     cancel,
                    classifier, model,      optimiser,    train,
                    validation, checkpoint, fingerprint,  classWeights,
                    batchSize,  batches,    Clock::now(), (options.epochs - firstEpoch + 1) * batches};
    for (int epoch = firstEpoch; epoch <= options.epochs; ++epoch)
        runEpoch(run, epoch, result);
    model.net->eval();
    if (!fs::exists(options.out))
        throw std::runtime_error(options.out.string() + ": no model was written");
    result.modelHash = Classifier::load(options.out.string(), "cpu").contentHash();
    return result;
}

// ---- Benchmark --------------------------------------------------------------------------

namespace {

using bench::median;

/// Synthetic crops: tissue noise plus a bright disc on a third of them.
void writeSyntheticCrops(const fs::path& folder, int cropSize, size_t cropCount)
{
    CropDatasetWriter writer(folder, cropSize, cropSize);
    std::mt19937 rng(7);
    std::normal_distribution<float> tissue(40.f, 30.f);
    const size_t pixels = static_cast<size_t>(cropSize) * cropSize;
    std::vector<int16_t> image(pixels);
    std::vector<uint8_t> mask(pixels, 0);
    for (size_t i = 0; i < cropCount; ++i) {
        for (auto& v : image)
            v = static_cast<int16_t>(tissue(rng));
        CropRecord r;
        r.caseId = "bench";
        r.lesion = (i % 3 == 0);
        if (r.lesion)
            for (int y = 40; y < 80; ++y)
                for (int x = 40; x < 80; ++x)
                    image[static_cast<size_t>(y * cropSize + x)] += 150;
        writer.append(r, image.data(), mask.data());
    }
    writer.finish(DatasetParameters{});
}

/// Crops per second of each measurement.
struct TrainThroughput {
    std::vector<double> bare, pipeline, evaluation;
};

/// Bare forward+backward steps on one fixed batch, training steps through the data pipeline,
/// and evaluation, of a new `architecture` model.
TrainThroughput measureTrainThroughput(const TrainBenchmarkOptions& options, const std::string& architecture,
                                       const DeviceInfo& device, const CropDataset& dataset)
{
    Classifier classifier = bench::createBenchmarkModel(architecture, device.name);
    ClassifierImpl& model = classifier.impl();
    torch::optim::Adam optimiser(model.net->parameters(), torch::optim::AdamOptions(1e-3));
    model.net->train();
    const int64_t b = options.batchSize;
    auto bareInput = torch::rand({b, 1, options.cropSize, options.cropSize}).to(device.name);
    if (model.channelsLast)
        bareInput = bareInput.contiguous(at::MemoryFormat::ChannelsLast);
    const auto bareTarget = torch::randint(0, 2, {b}, torch::kLong).to(device.name);
    const auto synchronise = [&] {
        if (model.device.is_cuda())
            torch::cuda::synchronize();
    };
    const auto bareStep = [&] {
        optimiser.zero_grad();
        auto loss = F::cross_entropy(model.net->forward(bareInput), bareTarget);
        loss.backward();
        optimiser.step();
    };
    TrainOptions trainOptions;
    trainOptions.blurProbability = 0.5; // augmentation included in the pipeline's figure
    std::mt19937_64 rng(3);
    std::vector<size_t> order(dataset.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    const auto pipelineStep = [&](int batch) {
        trainingStep(model, optimiser, dataset,
                     order.data() + static_cast<size_t>(batch) * static_cast<size_t>(b),
                     static_cast<size_t>(b), trainOptions, torch::Tensor(), rng);
    };
    TrainThroughput t;
    bareStep(); // warm-up
    pipelineStep(0);
    synchronise();
    for (int repeat = 0; repeat < options.repeats; ++repeat) {
        auto t0 = Clock::now();
        for (int i = 0; i < options.batches; ++i)
            bareStep();
        synchronise();
        t.bare.push_back(static_cast<double>(b * options.batches) /
                         std::chrono::duration<double>(Clock::now() - t0).count());
        t0 = Clock::now();
        for (int i = 0; i < options.batches; ++i)
            pipelineStep(i + 1);
        synchronise();
        t.pipeline.push_back(static_cast<double>(b * options.batches) /
                             std::chrono::duration<double>(Clock::now() - t0).count());
        t0 = Clock::now();
        (void)classifyCrops(classifier, dataset, order);
        t.evaluation.push_back(static_cast<double>(order.size()) /
                               std::chrono::duration<double>(Clock::now() - t0).count());
        model.net->train();
    }
    return t;
}

} // namespace

bool runTrainBenchmark(const TrainBenchmarkOptions& options, std::ostream& out)
{
    const fs::path scratch =
        options.scratch.empty()
            ? fs::temp_directory_path() / ("weaksight-bench-train-" + std::to_string(::getpid()))
            : options.scratch;
    const size_t cropCount =
        static_cast<size_t>(options.batchSize) * static_cast<size_t>(options.batches + 1);
    writeSyntheticCrops(scratch, options.cropSize, cropCount);
    const CropDataset dataset = CropDataset::open(scratch);
    const DeviceInfo device = selectDevice(options.device);
    out << "weaksight bench train: device " << device.name << ", " << device.detail << ", batch "
        << options.batchSize << ", " << options.cropSize << "x" << options.cropSize << " crops, medians of "
        << options.repeats << " x " << options.batches << " batches\n";
    out << std::left << std::setw(10) << "model" << std::right << std::setw(16) << "bare fwd+bwd/s"
        << std::setw(18) << "training crops/s" << std::setw(8) << "ratio" << std::setw(20)
        << "evaluation crops/s"
        << "\n";
    bool ok = true;
    for (const auto& architecture : options.architectures) {
        const TrainThroughput t = measureTrainThroughput(options, architecture, device, dataset);
        const double ratio = median(t.pipeline) / median(t.bare);
        ok = ok && ratio >= 0.85;
        out << std::left << std::setw(10) << architecture << std::right << std::fixed << std::setprecision(1)
            << std::setw(16) << median(t.bare) << std::setw(18) << median(t.pipeline) << std::setw(8)
            << std::setprecision(2) << ratio << std::setw(20) << std::setprecision(1) << median(t.evaluation)
            << "\n";
    }
    out << "target: training >= 0.85 x bare fwd+bwd (data loading and augmentation not the bottleneck): "
        << (ok ? "met" : "NOT met") << "\n";
    if (options.scratch.empty())
        fs::remove_all(scratch);
    return ok;
}

} // namespace weaksight::compute
