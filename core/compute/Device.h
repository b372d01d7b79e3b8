#pragma once

// The compute core's public headers keep Torch out: only compute/*.cpp include it,
// so that the rest of the project compiles without Torch's heavy headers.

#include <cstddef>
#include <optional>
#include <string>

namespace weaksight::compute {

enum class DeviceKind { Cpu, Cuda };

struct DeviceInfo {
    DeviceKind kind = DeviceKind::Cpu;
    int index = 0;
    std::string name;   ///< "cpu" or "cuda:0"
    std::string detail; ///< e.g. "2 threads" or the GPU's name
};

/// "auto" picks CUDA when available, else CPU; "cpu" and "cuda[:N]" are explicit.
/// Throws std::invalid_argument for an unknown name or an unavailable CUDA device.
DeviceInfo selectDevice(const std::string& request = "auto");

bool cudaAvailable();
int cudaDeviceCount();

struct CudaMemory {
    size_t freeBytes = 0;
    size_t totalBytes = 0;
};
/// Free and total memory of CUDA device `index` as the driver reports them (memory LibTorch's
/// caching allocator holds counts as used). The driver (libcuda.so.1) is loaded at run time, so
/// any LibTorch build works; nullopt without CUDA, a driver or that device.
std::optional<CudaMemory> cudaMemory(int index);

/// Whether float32 convolutions on CUDA may use TensorFloat-32 (cuDNN; a 10-bit mantissa, about
/// 1e-3 relative). On is PyTorch's and LibTorch's default, so maps match what pytorch-grad-cam or
/// TorchCAM compute on the same GPU; off gives true float32, and CUDA maps then equal the CPU's to
/// 1e-4 relative. Process-wide, as cuDNN's flag is; no effect without CUDA.
void setCudaTf32(bool allowed);
bool cudaTf32();

/// LibTorch's version, e.g. "1.13.1".
std::string torchVersion();

/// Sets the intra-op thread count (LibTorch starts at 1 on Debian); 0 = number of cores.
/// Also keeps glibc from returning freed tensor memory to the kernel after every batch (mallopt;
/// halves CPU training time here; see platform notes). Returns the count in effect.
int configureCpuThreads(int threads = 0);

} // namespace weaksight::compute
