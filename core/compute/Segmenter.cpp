#include "core/compute/Segmenter.h"

#include "core/common/LogLine.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/HuWindow.h"
#include "core/compute/KeyValueText.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace weaksight::compute {

namespace fs = std::filesystem;
namespace nn = torch::nn;
namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

// ---- Description ------------------------------------------------------------------------

namespace {

constexpr int kMaxLevels = 8;
constexpr const char* kArchitecture = "unet";

void checkShape(const SegmenterDescription& d)
{
    if (d.baseChannels < 1 || d.levels < 1 || d.levels > kMaxLevels)
        throw std::invalid_argument("segmenter: base channels >= 1 and 1 to " + std::to_string(kMaxLevels) +
                                    " levels are required (got " + std::to_string(d.baseChannels) + " and " +
                                    std::to_string(d.levels) + ")");
    if (!(d.huHigh > d.huLow))
        throw std::invalid_argument("segmenter: the HU window needs hu_high > hu_low");
}

} // namespace

std::string SegmenterDescription::serialise() const
{
    if (trainedOn.find('\n') != std::string::npos)
        throw std::invalid_argument("segmenter: 'trained on' must be one line");
    std::ostringstream out;
    out << std::setprecision(17);
    out << "architecture: " << kArchitecture << "\n"
        << "base_channels: " << baseChannels << "\n"
        << "levels: " << levels << "\n"
        << "hu_low: " << huLow << "\n"
        << "hu_high: " << huHigh << "\n";
    if (pixelSpacingMm > 0)
        out << "pixel_spacing_mm: " << pixelSpacingMm << "\n";
    if (!trainedOn.empty())
        out << "trained_on: " << trainedOn << "\n";
    return out.str();
}

SegmenterDescription SegmenterDescription::parse(const std::string& text)
{
    SegmenterDescription d;
    for (const auto& [key, value] : parseKeyValueLines(text)) {
        if (key == "architecture" && value != kArchitecture)
            throw std::invalid_argument("segmenter: unknown architecture '" + value + "' (unet)");
        if (key == "base_channels")
            d.baseChannels = std::stoi(value);
        else if (key == "levels")
            d.levels = std::stoi(value);
        else if (key == "hu_low")
            d.huLow = std::stod(value);
        else if (key == "hu_high")
            d.huHigh = std::stod(value);
        else if (key == "pixel_spacing_mm")
            d.pixelSpacingMm = std::stod(value);
        else if (key == "trained_on")
            d.trainedOn = value;
    }
    checkShape(d);
    return d;
}

bool SegmenterDescription::operator==(const SegmenterDescription& o) const
{
    return baseChannels == o.baseChannels && levels == o.levels && huLow == o.huLow && huHigh == o.huHigh &&
           pixelSpacingMm == o.pixelSpacingMm && trainedOn == o.trainedOn;
}

// ---- U-Net ------------------------------------------------------------------------------

namespace {

/// (3x3 conv, batch norm, ReLU) twice: one U-Net level. No conv bias: batch norm's shift replaces it.
struct DoubleConvImpl : nn::Module {
    DoubleConvImpl(int64_t in, int64_t out)
    {
        auto conv3x3 = [](int64_t from, int64_t to) {
            return nn::Conv2d(nn::Conv2dOptions(from, to, 3).padding(1).bias(false));
        };
        body = register_module("body", nn::Sequential(conv3x3(in, out), nn::BatchNorm2d(out), nn::ReLU(),
                                                      conv3x3(out, out), nn::BatchNorm2d(out), nn::ReLU()));
    }
    torch::Tensor forward(const torch::Tensor& x) { return body->forward(x); }
    nn::Sequential body{nullptr};
};
TORCH_MODULE(DoubleConv);

/// `levels` encoder levels (each followed by 2x2 max-pooling), a bottleneck, and as many decoder
/// levels (2x2 transposed conv up, concatenation with the encoder's map of that level, DoubleConv),
/// then a 1x1 conv to one logit channel. Transposed convolutions rather than bilinear up-sampling:
/// their backward pass is deterministic on CUDA too.
struct UNetImpl : nn::Module {
    explicit UNetImpl(const SegmenterDescription& description)
    {
        const int64_t levels = description.levels;
        auto width = [&](int64_t level) {
            return static_cast<int64_t>(description.baseChannels) << level;
        };
        for (int64_t l = 0; l < levels; ++l)
            encoders.push_back(
                register_module("down" + std::to_string(l), DoubleConv(l ? width(l - 1) : 1, width(l))));
        bottleneck = register_module("bottleneck", DoubleConv(width(levels - 1), width(levels)));
        for (int64_t l = 0; l < levels; ++l) {
            ups.push_back(register_module(
                "up" + std::to_string(l),
                nn::ConvTranspose2d(nn::ConvTranspose2dOptions(width(l + 1), width(l), 2).stride(2))));
            decoders.push_back(
                register_module("decode" + std::to_string(l), DoubleConv(2 * width(l), width(l))));
        }
        head = register_module("head", nn::Conv2d(nn::Conv2dOptions(width(0), 1, 1)));
        for (auto& module : modules(/*include_self=*/false))
            if (auto* c = module->as<nn::Conv2d>())
                nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    }

