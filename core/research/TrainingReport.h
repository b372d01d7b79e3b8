#pragma once

// MODEL.training.json: how a model was trained (options, dataset, crop size, per-epoch history).
// Written by `weaksight train` and the demo; the workstation reads the crop size from it.

#include "core/compute/Trainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace weaksight {

struct TrainingRun {
    std::filesystem::path model;
    std::filesystem::path dataset;
    std::string device;
    compute::TrainOptions options;
    int cropRows = 0;
    int cropCols = 0;
};

nlohmann::json trainingReportJson(const TrainingRun& run, const compute::TrainResult& result);
/// Writes `model`.training.json (through a temporary file renamed into place); returns its path.
std::filesystem::path writeTrainingReport(const TrainingRun& run, const compute::TrainResult& result);

} // namespace weaksight
