#pragma once

// Public, Torch-free API of the lesion classifier (the compute core keeps Torch inside its .cpp
// files; see ClassifierImpl.h for the Torch side).

#include "core/compute/SliceContext.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace weaksight::compute {

/// A 2D crop in Hounsfield units, row-major: `channels` planes of rows x cols one after another
/// (one plane, the slice itself, for a 2D model; the slice and its neighbours for a 2.5D model, in
/// the order SliceContext gives).
struct Image2D {
    int rows = 0;
    int cols = 0;
    std::vector<float> pixels;
    int channels = 1;
};

/// The last stage of a native architecture ("layer3" for tiny, "layer4" for the ResNets): where the
/// CAM methods look unless told otherwise. Throws std::invalid_argument for an unknown architecture.
std::string defaultTargetLayer(const std::string& architecture);

/// Everything needed to rebuild and feed a model: architecture and input preprocessing
/// (part of the model, never guessed by the caller).
struct ModelDescription {
    /// resnet18, resnet34, resnet50, resnet101, or tiny (a width-reduced ResNet: three stages of
    /// one basic block, 16/32/64 channels, output stride 4, for tests and the demo).
    std::string architecture = "tiny";
    int numClasses = 2; ///< class 0 = no lesion, 1 = lesion
    /// HU window mapped linearly to [0, 1] (values outside are clamped).
    double huLow = -200.0;
    double huHigh = 300.0;
    /// Layer whose activations the CAM methods use (defaultTargetLayer(): the last stage).
    std::string targetLayer = "layer4";
    /// What follows the target layer, where a TorchScript model declares it: "avgpool-linear"
    /// (global average pooling, then one linear layer) lets the gradient methods use the
    /// gradient's closed form instead of a backward pass. Empty: not declared (native models know
    /// their own head; an empty value is not serialised, so their content hashes stay as they were).
    std::string head;
    /// In-plane pixel spacing (mm) of the crops it was trained on (`dataset build --spacing`); 0 =
    /// not recorded (crops cut at each scan's own pixels). Serialised only when recorded.
    double pixelSpacingMm = 0;
    /// Slice context of a 2.5D model (input channels = context.channels()); serialised only when
    /// it has neighbours, so 2D models keep their content hashes.
    SliceContext context;

    /// "key: value" lines; parse() accepts what serialise() writes.
    std::string serialise() const;
    static ModelDescription parse(const std::string& text);
    bool operator==(const ModelDescription& o) const;
};

class ClassifierImpl;

/// A 2-class CT crop classifier that exposes its target layer: forwardFeatures(x) gives the
/// target layer's activation, forwardHead(activation) the logits. Native LibTorch ResNets; later
/// also TorchScript modules that export the same two methods.
class Classifier {
public:
    /// A new model with weights initialised from `seed` (deterministic on the CPU).
    static Classifier create(const ModelDescription& description, uint64_t seed = 0);
    /// Loads a model saved by save(), or a TorchScript module meeting the contract: exported
    /// methods forward_features(x) -> target-layer activation and forward_head(activation) ->
    /// logits, and a string attribute weaksight_description (ModelDescription::serialise());
    /// `head_weight` (classes x channels) is needed for the CAM method only.
    /// device: "auto", "cpu", "cuda", "cuda:N". Throws std::runtime_error naming the file and what
    /// is wrong (missing, truncated, foreign, or which part of the contract is missing).
    static Classifier load(const std::string& path, const std::string& device = "auto");

    Classifier(Classifier&&) noexcept;
    Classifier& operator=(Classifier&&) noexcept;
    ~Classifier();

    void save(const std::string& path) const;
    const ModelDescription& description() const;
    /// SHA-like 128-bit hex digest of the description and every parameter and buffer:
    /// identifies the model in caches and in the annotation store.
    std::string contentHash() const;
    std::string deviceName() const;
    /// Layers the CAM methods can target: every stage of a native ResNet (the last is the
    /// model's own and the only one for CAM), the contract's layer of a TorchScript model.
    std::vector<std::string> targetLayers() const;
    void moveTo(const std::string& device);
    /// Times forwards of a rows x cols crop in NCHW and channels-last layouts and keeps the faster
    /// (on this CPU it depends on the model: ResNet-50's 1x1 convolutions lose in channels-last).
    /// Returns what was chosen and measured.
    std::string autotuneLayout(int rows, int cols, int repeats = 5);

    /// Lesion probabilities (softmax of the logits, class 1) for HU crops, in inference mode.
    std::vector<float> lesionProbability(const std::vector<Image2D>& crops) const;

    ClassifierImpl& impl() const { return *m_impl; }

private:
    explicit Classifier(std::unique_ptr<ClassifierImpl> impl);
    std::unique_ptr<ClassifierImpl> m_impl;
};

} // namespace weaksight::compute
