// The heatmap cache file (core/compute/CamCache.cpp: `evaluate`'s cache and `cam-batch` shards):
// any file either opens — read-only it is left as it is; read-write a damaged tail is cut off and a
// new record appended after it is found when the file is opened again — or is refused with
// std::runtime_error. Input: the file's bytes. The model hash of the seeds is "fuzz-model".

#include "FuzzSupport.h"
#include "core/compute/CamCache.h"

#include <cstdlib>
#include <stdexcept>

namespace fs = std::filesystem;
using weaksight::compute::CamCache;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    weaksight::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto file = weaksight::fuzz::writeInput("cache.wscam", data, size);
    try {
        CamCache readOnly(file, "fuzz-model", CamCache::Mode::ReadOnly);
        if (fs::file_size(file) != size)
            std::abort(); // a read-only open changed the file
    } catch (const std::runtime_error&) {
    }
    size_t entries = 0;
    bool existed = false; // an input may already hold a valid record under the harness's key
    try {
        {
            CamCache writable(file, "fuzz-model");
            existed = writable.find(0xF0F0F0F0F0F0F0F0ULL, "fuzz-appended") != nullptr;
            entries = writable.size() - (existed ? 1 : 0);
            // A key no seed uses: the new record is one more entry.
            weaksight::compute::CachedCam cam{{2, 2, {0.f, 1.f, 2.f, 3.f}}, 0.5f, false};
            writable.insert(0xF0F0F0F0F0F0F0F0ULL, "fuzz-appended", cam);
        }
        CamCache again(file, "fuzz-model", CamCache::Mode::ReadOnly);
        const auto* found = again.find(0xF0F0F0F0F0F0F0F0ULL, "fuzz-appended");
        if (again.size() != entries + 1 || !found)
            std::abort();
        if (!existed && (found->raw.values.size() != 4 || found->raw.values[3] != 3.f))
            std::abort();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
