#include "core/compute/CamBenchmark.h"

#include "core/common/Overlap.h"
#include "core/compute/BenchmarkSupport.h"
#include "core/compute/CamEngine.h"
#include "core/compute/ClassifierImpl.h"
#include "core/compute/Device.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <malloc.h>
#include <optional>
#include <random>
#include <sstream>

#ifdef WEAKSIGHT_TORCH_CUDA_STATS
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace weaksight::compute {

namespace {

using Clock = std::chrono::steady_clock;
using bench::median;

/// Peak resident set size (MB) since the last reset.
double peakResidentMb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

/// Resets the peak (Linux >= 4.0: writing 5 to clear_refs); false where not permitted.
bool resetPeakResident()
{
#ifdef __GLIBC__
    // configureCpuThreads() keeps freed memory in glibc's heap (faster training), so the resident
    // size would stay at the largest earlier batch: hand the free pages back first, so the next
    // peak is the next method's own.
    malloc_trim(0);
#endif
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    return static_cast<bool>(clear.flush());
}

/// LibTorch's CUDA allocator peak (MB of tensors allocated) since the last reset; -1 where the
/// device is not CUDA or this LibTorch has no CUDA allocator to ask.
double peakGpuMb(const torch::Device& device)
{
#ifdef WEAKSIGHT_TORCH_CUDA_STATS
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
        return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0); // [0]: all pools
    }
#endif
    (void)device;
    return -1;
}

void resetPeakGpu(const torch::Device& device)
{
#ifdef WEAKSIGHT_TORCH_CUDA_STATS
    if (device.is_cuda())
        c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
    (void)device;
}

/// Two maps' agreement after min-max normalisation: mean |difference| and IoU at 0.5.
struct MapAgreement {
    double meanAbsDifference = 0;
    double iou = 1;
};

MapAgreement compareMaps(CamMap a, CamMap b)
{
    normaliseMinMax(a);
    normaliseMinMax(b);
    MapAgreement agreement;
    int intersection = 0, unionSize = 0;
    for (size_t i = 0; i < a.values.size(); ++i) {
        agreement.meanAbsDifference += std::abs(a.values[i] - b.values[i]);
        intersection += a.values[i] >= 0.5f && b.values[i] >= 0.5f;
        unionSize += a.values[i] >= 0.5f || b.values[i] >= 0.5f;
    }
    agreement.meanAbsDifference /= std::max<size_t>(1, a.values.size());
    agreement.iou = overlapRatios(intersection, unionSize).iou;
    return agreement;
}

void synchronise(const torch::Device& device)
{
    if (device.is_cuda())
        torch::cuda::synchronize(device.index());
}

template <typename F> double medianMs(int repeats, const torch::Device& device, F&& run)
{
    run(); // warm-up (allocator, kernels)
    synchronise(device);
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto start = Clock::now();
        run();
        synchronise(device);
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    return median(times);
}

Image2D crop(int size, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> hu(60.f, 80.f);
    Image2D c{size, size, std::vector<float>(static_cast<size_t>(size) * size)};
    for (auto& v : c.pixels)
        v = hu(rng);
    return c;
}

/// One architecture's benchmark: the model, one synthetic crop and the options.
struct ArchitectureBench {
    const CamBenchmarkOptions& options;
    Classifier& model;
    const ClassifierImpl& impl;
    torch::Device device;
    std::vector<Image2D> one;
    bool peakResettable;
};

struct ForwardTimes {
    std::string layout;
    bool optimisedModule = false;
    double optimiseMs = 0;
    double eager = 0;       ///< ms/crop, eager forward
    double forward = 0;     ///< ms/crop, the engine's forward
    double bestPerCrop = 0; ///< ms/crop at the best batch
    int bestBatch = 1;
};

ForwardTimes timeForwards(const ArchitectureBench& b)
{
    const auto& options = b.options;
    const auto& impl = b.impl;
    ForwardTimes t;
    t.layout = b.model.autotuneLayout(options.cropSize, options.cropSize, options.repeats);
    const auto optimiseStart = Clock::now();
    t.optimisedModule = !options.referencePath && impl.optimised();
    t.optimiseMs = std::chrono::duration<double, std::milli>(Clock::now() - optimiseStart).count();
    const auto x1 = impl.preprocess(b.one);
    // The forward the engine runs (the optimised module unless the reference path is asked
    // for) is the yardstick; the eager forward is printed beside it.
    const auto engineForward = [&](const torch::Tensor& x) {
        c10::InferenceMode guard;
        return options.referencePath ? impl.forward(x) : impl.inferenceForward(x);
    };
    t.eager = medianMs(options.repeats, b.device, [&] {
        c10::InferenceMode guard;
        impl.forward(x1);
    });
    t.forward = medianMs(options.repeats, b.device, [&] { engineForward(x1); });
    t.bestPerCrop = t.forward;
    for (int batch : {4, 8, 16, 32, 64}) {
        std::vector<Image2D> crops(static_cast<size_t>(batch), b.one.front());
        const auto xb = impl.preprocess(crops);
        const double ms = medianMs(std::max(2, options.repeats / 2), b.device, [&] { engineForward(xb); });
        if (ms / batch < t.bestPerCrop) {
            t.bestPerCrop = ms / batch;
            t.bestBatch = batch;
        }
    }
    return t;
}

