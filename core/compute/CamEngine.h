#pragma once

#include "core/compute/Classifier.h"

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace weaksight::compute {

/// Class-activation-map methods. A^k is channel k of the target layer's activation (after its
/// ReLU), g^k = dY/dA^k the gradient of the target score Y, computed from the logits back to the
/// target layer only (never through the whole network). Maps are ReLU(sum_k w_k A^k) unless said.
///  - Cam:        w_k = weight of the final linear layer for the target class (Zhou et al.).
///  - GradCam:    w_k = mean_ij g^k_ij.
///  - GradCamPlusPlus: w_k = sum_ij a^k_ij ReLU(g^k_ij), a = g^2 / (2 g^2 + sum_ab A^k_ab g^3)
///                (denominator 0 -> 1): the form pytorch-grad-cam uses, with the gradient of Y
///                itself (not of exp(Y)); the division is kept (a TorchCAM snapshot loses it).
///  - SmoothGradCamPlusPlus: Grad-CAM++ maps averaged over `smoothSamples` inputs with Gaussian
///                noise of std `smoothNoise` added to the windowed [0, 1] input; zero noise gives
///                Grad-CAM++ exactly.
///  - ScoreCam:   exact: for every channel k, A^k is upsampled bilinearly to the crop, min-max
///                normalised to [0, 1] (a flat channel gives a zero mask), multiplied with the input
///                and scored by one forward pass (batched); w = softmax_k(Y(x * M^k) - Y(baseline)),
///                baseline = the all-zero input (TorchCAM's subtraction; softmax ignores it, so the
///                weights equal pytorch-grad-cam's up to mask construction).
///  - FastScoreCam: APPROXIMATE Score-CAM: only the top-k channels ranked by their Grad-CAM
///                contribution (mean_ij g^k_ij * mean_ij A^k_ij) get masked forward passes; the
///                softmax runs over those k channels, the others weigh 0.
///  - XGradCam:   w_k = sum_ij (A^k_ij / sum_ab A^k_ab) g^k_ij.
///  - LayerCam:   map = ReLU(sum_k ReLU(g^k) * A^k) (element-wise).
///  - HiResCam:   map = ReLU(sum_k g^k * A^k) (element-wise).
///  - EigenCam:   projection of the position-centred activations (positions x channels) on their
///                first right singular vector, sign chosen to correlate positively with sum_k A^k,
///                then ReLU. Uses no gradient and no class.
enum class CamMethod {
    Cam,
    GradCam,
    GradCamPlusPlus,
    SmoothGradCamPlusPlus,
    ScoreCam,
    FastScoreCam,
    XGradCam,
    LayerCam,
    HiResCam,
    EigenCam
};
std::string toString(CamMethod method);
/// Accepts the names toString() gives (e.g. "gradcam++", "scorecam-fast"); throws std::invalid_argument.
CamMethod camMethodFromString(const std::string& name);
std::vector<CamMethod> allCamMethods();

/// Whose definitions a map follows. The methods above are Weaksight's (`weaksight`, the default);
/// `pytorch-grad-cam` (jacobgil/pytorch-grad-cam 1.5) and `torchcam` (frgfm/torch-cam 0.5) reproduce
/// those libraries' raw maps (before their normalisation) for the methods each has, quirks
/// included, proved against maps the libraries computed (tests/fixtures/library-cams):
///  - pytorch-grad-cam: Grad-CAM++ adds 1e-6 to the alpha denominator (it dominates where the
///    gradients are small, as at the last stage of a trained network) and sets alpha = 0 where
///    g = 0; XGrad-CAM adds 1e-7 to sum A; Score-CAM upsamples each channel with align_corners =
///    true, min-max normalises with 1e-8 in the denominator and takes the softmax of the scores
///    (no baseline); Eigen-CAM keeps the sign of the singular vector that LAPACK returns (no
///    orientation). Grad-CAM, LayerCAM and HiResCAM are Weaksight's. No CAM, Smooth Grad-CAM++ or
///    fast Score-CAM.
///  - torchcam: CAM has no ReLU; Grad-CAM++'s alpha is g^2 undivided (the library divides a copy,
///    so w = sum_ij g^2 ReLU(g)); Smooth Grad-CAM++ averages g^2 and g^3 over the noisy inputs,
///    alpha = mean g^2 / (2 mean g^2 + sum_ab mean g^3 * A_ab + 1e-8) with the clean input's A,
///    w = sum_ij alpha ReLU(g of the last noisy input), and weighs the LAST NOISY input's
///    activation (TorchCAM's hooks keep it); Score-CAM min-max normalises each channel at the
///    target layer's resolution ((A - min) / (max - min + 1e-8)) before upsampling
///    (align_corners = false) and subtracts the clean input's score; XGrad-CAM adds 1e-8 to sum A.
///    Grad-CAM and LayerCAM are Weaksight's. No HiResCAM, Eigen-CAM or fast Score-CAM.
/// The noise of Smooth Grad-CAM++ is Weaksight's in every flavour (seeded per crop): TorchCAM
/// draws it from torch's global generator, which no other program can replay.
enum class CamFlavour { Weaksight, PytorchGradCam, TorchCam };
/// How maps are scaled for display and thresholds: min-max per crop, one min-max per case, or raw.
enum class MapNormalisation { PerCrop, PerCase, None };
std::string toString(MapNormalisation normalisation);
MapNormalisation mapNormalisationFromString(const std::string& name);
std::string toString(CamFlavour flavour);
/// Accepts the names toString() gives ("weaksight", "pytorch-grad-cam", "torchcam"); throws std::invalid_argument.
CamFlavour camFlavourFromString(const std::string& name);
std::vector<CamFlavour> allCamFlavours();
/// Whether the flavour's library has the method (Weaksight has all).
bool flavourHas(CamFlavour flavour, CamMethod method);
/// Methods that approximate another (fast Score-CAM: the top-k channels only); shown as such.
bool isApproximate(CamMethod method);
/// The methods the flavour has, in allCamMethods() order.
std::vector<CamMethod> camMethodsOf(CamFlavour flavour);

/// What Y is: the target class's logit (default) or its softmax probability.
enum class CamScore { Logit, Probability };

struct CamOptions {
    CamMethod method = CamMethod::GradCam;
    /// Whose definition of the method (part of a map's identity); computeCams refuses a method
    /// the flavour's library does not have.
    CamFlavour flavour = CamFlavour::Weaksight;
    int targetClass = 1; ///< the lesion class by default; any class index
    CamScore score = CamScore::Logit;
    int smoothSamples = 4;
    double smoothNoise = 0.3;
    uint64_t smoothSeed = 0;
    int fastScoreTopK = 32;
    /// Masked inputs per forward pass in Score-CAM; 0 picks one from the device (CPU: 16, small
    /// batches run fastest there; CUDA: as many as fit in a quarter of the free memory).
    int scoreBatch = 0;
    /// Score-CAM's masked forwards (exact and fast) under autocast in reduced precision: float16
    /// on CUDA (faster), bfloat16 on the CPU (slower there without AVX-512 BF16; it keeps the path
    /// testable). Activations, masks, scores, the softmax and the map stay float32. Part of a map's
    /// identity; `bench cam --reduced-precision` reports its error against float32.
    bool scoreReducedPrecision = false;
    /// Target layer ("" = the model's own, its last stage). Earlier stages give finer maps for the
    /// gradient, Score-CAM and Eigen-CAM methods; CAM itself needs the last stage.
    std::string targetLayer;
    /// The reference path: eager forwards and the gradient by a backward pass, as the first
    /// version computed every map. Off (the default), the engine runs the optimised inference
    /// module (ClassifierImpl::optimised()) and, at a pooled linear head, the gradient's closed
    /// form; the maps are the same to float rounding (tests hold the two paths to 1e-4). Not part
    /// of a map's identity.
    bool referencePath = false;
    /// Score-CAM's progress inside a call (masked inputs scored so far, of all crops); returning
    /// false cancels the call (CamCancelled is thrown). Not part of a map's identity.
    std::function<bool(int64_t done, int64_t total)> progress;
};

/// Thrown by computeCams when CamOptions::progress asked to stop.
struct CamCancelled : std::runtime_error {
    CamCancelled() : std::runtime_error("heatmap computation cancelled") {}
};

struct CamMap {
    int rows = 0;
    int cols = 0;
    std::vector<float> values;
    float max() const;
    float min() const;
};

struct CamResult {
    CamMap raw;       ///< at the target layer's resolution, after ReLU, unnormalised
    CamMap upsampled; ///< bilinear to the crop size (align_corners = false), unnormalised
    float targetScore = 0; ///< Y of the unmodified crop
    bool degenerate = false;
    std::string degenerateReason; ///< "all zero" or "not finite" (non-finite values set to 0)
};

/// The map the flavour's library hands its user, from a result of that flavour:
/// pytorch-grad-cam: at the crop's size, s(resize(s(raw))) with s(v) = (v - min) / (max(v - min) + 1e-7)
/// and a bilinear resize (OpenCV's, which is align_corners = false); torchcam: at the target
/// layer's resolution, (raw - min) / (max(raw - min) + 1e-8); weaksight: the upsampled map min-max
/// normalised (normaliseMinMax), as the workstation shows one crop.
CamMap libraryFinalMap(const CamResult& result, CamFlavour flavour);

/// Computes one map per crop (crops of one call share one size) on the classifier's device.
std::vector<CamResult> computeCams(const Classifier& classifier, const std::vector<Image2D>& crops,
                                   const CamOptions& options);

/// The one rule that turns a (normalised) heatmap value into a proposal pixel: value > t, compared
/// in double (the evaluation's threshold sweep, the review's proposal and the IoU shown agree).
constexpr bool isProposed(float value, double threshold) { return static_cast<double>(value) > threshold; }
/// Proposal of a map at threshold t: {p : isProposed(map(p), t)}.
std::vector<uint8_t> proposalMask(const CamMap& map, double threshold);

/// Normalisation is a separate, explicit step: v' = (v - low) / (high - low); a flat range
/// (high <= low) makes every value 0 (never noise). The workstation applies stored ranges with it.
void normaliseToRange(std::vector<float>& values, float low, float high);
/// Per crop: low and high are the map's own min and max.
void normaliseMinMax(CamMap& map);
/// Per volume: one min and max over all maps (e.g. every slice of a case) for all of them.
void normaliseJointly(std::vector<CamMap*>& maps);

} // namespace weaksight::compute
