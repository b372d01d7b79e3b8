// The classifier's optimised inference module: the native ResNet written out as TorchScript
// (its weights as attributes), or a TorchScript model as loaded, then frozen and optimised for
// inference by LibTorch itself. Eager LibTorch runs a ResNet-18 forward of one 150 x 150 crop in
// about 18 ms on the 2-core CPU; frozen and optimised, about 7 ms (oneDNN with prepacked weights,
// batch norm folded, ReLU and residual additions fused).

#include "core/common/LogLine.h"
#include "core/compute/ClassifierImpl.h"

#include <sstream>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>

namespace weaksight::compute {

namespace {

namespace nn = torch::nn;

// optimize_for_inference insists on a method named forward.
constexpr const char* kForwardSource = R"(
def forward(self, x):
    return self.forward_head(self.forward_features(x))
)";

std::string attributeName(std::string path)
{
    for (auto& c : path)
        if (c == '.')
            c = '_';
    return path;
}

/// Writes a native ResNet's forward as TorchScript source over attributes named after its
/// parameters and buffers ("layer1.0.conv1.weight" -> self.layer1_0_conv1_weight).
class ResNetSource {
public:
    std::string conv(const std::string& input, const std::string& name, const nn::Conv2dImpl& c) const
    {
        // Every convolution of this ResNet pads by half its kernel ('same' for stride 1), as
        // conv() in Classifier.cpp makes them.
        const int64_t kernel = c.weight.size(2), stride = c.options.stride()->at(0), padding = kernel / 2;
        std::ostringstream out;
        out << "torch.conv2d(" << input << ", self." << attributeName(name + ".weight") << ", None, ["
            << stride << ", " << stride << "], [" << padding << ", " << padding << "], [1, 1], 1)";
        return out.str();
    }
    std::string norm(const std::string& input, const std::string& name, const nn::BatchNorm2dImpl& b) const
    {
        std::ostringstream out;
        out.precision(17);
        const auto a = [&](const char* leaf) {
            return "self." + attributeName(name + "." + leaf);
        };
        out << "torch.batch_norm(" << input << ", " << a("weight") << ", " << a("bias") << ", "
            << a("running_mean") << ", " << a("running_var") << ", False, 0.0, " << b.options.eps()
            << ", True)";
        return out.str();
    }
    /// y = the block's output; `i` holds its input for the residual path.
    void block(std::ostringstream& out, const std::string& name, nn::Module& module) const
    {
        out << "    i = y\n";
        nn::Sequential downsample{nullptr};
        if (auto* basic = module.as<BasicBlockImpl>()) {
            out << "    y = torch.relu("
                << norm(conv("y", name + ".conv1", *basic->conv1), name + ".bn1", *basic->bn1) << ")\n"
                << "    y = " << norm(conv("y", name + ".conv2", *basic->conv2), name + ".bn2", *basic->bn2)
                << "\n";
            downsample = basic->downsample;
        } else if (auto* bottleneck = module.as<BottleneckImpl>()) {
            out << "    y = torch.relu("
                << norm(conv("y", name + ".conv1", *bottleneck->conv1), name + ".bn1", *bottleneck->bn1)
                << ")\n"
                << "    y = torch.relu("
                << norm(conv("y", name + ".conv2", *bottleneck->conv2), name + ".bn2", *bottleneck->bn2)
                << ")\n"
                << "    y = "
                << norm(conv("y", name + ".conv3", *bottleneck->conv3), name + ".bn3", *bottleneck->bn3)
                << "\n";
            downsample = bottleneck->downsample;
        } else {
            throw std::logic_error("unknown ResNet block in " + name);
        }
        if (downsample) {
            const auto* c = downsample[0]->as<nn::Conv2dImpl>();
            const auto* b = downsample[1]->as<nn::BatchNorm2dImpl>();
            if (!c || !b)
                throw std::logic_error("unexpected projection in " + name);
            out << "    y = torch.relu(y + "
                << norm(conv("i", name + ".downsample.0", *c), name + ".downsample.1", *b) << ")\n";
        } else {
            out << "    y = torch.relu(y + i)\n";
        }
    }
    std::string write(ResNetImpl& net) const
    {
        std::ostringstream out;
        out << "def forward_features(self, x):\n"
            << "    y = torch.relu(" << norm(conv("x", "conv1", *net.stem), "bn1", *net.stemNorm) << ")\n";
        if (net.stemPool == 3)
            out << "    y = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1], [1, 1], False)\n";
        for (size_t s = 0; s < net.stages.size(); ++s) {
            const std::string stage = "layer" + std::to_string(s + 1);
            for (size_t b = 0; b < net.stages[s]->size(); ++b)
                block(out, stage + "." + std::to_string(b), *net.stages[s][b]);
        }
        out << "    return y\n"
            << "def forward_head(self, a):\n"
            << "    return torch.linear(torch.flatten(torch.adaptive_avg_pool2d(a, [1, 1]), 1), "
               "self.fc_weight, "
               "self.fc_bias)\n"
            << kForwardSource;
        return out.str();
    }
};

torch::jit::Module scriptOf(ResNetImpl& net)
{
    torch::jit::Module module("WeaksightOptimisedResNet");
    for (const auto& p : net.named_parameters())
        module.register_parameter(attributeName(p.key()), p.value().detach(), false);
    for (const auto& b : net.named_buffers())
        module.register_buffer(attributeName(b.key()), b.value().detach());
    module.register_attribute("training", c10::BoolType::get(), false); // eval mode: freezable
    module.define(ResNetSource().write(net));
    return module;
}

torch::jit::Module optimise(const torch::jit::Module& module)
{
    const std::vector<std::string> methods{"forward_features", "forward_head"};
    auto copy = module.clone();
    if (!copy.find_method("forward"))
        copy.define(kForwardSource);
    // A module exported with torch.jit.freeze is frozen already: no "training" attribute, no
    // parameters left.
    const bool frozenAlready = !copy.hasattr("training") && copy.parameters().size() == 0;
    auto frozen = frozenAlready ? copy : torch::jit::freeze_module(copy, methods);
    // What torch.jit.freeze adds to freezing (C++'s freeze_module does not): batch norm folded
    // into the convolutions, linear layers' weights pre-transposed, and so on, for every method.
    for (const char* method : {"forward_features", "forward_head", "forward"}) {
        auto graph = frozen.get_method(method).graph();
        torch::jit::OptimizeFrozenGraph(graph, /*optimize_numerics=*/true);
    }
    return torch::jit::optimize_for_inference(frozen, methods);
}

} // namespace

