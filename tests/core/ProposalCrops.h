#pragma once

// Hand-made kidney crops with known answers for the proposal tests and the proposal bench: discs of
// constant HU (kidney, tumour, sinus fat, a vessel) on fat, optional Gaussian noise, and Gaussian
// heatmap blobs normalised to a peak of 1.

#include "core/masks/BinaryMask.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace weaksight::test {

struct SyntheticCrop {
    int rows = 0, cols = 0;
    std::vector<int16_t> hu;
    std::vector<float> map;
    std::vector<uint8_t> organ;
    double pixelSpacingMm = 0;

    SyntheticCrop(int rows_, int cols_, int16_t background)
        : rows(rows_)
        , cols(cols_)
        , hu(static_cast<size_t>(rows_) * static_cast<size_t>(cols_), background)
        , map(hu.size(), 0.f)
        , organ(hu.size(), 0)
    {
    }

    /// The crop as the proposals see it, with or without its organ label.
    proposals::CropView view(bool withOrgan = false) const
    {
        return {rows, cols, hu.data(), map.data(), withOrgan ? organ.data() : nullptr, pixelSpacingMm};
    }

    /// Pixels whose centre lies within `radius` of (row, col).
    BinaryMask disc(double row, double col, double radius) const
    {
        BinaryMask m(rows, cols);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                m.at(r, c) = (r - row) * (r - row) + (c - col) * (c - col) <= radius * radius ? 1 : 0;
        return m;
    }

    void paint(const BinaryMask& where, int16_t value)
    {
        for (size_t i = 0; i < hu.size(); ++i)
            if (where.pixels[i])
                hu[i] = value;
    }

    void addToOrgan(const BinaryMask& where)
    {
        for (size_t i = 0; i < organ.size(); ++i)
            organ[i] = static_cast<uint8_t>(organ[i] | where.pixels[i]);
    }

    /// Adds Gaussian noise of `sigma` HU (deterministic for a seed), as CT's quantum noise.
    void addNoise(double sigma, unsigned seed)
    {
        std::mt19937 rng(seed);
        std::normal_distribution<double> noise(0, sigma);
        for (auto& v : hu)
            v = static_cast<int16_t>(std::clamp(std::lround(v + noise(rng)), -1024L, 3071L));
    }

    /// Adds a Gaussian blob of `sigma` pixels at (row, col), then renormalises the map to peak 1
    /// (the min-max normalisation a shown heatmap has; the map's minimum stays 0 far from blobs).
    void addBlob(double row, double col, double sigma, double weight = 1)
    {
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                const double d2 = (r - row) * (r - row) + (c - col) * (c - col);
                map[static_cast<size_t>(r) * cols + c] +=
                    static_cast<float>(weight * std::exp(-d2 / (2 * sigma * sigma)));
            }
        const float peak = *std::max_element(map.begin(), map.end());
        if (peak > 0)
            for (auto& v : map)
                v /= peak;
    }
};

/// The standard kidney crop: a kidney disc (180 HU, radius `kidneyRadius`) centred in a crop of
/// fat (-100 HU) with a round tumour (70 HU, radius `tumourRadius`) near its edge at
/// (tumourRow, tumourCol); organ label (and `kidney`) = disc and tumour. No map yet, no noise.
struct KidneyCropLayout {
    int rows = 96, cols = 96;
    double kidneyRow = 47.5, kidneyCol = 47.5, kidneyRadius = 36;
    double tumourRow = 30, tumourCol = 64, tumourRadius = 10;
};

inline SyntheticCrop kidneyWithTumour(const KidneyCropLayout& layout, BinaryMask* kidney = nullptr,
                                      BinaryMask* tumour = nullptr)
{
    SyntheticCrop crop(layout.rows, layout.cols, -100);
    const BinaryMask disc = crop.disc(layout.kidneyRow, layout.kidneyCol, layout.kidneyRadius);
    const BinaryMask lesion = crop.disc(layout.tumourRow, layout.tumourCol, layout.tumourRadius);
    crop.paint(disc, 180);
    crop.paint(lesion, 70);
    crop.addToOrgan(disc);
    crop.addToOrgan(lesion); // an exophytic tumour is organ too (KiTS labels 1, 2, 3)
    if (kidney) {
        *kidney = disc;
        for (size_t i = 0; i < disc.size(); ++i)
            kidney->pixels[i] = static_cast<uint8_t>(disc.pixels[i] | lesion.pixels[i]);
    }
    if (tumour)
        *tumour = lesion;
    return crop;
}

} // namespace weaksight::test
