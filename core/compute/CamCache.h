#pragma once

// A file of computed heatmaps, keyed by (crop content, method and parameters) for one model: the
// on-disk cache of `weaksight evaluate`, and the output of `weaksight cam-batch` shards, which
// `cam-batch merge` combines. Torch-free.
//
// Format (little-endian): "WSCAMv1\0", u32 length + model content hash; then records appended:
// u32 payload bytes, payload, u64 FNV-1a of the payload. Payload: u64 crop key, u16 length + method
// key, u16 rows, u16 cols, f32 target score, u8 degenerate, f32 raw map values (row-major).
// Raw maps (target-layer resolution) are stored; upsampleBilinear() gives the crop-sized map.
// A record cut short by a killed process is dropped (and cut off) when the file is opened again.

#include "core/compute/CamEngine.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace weaksight::compute {

/// Everything that changes a map besides the crop and the model: method, target layer, target
/// class, score and the method's own parameters, e.g. "gradcam layer=layer3 target=1 score=logit".
std::string camMethodKey(const CamOptions& options, const std::string& targetLayer);

/// Bilinear upsampling with align_corners = false (what computeCams does with LibTorch).
CamMap upsampleBilinear(const CamMap& raw, int rows, int cols);

struct CachedCam {
    CamMap raw;
    float targetScore = 0;
    bool degenerate = false;
};

class CamCache {
public:
    enum class Mode { ReadWrite, ReadOnly };
    /// Opens or creates `file` for the model with this content hash; refuses a file written for
    /// another model or not a cache file (std::runtime_error naming the file). ReadWrite takes an
    /// exclusive lock (flock): a second writer on the same file is refused, not interleaved.
    /// ReadOnly neither creates, locks nor repairs the file (merge inputs).
    CamCache(const std::filesystem::path& file, const std::string& modelHash, Mode mode = Mode::ReadWrite);
    ~CamCache();
    CamCache(const CamCache&) = delete;
    CamCache& operator=(const CamCache&) = delete;

    /// find, insert and flush may be called from several threads (the workstation's panes share one
    /// file); a returned pointer stays valid (entries are never removed).
    const CachedCam* find(uint64_t cropKey, const std::string& methodKey) const;
    /// Appends to the file (buffered; flush() or the destructor writes it out). ReadWrite only.
    void insert(uint64_t cropKey, const std::string& methodKey, const CachedCam& cam);
    void flush();
    size_t size() const { return m_entries.size(); }
    const std::string& modelHash() const { return m_modelHash; }
    /// Records dropped when opening (a truncated tail).
    size_t droppedOnOpen() const { return m_dropped; }

    /// Reads just the model hash of a cache file.
    static std::string modelHashOf(const std::filesystem::path& file);
    /// Merges shard files (same model) into `out` (created or extended); duplicates kept once.
    /// Returns the number of records added.
    static size_t merge(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out);

    template <typename F> void forEach(F&& f) const
    {
        for (const auto& [key, cam] : m_entries)
            f(key.first, key.second, cam);
    }

private:
    struct KeyHash {
        size_t operator()(const std::pair<uint64_t, std::string>& k) const
        {
            return std::hash<uint64_t>()(k.first) ^ (std::hash<std::string>()(k.second) * 1099511628211ULL);
        }
    };
    std::filesystem::path m_file;
    std::string m_modelHash;
    std::unordered_map<std::pair<uint64_t, std::string>, CachedCam, KeyHash> m_entries;
    std::FILE* m_out = nullptr;
    mutable std::mutex m_mutex;
    size_t m_dropped = 0;
};

} // namespace weaksight::compute
