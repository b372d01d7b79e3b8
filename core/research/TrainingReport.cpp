#include "core/research/TrainingReport.h"
#include "core/common/Error.h"
#include "core/io/AtomicFile.h"

#include <fstream>
#include <stdexcept>

namespace weaksight {

namespace fs = std::filesystem;

nlohmann::json trainingReportJson(const TrainingRun& run, const compute::TrainResult& result)
{
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : result.history)
        history.push_back({{"epoch", e.epoch},
                           {"learning_rate", e.learningRate},
                           {"train_loss", e.trainLoss},
                           {"val_precision", e.validation.precision()},
                           {"val_recall", e.validation.recall()},
                           {"val_f1", e.validation.f1()},
                           {"val_confusion", {{"tp", e.validation.truePositives}, {"fp", e.validation.falsePositives},
                                              {"tn", e.validation.trueNegatives}, {"fn", e.validation.falseNegatives}}},
                           {"seconds", e.seconds},
                           {"train_crops_per_second", e.trainCropsPerSecond}});
    const auto& o = run.options;
    return {
        {"model", run.model.string()},
        {"model_hash", result.modelHash},
        {"dataset", fs::absolute(run.dataset).lexically_normal().string()},
        {"crop_rows", run.cropRows},
        {"crop_cols", run.cropCols},
        {"architecture", o.architecture},
        {"device", run.device},
        {"options",
         {{"epochs", o.epochs}, {"learning_rate", o.learningRate}, {"batch", o.batchSize}, {"step_epochs", o.stepEpochs},
          {"step_gamma", o.stepGamma}, {"balance", compute::toString(o.balance)}, {"blur_probability", o.blurProbability},
          {"blur_sigma_max", o.blurSigmaMax}, {"seed", o.seed}}},
        {"best_epoch", result.bestEpoch},
        {"best_val_f1", result.bestValidationF1},
        {"resumed", result.resumed},
        {"history", history},
    };
}

fs::path writeTrainingReport(const TrainingRun& run, const compute::TrainResult& result)
{
    const fs::path file = run.model.string() + ".training.json";
    const std::string text = trainingReportJson(run, result).dump(2) + "\n";
    io::writeAtomically(file, [&](const fs::path& temporary) {
        std::ofstream out(temporary, std::ios::binary);
        out << text;
        if (!out.flush())
            throw InputError(file, "cannot write the training record");
    });
    return file;
}

int trainedCropRows(const fs::path& model)
{
    std::ifstream in(model.string() + ".training.json");
    if (!in)
        return 0;
    const auto record = nlohmann::json::parse(in, nullptr, false);
    if (record.is_discarded() || !record.is_object())
        return 0;
    const auto rows = record.find("crop_rows");
    return rows != record.end() && rows->is_number_integer() ? rows->get<int>() : 0;
}

} // namespace weaksight
