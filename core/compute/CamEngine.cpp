#include "core/compute/CamEngine.h"

#include "core/compute/CamCache.h"
#include "core/compute/CamKernels.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/CropDataset.h"
#include "core/compute/Device.h"

#include <ATen/autocast_mode.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <torch/version.h>

namespace weaksight::compute {

namespace F = torch::nn::functional;

namespace {

CamMap toMap(const torch::Tensor& t)
{
    const auto cpu = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    CamMap m;
    m.rows = static_cast<int>(cpu.size(0));
    m.cols = static_cast<int>(cpu.size(1));
    m.values.assign(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
    return m;
}

torch::Tensor weighted(const torch::Tensor& weights, const torch::Tensor& activation)
{
    return torch::relu((weights * activation).sum(1));
}

} // namespace

// ---- Kernels (also used directly by the tests) -----------------------------------------

namespace kernels {

torch::Tensor targetScore(const torch::Tensor& logits, int targetClass, CamScore score)
{
    if (targetClass < 0 || targetClass >= logits.size(1))
        throw std::invalid_argument("target class " + std::to_string(targetClass) +
                                    " does not exist (the model has " + std::to_string(logits.size(1)) +
                                    " classes)");
    return score == CamScore::Logit ? logits.select(1, targetClass)
                                    : torch::softmax(logits, 1).select(1, targetClass);
}

ActivationAndGradient activationAndGradient(const ClassifierImpl& model, const torch::Tensor& input,
                                            int targetClass, CamScore score, int split)
{
    ActivationAndGradient out;
    {
        torch::NoGradGuard noGrad; // nothing below the target layer needs a gradient
        out.activation = model.features(input, split);
    }
    auto a = out.activation.detach().requires_grad_(true);
    const auto y = targetScore(model.head(a, split), targetClass, score);
    out.score = y.detach();
    // Samples are independent (batch norm runs in eval mode), so the sum's gradient is per sample.
    out.gradient = torch::autograd::grad({y.sum()}, {a})[0].detach();
    out.activation = a.detach();
    return out;
}

ActivationAndGradient activationAndClosedFormGradient(const ClassifierImpl& model, const torch::Tensor& input,
                                                      int targetClass, CamScore score)
{
    c10::InferenceMode guard;
    ActivationAndGradient out;
    out.activation = model.inferenceFeatures(input);
    const auto logits = model.head(out.activation);
    out.score = targetScore(logits, targetClass, score);
    auto dScore = torch::zeros_like(logits); // dY/dz, N x classes
    dScore.select(1, targetClass).fill_(1);
    if (score == CamScore::Probability) {
        const auto p = torch::softmax(logits, 1);
        dScore = p.select(1, targetClass).unsqueeze(1) * (dScore - p);
    }
    const int64_t h = out.activation.size(2), w = out.activation.size(3);
    const auto weights = model.classWeights().to(logits.dtype());
    out.gradient = (torch::matmul(dScore, weights) / static_cast<double>(h * w))
                       .view({logits.size(0), -1, 1, 1})
                       .expand_as(out.activation);
    return out;
}

ActivationAndGradient activationAndGradientFor(const ClassifierImpl& model, const torch::Tensor& input,
                                               const CamOptions& options, int split)
{
    if (!options.referencePath && model.headIsPooledLinear(split))
        return activationAndClosedFormGradient(model, input, options.targetClass, options.score);
    return activationAndGradient(model, input, options.targetClass, options.score, split);
}

torch::Tensor gradCamPlusPlusWeights(const torch::Tensor& a, const torch::Tensor& g, CamFlavour flavour)
{
    const auto g2 = g.pow(2);
    torch::Tensor alpha;
    switch (flavour) {
    case CamFlavour::TorchCam:
        alpha = g2;
        break; // TorchCAM's division acts on a copy
    case CamFlavour::PytorchGradCam: {
        const auto denominator = 2 * g2 + a.sum({2, 3}, true) * g2 * g + 1e-6;
        alpha = torch::where(g != 0, g2 / denominator, torch::zeros_like(g2));
        break;
    }
    case CamFlavour::Weaksight: {
        const auto denominator = 2 * g2 + a.sum({2, 3}, true) * g2 * g;
        alpha = g2 / torch::where(denominator != 0, denominator, torch::ones_like(denominator));
        break;
    }
    }
    return (alpha * torch::relu(g)).sum({2, 3}, true);
}

torch::Tensor xGradCamWeights(const torch::Tensor& a, const torch::Tensor& g, CamFlavour flavour)
{
    const auto sum = a.sum({2, 3}, true);
    switch (flavour) {
    case CamFlavour::PytorchGradCam:
        return (g * a / (sum + 1e-7)).sum({2, 3}, true);
    case CamFlavour::TorchCam:
        return (g * a).sum({2, 3}, true) / (sum + 1e-8);
    case CamFlavour::Weaksight:
        break;
    }
    return (g * a / torch::where(sum != 0, sum, torch::ones_like(sum))).sum({2, 3}, true);
}

torch::Tensor scoreCamMasks(const torch::Tensor& channels, int64_t height, int64_t width, CamFlavour flavour)
{
    const auto upsample = [&](const torch::Tensor& t, bool alignCorners) {
        return F::interpolate(t, F::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{height, width})
                                     .mode(torch::kBilinear)
                                     .align_corners(alignCorners));
    };
    switch (flavour) {
    case CamFlavour::TorchCam: { // normalised at the target layer's resolution, then upsampled
        auto shifted = channels - channels.amin({2, 3}, true);
        return upsample(shifted / (shifted.amax({2, 3}, true) + 1e-8), false);
    }
    case CamFlavour::PytorchGradCam: { // UpsamplingBilinear2d: align_corners = true
        const auto masks = upsample(channels, true);
        const auto low = masks.amin({2, 3}, true);
        return (masks - low) / (masks.amax({2, 3}, true) - low + 1e-8);
    }
    case CamFlavour::Weaksight:
        break;
    }
    auto masks = upsample(channels, false);
    const auto low = masks.amin({2, 3}, true), high = masks.amax({2, 3}, true);
    const auto range = high - low;
    return torch::where(range > 0, (masks - low) / torch::where(range > 0, range, torch::ones_like(range)),
                        torch::zeros_like(masks));
}

ReducedPrecision::ReducedPrecision(const torch::Device& device)
    : m_type(device.is_cuda() ? torch::kCUDA : torch::kCPU)
{
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    m_wasEnabled = at::autocast::is_autocast_enabled(m_type);
    m_previousType = at::autocast::get_autocast_dtype(m_type);
    at::autocast::set_autocast_dtype(m_type, dtype());
    at::autocast::set_autocast_enabled(m_type, true);
#else
    if (m_type == torch::kCUDA) {
        m_wasEnabled = at::autocast::is_enabled();
        m_previousType = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(dtype());
        at::autocast::set_enabled(true);
    } else {
        m_wasEnabled = at::autocast::is_cpu_enabled();
        m_previousType = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(dtype());
        at::autocast::set_cpu_enabled(true);
    }
#endif
}

ReducedPrecision::~ReducedPrecision()
{
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(m_type, m_wasEnabled);
    at::autocast::set_autocast_dtype(m_type, m_previousType);
#else
    if (m_type == torch::kCUDA) {
        at::autocast::set_enabled(m_wasEnabled);
        at::autocast::set_autocast_gpu_dtype(m_previousType);
    } else {
        at::autocast::set_cpu_enabled(m_wasEnabled);
        at::autocast::set_autocast_cpu_dtype(m_previousType);
    }
#endif
    if (!m_wasEnabled)
        at::autocast::clear_cache();
}

torch::ScalarType ReducedPrecision::dtype() const
{
    return m_type == torch::kCUDA ? torch::kHalf : torch::kBFloat16;
}

torch::Tensor scoreCamWeights(const ClassifierImpl& model, const torch::Tensor& input,
                              const torch::Tensor& activation, const std::vector<int64_t>& channels,
                              int targetClass, CamScore score, int batch,
                              const std::function<void(int64_t)>& afterChunk, bool reducedPrecision,
                              bool optimisedForward, CamFlavour flavour)
{
    c10::InferenceMode guard;
    // Only the masked forwards run in reduced precision; masks, scores and the softmax stay float32.
    std::optional<ReducedPrecision> reduced;
    if (reducedPrecision)
        reduced.emplace(input.device());
    // input: planes x H x W (one plane, or a 2.5D crop's slices: each mask covers them all).
    const int64_t planes = input.size(0), H = input.size(1), W = input.size(2);
    const auto n = static_cast<int64_t>(channels.size());
    auto scores = torch::empty({n}, input.options());
    const auto index = torch::tensor(channels, torch::kLong).to(activation.device());
    // One reusable buffer of masked inputs: memory stays at batch x planes x H x W whatever the
    // activation's channel count.
    auto buffer = torch::empty({batch, planes, H, W}, input.options());
    for (int64_t start = 0; start < n; start += batch) {
        const int64_t count = std::min<int64_t>(batch, n - start);
        const auto chunk = activation.index_select(0, index.slice(0, start, start + count)).unsqueeze(1);
        const auto masks = scoreCamMasks(chunk, H, W, flavour);
        auto view = buffer.slice(0, 0, count);
        torch::mul_out(view, masks, input.unsqueeze(0));
        const auto logits = optimisedForward ? model.inferenceForward(view) : model.forward(view);
        scores.slice(0, start, start + count)
            .copy_(targetScore(logits.to(torch::kFloat), targetClass, score));
        if (afterChunk)
            afterChunk(start + count);
    }
    if (flavour == CamFlavour::PytorchGradCam) // no baseline
        return torch::softmax(scores, 0);
    // The softmax ignores a constant; subtracting it keeps the library's rounding.
    const auto base =
        flavour == CamFlavour::TorchCam ? input.unsqueeze(0) : torch::zeros_like(input).unsqueeze(0);
    const auto baseline =
        targetScore((optimisedForward ? model.inferenceForward(base) : model.forward(base)).to(torch::kFloat),
                    targetClass, score);
    return torch::softmax(scores - baseline, 0);
}

int scoreBatchFor(const torch::Device& device, int64_t height, int64_t width, int requested)
{
    if (requested > 0)
        return requested;
    // Activations of a ResNet forward take about 64 floats per input pixel at their peak.
    const double perInput = 64.0 * sizeof(float) * static_cast<double>(height * width);
    if (device.is_cuda()) {
        // A quarter of what the driver reports free (16 GiB assumed where it cannot be asked).
        const auto memory = cudaMemory(device.has_index() ? device.index() : 0);
        const double available = memory ? static_cast<double>(memory->freeBytes) : 16.0 * (1ull << 30);
        return static_cast<int>(std::clamp(available / 4.0 / perInput, 1.0, 1024.0));
    }
    // CPU: small batches are fastest per crop (glibc returns big buffers to the system and faults
    // them back); cap at 16 and shrink when memory is short.
    double available = 0;
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    double value = 0;
    std::string unit;
    while (meminfo >> key >> value >> unit)
        if (key == "MemAvailable:") {
            available = value * 1024.0;
            break;
        }
    if (available <= 0)
        return 16;
    return static_cast<int>(std::clamp(available / 4.0 / perInput, 1.0, 16.0));
}

} // namespace kernels

// ---- Methods ----------------------------------------------------------------------------

namespace {

/// "gradcam, gradcam++, ...": the methods `flavour` has.
std::string camMethodNames(CamFlavour flavour)
{
    std::string names;
    for (const auto m : camMethodsOf(flavour))
        names += (names.empty() ? "" : ", ") + toString(m);
    return names;
}

/// Checks that the flavour has the method and that CAM targets the last stage; the target layer's split.
int checkedSplit(const Classifier& classifier, const CamOptions& options)
{
    if (!flavourHas(options.flavour, options.method))
        throw std::invalid_argument(toString(options.flavour) + " has no " + toString(options.method) +
                                    " (it has: " + camMethodNames(options.flavour) + ")");
    const int split = classifier.impl().splitFor(options.targetLayer);
    if (split >= 0 && options.method == CamMethod::Cam)
        throw std::invalid_argument(
            "CAM weights the last stage's channels by the linear layer: it cannot target " +
            options.targetLayer + " (choose " + classifier.description().targetLayer + ")");
    return split;
}

/// One computeCams call: the model, the options and the preprocessed crops.
struct CamRun {
    const ClassifierImpl& model;
    const CamOptions& options;
    int split;
    torch::Tensor x; ///< N x 1 x H x W
    int64_t N, H, W;
    // The optimised inference module serves the model's own target layer; an earlier layer and
    // the reference path use the eager modules.
    bool optimised;
};

struct MapsAndScores {
    torch::Tensor maps; ///< N x h x w
    torch::Tensor scores;
};

std::pair<torch::Tensor, torch::Tensor> activationAndScore(const CamRun& run, const torch::Tensor& input)
{
    c10::InferenceMode guard;
    auto a = run.optimised ? run.model.inferenceFeatures(input) : run.model.features(input, run.split);
    auto y = kernels::targetScore(run.model.head(a, run.split), run.options.targetClass, run.options.score);
    return std::pair{a, y};
}

/// Eigen-CAM of one crop's activation (C x h x w): its first principal component.
torch::Tensor eigenCamMap(const torch::Tensor& ai, CamFlavour flavour)
{
    const int64_t C = ai.size(0), h = ai.size(1), w = ai.size(2);
    auto m = ai.reshape({C, h * w}).t().to(torch::kDouble);
    if (flavour == CamFlavour::PytorchGradCam) {
        // The library's own computation: float32 SVD, the sign LAPACK returns.
        auto centred = ai.reshape({C, h * w}).t();
        centred = centred - centred.mean(0, true);
        const auto vh = std::get<2>(torch::linalg_svd(centred.to(torch::kCPU), false));
        const auto projection = torch::matmul(centred, vh[0].to(centred.device()));
        return torch::relu(projection).reshape({h, w});
    }
    m = m - m.mean(0, true);
    // The projection on the first right singular vector, m v1 = s1 u1, from the
    // eigenvectors of the smaller Gram matrix (positions or channels), in double precision:
    // an SVD of the whole matrix costs more than the forward at 150 x 150 crops.
    torch::Tensor projection;
    if (h * w <= C) {
        const auto [values, vectors] = torch::linalg_eigh(torch::matmul(m, m.t()));
        projection = vectors.select(1, h * w - 1) * values[h * w - 1].clamp_min(0).sqrt();
    } else {
        const auto [values, vectors] = torch::linalg_eigh(torch::matmul(m.t(), m));
        projection = torch::matmul(m, vectors.select(1, C - 1));
    }
    projection = projection.to(ai.dtype());
    // The component's sign is arbitrary: orient it along the summed activation.
    if ((projection * ai.sum(0).reshape({h * w})).sum().item<float>() < 0)
        projection = -projection;
    return torch::relu(projection).reshape({h, w});
}

MapsAndScores eigenCam(const CamRun& run)
{
    MapsAndScores out;
    torch::Tensor a;
    std::tie(a, out.scores) = activationAndScore(run, run.x);
    std::vector<torch::Tensor> per;
    for (int64_t i = 0; i < run.N; ++i)
        per.push_back(eigenCamMap(a[i], run.options.flavour));
    out.maps = torch::stack(per);
    return out;
}

/// Smooth Grad-CAM++'s noise, samples x N x planes x H x W.
torch::Tensor smoothGradNoise(const torch::Tensor& x, const CamOptions& options, int samples)
{
    // Each crop's noise comes from a generator seeded by (seed, the crop's content): a map never
    // depends on the batch it was computed in, the batch size, the device or the cache.
    const auto xCpu = x.to(torch::kCPU).contiguous();
    std::vector<torch::Tensor> perCrop;
    for (int64_t i = 0; i < xCpu.size(0); ++i) {
        const auto crop = xCpu[i];
        const uint64_t seed =
            fnv1a64(crop.data_ptr<float>(), static_cast<size_t>(crop.numel()) * sizeof(float),
                    options.smoothSeed * 0x9E3779B97F4A7C15ULL + 1469598103934665603ULL);
        torch::Generator generator = at::detail::createCPUGenerator(seed);
        perCrop.push_back(
            at::normal(0.0, 1.0, {samples, crop.size(0), crop.size(1), crop.size(2)}, generator));
    }
    return torch::stack(perCrop, 1).to(x.device());
}

MapsAndScores smoothGradCamPlusPlus(const CamRun& run)
{
    const auto& options = run.options;
    const auto& x = run.x;
    const int64_t N = run.N;
    const bool torchCam = options.flavour == CamFlavour::TorchCam;
    MapsAndScores out;
    torch::Tensor sum;
    const int samples = std::max(1, options.smoothSamples);
    torch::Tensor noise;
    if (options.smoothNoise > 0)
        noise = smoothGradNoise(x, options, samples);
    // Noisy copies go through the network together, as many as keep a pass at about 64
    // inputs; the clean input rides along in the first pass for the reported score.
    const int64_t perPass = std::clamp<int64_t>(64 / std::max<int64_t>(N, 1), 1, samples);
    // TorchCAM's flavour: gradient powers averaged over the noisy inputs (below).
    torch::Tensor cleanActivation, g2Sum, g3Sum, lastActivation, lastGradient;
    for (int first = 0; first < samples; first += static_cast<int>(perPass)) {
        const int count = static_cast<int>(std::min<int64_t>(perPass, samples - first));
        std::vector<torch::Tensor> inputs;
        if (first == 0)
            inputs.push_back(x);
        for (int s = first; s < first + count; ++s)
            inputs.push_back(options.smoothNoise > 0 ? x + options.smoothNoise * noise[s] : x);
        const auto ag = kernels::activationAndGradientFor(run.model, torch::cat(inputs), options, run.split);
        const int64_t skip = first == 0 ? N : 0;
        if (first == 0)
            out.scores = ag.score.slice(0, 0, N);
        const auto a = ag.activation.slice(0, skip), g = ag.gradient.slice(0, skip);
        if (torchCam) {
            if (first == 0)
                cleanActivation = ag.activation.slice(0, 0, N);
            const auto perSample = [&](const torch::Tensor& t) {
                return t.view({count, N, t.size(1), t.size(2), t.size(3)});
            };
            const auto g2 = perSample(g.pow(2)).sum(0), g3 = perSample(g.pow(3)).sum(0);
            g2Sum = first == 0 ? g2 : g2Sum + g2;
            g3Sum = first == 0 ? g3 : g3Sum + g3;
            lastActivation = perSample(a)[count - 1];
            lastGradient = perSample(g)[count - 1];
            continue;
        }
        const auto m =
            weighted(kernels::gradCamPlusPlusWeights(a, g), a).view({count, N, a.size(2), a.size(3)}).sum(0);
        sum = first == 0 ? m : sum + m;
    }
    if (torchCam) {
        const auto g2 = g2Sum / samples, g3 = g3Sum / samples;
        const auto alpha = g2 / (2 * g2 + (g3 * cleanActivation).sum({2, 3}, true) + 1e-8);
        out.maps = weighted((alpha * torch::relu(lastGradient)).sum({2, 3}, true), lastActivation);
    } else {
        out.maps = sum / samples;
    }
    return out;
}

/// The channels Score-CAM weighs for crop i: the top k by gradient x activation (fast), else all.
std::vector<int64_t> scoreCamChannels(const CamOptions& options, const torch::Tensor& a,
                                      const torch::Tensor& g, int64_t i)
{
    const int64_t C = a.size(1);
    std::vector<int64_t> channels;
    if (options.method == CamMethod::FastScoreCam) {
        const auto contribution = (g[i].mean({1, 2}) * a[i].mean({1, 2})).to(torch::kCPU);
        const int64_t k = std::clamp<int64_t>(options.fastScoreTopK, 1, C);
        const auto top = std::get<1>(contribution.topk(k)).contiguous();
        channels.assign(top.data_ptr<int64_t>(), top.data_ptr<int64_t>() + k);
    } else {
        channels.resize(static_cast<size_t>(C));
        for (int64_t k = 0; k < C; ++k)
            channels[static_cast<size_t>(k)] = k;
    }
    return channels;
}

MapsAndScores scoreCam(const CamRun& run)
{
    const auto& options = run.options;
    const auto& x = run.x;
    const int64_t N = run.N;
    MapsAndScores out;
    torch::Tensor a, g;
    if (options.method == CamMethod::FastScoreCam) {
        const auto ag = kernels::activationAndGradientFor(run.model, x, options, run.split);
        a = ag.activation;
        g = ag.gradient;
        out.scores = ag.score;
    } else {
        std::tie(a, out.scores) = activationAndScore(run, x);
    }
    const int batch = kernels::scoreBatchFor(x.device(), run.H, run.W, options.scoreBatch);
    std::vector<torch::Tensor> per;
    for (int64_t i = 0; i < N; ++i) {
        const std::vector<int64_t> channels = scoreCamChannels(options, a, g, i);
        // Progress over all crops' masked inputs; the caller may stop between chunks.
        const int64_t perCrop = static_cast<int64_t>(channels.size());
        const auto afterChunk = [&](int64_t done) {
            if (options.progress && !options.progress(i * perCrop + done, N * perCrop))
                throw CamCancelled();
        };
        const auto weights = kernels::scoreCamWeights(
            run.model, x[i], a[i], channels, options.targetClass, options.score, batch, afterChunk,
            options.scoreReducedPrecision,
            // Autocast reaches the eager operators only (not oneDNN's fused ones).
            !options.referencePath && !options.scoreReducedPrecision, options.flavour);
        const auto index = torch::tensor(channels, torch::kLong).to(a.device());
        const auto selected = a[i].index_select(0, index);
        per.push_back(torch::relu((weights.view({-1, 1, 1}) * selected).sum(0)));
    }
    out.maps = torch::stack(per);
    return out;
}

/// The methods that weigh the activation by one forward and its gradient (or the class weights).
MapsAndScores gradientCam(const CamRun& run)
{
    const auto& options = run.options;
    const CamFlavour flavour = options.flavour;
    const auto ag = kernels::activationAndGradientFor(run.model, run.x, options, run.split);
    const auto& a = ag.activation;
    const auto& g = ag.gradient;
    MapsAndScores out;
    out.scores = ag.score;
    switch (options.method) {
    case CamMethod::Cam: {
        const auto w = run.model.classWeights().detach()[options.targetClass].view({1, -1, 1, 1});
        // TorchCAM's CAM keeps negative values (its extractor applies no ReLU).
        out.maps = flavour == CamFlavour::TorchCam ? (w * a).sum(1) : weighted(w, a);
        break;
    }
    case CamMethod::GradCam:
        out.maps = weighted(g.mean({2, 3}, true), a);
        break;
    case CamMethod::GradCamPlusPlus:
        out.maps = weighted(kernels::gradCamPlusPlusWeights(a, g, flavour), a);
        break;
    case CamMethod::XGradCam:
        out.maps = weighted(kernels::xGradCamWeights(a, g, flavour), a);
        break;
    case CamMethod::LayerCam:
        out.maps = torch::relu((torch::relu(g) * a).sum(1));
        break;
    case CamMethod::HiResCam:
        out.maps = torch::relu((g * a).sum(1));
        break;
    default:
        throw std::logic_error("unhandled CAM method");
    }
    return out;
}

/// Zeroes non-finite values and flags a map that is not finite, all zero or (keepsNegatives) flat.
void flagDegenerate(CamResult& r, bool keepsNegatives)
{
    bool finite = true;
    for (auto* map : {&r.raw, &r.upsampled})
        for (auto& v : map->values)
            if (!std::isfinite(v)) {
                finite = false;
                v = 0;
            }
    if (!finite) {
        r.degenerate = true;
        r.degenerateReason = "not finite";
    } else if (keepsNegatives ? r.raw.max() <= r.raw.min() : r.raw.max() <= 0) {
        r.degenerate = true;
        r.degenerateReason = keepsNegatives ? "flat" : "all zero";
    }
}

/// Raw and upsampled maps and scores, per crop.
std::vector<CamResult> camResults(MapsAndScores computed, const CamRun& run)
{
    torch::Tensor& maps = computed.maps;
    torch::Tensor upsampled;
    {
        torch::NoGradGuard noGrad;
        maps = maps.detach();
        upsampled = F::interpolate(maps.unsqueeze(1), F::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{run.H, run.W})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false))
                        .squeeze(1);
    }
    const auto scoresCpu = computed.scores.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    // TorchCAM's CAM has no ReLU: a map below zero everywhere still has a shape; only a flat one is empty.
    const bool keepsNegatives =
        run.options.flavour == CamFlavour::TorchCam && run.options.method == CamMethod::Cam;
    std::vector<CamResult> results(static_cast<size_t>(run.N));
    for (int64_t i = 0; i < run.N; ++i) {
        CamResult& r = results[static_cast<size_t>(i)];
        r.raw = toMap(maps[i]);
        r.upsampled = toMap(upsampled[i]);
        r.targetScore = scoresCpu.data_ptr<float>()[i];
        flagDegenerate(r, keepsNegatives);
    }
    return results;
}

} // namespace

