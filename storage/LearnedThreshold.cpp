#include "storage/LearnedThreshold.h"

#include "core/compute/CamCache.h"

#include <cmath>
#include <map>
#include <stdexcept>

namespace weaksight::storage {

std::vector<LearnedThreshold> learnedThresholds(const std::vector<HeatmapDecision>& decisions, double step)
{
    if (!(step > 0))
        throw std::invalid_argument("threshold step must be positive");
    const int steps = static_cast<int>(std::floor(1.0 / step + 1e-9)) + 1;
    std::map<std::string, std::pair<int, std::vector<double>>> byMethod; // decisions, summed errors per t
    for (const auto& d : decisions) {
        if (d.finalMask.rows != d.cropRows || d.finalMask.cols != d.cropCols)
            continue; // not on its crop grid: nothing to compare
        // The map exactly as the labeller saw it: upsampled to the crop, normalised by low / high.
        const compute::CamMap shown = compute::upsampleBilinear({d.rows, d.cols, d.raw}, d.cropRows, d.cropCols);
        const double scale = d.high > d.low ? 1.0 / (d.high - d.low) : 0.0;
        auto& [count, errors] = byMethod[d.method];
        errors.resize(static_cast<size_t>(steps), 0.0);
        ++count;
        for (int i = 0; i < steps; ++i) {
            const double t = i * step;
            long long wrong = 0;
            for (size_t p = 0; p < shown.values.size(); ++p)
                wrong += ((shown.values[p] - d.low) * scale > t) != (d.finalMask.pixels[p] != 0);
            errors[static_cast<size_t>(i)] += static_cast<double>(wrong);
        }
    }
    std::vector<LearnedThreshold> out;
    for (const auto& [method, entry] : byMethod) {
        const auto& [count, errors] = entry;
        LearnedThreshold l;
        l.method = method;
        l.decisions = count;
        size_t best = 0;
        for (size_t i = 0; i < errors.size(); ++i) {
            l.curve.emplace_back(static_cast<double>(i) * step, errors[i] / count);
            if (errors[i] < errors[best])
                best = i;
        }
        l.threshold = static_cast<double>(best) * step;
        l.meanCorrection = errors[best] / count;
        out.push_back(std::move(l));
    }
    return out;
}

} // namespace weaksight::storage
