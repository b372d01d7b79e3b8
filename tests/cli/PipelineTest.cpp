// The headless research pipeline end to end, through the real `weaksight` executable, on synthetic
// phantom cases: dataset build -> train -> evaluate; the method's black-square sanity experiment
// (with a training run killed mid-epoch and resumed); cam-batch shards merged; cam-batch's proposal
// masks at the levels the report chose. One process, run in order: the later tests reuse the
// dataset and models of the earlier ones.
#include "../core/TestSupport.h"
#include "RunBinary.h"
#include "core/compute/CamCache.h"
#include "core/compute/Classifier.h"
#include "core/compute/CropDataset.h"
#include "core/masks/BinaryMask.h"

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

using Result = RunResult;

Result run(const std::string& arguments) { return runWeaksight(arguments, true); }

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

const nlohmann::json& methodResult(const nlohmann::json& results, const std::string& name)
{
    for (const auto& m : results["methods"])
        if (m["method"] == name)
            return m;
    throw std::runtime_error("no result for " + name);
}

/// Shared by the tests of this binary: phantom cases and the crop dataset built from them.
TempDir& workspace()
{
    static TempDir dir("weaksight-pipeline");
    return dir;
}

const char* kPhantom = " --cases 12 --seed 11 --thickness 5 --lesion-free-fraction 0";

} // namespace

