#pragma once

// The phantom's in-plane blur (image formation: CT slices are slightly blurred). Hand-written and
// kept: ITK's DiscreteGaussianImageFilter took 12x as long on a 512 x 512 slice and gives other
// values (its kernel is a discrete Gaussian operator, not a sampled and renormalised one: up to
// 10 HU apart on noisy CT), which would change every phantom (weaksight_bench_itk, README).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace weaksight::phantom {

/// A sampled, renormalised Gaussian of radius ceil(3 sigma) (at least 1).
inline std::vector<float> gaussianKernel(double sigma)
{
    const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
    std::vector<float> k(2 * radius + 1);
    double sum = 0;
    for (int i = -radius; i <= radius; ++i)
        sum += k[i + radius] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
    for (float& v : k)
        v = static_cast<float>(v / sum);
    return k;
}

/// Separable blur of an n x n slice with edge clamping; `tmp` is n x n scratch.
inline void blurSlice(std::vector<float>& img, std::vector<float>& tmp, int n, const std::vector<float>& k)
{
    const int radius = static_cast<int>(k.size() / 2);
    for (int r = 0; r < n; ++r) {
        const float* src = img.data() + static_cast<size_t>(r) * n;
        float* dst = tmp.data() + static_cast<size_t>(r) * n;
        for (int c = 0; c < n; ++c) {
            float acc = 0;
            if (c >= radius && c + radius < n) {
                for (int j = -radius; j <= radius; ++j)
                    acc += k[j + radius] * src[c + j];
            } else {
                for (int j = -radius; j <= radius; ++j)
                    acc += k[j + radius] * src[std::clamp(c + j, 0, n - 1)];
            }
            dst[c] = acc;
        }
    }
    std::fill(img.begin(), img.end(), 0.0f);
    for (int r = 0; r < n; ++r) {
        float* dst = img.data() + static_cast<size_t>(r) * n;
        for (int j = -radius; j <= radius; ++j) {
            const float w = k[j + radius];
            const float* src = tmp.data() + static_cast<size_t>(std::clamp(r + j, 0, n - 1)) * n;
            for (int c = 0; c < n; ++c)
                dst[c] += w * src[c];
        }
    }
}

} // namespace weaksight::phantom
