// The evaluation report writer: tables, CSV and JSON from an evaluation result, and the thesis's
// published numbers only beside results on real (not synthetic) data.
#include "TestSupport.h"
#include "core/research/EvaluationReport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& p)
{
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

compute::EvaluationResult sampleResult()
{
    compute::EvaluationResult r;
    r.test.truePositives = 30;
    r.test.falsePositives = 10;
    r.test.trueNegatives = 50;
    r.test.falseNegatives = 10;
    r.validation = r.test;
    r.testMajorityBaselineF1 = 0;
    for (int j = 0; j <= 20; ++j)
        r.thresholds.push_back(j * 0.05);
    compute::MethodResult gradcam;
    gradcam.name = "gradcam";
    gradcam.flavour = "weaksight";
    gradcam.all.setting = "t = 0.15";
    gradcam.all.threshold = 0.15;
    gradcam.all.validationIou = 0.4123;
    gradcam.all.testIou = 0.3456;
    gradcam.all.validationCrops = 20;
    gradcam.all.testCrops = 22;
    gradcam.all.validationCurve.meanIou.assign(21, 0.2);
    gradcam.all.validationCurve.meanDice.assign(21, 0.3);
    gradcam.all.testCurve = gradcam.all.validationCurve;
    gradcam.all.testStatistics.patients = 4;
    gradcam.all.testStatistics.iouInterval = compute::Interval{0.30, 0.39};
    gradcam.all.testStatistics.patientMeanIou = 0.333;
    gradcam.all.testStatistics.pooledIou = 0.36;
    gradcam.all.oracleThreshold = 0.25;
    gradcam.all.oracleSetting = "t = 0.25";
    gradcam.all.oracleTestIou = 0.37;
    gradcam.large = gradcam.all;
    gradcam.crops.push_back({true, 0, {0.25, 0.4, 1, 4}});
    compute::MethodResult hirescam = gradcam; // identical results: grouped and named
    hirescam.name = "hirescam";
    hirescam.sameAs = "gradcam";
    hirescam.crops.clear();
    compute::MethodResult disc;
    disc.name = "baseline: centred disc";
    disc.baseline = true;
    disc.all.setting = "r = 40 px";
    compute::MethodResult scorecam; // too few validation crops to choose a threshold on
    scorecam.name = "scorecam";
    scorecam.flavour = "torchcam"; // rows say whose definitions made them
    scorecam.all.notChosen = "1 val crop";
    scorecam.all.setting = "n/a (1 val crop)";
    scorecam.all.validationCrops = 1;
    scorecam.all.testCrops = 22;
    scorecam.large = scorecam.all;
    r.methods = {gradcam, hirescam, disc, scorecam};
    return r;
}

fs::path writeDataset(const fs::path& dir, bool synthetic)
{
    compute::CropDatasetWriter writer(dir, 8, 8);
    std::vector<int16_t> image(64, 0);
    std::vector<uint8_t> mask(64, 0);
    writer.append({}, image.data(), mask.data());
    compute::DatasetParameters p;
    p.synthetic = synthetic;
    writer.finish(p);
    return dir;
}

} // namespace