void printArchitectureHeader(std::ostream& out, const ArchitectureBench& b, const std::string& architecture,
                             int64_t channels, const ForwardTimes& t, double scoreBound)
{
    out << "\n"
        << architecture << " (" << channels << " target channels, hash "
        << b.model.contentHash().substr(0, 12) << ")\n"
        << std::fixed << std::setprecision(2) << "  layout: " << t.layout << "\n"
        << "  engine: "
        << (b.options.referencePath ? "reference path (eager forwards, backward passes)"
            : t.optimisedModule     ? "optimised forward (frozen TorchScript, made in " +
                                      std::to_string(std::lround(t.optimiseMs)) +
                                      " ms), closed-form gradient at the pooled linear head"
                                : std::string("eager forwards (the model could not be optimised)"))
        << "\n"
        << "  inference forward: " << t.forward << " ms/crop (eager " << t.eager << " ms, "
        << t.eager / t.forward << " x); best batched " << t.bestPerCrop << " ms/crop at batch " << t.bestBatch
        << " (" << 1000.0 / t.bestPerCrop << " crops/s)\n"
        << "  Score-CAM lower bound: " << channels << " x " << t.bestPerCrop << " = " << scoreBound
        << " ms/crop\n";
    out << "  " << std::left << std::setw(16) << "method" << std::right << std::setw(12) << "ms/crop"
        << std::setw(12) << "x forward" << std::setw(12) << "x bound" << std::setw(14) << "peak RSS MB";
    if (b.device.is_cuda())
        out << std::setw(14) << "peak GPU MB";
    out << "\n";
}

/// Exact and fast Score-CAM maps of the crop, where the method table ran them.
struct ScoreCamMaps {
    std::optional<CamResult> exact, fast;
};

/// One row per method: time, against the forward and the Score-CAM bound, and peak memory.
ScoreCamMaps runMethodTable(std::ostream& out, const ArchitectureBench& b,
                            const std::vector<CamMethod>& methods, int64_t channels, double forward,
                            double scoreBound)
{
    const auto& options = b.options;
    const auto& device = b.device;
    ScoreCamMaps score;
    for (const auto method : methods) {
        const bool exact = method == CamMethod::ScoreCam;
        if (exact && !options.exactScoreCamOnLargeModels && channels > 512 && !device.is_cuda()) {
            out << "  " << std::left << std::setw(16) << toString(method) << std::right
                << "  skipped (exact Score-CAM of a large model on a CPU; --full to run it)\n";
            continue;
        }
        CamOptions camOptions;
        camOptions.method = method;
        camOptions.referencePath = options.referencePath;
        if (b.peakResettable)
            resetPeakResident();
        resetPeakGpu(device);
        std::vector<CamResult> last;
        const int repeats =
            (method == CamMethod::ScoreCam || method == CamMethod::FastScoreCam) && !device.is_cuda()
                ? std::max(1, options.repeats / 3)
                : options.repeats;
        const double ms = medianMs(repeats, device, [&] { last = computeCams(b.model, b.one, camOptions); });
        const double peak = peakResidentMb();
        out << "  " << std::left << std::setw(16) << toString(method) << std::right << std::setw(12) << ms
            << std::setw(12) << ms / forward;
        if (method == CamMethod::ScoreCam || method == CamMethod::FastScoreCam)
            out << std::setw(12) << ms / scoreBound;
        else
            out << std::setw(12) << "";
        out << std::setw(14) << (b.peakResettable ? peak : -1.0);
        if (device.is_cuda())
            out << std::setw(14) << peakGpuMb(device);
        out << "\n";
        if (method == CamMethod::ScoreCam)
            score.exact = last.front();
        if (method == CamMethod::FastScoreCam)
            score.fast = last.front();
    }
    return score;
}

/// Batched Grad-CAM throughput: what a whole-volume or cam-batch run gets.
void runBatchedGradCam(std::ostream& out, const ArchitectureBench& b, int bestBatch)
{
    const auto& device = b.device;
    const int batch = device.is_cuda() ? 256 : std::max(bestBatch, 8);
    std::vector<Image2D> crops(static_cast<size_t>(batch), b.one.front());
    CamOptions gradCam;
    gradCam.method = CamMethod::GradCam;
    gradCam.referencePath = b.options.referencePath;
    resetPeakGpu(device);
    const double ms =
        medianMs(std::max(2, b.options.repeats / 2), device, [&] { computeCams(b.model, crops, gradCam); });
    out << "  batched Grad-CAM: " << ms / batch << " ms/crop at batch " << batch << " ("
        << 1000.0 * batch / ms << " crops/s)";
    if (device.is_cuda())
        out << ", peak GPU " << peakGpuMb(device) << " MB";
    out << "\n";
}

