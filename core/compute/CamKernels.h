#pragma once

// Building blocks of the CAM methods, exposed to the compute tests (Torch side only).

#include "core/compute/CamEngine.h"
#include "core/compute/ClassifierImpl.h"

namespace weaksight::compute::kernels {

struct ActivationAndGradient {
    torch::Tensor activation; ///< N x C x h x w
    torch::Tensor gradient;   ///< dY/dA, same shape
    torch::Tensor score;      ///< N
};

/// Target-layer activation and the gradient of the target score with respect to it; the
/// backward pass runs through the head only.
ActivationAndGradient activationAndGradient(const ClassifierImpl& model, const torch::Tensor& input, int targetClass,
                                            CamScore score, int split = -1);
/// The same without a backward pass, for a pooled linear head (ClassifierImpl::headIsPooledLinear):
/// Y's gradient with respect to the logits z times the class weights W, / (h * w), at every
/// position — dY/dz is one-hot for a logit and p_c (one-hot - p) for a probability. The activation
/// comes from the optimised inference module.
ActivationAndGradient activationAndClosedFormGradient(const ClassifierImpl& model, const torch::Tensor& input,
                                                      int targetClass, CamScore score);
/// The engine's choice: the closed form where the head allows it and the options do not ask for
/// the reference path, else the backward pass.
ActivationAndGradient activationAndGradientFor(const ClassifierImpl& model, const torch::Tensor& input,
                                               const CamOptions& options, int split);
torch::Tensor targetScore(const torch::Tensor& logits, int targetClass, CamScore score);
/// N x C x 1 x 1 Grad-CAM++ channel weights.
torch::Tensor gradCamPlusPlusWeights(const torch::Tensor& activation, const torch::Tensor& gradient,
                                     CamFlavour flavour = CamFlavour::Weaksight);
/// N x C x 1 x 1 XGrad-CAM channel weights.
torch::Tensor xGradCamWeights(const torch::Tensor& activation, const torch::Tensor& gradient, CamFlavour flavour);
/// Score-CAM's masks (K x 1 x height x width in [0, 1]) from K target-layer channels (K x 1 x h x w).
torch::Tensor scoreCamMasks(const torch::Tensor& channels, int64_t height, int64_t width, CamFlavour flavour);
/// Score-CAM channel weights for one input (1 x H x W) and its activation (C x h x w).
/// `afterChunk(done)` is called after each chunk of masked inputs (may throw to stop).
torch::Tensor scoreCamWeights(const ClassifierImpl& model, const torch::Tensor& input, const torch::Tensor& activation,
                              const std::vector<int64_t>& channels, int targetClass, CamScore score, int batch,
                              const std::function<void(int64_t done)>& afterChunk = {}, bool reducedPrecision = false,
                              bool optimisedForward = false, CamFlavour flavour = CamFlavour::Weaksight);

/// While alive, this thread's operations on `device` run under autocast in reduced precision:
/// float16 on CUDA, bfloat16 on the CPU. Restores the previous state when destroyed.
class ReducedPrecision {
public:
    explicit ReducedPrecision(const torch::Device& device);
    ~ReducedPrecision();
    ReducedPrecision(const ReducedPrecision&) = delete;
    ReducedPrecision& operator=(const ReducedPrecision&) = delete;
    torch::ScalarType dtype() const;

private:
    torch::DeviceType m_type;
    bool m_wasEnabled = false;
    torch::ScalarType m_previousType = torch::kFloat;
};
int scoreBatchFor(const torch::Device& device, int64_t height, int64_t width, int requested);

} // namespace weaksight::compute::kernels
