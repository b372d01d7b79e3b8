#pragma once

// Perceptually uniform colour maps (matplotlib's viridis, inferno, magma, cividis), sampled at 9
// points and interpolated linearly in sRGB: shared by the report figures and the viewer's overlays.

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace weaksight {

struct Rgb {
    float r, g, b; ///< 0..1
};

inline const std::vector<std::string>& colorMapNames()
{
    static const std::vector<std::string> names{"viridis", "inferno", "magma", "cividis"};
    return names;
}

/// Colour of value v in [0, 1] (clamped) in the named map; throws std::invalid_argument.
inline Rgb colorMapValue(const std::string& name, double v)
{
    using Table = std::array<std::array<float, 3>, 9>;
    static const Table viridis{{{0.267f, 0.005f, 0.329f}, {0.283f, 0.141f, 0.458f}, {0.254f, 0.265f, 0.530f},
                                {0.207f, 0.372f, 0.553f}, {0.164f, 0.471f, 0.558f}, {0.128f, 0.567f, 0.551f},
                                {0.135f, 0.659f, 0.518f}, {0.478f, 0.821f, 0.318f}, {0.993f, 0.906f, 0.144f}}};
    static const Table inferno{{{0.001f, 0.000f, 0.014f}, {0.122f, 0.047f, 0.283f}, {0.329f, 0.059f, 0.431f},
                                {0.522f, 0.133f, 0.416f}, {0.716f, 0.215f, 0.330f}, {0.868f, 0.317f, 0.226f},
                                {0.967f, 0.473f, 0.113f}, {0.983f, 0.682f, 0.193f}, {0.988f, 0.998f, 0.645f}}};
    static const Table magma{{{0.001f, 0.000f, 0.014f}, {0.112f, 0.065f, 0.276f}, {0.317f, 0.071f, 0.485f},
                              {0.513f, 0.148f, 0.508f}, {0.716f, 0.215f, 0.475f}, {0.904f, 0.317f, 0.420f},
                              {0.988f, 0.536f, 0.382f}, {0.996f, 0.761f, 0.529f}, {0.987f, 0.991f, 0.750f}}};
    static const Table cividis{{{0.000f, 0.135f, 0.304f}, {0.080f, 0.222f, 0.430f}, {0.262f, 0.305f, 0.424f},
                                {0.393f, 0.392f, 0.438f}, {0.502f, 0.482f, 0.471f}, {0.621f, 0.577f, 0.467f},
                                {0.746f, 0.678f, 0.430f}, {0.873f, 0.787f, 0.359f}, {0.995f, 0.905f, 0.218f}}};
    const Table* table = name == "viridis"   ? &viridis
                         : name == "inferno" ? &inferno
                         : name == "magma"   ? &magma
                         : name == "cividis" ? &cividis
                                             : nullptr;
    if (!table)
        throw std::invalid_argument("unknown colour map '" + name + "' (viridis, inferno, magma, cividis)");
    const double x = std::clamp(v, 0.0, 1.0) * 8.0;
    const int i = std::min(7, static_cast<int>(x));
    const float w = static_cast<float>(x - i);
    const auto& a = (*table)[static_cast<size_t>(i)];
    const auto& b = (*table)[static_cast<size_t>(i + 1)];
    return {a[0] + w * (b[0] - a[0]), a[1] + w * (b[1] - a[1]), a[2] + w * (b[2] - a[2])};
}

} // namespace weaksight