std::vector<CamResult> computeCams(const Classifier& classifier, const std::vector<Image2D>& crops,
                                   const CamOptions& options)
{
    const ClassifierImpl& model = classifier.impl();
    const int split = checkedSplit(classifier, options);
    const auto x = model.preprocess(crops);
    const CamRun run{model,     options,   split,     x,
                     x.size(0), x.size(2), x.size(3), !options.referencePath && split < 0};
    MapsAndScores computed;
    switch (options.method) {
    case CamMethod::EigenCam:
        computed = eigenCam(run);
        break;
    case CamMethod::SmoothGradCamPlusPlus:
        computed = smoothGradCamPlusPlus(run);
        break;
    case CamMethod::ScoreCam:
    case CamMethod::FastScoreCam:
        computed = scoreCam(run);
        break;
    default:
        computed = gradientCam(run);
        break;
    }
    return camResults(std::move(computed), run);
}

CamMap libraryFinalMap(const CamResult& result, CamFlavour flavour)
{
    // (v - min) / (max(v - min) + eps), as both libraries write it.
    const auto shiftAndScale = [](CamMap map, float eps) {
        const float low = map.min();
        for (auto& v : map.values)
            v -= low;
        const float high = map.max();
        for (auto& v : map.values)
            v /= high + eps;
        return map;
    };
    switch (flavour) {
    case CamFlavour::PytorchGradCam:
        return shiftAndScale(
            upsampleBilinear(shiftAndScale(result.raw, 1e-7f), result.upsampled.rows, result.upsampled.cols),
            1e-7f);
    case CamFlavour::TorchCam:
        return shiftAndScale(result.raw, 1e-8f);
    case CamFlavour::Weaksight:
        break;
    }
    CamMap shown = result.upsampled;
    normaliseMinMax(shown);
    return shown;
}

} // namespace weaksight::compute
