#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"
#include "core/compute/HuWindow.h"
#include "core/compute/KeyValueText.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace weaksight::compute {

namespace nn = torch::nn;

// ---- Description ------------------------------------------------------------------------

std::string ModelDescription::serialise() const
{
    std::ostringstream out;
    out << std::setprecision(17);
    out << "architecture: " << architecture << "\n"
        << "num_classes: " << numClasses << "\n"
        << "hu_low: " << huLow << "\n"
        << "hu_high: " << huHigh << "\n"
        << "target_layer: " << targetLayer << "\n";
    if (!head.empty())
        out << "head: " << head << "\n";
    if (pixelSpacingMm > 0)
        out << "pixel_spacing_mm: " << pixelSpacingMm << "\n";
    if (context.slices > 0)
        out << "context_slices: " << context.slices << "\n"
            << "context_spacing_mm: " << context.spacingMm << "\n";
    return out.str();
}

ModelDescription ModelDescription::parse(const std::string& text)
{
    ModelDescription d;
    for (const auto& [key, value] : parseKeyValueLines(text)) {
        if (key == "architecture")
            d.architecture = value;
        else if (key == "num_classes")
            d.numClasses = std::stoi(value);
        else if (key == "hu_low")
            d.huLow = std::stod(value);
        else if (key == "hu_high")
            d.huHigh = std::stod(value);
        else if (key == "target_layer")
            d.targetLayer = value;
        else if (key == "head")
            d.head = value;
        else if (key == "pixel_spacing_mm")
            d.pixelSpacingMm = std::stod(value);
        else if (key == "context_slices")
            d.context.slices = std::stoi(value);
        else if (key == "context_spacing_mm")
            d.context.spacingMm = std::stod(value);
    }
    d.context.check();
    return d;
}

bool ModelDescription::operator==(const ModelDescription& o) const
{
    return architecture == o.architecture && numClasses == o.numClasses && huLow == o.huLow &&
           huHigh == o.huHigh && targetLayer == o.targetLayer && head == o.head &&
           pixelSpacingMm == o.pixelSpacingMm && context == o.context;
}

// ---- ResNet -----------------------------------------------------------------------------

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

nn::Sequential projection(int64_t in, int64_t out, int64_t stride)
{
    if (stride == 1 && in == out)
        return nullptr;
    return nn::Sequential(conv(in, out, 1, stride, 0), nn::BatchNorm2d(out));
}

struct Architecture {
    bool bottleneck = false;
    std::vector<int> blocks;
    std::vector<int64_t> widths;
    bool fullStem = true; ///< 7x7/2 conv + 3x3/2 max-pool (ResNet); else 3x3/1 conv, no pool
};

Architecture architectureOf(const std::string& name)
{
    if (name == "resnet18")
        return {false, {2, 2, 2, 2}, {64, 128, 256, 512}, true};
    if (name == "resnet34")
        return {false, {3, 4, 6, 3}, {64, 128, 256, 512}, true};
    if (name == "resnet50")
        return {true, {3, 4, 6, 3}, {64, 128, 256, 512}, true};
    if (name == "resnet101")
        return {true, {3, 4, 23, 3}, {64, 128, 256, 512}, true};
    if (name == "tiny")
        return {false, {1, 1, 1}, {16, 32, 64}, false};
    throw std::invalid_argument("unknown architecture '" + name +
                                "' (resnet18, resnet34, resnet50, resnet101 or tiny)");
}