    torch::Tensor forward(const torch::Tensor& x)
    {
        std::vector<torch::Tensor> skips;
        auto y = x;
        for (auto& encoder : encoders) {
            y = encoder->forward(y);
            skips.push_back(y);
            y = torch::max_pool2d(y, 2);
        }
        y = bottleneck->forward(y);
        for (size_t l = encoders.size(); l-- > 0;) {
            y = ups[l]->forward(y);
            const auto& skip = skips[l];
            // Max-pooling floors odd sizes: the up-sampled map is then a row or column short of its
            // skip; zero-pad it at the bottom and right (the pooling dropped the last row / column).
            const int64_t missingRows = skip.size(2) - y.size(2), missingCols = skip.size(3) - y.size(3);
            if (missingRows > 0 || missingCols > 0)
                y = F::pad(y, F::PadFuncOptions({0, missingCols, 0, missingRows}));
            y = decoders[l]->forward(torch::cat({skip, y}, 1));
        }
        return head->forward(y);
    }

    std::vector<DoubleConv> encoders, decoders;
    DoubleConv bottleneck{nullptr};
    std::vector<nn::ConvTranspose2d> ups;
    nn::Conv2d head{nullptr};
};
TORCH_MODULE(UNet);

} // namespace

class SegmenterImpl {
public:
    SegmenterDescription description;
    mutable UNet net{nullptr}; ///< mutable: a forward pass does not change the model
    torch::Device device{torch::kCPU};

    /// Crops `indices` (all of one size) -> N x 1 x H x W windowed tensor on the model's device.
    torch::Tensor preprocess(const std::vector<Image2D>& crops, const size_t* indices, size_t count) const
    {
        const int rows = crops[indices[0]].rows, cols = crops[indices[0]].cols;
        checkSize(rows, cols);
        auto batch = torch::empty({static_cast<int64_t>(count), 1, rows, cols}, torch::kFloat32);
        float* out = batch.data_ptr<float>();
        const HuWindow window(description.huLow, description.huHigh);
        for (size_t i = 0; i < count; ++i)
            window.apply(crops[indices[i]], rows, cols, 1, out + i * static_cast<size_t>(rows) * cols);
        return batch.to(device);
    }

    /// Each level halves the map (flooring): a side below 2^levels would pool to nothing.
    void checkSize(int rows, int cols) const
    {
        const int smallest = 1 << description.levels;
        if (rows < smallest || cols < smallest)
            throw std::invalid_argument("segmenter: a " + std::to_string(rows) + "x" + std::to_string(cols) +
                                        " crop is smaller than the " + std::to_string(smallest) +
                                        " pixels a side that " + std::to_string(description.levels) +
                                        " levels need");
    }
};

// ---- Segmenter --------------------------------------------------------------------------

Segmenter::Segmenter(std::unique_ptr<SegmenterImpl> impl)
    : m_impl(std::move(impl))
{
}
Segmenter::Segmenter(Segmenter&&) noexcept = default;
Segmenter& Segmenter::operator=(Segmenter&&) noexcept = default;
Segmenter::~Segmenter() = default;

