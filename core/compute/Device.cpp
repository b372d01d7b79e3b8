#include "core/compute/Device.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <malloc.h>
#include <stdexcept>
#include <thread>

namespace weaksight::compute {

bool cudaAvailable() { return torch::cuda::is_available(); }

int cudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

std::string torchVersion() { return TORCH_VERSION; }

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