std::shared_ptr<torch::jit::Module> ClassifierImpl::optimised() const
{
    // What the optimised module was made from: a weight changed in place (an optimiser step, a
    // load) moves its version counter; a layout or device change gives new storage.
    std::vector<int64_t> key{static_cast<int64_t>(device.type()), device.index(), channelsLast};
    const auto addTensor = [&](const torch::Tensor& t) {
        key.push_back(reinterpret_cast<int64_t>(t.data_ptr()));
        // Tensors made in inference mode keep no version counter (nothing trains them in place).
        key.push_back(t.is_inference() ? -1 : static_cast<int64_t>(t._version()));
    };
    if (script) {
        for (const auto& p : script->named_parameters(true))
            addTensor(p.value);
        for (const auto& b : script->named_buffers(true))
            addTensor(b.value);
    } else {
        for (const auto& p : net->parameters())
            addTensor(p);
        for (const auto& b : net->buffers())
            addTensor(b);
    }
    std::lock_guard lock(m_optimisedMutex);
    if (m_optimised && key == m_optimisedKey)
        return m_optimised;
    if (m_optimisationFailed)
        return nullptr;
    try {
        torch::NoGradGuard noGrad;
        auto module = script ? optimise(*script) : optimise(scriptOf(*net));
        m_optimised = std::make_shared<torch::jit::Module>(std::move(module));
        m_optimisedKey = std::move(key);
    } catch (const std::exception& e) {
        m_optimisationFailed = true;
        m_optimised.reset();
        const auto* error = dynamic_cast<const c10::Error*>(&e);
        logging::writeLine(logging::Level::Warning,
                           std::string("cannot optimise the model for inference; using the plain forward (") +
                               (error ? error->what_without_backtrace() : e.what()) + ")");
    }
    return m_optimised;
}

torch::Tensor ClassifierImpl::inferenceFeatures(const torch::Tensor& x) const
{
    if (const auto module = optimised())
        return module->run_method("forward_features", x).toTensor();
    return features(x);
}

torch::Tensor ClassifierImpl::inferenceForward(const torch::Tensor& x) const
{
    if (const auto module = optimised())
        return module->run_method("forward_head", module->run_method("forward_features", x)).toTensor();
    return forward(x);
}

bool ClassifierImpl::headIsPooledLinear(int split) const
{
    if (split >= 0)
        return false; // the remaining stages are part of the head
    return script ? description.head == "avgpool-linear" && script->hasattr("head_weight") : true;
}

} // namespace weaksight::compute