TEST(EvaluationReport, WritesTablesCsvAndJsonWithThePublishedNumbersOnRealData)
{
    TempDir dir;
    const auto real = compute::CropDataset::open(writeDataset(dir / "real", false));
    EvaluationReportContext context;
    context.modelFile = "model.wsm";
    context.normalisation = "crop";
    writeEvaluationReport(sampleResult(), real, context, dir / "out");
    const std::string md = readText(dir / "out" / "report.md");
    EXPECT_NE(md.find("| test | 100 | 75.00 % | 75.00 % | 75.00 % | 80.00 % | 30 | 10 | 50 | 10 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| gradcam | weaksight | t = 0.15 | 0.412 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| baseline: centred disc | - | r = 40 px |"), std::string::npos) << md;
    EXPECT_NE(md.find("- CAM definitions: weaksight, torchcam"), std::string::npos) << md;
    EXPECT_NE(md.find("- Crop geometry: centred on the kidney label, lesion = tumour or cyst, pixels of each scan"),
              std::string::npos) << md;
    EXPECT_NE(md.find("published numbers"), std::string::npos);
    EXPECT_NE(md.find("| gradcam | 0.15 | 0.367 / 0.316 | t = 0.15 | 0.412 / 0.346 |"), std::string::npos) << md;
    const std::string csv = readText(dir / "out" / "cams.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9); // header + 4 methods x (all, large)
    // Constant answers beside the classifier (it beats them here: no warning).
    EXPECT_NE(md.find("always lesion F1 57.14 % (accuracy 40.00 %), always no lesion F1 0.00 % (accuracy 60.00 %)"),
              std::string::npos) << md;
    EXPECT_EQ(md.find("does not beat"), std::string::npos);
    // Intervals, patient-level and pooled IoU, the oracle; identical methods grouped.
    EXPECT_NE(md.find("| gradcam | 0.346 [0.300, 0.390] |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 0.333 | 0.360 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 4 | t = 0.25 | 0.370 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| hirescam (= gradcam) |"), std::string::npos) << md;
    EXPECT_NE(md.find("The same maps on every crop (to 1e-4 after normalisation): gradcam = hirescam"), std::string::npos) << md;
    // No coverage in this dataset's manifest: said, not invented.
    EXPECT_NE(md.find("Not recorded: the dataset was built by an older Weaksight"), std::string::npos) << md;
    // Per-crop results, recomputable: one row per evaluated crop.
    const std::string perCrop = readText(dir / "out" / "per_crop.csv");
    EXPECT_NE(perCrop.find("\"gradcam\",weaksight,test,"), std::string::npos) << perCrop;
    EXPECT_NE(perCrop.find(",0.250000,0.400000,1,4\n"), std::string::npos) << perCrop;
    // No threshold where validation had too few crops: n/a, empty CSV fields, JSON null.
    EXPECT_NE(md.find("| scorecam | torchcam | n/a (1 val crop) | n/a | n/a | n/a | n/a | 1 | 22 |"), std::string::npos) << md;
    EXPECT_NE(md.find("| scorecam | 0.15 | 0.370 / 0.323 | n/a (1 val crop) | n/a / n/a |"), std::string::npos) << md;
    EXPECT_NE(csv.find("\"scorecam\",all,0,0,\"n/a (1 val crop)\",,,,,,1,22,"), std::string::npos) << csv;
    const std::string curves = readText(dir / "out" / "threshold_curves.csv");
    EXPECT_EQ(std::count(curves.begin(), curves.end(), '\n'), 1 + 4 * 21); // gradcam, hirescam: all + large
    std::ifstream jsonFile(dir / "out" / "results.json");
    const auto json = nlohmann::json::parse(jsonFile);
    EXPECT_DOUBLE_EQ(json["classification"]["test"]["f1"].get<double>(), 0.75);
    EXPECT_EQ(json["methods"][0]["all"]["setting"], "t = 0.15");
    EXPECT_EQ(json["thresholds"].size(), 21u);
    EXPECT_TRUE(json["methods"][3]["all"]["test_iou"].is_null());
    EXPECT_EQ(json["methods"][3]["all"]["chosen"], false);
    EXPECT_EQ(json["methods"][3]["flavour"], "torchcam");
    EXPECT_TRUE(json["methods"][2]["flavour"].is_null());
    EXPECT_EQ(json["methods"][1]["same_as"], "gradcam");
    EXPECT_DOUBLE_EQ(json["methods"][0]["all"]["test"]["iou_95ci"][0].get<double>(), 0.30);
    EXPECT_EQ(json["methods"][0]["all"]["oracle_setting"], "t = 0.25");
    EXPECT_TRUE(json["classification"]["beats_constant_answers"].get<bool>());
    EXPECT_NE(csv.find(",torchcam\n"), std::string::npos) << csv;

    const auto synthetic = compute::CropDataset::open(writeDataset(dir / "synthetic", true));
    writeEvaluationReport(sampleResult(), synthetic, context, dir / "out2");
    EXPECT_EQ(readText(dir / "out2" / "report.md").find("published numbers"), std::string::npos);
}

TEST(EvaluationReport, GroundTruthOutsideTheCropsPerSplitFromTheManifest)
{
    TempDir dir;
    const auto data = writeDataset(dir / "real", false);
    // Two cases: 100 lesion voxels with 60 in crops (train), 50 with 50 (test); 10 of the train
    // case's voxels on slices the dataset does not sample.
    std::ofstream(data / "manifest.json") << R"({"cases": [
        {"case_id": "case_a", "split": "train", "lesion_voxels": 100, "lesion_voxels_on_sampled_slices": 90,
         "lesion_voxels_in_crops": 60, "tumour_voxels": 80, "tumour_voxels_in_crops": 40},
        {"case_id": "case_b", "split": "test", "lesion_voxels": 50, "lesion_voxels_on_sampled_slices": 50,
         "lesion_voxels_in_crops": 50, "tumour_voxels": 0, "tumour_voxels_in_crops": 0}]})";
    EvaluationReportContext context;
    context.datasetDirectory = data.string();
    writeEvaluationReport(sampleResult(), compute::CropDataset::open(data), context, dir / "out");
    const std::string md = readText(dir / "out" / "report.md");
    EXPECT_NE(md.find("| all | 150 | 21.43 % | 26.67 % | 50.00 % |"), std::string::npos) << md; // 30/140, 40/150, 40/80
    EXPECT_NE(md.find("| train | 100 | 33.33 % | 40.00 % | 50.00 % |"), std::string::npos) << md;
    EXPECT_NE(md.find("| test | 50 | 0.00 % | 0.00 % | 0.00 % |"), std::string::npos) << md;
    const std::string csv = readText(dir / "out" / "coverage.csv");
    EXPECT_NE(csv.find("\"case_a\",train,100,90,60,0.400000,0.333333,80,40,0.500000"), std::string::npos) << csv;
    std::ifstream jsonFile(dir / "out" / "results.json");
    const auto json = nlohmann::json::parse(jsonFile);
    EXPECT_NEAR(json["ground_truth_outside_crops"]["all"]["outside_fraction"].get<double>(), 100.0 / 150.0 * 0.4, 1e-12);
}
