#pragma once

// Torch side of the classifier: included only by compute/*.cpp and the compute tests.

#include "core/compute/Classifier.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <torch/script.h>
#include <torch/torch.h>
#include <utility>
#include <vector>

namespace weaksight::compute {

struct BasicBlockImpl : torch::nn::Module {
    BasicBlockImpl(int64_t inChannels, int64_t channels, int64_t stride);
    torch::Tensor forward(const torch::Tensor& x);
    static constexpr int64_t kExpansion = 1;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct BottleneckImpl : torch::nn::Module {
    BottleneckImpl(int64_t inChannels, int64_t channels, int64_t stride);
    torch::Tensor forward(const torch::Tensor& x);
    static constexpr int64_t kExpansion = 4;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

/// ResNet with a single-channel stem and a 2-class head, split at the target layer:
/// features() runs the stem and the first `split` stages (all when split < 0); head() runs the
/// remaining stages, global average pooling and the linear layer.
struct ResNetImpl : torch::nn::Module {
    explicit ResNetImpl(const ModelDescription& description);
    torch::Tensor features(const torch::Tensor& x, int split = -1);
    torch::Tensor head(const torch::Tensor& activation, int split = -1);
    torch::Tensor forward(const torch::Tensor& x) { return head(features(x)); }

    torch::nn::Conv2d stem{nullptr};
    torch::nn::BatchNorm2d stemNorm{nullptr};
    int64_t stemPool = 1; ///< 3: 3x3/2 max-pool after the stem (full ResNets); 1: none (tiny)
    std::vector<torch::nn::Sequential> stages;
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

/// Number of channels of the target layer's activation.
int64_t targetChannels(const ModelDescription& description);

class ClassifierImpl {
public:
    ModelDescription description;
    mutable ResNet net{nullptr}; ///< mutable: a forward pass does not change the model
    /// A TorchScript model meeting the contract (forward_features, forward_head and the string
    /// attribute weaksight_description); used instead of `net` when set.
    mutable std::optional<torch::jit::Module> script;
    torch::Device device{torch::kCPU};
    /// Channels-last (NHWC) weights and inputs; chosen by Classifier::autotuneLayout().
    bool channelsLast = false;

    /// HU crops -> N x 1 x H x W float tensor on the model's device, windowed to [0, 1].
    /// All crops must have one size.
    torch::Tensor preprocess(const std::vector<Image2D>& crops) const;
    /// Switches weights (and the layout preprocess() gives inputs) between NHWC and NCHW.
    void setChannelsLast(bool enabled);
    /// `split`: stages run by features() (from splitFor()); -1 = the model's own target layer.
    torch::Tensor features(const torch::Tensor& x, int split = -1) const
    {
        return script ? script->run_method("forward_features", x).toTensor() : net->features(x, split);
    }
    torch::Tensor head(const torch::Tensor& activation, int split = -1) const
    {
        return script ? script->run_method("forward_head", activation).toTensor() : net->head(activation, split);
    }
    /// The split for a target layer name ("" = the model's own): -1 for the model's layer, else the
    /// number of stages before the cut. Throws std::invalid_argument for a layer the model lacks.
    int splitFor(const std::string& layer) const;
    std::vector<std::string> targetLayers() const;
    torch::Tensor forward(const torch::Tensor& x) const { return head(features(x)); }
    /// Weight matrix of the final linear layer (classes x channels), for CAM. TorchScript models
    /// provide it as the attribute `head_weight`.
    torch::Tensor classWeights() const;

    /// The model frozen and optimised for inference (TorchScript freeze + optimize_for_inference:
    /// batch norm folded into the convolutions; on the CPU oneDNN with prepacked weights and the
    /// ReLUs and residual additions fused), with the methods forward_features (the model's own
    /// target layer) and forward_head. Made on first use and again after any weight, the device or
    /// the layout changed (InferenceModule.cpp); nullptr where it cannot be made (logged once; the
    /// eager modules then serve). Shared, so a rebuild never frees a module another thread runs.
    std::shared_ptr<torch::jit::Module> optimised() const;
    /// features() / forward() at the model's own target layer, through optimised() where it exists.
    torch::Tensor inferenceFeatures(const torch::Tensor& x) const;
    torch::Tensor inferenceForward(const torch::Tensor& x) const;
    /// True when what follows the target layer is global average pooling + one linear layer: a
    /// native ResNet at its own (last) stage, or a TorchScript model whose description declares
    /// "head: avgpool-linear". The gradient of a logit is then the class's weight row / (h * w) at
    /// every position, and the gradient methods need no backward pass.
    bool headIsPooledLinear(int split) const;

private:
    mutable std::mutex m_optimisedMutex;
    mutable std::shared_ptr<torch::jit::Module> m_optimised;
    mutable std::vector<int64_t> m_optimisedKey; ///< device, layout, and each weight's storage and version
    mutable bool m_optimisationFailed = false;
};

torch::Device parseDevice(const std::string& request);

/// The 128-bit content identity of a model (Classifier::contentHash, Segmenter::contentHash): two
/// FNV-1a streams over its description text and every named tensor in order. Not a security hash.
std::string contentHashOf(const std::string& description,
                          const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

} // namespace weaksight::compute
