#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace weaksight::compute {

struct CamBenchmarkOptions {
    std::vector<std::string> architectures{"tiny", "resnet18"};
    std::vector<std::string> methods; ///< empty: every method
    int cropSize = 150;
    int repeats = 5;
    std::string device = "auto";
    int threads = 0;
    bool exactScoreCamOnLargeModels = true; ///< ResNet-50/101 exact Score-CAM takes minutes on a CPU
    /// Exact Score-CAM again with reduced-precision forwards (float16 on CUDA, bfloat16 on the
    /// CPU), its time and its error against float32.
    enum class ReducedPrecision { Off, OnCuda, On };
    ReducedPrecision reducedPrecision = ReducedPrecision::OnCuda;
    bool cudaTf32 = true; ///< setCudaTf32(); false measures true float32 convolutions on CUDA
    bool referencePath = false; ///< CamOptions::referencePath: eager forwards and backward passes
};

/// Prints, per model and method, the median milliseconds per crop, peak resident memory, the
/// model's inference forward time (optimised, and eager beside it), its best batched throughput, the Score-CAM lower bound
/// (channels x best per-crop forward time) and each method's ratio to those; and the fast
/// Score-CAM's error against the exact one; batched Grad-CAM throughput; reduced-precision
/// Score-CAM's time and error. Models have random weights (timing only).
void runCamBenchmark(const CamBenchmarkOptions& options, std::ostream& out);

} // namespace weaksight::compute