Segmenter Segmenter::create(const SegmenterDescription& description, uint64_t seed)
{
    checkShape(description);
    torch::manual_seed(seed);
    auto impl = std::make_unique<SegmenterImpl>();
    impl->description = description;
    impl->net = UNet(description);
    impl->net->eval();
    return Segmenter(std::move(impl));
}

namespace {

constexpr const char* kFormatKey = "weaksight_segmenter_format";
constexpr int64_t kFormatVersion = 1;

} // namespace

void Segmenter::save(const std::string& path) const
{
    torch::serialize::OutputArchive archive;
    archive.write(kFormatKey, c10::IValue(kFormatVersion));
    archive.write("description", c10::IValue(m_impl->description.serialise()));
    m_impl->net->save(archive);
    // The process id keeps two writers of one path from sharing a temporary file.
    const std::string temporary = path + ".tmp" + std::to_string(::getpid());
    try {
        archive.save_to(temporary);
        fs::rename(temporary, path);
    } catch (const std::exception& e) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        const auto* torchError = dynamic_cast<const c10::Error*>(&e);
        throw std::runtime_error(path + ": cannot write the segmenter (" +
                                 (torchError ? torchError->what_without_backtrace() : e.what()) + ")");
    }
}

Segmenter Segmenter::load(const std::string& path, const std::string& device)
{
    if (!std::ifstream(path).good())
        throw std::runtime_error(path + ": segmenter file not found");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path, torch::kCPU);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": not a readable Weaksight segmenter file (truncated or foreign: " +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    c10::IValue value;
    if (!archive.try_read(kFormatKey, value)) {
        if (archive.try_read("weaksight_model_format", value))
            throw std::runtime_error(path + ": is a Weaksight classifier model, not a segmenter");
        throw std::runtime_error(path + ": not a Weaksight segmenter file (no segmenter format marker)");
    }
    if (!value.isInt() || value.toInt() > kFormatVersion)
        throw std::runtime_error(path + ": segmenter file format newer than this build reads");
    SegmenterDescription description;
    try {
        if (!archive.try_read("description", value) || !value.isString())
            throw std::invalid_argument("no description");
        description = SegmenterDescription::parse(value.toStringRef());
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": unusable segmenter description (" + e.what() + ")");
    }
    Segmenter segmenter = create(description, 0);
    try {
        segmenter.m_impl->net->load(archive);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": segmenter weights do not match its description (" +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    segmenter.moveTo(device);
    segmenter.m_impl->net->eval();
    return segmenter;
}

const SegmenterDescription& Segmenter::description() const
{
    return m_impl->description;
}

std::string Segmenter::deviceName() const
{
    return m_impl->device.str();
}

void Segmenter::moveTo(const std::string& device)
{
    m_impl->device = parseDevice(device);
    // Crops come in few fixed sizes: let cuDNN pick its fastest algorithms per shape (as Classifier).
    if (m_impl->device.is_cuda())
        at::globalContext().setBenchmarkCuDNN(true);
    m_impl->net->to(m_impl->device);
}

int64_t Segmenter::parameterCount() const
{
    int64_t count = 0;
    for (const auto& p : m_impl->net->parameters())
        count += p.numel();
    return count;
}

namespace {

/// Probabilities of crops `indices` (one size) as rows x cols vectors, in inference mode.
std::vector<std::vector<float>> predictBatch(const SegmenterImpl& model, const std::vector<Image2D>& crops,
                                             const size_t* indices, size_t count)
{
    const auto p = torch::sigmoid(model.net->forward(model.preprocess(crops, indices, count)))
                       .to(torch::kCPU)
                       .contiguous();
    const size_t pixels = static_cast<size_t>(p.size(2) * p.size(3));
    std::vector<std::vector<float>> maps(count);
    const float* values = p.data_ptr<float>();
    for (size_t i = 0; i < count; ++i)
        maps[i].assign(values + i * pixels, values + (i + 1) * pixels);
    return maps;
}

} // namespace