/// Score-CAM with reduced-precision forwards, against the float32 maps `exact`.
void runReducedPrecisionScoreCam(std::ostream& out, const ArchitectureBench& b, const CamResult& exact,
                                 double scoreBound)
{
    const auto& options = b.options;
    const auto& device = b.device;
    CamOptions camOptions;
    camOptions.method = CamMethod::ScoreCam;
    camOptions.scoreReducedPrecision = true;
    camOptions.referencePath = options.referencePath;
    std::vector<CamResult> last;
    if (b.peakResettable)
        resetPeakResident();
    resetPeakGpu(device);
    const double ms = medianMs(device.is_cuda() ? options.repeats : std::max(1, options.repeats / 3), device,
                               [&] { last = computeCams(b.model, b.one, camOptions); });
    const auto& exactRaw = exact.raw.values;
    const auto& reducedRaw = last.front().raw.values;
    const float scale = std::max(1e-12f, exact.raw.max());
    double maxRelative = 0;
    for (size_t i = 0; i < exactRaw.size(); ++i)
        maxRelative =
            std::max(maxRelative, static_cast<double>(std::abs(exactRaw[i] - reducedRaw[i]) / scale));
    const auto agreement = compareMaps(exact.upsampled, last.front().upsampled);
    const char* type = device.is_cuda() ? "float16" : "bfloat16";
    out << "  scorecam, " << type << " forwards: " << ms << " ms/crop (" << ms / scoreBound
        << " x bound), peak RSS " << (b.peakResettable ? peakResidentMb() : -1.0) << " MB";
    if (device.is_cuda())
        out << ", peak GPU " << peakGpuMb(device) << " MB";
    out << "; against float32: max |difference| of raw maps " << std::scientific << std::setprecision(2)
        << maxRelative << " of the map's maximum, mean |difference| of min-max maps "
        << agreement.meanAbsDifference << std::fixed << ", IoU at 0.5 " << std::setprecision(3)
        << agreement.iou << std::setprecision(2) << "\n";
}

void benchmarkArchitecture(std::ostream& out, const CamBenchmarkOptions& options,
                           const std::string& architecture, const std::string& deviceName,
                           const std::vector<CamMethod>& methods, bool peakResettable)
{
    Classifier model = bench::createBenchmarkModel(architecture, deviceName);
    const auto& impl = model.impl();
    const ArchitectureBench b{options, model, impl, impl.device, {crop(options.cropSize, 1)}, peakResettable};
    const ForwardTimes times = timeForwards(b);
    const int64_t channels = targetChannels(model.description());
    const double scoreBound = channels * times.bestPerCrop;
    printArchitectureHeader(out, b, architecture, channels, times, scoreBound);
    const ScoreCamMaps score = runMethodTable(out, b, methods, channels, times.forward, scoreBound);
    if (score.exact && score.fast) {
        const auto agreement = compareMaps(score.exact->upsampled, score.fast->upsampled);
        out << "  scorecam-fast (top-32) vs exact: mean |difference| of min-max maps "
            << agreement.meanAbsDifference << ", IoU of the maps thresholded at 0.5 " << agreement.iou
            << "\n";
    }
    runBatchedGradCam(out, b, times.bestBatch);
    const bool reduced =
        options.reducedPrecision == CamBenchmarkOptions::ReducedPrecision::On ||
        (options.reducedPrecision == CamBenchmarkOptions::ReducedPrecision::OnCuda && b.device.is_cuda());
    if (reduced && score.exact)
        runReducedPrecisionScoreCam(out, b, *score.exact, scoreBound);
    out << std::flush;
}

} // namespace

void runCamBenchmark(const CamBenchmarkOptions& options, std::ostream& out)
{
    const int threads = configureCpuThreads(options.threads);
    const auto info = selectDevice(options.device);
    setCudaTf32(options.cudaTf32);
    out << "weaksight CAM benchmark: LibTorch " << torchVersion() << ", device " << info.name << " ("
        << info.detail
        << (info.kind == DeviceKind::Cuda ? cudaTf32() ? ", TF32 convolutions" : ", float32 convolutions"
                                          : "")
        << "), " << threads << " CPU threads, crop " << options.cropSize << "x" << options.cropSize
        << ", median of " << options.repeats << " runs\n";
    std::vector<CamMethod> methods;
    if (options.methods.empty())
        methods = allCamMethods();
    else
        for (const auto& m : options.methods)
            methods.push_back(camMethodFromString(m));
    const bool peakResettable = resetPeakResident();
    for (const auto& architecture : options.architectures)
        benchmarkArchitecture(out, options, architecture, info.name, methods, peakResettable);
}

} // namespace weaksight::compute
