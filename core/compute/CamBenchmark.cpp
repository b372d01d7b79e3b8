#include "core/compute/CamBenchmark.h"
#include "core/common/Overlap.h"

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

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

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

} // namespace

void runCamBenchmark(const CamBenchmarkOptions& options, std::ostream& out)
{
    const int threads = configureCpuThreads(options.threads);
    const auto info = selectDevice(options.device);
    setCudaTf32(options.cudaTf32);
    out << "weaksight CAM benchmark: LibTorch " << torchVersion() << ", device " << info.name << " (" << info.detail
        << (info.kind == DeviceKind::Cuda ? cudaTf32() ? ", TF32 convolutions" : ", float32 convolutions" : "")
        << "), " << threads << " CPU threads, crop " << options.cropSize << "x" << options.cropSize << ", median of "
        << options.repeats << " runs\n";
    std::vector<CamMethod> methods;
    if (options.methods.empty())
        methods = allCamMethods();
    else
        for (const auto& m : options.methods)
            methods.push_back(camMethodFromString(m));
    const bool peakResettable = resetPeakResident();

    for (const auto& architecture : options.architectures) {
        ModelDescription d;
        d.architecture = architecture;
        d.targetLayer = defaultTargetLayer(architecture);
        Classifier model = Classifier::create(d, 1);
        model.moveTo(info.name);
        const auto& impl = model.impl();
        const torch::Device device = impl.device;
        const auto one = std::vector<Image2D>{crop(options.cropSize, 1)};

        const std::string layout = model.autotuneLayout(options.cropSize, options.cropSize, options.repeats);
        const auto optimiseStart = Clock::now();
        const bool optimisedModule = !options.referencePath && impl.optimised();
        const double optimiseMs = std::chrono::duration<double, std::milli>(Clock::now() - optimiseStart).count();
        const auto x1 = impl.preprocess(one);
        // The forward the engine runs (the optimised module unless the reference path is asked
        // for) is the yardstick; the eager forward is printed beside it.
        const auto engineForward = [&](const torch::Tensor& x) {
            c10::InferenceMode guard;
            return options.referencePath ? impl.forward(x) : impl.inferenceForward(x);
        };
        const double eagerForward = medianMs(options.repeats, device, [&] {
            c10::InferenceMode guard;
            impl.forward(x1);
        });
        const double forward = medianMs(options.repeats, device, [&] { engineForward(x1); });
        double bestPerCrop = forward;
        int bestBatch = 1;
        for (int batch : {4, 8, 16, 32, 64}) {
            std::vector<Image2D> crops(static_cast<size_t>(batch), one.front());
            const auto xb = impl.preprocess(crops);
            const double ms = medianMs(std::max(2, options.repeats / 2), device, [&] { engineForward(xb); });
            if (ms / batch < bestPerCrop) {
                bestPerCrop = ms / batch;
                bestBatch = batch;
            }
        }
        const int64_t channels = targetChannels(d);
        const double scoreBound = channels * bestPerCrop;
        out << "\n" << architecture << " (" << channels << " target channels, hash " << model.contentHash().substr(0, 12)
            << ")\n"
            << std::fixed << std::setprecision(2) << "  layout: " << layout << "\n"
            << "  engine: "
            << (options.referencePath ? "reference path (eager forwards, backward passes)"
                : optimisedModule     ? "optimised forward (frozen TorchScript, made in " + std::to_string(std::lround(optimiseMs)) +
                                        " ms), closed-form gradient at the pooled linear head"
                                      : std::string("eager forwards (the model could not be optimised)"))
            << "\n"
            << "  inference forward: " << forward << " ms/crop (eager " << eagerForward << " ms, "
            << eagerForward / forward << " x); best batched " << bestPerCrop << " ms/crop at batch " << bestBatch << " ("
            << 1000.0 / bestPerCrop << " crops/s)\n"
            << "  Score-CAM lower bound: " << channels << " x " << bestPerCrop << " = " << scoreBound << " ms/crop\n";
        out << "  " << std::left << std::setw(16) << "method" << std::right << std::setw(12) << "ms/crop"
            << std::setw(12) << "x forward" << std::setw(12) << "x bound" << std::setw(14) << "peak RSS MB";
        if (device.is_cuda())
            out << std::setw(14) << "peak GPU MB";
        out << "\n";

        std::optional<CamResult> exactScore, fastScore;
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
            if (peakResettable)
                resetPeakResident();
            resetPeakGpu(device);
            std::vector<CamResult> last;
            const int repeats = (method == CamMethod::ScoreCam || method == CamMethod::FastScoreCam) && !device.is_cuda()
                                    ? std::max(1, options.repeats / 3)
                                    : options.repeats;
            const double ms = medianMs(repeats, device, [&] { last = computeCams(model, one, camOptions); });
            const double peak = peakResidentMb();
            out << "  " << std::left << std::setw(16) << toString(method) << std::right << std::setw(12) << ms
                << std::setw(12) << ms / forward;
            if (method == CamMethod::ScoreCam || method == CamMethod::FastScoreCam)
                out << std::setw(12) << ms / scoreBound;
            else
                out << std::setw(12) << "";
            out << std::setw(14) << (peakResettable ? peak : -1.0);
            if (device.is_cuda())
                out << std::setw(14) << peakGpuMb(device);
            out << "\n";
            if (method == CamMethod::ScoreCam)
                exactScore = last.front();
            if (method == CamMethod::FastScoreCam)
                fastScore = last.front();
        }
        if (exactScore && fastScore) {
            const auto agreement = compareMaps(exactScore->upsampled, fastScore->upsampled);
            out << "  scorecam-fast (top-32) vs exact: mean |difference| of min-max maps " << agreement.meanAbsDifference
                << ", IoU of the maps thresholded at 0.5 " << agreement.iou << "\n";
        }
        // Batched Grad-CAM throughput: what a whole-volume or cam-batch run gets.
        {
            const int batch = device.is_cuda() ? 256 : std::max(bestBatch, 8);
            std::vector<Image2D> crops(static_cast<size_t>(batch), one.front());
            CamOptions gradCam;
            gradCam.method = CamMethod::GradCam;
            gradCam.referencePath = options.referencePath;
            resetPeakGpu(device);
            const double ms = medianMs(std::max(2, options.repeats / 2), device, [&] { computeCams(model, crops, gradCam); });
            out << "  batched Grad-CAM: " << ms / batch << " ms/crop at batch " << batch << " (" << 1000.0 * batch / ms
                << " crops/s)";
            if (device.is_cuda())
                out << ", peak GPU " << peakGpuMb(device) << " MB";
            out << "\n";
        }

        const bool reduced = options.reducedPrecision == CamBenchmarkOptions::ReducedPrecision::On ||
                             (options.reducedPrecision == CamBenchmarkOptions::ReducedPrecision::OnCuda && device.is_cuda());
        if (reduced && exactScore) {
            CamOptions camOptions;
            camOptions.method = CamMethod::ScoreCam;
            camOptions.scoreReducedPrecision = true;
            camOptions.referencePath = options.referencePath;
            std::vector<CamResult> last;
            if (peakResettable)
                resetPeakResident();
            resetPeakGpu(device);
            const double ms = medianMs(device.is_cuda() ? options.repeats : std::max(1, options.repeats / 3), device,
                                       [&] { last = computeCams(model, one, camOptions); });
            const auto& exactRaw = exactScore->raw.values;
            const auto& reducedRaw = last.front().raw.values;
            const float scale = std::max(1e-12f, exactScore->raw.max());
            double maxRelative = 0;
            for (size_t i = 0; i < exactRaw.size(); ++i)
                maxRelative = std::max(maxRelative, static_cast<double>(std::abs(exactRaw[i] - reducedRaw[i]) / scale));
            const auto agreement = compareMaps(exactScore->upsampled, last.front().upsampled);
            const char* type = device.is_cuda() ? "float16" : "bfloat16";
            out << "  scorecam, " << type << " forwards: " << ms << " ms/crop (" << ms / scoreBound << " x bound), peak RSS "
                << (peakResettable ? peakResidentMb() : -1.0) << " MB";
            if (device.is_cuda())
                out << ", peak GPU " << peakGpuMb(device) << " MB";
            out << "; against float32: max |difference| of raw maps "
                << std::scientific << std::setprecision(2) << maxRelative << " of the map's maximum, mean |difference| of min-max maps "
                << agreement.meanAbsDifference << std::fixed << ", IoU at 0.5 " << std::setprecision(3) << agreement.iou
                << std::setprecision(2) << "\n";
        }
        out << std::flush;
    }
}

} // namespace weaksight::compute
