#pragma once

// Every model's input preprocessing (classifier and segmenter, training and inference): HU
// linearly mapped from the model's window [low, high] to [0, 1], clamped. One definition, so a
// model sees the same numbers wherever its crops come from. Torch-free.

#include "core/compute/Classifier.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace weaksight::compute {

class HuWindow {
public:
    HuWindow(double huLow, double huHigh)
        : m_low(static_cast<float>(huLow))
        , m_scale(static_cast<float>(1.0 / (huHigh - huLow)))
    {
    }

    float operator()(float hu) const { return std::clamp((hu - m_low) * m_scale, 0.0f, 1.0f); }

    /// Writes `crop` windowed to `out` (channels x rows x cols floats, row-major). Throws
    /// std::invalid_argument unless the crop is rows x cols with `channels` planes of pixels.
    void apply(const Image2D& crop, int rows, int cols, int channels, float* out) const
    {
        if (crop.channels != channels)
            throw std::invalid_argument("a crop of " + std::to_string(crop.channels) +
                                        " plane(s) given to a model of " + std::to_string(channels) +
                                        " input channel(s) (2D and 2.5D crops differ)");
        if (crop.rows != rows || crop.cols != cols ||
            crop.pixels.size() != static_cast<size_t>(channels) * rows * cols)
            throw std::invalid_argument("crops of one batch must share one size");
        for (float v : crop.pixels)
            *out++ = (*this)(v);
    }

private:
    float m_low;
    float m_scale;
};

} // namespace weaksight::compute