std::string Segmenter::contentHash() const
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& p : m_impl->net->named_parameters())
        tensors.emplace_back(p.key(), p.value());
    for (const auto& buffer : m_impl->net->named_buffers())
        tensors.emplace_back(buffer.key(), buffer.value());
    return contentHashOf(m_impl->description.serialise(), tensors);
}

std::vector<std::vector<float>> Segmenter::predict(const std::vector<Image2D>& crops, int batchSize) const
{
    const size_t limit = static_cast<size_t>(std::max(batchSize, 1));
    m_impl->net->eval();
    c10::InferenceMode inference;
    std::vector<size_t> order(crops.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::vector<std::vector<float>> maps;
    maps.reserve(crops.size());
    for (size_t start = 0; start < crops.size();) {
        // A batch: consecutive crops of the first one's size, up to the limit.
        size_t end = start + 1;
        while (end < crops.size() && end - start < limit && crops[end].rows == crops[start].rows &&
               crops[end].cols == crops[start].cols)
            ++end;
        for (auto& map : predictBatch(*m_impl, crops, order.data() + start, end - start))
            maps.push_back(std::move(map));
        start = end;
    }
    return maps;
}

// ---- Training ---------------------------------------------------------------------------

namespace {

std::mt19937_64 epochGenerator(uint64_t seed, int epoch)
{
    std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                           static_cast<uint32_t>(epoch), 0x5E6u};
    return std::mt19937_64(sequence);
}

void checkPairs(const std::vector<Image2D>& crops, const std::vector<std::vector<uint8_t>>& masks,
                const std::string& name, int rows, int cols)
{
    if (crops.empty())
        throw std::invalid_argument("segmenter training: no " + name + " crops");
    if (masks.size() != crops.size())
        throw std::invalid_argument("segmenter training: " + std::to_string(crops.size()) + " " + name +
                                    " crops but " + std::to_string(masks.size()) + " masks");
    const size_t pixels = static_cast<size_t>(rows) * cols;
    for (size_t i = 0; i < crops.size(); ++i)
        if (crops[i].rows != rows || crops[i].cols != cols || crops[i].pixels.size() != pixels ||
            masks[i].size() != pixels)
            throw std::invalid_argument("segmenter training: " + name + " crop " + std::to_string(i) +
                                        " or its mask is not " + std::to_string(rows) + "x" +
                                        std::to_string(cols) + " like the first training crop");
}

/// Masks `indices` -> N x 1 x H x W float 0/1 targets on `device`.
torch::Tensor targetBatch(const std::vector<std::vector<uint8_t>>& masks, const size_t* indices, size_t count,
                          int rows, int cols, const torch::Device& device)
{
    auto batch = torch::empty({static_cast<int64_t>(count), 1, rows, cols}, torch::kFloat32);
    float* out = batch.data_ptr<float>();
    for (size_t i = 0; i < count; ++i)
        for (uint8_t v : masks[indices[i]])
            *out++ = v ? 1.0f : 0.0f;
    return batch.to(device);
}

/// Flips the crops of `batch` whose `flip` flag is set along dimension `dim`.
torch::Tensor flipWhere(const torch::Tensor& batch, const std::vector<int64_t>& flip, int64_t dim)
{
    const auto selected =
        torch::tensor(flip, torch::kLong).to(batch.device()).to(torch::kBool).view({-1, 1, 1, 1});
    return torch::where(selected, batch.flip({dim}), batch);
}

/// (1 - w) BCE + w (1 - soft Dice). The Dice is pooled over the batch: most crops hold no lesion,
/// and a per-crop Dice of an empty target only measures how small the prediction is. The +1
/// keeps a batch without any lesion defined.
torch::Tensor segmentationLoss(const torch::Tensor& logits, const torch::Tensor& targets, double diceWeight)
{
    const auto crossEntropy = F::binary_cross_entropy_with_logits(logits, targets);
    const auto p = torch::sigmoid(logits);
    const auto dice = (2 * (p * targets).sum() + 1) / (p.sum() + targets.sum() + 1);
    return (1 - diceWeight) * crossEntropy + diceWeight * (1 - dice);
}

struct TrainingData {
    const std::vector<Image2D>& crops;
    const std::vector<std::vector<uint8_t>>& masks;
    int rows, cols;
};

/// One optimisation step on crops `indices`, each flipped at random (horizontally and vertically,
/// one draw each) together with its target.
double trainingStep(SegmenterImpl& model, torch::optim::Optimizer& optimiser, const TrainingData& data,
                    const size_t* indices, size_t count, double diceWeight, std::mt19937_64& rng)
{
    auto inputs = model.preprocess(data.crops, indices, count);
    auto targets = targetBatch(data.masks, indices, count, data.rows, data.cols, model.device);
    std::bernoulli_distribution coin(0.5);
    std::vector<int64_t> flipRows(count), flipCols(count);
    for (size_t i = 0; i < count; ++i) {
        flipRows[i] = coin(rng);
        flipCols[i] = coin(rng);
    }
    inputs = flipWhere(flipWhere(inputs, flipRows, 2), flipCols, 3);
    targets = flipWhere(flipWhere(targets, flipRows, 2), flipCols, 3);
    optimiser.zero_grad();
    auto loss = segmentationLoss(model.net->forward(inputs), targets, diceWeight);
    loss.backward();
    optimiser.step();
    return loss.item<double>();
}

/// Re-estimates every batch-norm layer's running statistics as the average over batches of up to
/// `maxCrops` training crops (evenly spaced), weights fixed, as Trainer does for the classifier:
/// the default exponential average (momentum 0.1) lags the weights by tens of updates, which on a
/// small training set is most of training.
void recalibrateBatchNorm(SegmenterImpl& model, const TrainingData& data, size_t batchSize,
                          size_t maxCrops = 600)
{
    std::vector<nn::BatchNorm2dImpl*> norms;
    for (auto& module : model.net->modules(/*include_self=*/false))
        if (auto* bn = module->as<nn::BatchNorm2d>())
            norms.push_back(bn);
    for (auto* bn : norms) {
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt); // cumulative average over all batches seen
    }
    std::vector<size_t> indices;
    const size_t stride = std::max<size_t>((data.crops.size() + maxCrops - 1) / maxCrops, 1);
    for (size_t i = 0; i < data.crops.size(); i += stride)
        indices.push_back(i);
    model.net->train();
    {
        torch::NoGradGuard noGrad;
        for (size_t start = 0; start < indices.size(); start += batchSize)
            model.net->forward(model.preprocess(data.crops, indices.data() + start,
                                                std::min(batchSize, indices.size() - start)));
    }
    for (auto* bn : norms)
        bn->options.momentum(0.1);
    model.net->eval();
}

