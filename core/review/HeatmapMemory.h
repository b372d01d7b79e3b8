#pragma once

// The workstation's memory of computed heatmaps: each slice's maps as computed (upsampled onto
// their boxes, not normalised) under a key that names case, model, method and crop geometry, least
// recently used evicted beyond a byte budget, and the normalised copies the views show, made once
// per normalisation and dropped with their raw slice. No Qt: the controller on the GUI thread owns
// one, the tests drive it directly.

#include "core/review/SliceHeatmaps.h"

#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

namespace weaksight::review {

/// A slice's maps as computed: values are the upsampled raw map; low/high the crop's own range.
struct RawSliceMaps {
    int slice = -1;
    std::vector<CropHeatmap> crops;
    size_t bytes() const;
};

class HeatmapMemory {
public:
    explicit HeatmapMemory(size_t budgetBytes = size_t(256) << 20)
        : m_budget(budgetBytes)
    {
    }

    /// Evicts the least recently used slices beyond the budget.
    void setBudget(size_t bytes);
    /// Bytes held: raw slices and their shown copies.
    size_t bytes() const { return m_bytes; }
    size_t budget() const { return m_budget; }
    void clear();

    bool contains(const std::string& key) const { return m_raw.count(key) > 0; }
    const RawSliceMaps* raw(const std::string& key) const;
    /// Keeps a slice (replacing one under the same key) as the most recently used.
    void remember(const std::string& key, RawSliceMaps maps);
    /// The slice as shown: per crop each map over its own range, per volume over `volumeRange`,
    /// raw values unchanged; low/high of each crop say which. Made once per normalisation (the
    /// pointer stays valid until its raw slice goes); marks the slice recently used unless
    /// `markUsed` is false (the stacked views read every slice). Null when the slice is not held.
    const SliceHeatmaps* shown(const std::string& key, compute::MapNormalisation normalisation,
                               std::pair<float, float> volumeRange = {0.f, 1.f}, bool markUsed = true) const;

private:
    void touch(const std::string& key) const;
    void forget(const std::string& key);

    size_t m_budget;
    mutable size_t m_bytes = 0;
    std::map<std::string, RawSliceMaps> m_raw;
    mutable std::list<std::string> m_lru; ///< least recently used first
    /// Each key's place in m_lru: shown() moves it to the back in O(1) on every repaint.
    mutable std::unordered_map<std::string, std::list<std::string>::iterator> m_lruPosition;
    /// Shown copies keyed by raw key + "|" + normalisation.
    mutable std::map<std::string, SliceHeatmaps> m_shown;
};

} // namespace weaksight::review