TEST(Pipeline, BuildTrainEvaluateBeatsTheBaselines)
{
    const TempDir& dir = workspace();
    ASSERT_EQ(run("phantom --out " + (dir / "cases").string() + kPhantom).exitCode, 0);
    const auto build = run("dataset build --cases " + (dir / "cases").string() + " --out " + (dir / "crops").string());
    ASSERT_EQ(build.exitCode, 0) << build.out;
    EXPECT_NE(build.out.find("crops/s"), std::string::npos) << build.out;

    const auto train = run("train --data " + (dir / "crops").string() + " --out " + (dir / "model.wsm").string() +
                           " --arch tiny --epochs 8 --lr 1e-3 --balance sampling --seed 0");
    ASSERT_EQ(train.exitCode, 0) << train.out;
    EXPECT_NE(train.out.find("ETA"), std::string::npos) << "progress with ETA:\n" << train.out;
    const auto history = readJson(dir / "model.wsm.training.json");
    EXPECT_EQ(history["history"].size(), 8u);
    EXPECT_FALSE(history["resumed"].get<bool>());
    const auto model = compute::Classifier::load((dir / "model.wsm").string(), "cpu");
    EXPECT_EQ(model.description().huLow, -200); // the dataset's window became the model's
    EXPECT_EQ(model.contentHash(), history["model_hash"]);

    const auto evaluate = run("evaluate --data " + (dir / "crops").string() + " --model " +
                              (dir / "model.wsm").string() + " --out " + (dir / "report").string() +
                              " --methods gradcam,gradcam++,scorecam,hirescam");
    ASSERT_EQ(evaluate.exitCode, 0) << evaluate.out;
    const auto results = readJson(dir / "report" / "results.json");
    const double f1 = results["classification"]["test"]["f1"];
    const double majority = results["classification"]["test_majority_baseline_f1"];
    EXPECT_GT(f1, majority) << evaluate.out;
    const double gradcam = methodResult(results, "gradcam")["all"]["test_iou"];
    const double whole = methodResult(results, "baseline: whole crop")["all"]["test_iou"];
    const double disc = methodResult(results, "baseline: centred disc")["all"]["test_iou"];
    EXPECT_GT(gradcam, whole) << evaluate.out;
    EXPECT_GT(gradcam, disc) << evaluate.out;
    EXPECT_EQ(results["thresholds"].size(), 21u);
    // A pooled linear head makes HiResCAM's maps Grad-CAM's: the report groups them.
    EXPECT_EQ(methodResult(results, "hirescam")["same_as"], "gradcam") << evaluate.out;
    EXPECT_TRUE(methodResult(results, "gradcam")["same_as"].is_null());
    for (const char* file :
         {"report.md", "classification.csv", "cams.csv", "per_crop.csv", "threshold_curves.csv",
          "threshold_iou.png", "iou_intervals.png", "confusion_matrix.png", "examples.png"})
        EXPECT_GT(fs::file_size(dir / "report" / file), 100u) << file;
    std::ifstream md(dir / "report" / "report.md");
    const std::string report((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
    EXPECT_NE(report.find("| method | definitions | threshold | val IoU"), std::string::npos);
    EXPECT_NE(report.find("| gradcam | weaksight |"), std::string::npos) << report;
    EXPECT_NE(report.find("Lesions larger than 2 %"), std::string::npos);
    EXPECT_EQ(report.find("published numbers"), std::string::npos) << "synthetic data: no comparison with the thesis";

    // A second run reads every heatmap from the cache and reports the same numbers.
    const auto again = run("evaluate --data " + (dir / "crops").string() + " --model " + (dir / "model.wsm").string() +
                           " --out " + (dir / "report").string() + " --methods gradcam,gradcam++,scorecam,hirescam");
    ASSERT_EQ(again.exitCode, 0) << again.out;
    const auto cached = readJson(dir / "report" / "results.json");
    for (const char* method : {"gradcam", "gradcam++", "scorecam"}) {
        EXPECT_EQ(methodResult(cached, method)["all"]["test_iou"], methodResult(results, method)["all"]["test_iou"]);
        EXPECT_EQ(methodResult(cached, method)["ms_per_crop"].get<double>(), 0.0) << method << " was recomputed";
    }

    // TorchCAM's definitions: rows say so; its Grad-CAM is Weaksight's (same numbers), its
    // Grad-CAM++ is not; a method the library lacks is refused by name.
    const auto torchcam = run("evaluate --data " + (dir / "crops").string() + " --model " + (dir / "model.wsm").string() +
                              " --out " + (dir / "report-torchcam").string() + " --flavour torchcam --methods gradcam,gradcam++");
    ASSERT_EQ(torchcam.exitCode, 0) << torchcam.out;
    const auto flavoured = readJson(dir / "report-torchcam" / "results.json");
    EXPECT_EQ(methodResult(flavoured, "gradcam")["flavour"], "torchcam");
    EXPECT_EQ(methodResult(flavoured, "gradcam")["all"]["setting"], methodResult(results, "gradcam")["all"]["setting"]);
    EXPECT_NEAR(methodResult(flavoured, "gradcam")["all"]["test_iou"].get<double>(), gradcam, 1e-3);
    std::ifstream flavouredMd(dir / "report-torchcam" / "report.md");
    const std::string flavouredReport((std::istreambuf_iterator<char>(flavouredMd)), std::istreambuf_iterator<char>());
    EXPECT_NE(flavouredReport.find("- CAM definitions: torchcam"), std::string::npos) << flavouredReport;
    EXPECT_NE(flavouredReport.find("| gradcam++ | torchcam |"), std::string::npos) << flavouredReport;
    const auto lacking = run("evaluate --data " + (dir / "crops").string() + " --model " + (dir / "model.wsm").string() +
                             " --out " + (dir / "report-lacking").string() + " --flavour pytorch-grad-cam --methods cam");
    EXPECT_NE(lacking.exitCode, 0);
    EXPECT_NE(lacking.out.find("the pytorch-grad-cam flavour has no cam"), std::string::npos) << lacking.out;
}

TEST(Pipeline, CamBatchShardsMergeIntoTheFullRun)
{
    const TempDir& dir = workspace();
    ASSERT_TRUE(fs::exists(dir / "model.wsm")) << "runs after Pipeline.BuildTrainEvaluateBeatsTheBaselines";
    const std::string common = "cam-batch --data " + (dir / "crops").string() + " --model " +
                               (dir / "model.wsm").string() + " --methods gradcam,scorecam-fast --split val";
    ASSERT_EQ(run(common + " --out " + (dir / "full.wscam").string()).exitCode, 0);
    for (int s = 0; s < 3; ++s) {
        const auto shard = run(common + " --shard " + std::to_string(s) + "/3 --out " +
                               (dir / ("shard" + std::to_string(s) + ".wscam")).string());
        ASSERT_EQ(shard.exitCode, 0) << shard.out;
    }
    const auto merge = run("cam-merge --out " + (dir / "merged.wscam").string() + " " + (dir / "shard0.wscam").string() +
                           " " + (dir / "shard1.wscam").string() + " " + (dir / "shard2.wscam").string());
    ASSERT_EQ(merge.exitCode, 0) << merge.out;
    const std::string hash = compute::CamCache::modelHashOf(dir / "full.wscam");
    const compute::CamCache full(dir / "full.wscam", hash, compute::CamCache::Mode::ReadOnly);
    const compute::CamCache merged(dir / "merged.wscam", hash, compute::CamCache::Mode::ReadOnly);
    const auto dataset = compute::CropDataset::open(dir / "crops");
    size_t lesionVal = 0;
    for (const auto& r : dataset.records())
        lesionVal += r.split == compute::Split::Validation && r.lesion;
    EXPECT_EQ(full.size(), 2 * lesionVal);
    EXPECT_EQ(merged.size(), full.size());
    full.forEach([&](uint64_t key, const std::string& method, const compute::CachedCam& cam) {
        const auto* other = merged.find(key, method);
        ASSERT_NE(other, nullptr) << method;
        EXPECT_EQ(other->raw.values, cam.raw.values) << method;
    });
    // A file of another model is refused by the merge.
    { compute::CamCache other(dir / "other.wscam", "another-model"); }
    const auto refused = run("cam-merge --out " + (dir / "merged.wscam").string() + " " +
                             (dir / "shard0.wscam").string() + " " + (dir / "other.wscam").string());
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_NE(refused.out.find("another-model"), std::string::npos) << refused.out;
}

TEST(Pipeline, SanitySquareIsFoundAfterAKilledAndResumedTraining)
{
    const TempDir& dir = workspace();
    ASSERT_TRUE(fs::exists(dir / "cases")) << "runs after Pipeline.BuildTrainEvaluateBeatsTheBaselines";
    ASSERT_EQ(run("dataset build --cases " + (dir / "cases").string() + " --out " + (dir / "square").string() +
                  " --sanity-square 40")
                  .exitCode,
              0);
    const std::string trainArguments = "train --data " + (dir / "square").string() + " --out " +
                                       (dir / "square.wsm").string() + " --arch tiny --epochs 6 --lr 3e-3 --balance sampling --seed 3";
    // Start training, kill it (SIGKILL) in the middle of epoch 2, then resume.
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const std::string command = std::string(WEAKSIGHT_BINARY) + " --no-log-file " + trainArguments + " >/dev/null 2>&1";
        execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const fs::path checkpoint = dir / "square.wsm.ckpt";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(fs::exists(checkpoint)) << "no checkpoint after epoch 1";
    std::this_thread::sleep_for(std::chrono::seconds(2)); // into epoch 2
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "training finished before it could be killed";
    EXPECT_NO_THROW(compute::Classifier::load((dir / "square.wsm").string(), "cpu")) << "the epoch-1 model is valid";

    const auto resumed = run(trainArguments + " --resume");
    ASSERT_EQ(resumed.exitCode, 0) << resumed.out;
    EXPECT_NE(resumed.out.find("resuming after epoch 1"), std::string::npos) << resumed.out;
    const auto history = readJson(dir / "square.wsm.training.json");
    EXPECT_TRUE(history["resumed"].get<bool>());
    EXPECT_EQ(history["history"].size(), 6u);

    const auto evaluate = run("evaluate --data " + (dir / "square").string() + " --model " +
                              (dir / "square.wsm").string() + " --out " + (dir / "square-report").string() +
                              " --methods gradcam,gradcam++,smoothgradcam++,xgradcam,layercam,scorecam"
                              // TorchCAM's default noise (0.3 on the [0, 1] input) drowns the square
                              // (IoU 0.41 measured); 0.1 keeps Smooth Grad-CAM++ on it.
                              " --smooth-noise 0.1");
    ASSERT_EQ(evaluate.exitCode, 0) << evaluate.out;
    const auto results = readJson(dir / "square-report" / "results.json");
    EXPECT_GT(results["evaluated_lesion_crops"]["test"].get<int>(), 10);
    for (const char* method : {"gradcam", "gradcam++", "smoothgradcam++", "xgradcam", "layercam", "scorecam"})
        EXPECT_GE(methodResult(results, method)["all"]["test_iou"].get<double>(), 0.5) << method << "\n" << evaluate.out;
}

namespace {

/// A cam-batch mask file: NumPy uint8, count x rows x cols, after the dataset's 128-byte header.
std::vector<std::vector<uint8_t>> readMaskArray(const fs::path& path, size_t count, int rows, int cols)
{
    std::ifstream in(path, std::ios::binary);
    std::string header(128, '\0');
    in.read(header.data(), 128);
    EXPECT_EQ(header, compute::npyHeader("|u1", count, rows, cols)) << path;
    std::vector<std::vector<uint8_t>> masks(count, std::vector<uint8_t>(static_cast<size_t>(rows) * cols));
    for (auto& mask : masks)
        in.read(reinterpret_cast<char*>(mask.data()), static_cast<std::streamsize>(mask.size()));
    EXPECT_TRUE(in && in.peek() == EOF) << path << " holds more or less than " << count << " masks";
    return masks;
}

/// Lines of a tab-separated file, split, without the header.
std::vector<std::vector<std::string>> readTsv(const fs::path& path)
{
    std::ifstream in(path);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream fieldStream(line);
        for (std::string field; std::getline(fieldStream, field, '\t');)
            fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}

} // namespace

TEST(Pipeline, CamBatchWritesTheReportsProposalsAtTheLevelsItChose)
{
    const TempDir& dir = workspace();
    ASSERT_TRUE(fs::exists(dir / "square.wsm"))
        << "runs after Pipeline.SanitySquareIsFoundAfterAKilledAndResumedTraining";
    const auto results = readJson(dir / "report" / "results.json");
    std::string refined, growRow;
    for (const auto& m : results["methods"])
        if (m["rule"] == "grow" && m["pixel_labels"].is_null() &&
            m["refines"].get<std::string>().find(' ') == std::string::npos) {
            refined = m["refines"];
            growRow = m["method"];
        }
    ASSERT_FALSE(refined.empty()) << "evaluate refines the best method's maps by default";
    const std::string batch = "cam-batch --data " + (dir / "crops").string() + " --model " +
                              (dir / "model.wsm").string() + " --out " + (dir / "proposals.wscam").string() +
                              " --methods " + refined +
                              " --split test --proposals raw,grow,linked --levels-from " +
                              (dir / "report" / "results.json").string();
    const auto written = run(batch + " --proposals-out " + (dir / "proposals").string());
    ASSERT_EQ(written.exitCode, 0) << written.out;

    const auto dataset = compute::CropDataset::open(dir / "crops");
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    const auto crops = readTsv(dir / "proposals" / "crops.tsv");
    ASSERT_FALSE(crops.empty());
    const auto grow =
        readMaskArray(dir / "proposals" / (refined + "_grow_derived-kidney.npy"), crops.size(), rows, cols);
    readMaskArray(dir / "proposals" / (refined + "_raw.npy"), crops.size(), rows, cols);
    readMaskArray(dir / "proposals" / (refined + "_linked.npy"), crops.size(), rows, cols);
    const auto table = readTsv(dir / "proposals" / "proposals.tsv");
    ASSERT_EQ(table.size(), 3u);
    EXPECT_EQ(table[1][3], "validation: " + growRow) << "the level the report chose, named by its row";

    // Every test crop the report scored has, in the batch's grow masks, the IoU per_crop.csv gives it.
    std::map<std::string, double> reported; // "case/slice/side" -> IoU of the grow row on test
    std::ifstream perCrop(dir / "report" / "per_crop.csv");
    std::string line;
    while (std::getline(perCrop, line))
        if (line.rfind("\"" + growRow + "\",", 0) == 0 && line.find(",test,") != std::string::npos) {
            std::vector<std::string> f;
            std::stringstream fieldStream(line.substr(growRow.size() + 3));
            for (std::string field; std::getline(fieldStream, field, ',');)
                f.push_back(field);
            const std::string caseId = f[2].substr(1, f[2].size() - 2);   // quoted
            reported[caseId + "/" + f[3] + "/" + f[4]] = std::stod(f[7]); // case, slice, side; iou
        }
    ASSERT_FALSE(reported.empty());
    size_t compared = 0;
    for (size_t r = 0; r < crops.size(); ++r) {
        const auto it = reported.find(crops[r][2] + "/" + crops[r][3] + "/" + crops[r][4]);
        if (it == reported.end())
            continue; // a crop the classifier got wrong: the report does not score it
        BinaryMask proposed(rows, cols), truth(rows, cols);
        proposed.pixels = grow[r];
        const size_t index = std::stoul(crops[r][1]);
        truth.pixels.assign(dataset.maskPixels(index),
                            dataset.maskPixels(index) + static_cast<size_t>(rows) * cols);
        EXPECT_NEAR(overlap(proposed, truth).iou, it->second, 1e-4)
            << crops[r][2] << " slice " << crops[r][3];
        ++compared;
    }
    EXPECT_EQ(compared, reported.size());

    // Refused before any work: levels of another model's report, and masks without a folder.
    const auto foreign =
        run("cam-batch --data " + (dir / "crops").string() + " --model " + (dir / "square.wsm").string() +
            " --out " + (dir / "foreign.wscam").string() + " --methods " + refined +
            " --proposals grow --proposals-out " + (dir / "foreign").string() + " --levels-from " +
            (dir / "report" / "results.json").string());
    EXPECT_NE(foreign.exitCode, 0);
    EXPECT_NE(foreign.out.find("its levels do not belong to this model's maps"), std::string::npos)
        << foreign.out;
    EXPECT_FALSE(fs::exists(dir / "foreign.wscam")) << "no heatmap computed for a refused run";
    const auto noFolder = run(batch);
    EXPECT_NE(noFolder.exitCode, 0);
    EXPECT_NE(noFolder.out.find("--proposals-out"), std::string::npos) << noFolder.out;
}