/// Soft Dice 2 sum(p t) / (sum p + sum t) pooled over every validation pixel (1 when both are empty).
double validationDice(const SegmenterImpl& model, const std::vector<Image2D>& crops,
                      const std::vector<std::vector<uint8_t>>& masks, size_t batchSize)
{
    model.net->eval();
    c10::InferenceMode inference;
    std::vector<size_t> order(crops.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    double overlap = 0, predicted = 0, target = 0;
    for (size_t start = 0; start < order.size(); start += batchSize) {
        const size_t count = std::min(batchSize, order.size() - start);
        const auto p =
            torch::sigmoid(model.net->forward(model.preprocess(crops, order.data() + start, count)));
        const auto t =
            targetBatch(masks, order.data() + start, count, crops[0].rows, crops[0].cols, model.device);
        overlap += (p * t).sum().item<double>();
        predicted += p.sum().item<double>();
        target += t.sum().item<double>();
    }
    return predicted + target > 0 ? 2 * overlap / (predicted + target) : 1.0;
}

/// Parameters and buffers (batch-norm statistics) of the network, copied.
std::vector<torch::Tensor> snapshot(const UNet& net)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> state;
    for (const auto& p : net->parameters())
        state.push_back(p.detach().clone());
    for (const auto& b : net->buffers())
        state.push_back(b.detach().clone());
    return state;
}

