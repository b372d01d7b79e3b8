#include "core/compute/Device.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits>
#include <malloc.h>
#include <stdexcept>
#include <thread>

namespace weaksight::compute {

bool cudaAvailable() { return torch::cuda::is_available(); }

int cudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

std::string torchVersion() { return TORCH_VERSION; }

void setCudaTf32(bool allowed) { at::globalContext().setAllowTF32CuDNN(allowed); }

bool cudaTf32() { return at::globalContext().allowTF32CuDNN(); }

namespace {

/// The few CUDA driver API entry points the memory query needs, resolved from libcuda.so.1 (the
/// NVIDIA driver's library, present wherever a GPU is usable). Types as in cuda.h: CUresult and
/// CUdevice are int, CUcontext a pointer; 0 is CUDA_SUCCESS.
struct CudaDriver {
    using Init = int (*)(unsigned);
    using DeviceGet = int (*)(int*, int);
    using PrimaryRetain = int (*)(void**, int);
    using PrimaryRelease = int (*)(int);
    using CtxPush = int (*)(void*);
    using CtxPop = int (*)(void**);
    using MemGetInfo = int (*)(size_t*, size_t*);
    Init init = nullptr;
    DeviceGet deviceGet = nullptr;
    PrimaryRetain retain = nullptr;
    PrimaryRelease release = nullptr;
    CtxPush push = nullptr;
    CtxPop pop = nullptr;
    MemGetInfo memGetInfo = nullptr;

    static const CudaDriver* instance()
    {
        static const CudaDriver* driver = load();
        return driver;
    }

private:
    static const CudaDriver* load()
    {
        void* library = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
        if (!library)
            return nullptr;
        auto symbol = [library](const char* name, const char* fallback = nullptr) {
            void* f = dlsym(library, name);
            return f || !fallback ? f : dlsym(library, fallback);
        };
        static CudaDriver d;
        d.init = reinterpret_cast<Init>(symbol("cuInit"));
        d.deviceGet = reinterpret_cast<DeviceGet>(symbol("cuDeviceGet"));
        d.retain = reinterpret_cast<PrimaryRetain>(symbol("cuDevicePrimaryCtxRetain"));
        d.release = reinterpret_cast<PrimaryRelease>(symbol("cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"));
        d.push = reinterpret_cast<CtxPush>(symbol("cuCtxPushCurrent_v2", "cuCtxPushCurrent"));
        d.pop = reinterpret_cast<CtxPop>(symbol("cuCtxPopCurrent_v2", "cuCtxPopCurrent"));
        d.memGetInfo = reinterpret_cast<MemGetInfo>(symbol("cuMemGetInfo_v2", "cuMemGetInfo"));
        if (!d.init || !d.deviceGet || !d.retain || !d.release || !d.push || !d.pop || !d.memGetInfo ||
            d.init(0) != 0)
            return nullptr;
        return &d;
    }
};

} // namespace

std::optional<CudaMemory> cudaMemory(int index)
{
    if (!cudaAvailable() || index < 0 || index >= cudaDeviceCount())
        return std::nullopt;
    const CudaDriver* driver = CudaDriver::instance();
    if (!driver)
        return std::nullopt;
    // The primary context is the one LibTorch's runtime uses; retaining it creates nothing new
    // when LibTorch is already running there, and works on threads that never touched CUDA.
    int device = 0;
    void* context = nullptr;
    if (driver->deviceGet(&device, index) != 0 || driver->retain(&context, device) != 0)
        return std::nullopt;
    std::optional<CudaMemory> memory;
    if (driver->push(context) == 0) {
        CudaMemory m;
        if (driver->memGetInfo(&m.freeBytes, &m.totalBytes) == 0)
            memory = m;
        void* popped = nullptr;
        driver->pop(&popped);
    }
    driver->release(device);
    return memory;
}

int configureCpuThreads(int threads)
{
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
#ifdef __GLIBC__
    // glibc hands large blocks (a batch's activations) back to the kernel on free and faults them
    // in again on the next batch: measured here, half of training's CPU time went to the kernel.
    // Keep freed memory in the heap instead (the peak is bounded by the largest batch anyway).
    // The cost: resident memory stays at its peak. Settings in the environment (MALLOC_*_ or
    // GLIBC_TUNABLES) win when present.
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (!std::getenv("MALLOC_MMAP_MAX_") && !std::getenv("MALLOC_TRIM_THRESHOLD_") &&
        !std::getenv("MALLOC_MMAP_THRESHOLD_") && !(tunables && std::strstr(tunables, "malloc"))) {
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
    }
#endif
    return at::get_num_threads();
}

DeviceInfo selectDevice(const std::string& request)
{
    DeviceInfo info;
    auto cpu = [&] {
        info.kind = DeviceKind::Cpu;
        info.name = "cpu";
        info.detail = std::to_string(at::get_num_threads()) + " threads";
        return info;
    };
    if (request == "cpu")
        return cpu();
    if (request == "auto")
        return cudaAvailable() ? selectDevice("cuda:0") : cpu();
    if (request.rfind("cuda", 0) == 0) {
        int index = 0;
        if (request.size() > 4) {
            if (request[4] != ':')
                throw std::invalid_argument("unknown device '" + request + "' (use auto, cpu, cuda or cuda:N)");
            index = std::stoi(request.substr(5));
        }
        if (!cudaAvailable())
            throw std::invalid_argument("device '" + request + "' requested but CUDA is not available in this "
                                        "LibTorch build or on this machine");
        if (index < 0 || index >= cudaDeviceCount())
            throw std::invalid_argument("device '" + request + "' does not exist (" +
                                        std::to_string(cudaDeviceCount()) + " CUDA devices)");
        info.kind = DeviceKind::Cuda;
        info.index = index;
        info.name = "cuda:" + std::to_string(index);
        info.detail = "CUDA device " + std::to_string(index);
        return info;
    }
    throw std::invalid_argument("unknown device '" + request + "' (use auto, cpu, cuda or cuda:N)");
}

} // namespace weaksight::compute