std::string lastStageName(const Architecture& a) { return "layer" + std::to_string(a.blocks.size()); }

} // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t channels, int64_t stride)
{
    conv1 = register_module("conv1", conv(in, channels, 3, stride, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(channels));
    conv2 = register_module("conv2", conv(channels, channels, 3, 1, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(channels));
    if (auto p = projection(in, channels, stride))
        downsample = register_module("downsample", p);
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x)
{
    auto y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

BottleneckImpl::BottleneckImpl(int64_t in, int64_t channels, int64_t stride)
{
    conv1 = register_module("conv1", conv(in, channels, 1, 1, 0));
    bn1 = register_module("bn1", nn::BatchNorm2d(channels));
    conv2 = register_module("conv2", conv(channels, channels, 3, stride, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(channels));
    conv3 = register_module("conv3", conv(channels, channels * kExpansion, 1, 1, 0));
    bn3 = register_module("bn3", nn::BatchNorm2d(channels * kExpansion));
    if (auto p = projection(in, channels * kExpansion, stride))
        downsample = register_module("downsample", p);
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x)
{
    auto y = torch::relu(bn1(conv1(x)));
    y = torch::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

ResNetImpl::ResNetImpl(const ModelDescription& description)
{
    const Architecture a = architectureOf(description.architecture);
    if (description.targetLayer != lastStageName(a))
        throw std::invalid_argument("target layer '" + description.targetLayer + "' is not " + lastStageName(a) +
                                    ", the last stage of " + description.architecture);
    const int64_t stemWidth = a.widths.front();
    description.context.check();
    const int64_t inputs = description.context.channels();
    stem = register_module("conv1",
                           a.fullStem ? conv(inputs, stemWidth, 7, 2, 3) : conv(inputs, stemWidth, 3, 1, 1));
    stemNorm = register_module("bn1", nn::BatchNorm2d(stemWidth));
    stemPool = a.fullStem ? 3 : 1;
    int64_t in = stemWidth;
    for (size_t s = 0; s < a.blocks.size(); ++s) {
        nn::Sequential stage;
        const int64_t width = a.widths[s];
        for (int b = 0; b < a.blocks[s]; ++b) {
            const int64_t stride = (b == 0 && s > 0) ? 2 : 1;
            if (a.bottleneck) {
                stage->push_back(Bottleneck(in, width, stride));
                in = width * BottleneckImpl::kExpansion;
            } else {
                stage->push_back(BasicBlock(in, width, stride));
                in = width;
            }
        }
        stages.push_back(register_module("layer" + std::to_string(s + 1), stage));
    }
    fc = register_module("fc", nn::Linear(in, description.numClasses));
    for (auto& module : modules(/*include_self=*/false))
        if (auto* c = module->as<nn::Conv2d>())
            nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor ResNetImpl::features(const torch::Tensor& x, int split)
{
    auto y = torch::relu(stemNorm(stem(x)));
    if (stemPool == 3)
        y = torch::max_pool2d(y, 3, 2, 1);
    const size_t end = split < 0 ? stages.size() : std::min(stages.size(), static_cast<size_t>(split));
    for (size_t s = 0; s < end; ++s)
        y = stages[s]->forward(y);
    return y;
}

torch::Tensor ResNetImpl::head(const torch::Tensor& activation, int split)
{
    auto y = activation;
    if (split >= 0)
        for (size_t s = static_cast<size_t>(split); s < stages.size(); ++s)
            y = stages[s]->forward(y);
    return fc(torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1));
}

std::vector<std::string> ClassifierImpl::targetLayers() const
{
    if (script)
        return {description.targetLayer};
    // Any stage can be the target of the gradient methods; the last is the model's own.
    std::vector<std::string> names;
    for (size_t s = 0; s < net->stages.size(); ++s)
        names.push_back("layer" + std::to_string(s + 1));
    return names;
}

int ClassifierImpl::splitFor(const std::string& layer) const
{
    if (layer.empty() || layer == description.targetLayer)
        return -1;
    if (!script)
        for (size_t s = 0; s + 1 < net->stages.size(); ++s)
            if (layer == "layer" + std::to_string(s + 1))
                return static_cast<int>(s + 1);
    std::string names;
    for (const auto& n : targetLayers())
        names += (names.empty() ? "" : ", ") + n;
    throw std::invalid_argument("target layer '" + layer + "' is not available in this model (layers: " + names + ")");
}

int64_t targetChannels(const ModelDescription& description)
{
    const Architecture a = architectureOf(description.architecture);
    return a.widths.back() * (a.bottleneck ? BottleneckImpl::kExpansion : 1);
}

// ---- Classifier -------------------------------------------------------------------------

torch::Device parseDevice(const std::string& request) { return torch::Device(selectDevice(request).name); }

torch::Tensor ClassifierImpl::preprocess(const std::vector<Image2D>& crops) const
{
    if (crops.empty())
        throw std::invalid_argument("no crops given");
    const int rows = crops.front().rows, cols = crops.front().cols, channels = description.context.channels();
    auto batch = torch::empty({static_cast<int64_t>(crops.size()), channels, rows, cols}, torch::kFloat32);
    float* out = batch.data_ptr<float>();
    const HuWindow window(description.huLow, description.huHigh);
    for (const auto& crop : crops) {
        window.apply(crop, rows, cols, channels, out);
        out += static_cast<size_t>(channels) * rows * cols;
    }
    batch = batch.to(device);
    return channelsLast ? batch.contiguous(at::MemoryFormat::ChannelsLast) : batch;
}

Classifier::Classifier(std::unique_ptr<ClassifierImpl> impl) : m_impl(std::move(impl)) {}
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;
Classifier::~Classifier() = default;

Classifier Classifier::create(const ModelDescription& description, uint64_t seed)
{
    torch::manual_seed(seed);
    auto impl = std::make_unique<ClassifierImpl>();
    impl->description = description;
    impl->net = ResNet(description);
    impl->net->eval();
    Classifier classifier(std::move(impl));
    classifier.moveTo("cpu");
    return classifier;
}

torch::Tensor ClassifierImpl::classWeights() const
{
    if (!script)
        return net->fc->weight;
    if (!script->hasattr("head_weight"))
        throw std::invalid_argument("CAM needs the linear head's class weights: this TorchScript model has no "
                                    "'head_weight' attribute (tools/export_torchscript.py adds it)");
    return script->attr("head_weight").toTensor();
}

namespace {

struct ScriptParts {
    torch::jit::Module module;
    ModelDescription description;
};

/// Loads a TorchScript file and checks the contract; throws std::runtime_error naming what is missing.
ScriptParts loadScript(const std::string& path, const torch::Device& device)
{
    torch::jit::Module module;
    try {
        module = torch::jit::load(path, device);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": neither a Weaksight model file nor a TorchScript module (" +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    std::vector<std::string> missing;
    for (const char* method : {"forward_features", "forward_head"})
        if (!module.find_method(method))
            missing.push_back(std::string("method ") + method);
    if (!module.hasattr("weaksight_description") || !module.attr("weaksight_description").isString())
        missing.push_back("string attribute weaksight_description");
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing)
            list += (list.empty() ? "" : ", ") + m;
        throw std::runtime_error(path + ": TorchScript module does not meet the Weaksight contract; missing: " +
                                 list + " (export it with tools/export_torchscript.py; torch.jit.freeze drops "
                                        "exported methods unless kept with preserved_attrs)");
    }
    return {module, ModelDescription::parse(module.attr("weaksight_description").toStringRef())};
}

} // namespace

void Classifier::save(const std::string& path) const
{
    if (m_impl->script) {
        m_impl->script->save(path);
        return;
    }
    torch::serialize::OutputArchive archive;
    archive.write("weaksight_model_format", torch::tensor(1));
    archive.write("description", c10::IValue(m_impl->description.serialise()));
    m_impl->net->save(archive);
    try {
        archive.save_to(path);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": cannot write the model (" + e.what_without_backtrace() + ")");
    }
}

Classifier Classifier::load(const std::string& path, const std::string& device)
{
    if (!std::ifstream(path).good())
        throw std::runtime_error(path + ": model file not found");
    torch::serialize::InputArchive archive;
    ModelDescription description;
    try {
        archive.load_from(path, torch::kCPU);
        c10::IValue text;
        archive.read("description", text);
        description = ModelDescription::parse(text.toStringRef());
    } catch (const std::exception&) {
        // Not our archive (c10::Error or a missing-field error): a TorchScript model exported from
        // PyTorch under the contract?
        auto parts = loadScript(path, parseDevice(device));
        auto impl = std::make_unique<ClassifierImpl>();
        impl->description = parts.description;
        impl->script = std::move(parts.module);
        impl->device = parseDevice(device);
        impl->script->eval();
        return Classifier(std::move(impl));
    }
    Classifier classifier = create(description, 0);
    try {
        classifier.m_impl->net->load(archive);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": model weights do not match its description (" +
                                 std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    classifier.moveTo(device);
    classifier.m_impl->net->eval();
    return classifier;
}

const ModelDescription& Classifier::description() const { return m_impl->description; }

std::string contentHashOf(const std::string& description,
                          const std::vector<std::pair<std::string, torch::Tensor>>& tensors)
{
    // Two FNV-1a 64-bit streams with different seeds over the description and the raw bytes of
    // every tensor in order: a 128-bit identity, not a security hash.
    uint64_t a = 1469598103934665603ull, b = 0x9e3779b97f4a7c15ull;
    auto feed = [&](const void* data, size_t size) {
        const auto* p = static_cast<const uint8_t*>(data);
        for (size_t i = 0; i < size; ++i) {
            a = (a ^ p[i]) * 1099511628211ull;
            b = (b ^ p[i]) * 0x100000001b3ull + 0x632be59bd9b4e019ull;
        }
    };
    feed(description.data(), description.size());
    for (const auto& [name, tensor] : tensors) {
        feed(name.data(), name.size());
        const auto t = tensor.detach().to(torch::kCPU).contiguous();
        feed(t.data_ptr(), t.numel() * t.element_size());
    }
    std::ostringstream hex;
    hex << std::hex << std::setfill('0') << std::setw(16) << a << std::setw(16) << b;
    return hex.str();
}

std::string Classifier::contentHash() const
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    if (m_impl->script) {
        for (const auto& p : m_impl->script->named_parameters(true))
            tensors.emplace_back(p.name, p.value);
        for (const auto& buffer : m_impl->script->named_buffers(true))
            tensors.emplace_back(buffer.name, buffer.value);
    } else {
        for (const auto& p : m_impl->net->named_parameters())
            tensors.emplace_back(p.key(), p.value());
        for (const auto& buffer : m_impl->net->named_buffers())
            tensors.emplace_back(buffer.key(), buffer.value());
    }
    return contentHashOf(m_impl->description.serialise(), tensors);
}

std::string Classifier::deviceName() const { return m_impl->device.str(); }

std::vector<std::string> Classifier::targetLayers() const { return m_impl->targetLayers(); }

void Classifier::moveTo(const std::string& device)
{
    m_impl->device = parseDevice(device);
    // Crops come in few fixed sizes: let cuDNN time its convolution algorithms once per shape and
    // keep the fastest (PyTorch's default is off). A process-wide flag with no effect on the CPU.
    if (m_impl->device.is_cuda())
        at::globalContext().setBenchmarkCuDNN(true);
    if (m_impl->script) {
        m_impl->script->to(m_impl->device);
        return;
    }
    m_impl->net->to(m_impl->device);
    m_impl->setChannelsLast(false); // NCHW until autotuneLayout() measures otherwise
}

std::string Classifier::autotuneLayout(int rows, int cols, int repeats)
{
    if (m_impl->script)
        return "NCHW (TorchScript models keep their own layout)";
    const int channels = m_impl->description.context.channels();
    const std::vector<Image2D> crops{
        {rows, cols, std::vector<float>(static_cast<size_t>(channels) * rows * cols, 40.f), channels}};
    auto timeLayout = [&](bool channelsLast) {
        m_impl->setChannelsLast(channelsLast);
        const auto x = m_impl->preprocess(crops);
        c10::InferenceMode guard;
        m_impl->forward(x); // warm-up
        std::vector<double> times;
        for (int i = 0; i < repeats; ++i) {
            const auto start = std::chrono::steady_clock::now();
            m_impl->forward(x);
            if (m_impl->device.is_cuda())
                torch::cuda::synchronize();
            times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(times.begin(), times.end());
        return times[times.size() / 2];
    };
    const double nchw = timeLayout(false), nhwc = timeLayout(true);
    m_impl->setChannelsLast(nhwc < nchw);
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << (nhwc < nchw ? "channels-last" : "NCHW") << " (NCHW " << nchw
        << " ms, channels-last " << nhwc << " ms per forward)";
    return out.str();
}

void ClassifierImpl::setChannelsLast(bool enabled)
{
    if (script)
        return;
    channelsLast = enabled;
    torch::NoGradGuard noGrad;
    const auto format = enabled ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    for (auto& parameter : net->parameters())
        if (parameter.dim() == 4)
            parameter.set_data(parameter.contiguous(format));
}

std::vector<float> Classifier::lesionProbability(const std::vector<Image2D>& crops) const
{
    c10::InferenceMode guard;
    const auto logits = m_impl->inferenceForward(m_impl->preprocess(crops));
    const auto p = torch::softmax(logits, 1).select(1, 1).to(torch::kCPU).contiguous();
    return {p.data_ptr<float>(), p.data_ptr<float>() + p.numel()};
}

std::string defaultTargetLayer(const std::string& architecture) { return lastStageName(architectureOf(architecture)); }

} // namespace weaksight::compute
