#include "core/review/HeatmapMemory.h"

namespace weaksight::review {

namespace {

size_t heatmapBytes(const std::vector<CropHeatmap>& crops)
{
    size_t n = 0;
    for (const auto& c : crops)
        n += sizeof(c) + (c.values.size() + c.raw.values.size()) * sizeof(float);
    return n;
}

} // namespace

size_t RawSliceMaps::bytes() const
{
    return sizeof(RawSliceMaps) + heatmapBytes(crops);
}

void HeatmapMemory::setBudget(size_t bytes)
{
    m_budget = bytes;
    while (m_bytes > m_budget && !m_lru.empty()) {
        const std::string key = m_lru.front();
        forget(key);
    }
}

void HeatmapMemory::clear()
{
    m_raw.clear();
    m_lru.clear();
    m_lruPosition.clear();
    m_shown.clear();
    m_bytes = 0;
}

const RawSliceMaps* HeatmapMemory::raw(const std::string& key) const
{
    const auto it = m_raw.find(key);
    return it == m_raw.end() ? nullptr : &it->second;
}

void HeatmapMemory::touch(const std::string& key) const
{
    if (const auto it = m_lruPosition.find(key); it != m_lruPosition.end())
        m_lru.splice(m_lru.end(), m_lru, it->second); // list iterators stay valid across splice
}

void HeatmapMemory::forget(const std::string& key)
{
    const std::string prefix = key + "|";
    for (auto it = m_shown.lower_bound(prefix); it != m_shown.end() && it->first.rfind(prefix, 0) == 0;) {
        m_bytes -= heatmapBytes(it->second.crops);
        it = m_shown.erase(it);
    }
    if (const auto it = m_raw.find(key); it != m_raw.end()) {
        m_bytes -= it->second.bytes();
        m_raw.erase(it);
    }
    if (const auto position = m_lruPosition.find(key); position != m_lruPosition.end()) {
        m_lru.erase(position->second);
        m_lruPosition.erase(position);
    }
}

void HeatmapMemory::remember(const std::string& key, RawSliceMaps maps)
{
    forget(key);
    m_bytes += maps.bytes();
    m_raw.emplace(key, std::move(maps));
    m_lru.push_back(key);
    m_lruPosition[key] = std::prev(m_lru.end());
    setBudget(m_budget);
}

const SliceHeatmaps* HeatmapMemory::shown(const std::string& key, compute::MapNormalisation normalisation,
                                          std::pair<float, float> volumeRange, bool markUsed) const
{
    const auto it = m_raw.find(key);
    if (it == m_raw.end())
        return nullptr;
    if (markUsed)
        touch(key);
    const std::string shownKey = key + "|" + std::to_string(static_cast<int>(normalisation));
    if (const auto shown = m_shown.find(shownKey); shown != m_shown.end())
        return &shown->second;
    SliceHeatmaps heatmaps{it->second.slice, it->second.crops, 0};
    for (auto& crop : heatmaps.crops) {
        heatmaps.degenerate += crop.degenerate;
        if (normalisation == compute::MapNormalisation::None) {
            crop.low = 0.f;
            crop.high = 1.f;
            continue;
        }
        if (normalisation == compute::MapNormalisation::PerCase)
            std::tie(crop.low, crop.high) = volumeRange;
        compute::normaliseToRange(crop.values, crop.low, crop.high);
    }
    m_bytes += heatmapBytes(heatmaps.crops);
    return &m_shown.emplace(shownKey, std::move(heatmaps)).first->second;
}

} // namespace weaksight::review
