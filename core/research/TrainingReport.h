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
/// Writes `model`.training.json (whole or not at all: io::writeAtomically); returns its path.
std::filesystem::path writeTrainingReport(const TrainingRun& run, const compute::TrainResult& result);

/// The crop size (rows) `model` was trained on, from its MODEL.training.json; 0 when there is no
/// such file or it does not say (a model made elsewhere).
int trainedCropRows(const std::filesystem::path& model);

} // namespace weaksight