void restore(UNet& net, const std::vector<torch::Tensor>& state)
{
    torch::NoGradGuard noGrad;
    size_t i = 0;
    for (auto& p : net->parameters())
        p.copy_(state[i++]);
    for (auto& b : net->buffers())
        b.copy_(state[i++]);
}

} // namespace

SegmenterTrainingResult trainSegmenter(Segmenter& segmenter, const std::vector<Image2D>& train,
                                       const std::vector<std::vector<uint8_t>>& trainMasks,
                                       const std::vector<Image2D>& validation,
                                       const std::vector<std::vector<uint8_t>>& validationMasks,
                                       const SegmenterTrainOptions& options)
{
    if (options.epochs < 1 || options.batchSize < 1 || !(options.learningRate > 0) ||
        options.diceWeight < 0 || options.diceWeight > 1)
        throw std::invalid_argument(
            "segmenter training: epochs >= 1, batch size >= 1, learning rate > 0 and a Dice weight in [0, 1] "
            "are required");
    if (train.empty())
        throw std::invalid_argument("segmenter training: no train crops");
    const int rows = train.front().rows, cols = train.front().cols;
    checkPairs(train, trainMasks, "train", rows, cols);
    checkPairs(validation, validationMasks, "validation", rows, cols);
    SegmenterImpl& model = *segmenter.m_impl;
    model.checkSize(rows, cols);

    const auto runStart = Clock::now();
    torch::manual_seed(options.seed);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    segmenter.moveTo(options.device);
    torch::optim::Adam optimiser(model.net->parameters(), torch::optim::AdamOptions(options.learningRate));

    const TrainingData data{train, trainMasks, rows, cols};
    const size_t batchSize = static_cast<size_t>(options.batchSize);
    const int batchesPerEpoch = static_cast<int>((train.size() + batchSize - 1) / batchSize);
    const int batches =
        options.maxBatches > 0 ? std::min(options.maxBatches, batchesPerEpoch) : batchesPerEpoch;
    SegmenterTrainingResult result;
    result.bestValidationDice = -1;
    std::vector<torch::Tensor> best;
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto epochStart = Clock::now();
        std::mt19937_64 rng = epochGenerator(options.seed, epoch);
        std::vector<size_t> order(train.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        for (size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[rng() % i]);

        model.net->train();
        double lossSum = 0;
        size_t cropsSeen = 0;
        for (int b = 0; b < batches; ++b) {
            if (options.cancel && options.cancel->load()) {
                if (!best.empty())
                    restore(model.net, best);
                model.net->eval();
                throw std::runtime_error("segmenter training cancelled (the best epoch's weights are kept)");
            }
            const size_t start = static_cast<size_t>(b) * batchSize;
            const size_t count = std::min(batchSize, order.size() - start);
            lossSum +=
                trainingStep(model, optimiser, data, order.data() + start, count, options.diceWeight, rng) *
                static_cast<double>(count);
            cropsSeen += count;
        }
        const double trainSeconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
        recalibrateBatchNorm(model, data, batchSize);
        const double dice =
            validationDice(model, validation, validationMasks, std::max<size_t>(batchSize, 32));
        const double trainLoss = lossSum / static_cast<double>(std::max<size_t>(cropsSeen, 1));
        result.epochs = epoch;
        if (dice > result.bestValidationDice) {
            result.bestValidationDice = dice;
            result.bestEpoch = epoch;
            best = snapshot(model.net);
        }
        char line[160];
        std::snprintf(line, sizeof line, "segmenter: epoch %d/%d loss %.4f val soft Dice %.4f (%.1f crops/s)",
                      epoch, options.epochs, trainLoss, dice,
                      static_cast<double>(cropsSeen) / std::max(trainSeconds, 1e-9));
        logging::writeLine(logging::Level::Info, line);
        if (options.epochFinished)
            options.epochFinished(epoch, trainLoss, dice);
    }
    if (!best.empty()) // empty only when every validation Dice was NaN (diverged weights)
        restore(model.net, best);
    model.net->eval();
    result.seconds = std::chrono::duration<double>(Clock::now() - runStart).count();
    return result;
}

} // namespace weaksight::compute
