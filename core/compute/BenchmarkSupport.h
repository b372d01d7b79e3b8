#pragma once

// Shared by the benchmarks (CamBenchmark.cpp, Trainer.cpp): Torch side only.

#include "core/compute/Classifier.h"

#include <algorithm>
#include <string>
#include <vector>

namespace weaksight::compute::bench {

/// The median (the upper one of an even count); 0 for no values.
inline double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

/// A freshly initialised model (seed 1) of `architecture` at its default target layer, on `device`.
inline Classifier createBenchmarkModel(const std::string& architecture, const std::string& device)
{
    ModelDescription description;
    description.architecture = architecture;
    description.targetLayer = defaultTargetLayer(architecture);
    Classifier classifier = Classifier::create(description, 1);
    classifier.moveTo(device);
    return classifier;
}

} // namespace weaksight::compute::bench
