// Runs the real `weaksight` executable as a user would.
#include "../core/TestSupport.h"
#include "RunBinary.h"
#include "core/compute/Classifier.h"
#include "core/compute/CropDataset.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/wait.h>

using namespace weaksight::test;

namespace {

using Result = RunResult;

Result run(const std::string& arguments)
{
    return runWeaksight(arguments, false);
}

} // namespace

TEST(Cli, HelpForEverySubcommand)
{
    const auto top = run("--help");
    EXPECT_EQ(top.exitCode, 0);
    for (const char* sub : {"gui", "case-info", "phantom", "cam", "import", "export", "stats", "merge",
                            "dataset build", "train", "evaluate", "cam-batch", "cam-merge", "bench train"}) {
        const std::string name(sub);
        EXPECT_NE(top.out.find(name.substr(0, name.find(' '))), std::string::npos) << sub;
        const auto help = run(std::string(sub) + " --help");
        EXPECT_EQ(help.exitCode, 0) << sub;
        EXPECT_NE(help.out.find("Usage"), std::string::npos) << sub;
    }
}

TEST(Cli, VersionNamesLibTorchAndDevice)
{
    const auto version = run("--version");
    EXPECT_EQ(version.exitCode, 0);
    EXPECT_NE(version.out.find("weaksight "), std::string::npos);
    EXPECT_NE(version.out.find("LibTorch 1."), std::string::npos) << version.out;
    EXPECT_NE(version.out.find("device "), std::string::npos);
}

TEST(Cli, PhantomThenCaseInfoJson)
{
    TempDir dir;
    const auto phantom = run("phantom --out " + dir.path().string() +
                             " --cases 2 --seed 11 --min-size 128 --max-size 128 --thickness 5");
    ASSERT_EQ(phantom.exitCode, 0);
    const auto info = run("case-info --json " + (dir / "case_00001").string());
    ASSERT_EQ(info.exitCode, 0) << info.out;
    const auto json = nlohmann::json::parse(info.out);
    EXPECT_EQ(json["layout"], "kits23");
    EXPECT_EQ(json["orientation"], "IPL");
    EXPECT_EQ(json["shape"][1], 128);
    EXPECT_EQ(json["shape"][0], json["axial_slices"]);
    EXPECT_NEAR(json["spacing_mm"][0].get<double>(), 5.0, 1e-6);
    EXPECT_GT(json["slices_with_label"]["1"].get<int>(), 5);
    EXPECT_GT(json["voxels_with_label"]["1"].get<long long>(), 1000);

    const auto text = run("case-info " + (dir / "case_00001").string());
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_NE(text.out.find("axial slices"), std::string::npos);

    // The dataset folder itself: what it holds, no voxels read (it used to say "no DICOM files").
    const auto dataset = run("case-info --json " + dir.path().string());
    ASSERT_EQ(dataset.exitCode, 0) << dataset.out;
    const auto folder = nlohmann::json::parse(dataset.out);
    EXPECT_TRUE(folder["dataset"].get<bool>());
    EXPECT_EQ(folder["layout"], "kits23");
    EXPECT_EQ(folder["case_count"], 2);
    EXPECT_EQ(folder["cases"][1]["case_id"], "case_00001");
    const auto listed = run("case-info " + dir.path().string());
    EXPECT_EQ(listed.exitCode, 0);
    EXPECT_NE(listed.out.find("a dataset folder (kits23 layout) with 2 case(s)"), std::string::npos)
        << listed.out;
    EXPECT_NE(listed.out.find("case_00000"), std::string::npos) << listed.out;
}

TEST(Cli, TheGuiWithoutADisplaySaysHowToRunHeadless)
{
    // Qt would abort with "reinstalling the application may fix this problem".
    std::map<std::string, std::string> saved;
    for (const char* variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        if (const char* value = std::getenv(variable)) {
            saved[variable] = value;
            unsetenv(variable);
        }
    const auto gui = runWeaksight("gui", true);
    const auto bench = runWeaksight("bench gui", true);
    for (const auto& [variable, value] : saved)
        setenv(variable.c_str(), value.c_str(), 1);
    EXPECT_EQ(gui.exitCode, 2) << gui.out;
    EXPECT_NE(gui.out.find("no display found"), std::string::npos) << gui.out;
    EXPECT_NE(gui.out.find("xvfb-run -a weaksight gui"), std::string::npos) << gui.out;
    EXPECT_EQ(gui.out.find("reinstalling"), std::string::npos) << gui.out;
    EXPECT_EQ(bench.exitCode, 2) << bench.out;
    EXPECT_NE(bench.out.find("xvfb-run -a weaksight bench gui"), std::string::npos) << bench.out;
}

TEST(Cli, CaseInfoErrorsNameTheFile)
{
    const auto missing = run("case-info --json /nonexistent/case_00001/imaging.nii.gz");
    EXPECT_EQ(missing.exitCode, 1);
    const auto json = nlohmann::json::parse(missing.out);
    EXPECT_NE(json["error"].get<std::string>().find("file not found"), std::string::npos);
    EXPECT_EQ(json["file"], "/nonexistent/case_00001/imaging.nii.gz");
}

TEST(Cli, BadArgumentsAreRejected)
{
    EXPECT_NE(run("phantom --cases 3").exitCode, 0); // --out is required
    EXPECT_NE(run("no-such-command").exitCode, 0);
    EXPECT_NE(run("--log-level loud case-info /tmp").exitCode, 0);
}

TEST(Cli, ImportStatsExportAndMergeOnAStore)
{
    TempDir dir;
    ASSERT_EQ(run("phantom --out " + (dir / "data").string() +
                  " --cases 2 --seed 4 --min-size 96 --max-size 96 "
                  "--thickness 5")
                  .exitCode,
              0);
    const std::string db = (dir / "store.sqlite").string();
    const auto imported = run("import --db " + db + " --dataset " + (dir / "data").string());
    ASSERT_EQ(imported.exitCode, 0);
    EXPECT_NE(imported.out.find("imported 2 cases (2 with labels)"), std::string::npos) << imported.out;

    const auto stats = run("stats --json --db " + db);
    ASSERT_EQ(stats.exitCode, 0);
    const auto json = nlohmann::json::parse(stats.out);
    ASSERT_EQ(json["cases"].size(), 2u);
    EXPECT_EQ(json["cases"][0]["status"], "not started");
    EXPECT_TRUE(json["iou"].empty());
    EXPECT_TRUE(json["iou_per_annotator"].empty());
    EXPECT_EQ(run("stats --db " + db).exitCode, 0);

    const auto exported =
        run("export --db " + db + " --out " + (dir / "out").string() + " --format nifti,coco");
    EXPECT_EQ(exported.exitCode, 0);
    EXPECT_NE(exported.out.find("exported 0 cases"), std::string::npos) << exported.out;

    const auto merged = run("merge --out " + (dir / "merged.sqlite").string() + " " + db);
    EXPECT_EQ(merged.exitCode, 0);
    EXPECT_NE(merged.out.find("merged 1 stores"), std::string::npos) << merged.out;

    // A file that is not a store is refused with a message and left alone.
    const auto notes = dir / "notes.sqlite";
    writeBytes(notes, {'n', 'o', 't', 'e', 's'});
    EXPECT_EQ(run("stats --db " + notes.string()).exitCode, 1);
    EXPECT_EQ(readBytes(notes).size(), 5u);
    EXPECT_NE(run("export --db " + db + " --out /tmp/x --format tiff").exitCode, 0);

    // Names from a store reach the terminal escaped: a key with an escape sequence and a newline
    // (as an old or hand-edited store may hold) neither recolours the screen nor breaks the table.
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(
                  handle,
                  "UPDATE cases SET case_key = 'evil' || char(27) || '[2J' || char(10) || 'x' WHERE id = 1",
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(handle);
    const auto table = run("stats --db " + db);
    EXPECT_EQ(table.exitCode, 0);
    EXPECT_EQ(table.out.find('\x1b'), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("evil\\x1b[2J\\x0ax"), std::string::npos) << table.out;
}

/// A random tiny ResNet saved at `path` (pixel spacing recorded when > 0); returns the path.
std::string saveTinyModel(const std::filesystem::path& path, double pixelSpacingMm = 0)
{
    weaksight::compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    description.pixelSpacingMm = pixelSpacingMm;
    weaksight::compute::Classifier::create(description, 3).save(path.string());
    return path.string();
}

/// A 40 x 48 crop of `spacing` mm pixels with a deterministic HU pattern, written to `path`.
std::filesystem::path writeTestCrop(const std::filesystem::path& path, double spacing)
{
    weaksight::Image2DFile crop{40, 48, spacing, spacing, std::vector<float>(40 * 48)};
    for (size_t i = 0; i < crop.pixels.size(); ++i)
        crop.pixels[i] = static_cast<float>((i * 37) % 400) - 100.f;
    weaksight::writeImage2D(crop, path);
    return path;
}

TEST(Cli, CamResamplesToTheModelsPhysicalScale)
{
    TempDir dir;
    const auto unscaled = saveTinyModel(dir / "unscaled.pt");
    const auto scaled = saveTinyModel(dir / "scaled.pt", 0.8); // trained on 0.8 mm crops
    EXPECT_EQ(weaksight::compute::Classifier::load(scaled, "cpu").description().pixelSpacingMm, 0.8);
    const auto input = writeTestCrop(dir / "crop.nii.gz", 1.6); // 40 x 48 pixels of 1.6 mm: 64 x 77 mm

    const auto resampled = run("cam --model " + scaled + " --input " + input.string() +
                               " --method gradcam --out " + (dir / "map.nii.gz").string());
    ASSERT_EQ(resampled.exitCode, 0) << resampled.out;
    EXPECT_NE(resampled.out.find("resampled from 1.60 x 1.60 mm to 0.80 mm pixels"), std::string::npos)
        << resampled.out;
    const auto map = weaksight::readImage2D(dir / "map.nii.gz");
    EXPECT_EQ(map.rows, 80); // the same 64 x 77 mm at 0.8 mm
    EXPECT_EQ(map.cols, 96);
    EXPECT_NEAR(map.rowSpacing, 0.8, 1e-6); // NIfTI stores float32

    const auto unknown = run("cam --model " + unscaled + " --input " + input.string() +
                             " --method gradcam --out " + (dir / "map2.nii.gz").string());
    ASSERT_EQ(unknown.exitCode, 0) << unknown.out;
    EXPECT_NE(unknown.out.find("the model records no pixel spacing"), std::string::npos) << unknown.out;
    EXPECT_EQ(weaksight::readImage2D(dir / "map2.nii.gz").rows, 40);

    // Crops for evaluating the model on other cases, cut at the spacing it learned.
    ASSERT_EQ(
        run("phantom --out " + (dir / "cases").string() + " --cases 3 --min-size 96 --max-size 96").exitCode,
        0);
    const auto build = run("dataset build --cases " + (dir / "cases").string() + " --out " +
                           (dir / "crops").string() + " --crop 32 --spacing-of " + scaled);
    ASSERT_EQ(build.exitCode, 0) << build.out;
    EXPECT_DOUBLE_EQ(weaksight::compute::CropDataset::open(dir / "crops").parameters().pixelSpacingMm, 0.8);
    const auto refused = runWeaksight("dataset build --cases " + (dir / "cases").string() + " --out " +
                                          (dir / "crops2").string() + " --crop 32 --spacing-of " + unscaled,
                                      true);
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_NE(refused.out.find("records no pixel spacing"), std::string::npos) << refused.out;
}

TEST(Cli, CamWritesOneMapPerMethod)
{
    TempDir dir;
    const auto modelPath = saveTinyModel(dir / "tiny.pt");
    const auto input = writeTestCrop(dir / "crop.nii.gz", 0.8);

    const auto all =
        run("cam --model " + modelPath + " --input " + input.string() + " --method all --out " +
            (dir / "map.nii.gz").string() + " --out-raw " + (dir / "raw.nii.gz").string() + " --threads 2");
    ASSERT_EQ(all.exitCode, 0) << all.out;
    for (const char* method : {"cam", "gradcam", "gradcam++", "smoothgradcam++", "scorecam", "scorecam-fast",
                               "xgradcam", "layercam", "hirescam", "eigencam"}) {
        SCOPED_TRACE(method);
        const auto map = weaksight::readImage2D(dir / ("map_" + std::string(method) + ".nii.gz"));
        EXPECT_EQ(map.rows, 40);
        EXPECT_EQ(map.cols, 48);
        for (float v : map.pixels) {
            ASSERT_GE(v, 0.f);
            ASSERT_LE(v, 1.f);
        }
        const auto raw = weaksight::readImage2D(dir / ("raw_" + std::string(method) + ".nii.gz"));
        EXPECT_EQ(raw.rows, 10); // tiny: output stride 4
        EXPECT_EQ(raw.cols, 12);
        EXPECT_NE(all.out.find(method), std::string::npos);
    }

    // A slice of a volume, and clear errors.
    ASSERT_EQ(run("phantom --out " + (dir / "data").string() +
                  " --cases 1 --min-size 96 --max-size 96 --thickness 5")
                  .exitCode,
              0);
    const auto sliceRun =
        run("cam --model " + modelPath + " --input " + (dir / "data/case_00000/imaging.nii.gz").string() +
            " --slice 5 --crop whole --method gradcam --out " + (dir / "slice.nii.gz").string());
    EXPECT_EQ(sliceRun.exitCode, 0) << sliceRun.out;
    EXPECT_EQ(weaksight::readImage2D(dir / "slice.nii.gz").rows, 96);
    // By default the workstation's crops: one box per kidney of the case's labels, each map written
    // with its side.
    const auto labels = weaksight::readLabelVolume(dir / "data/case_00000/segmentation.nii.gz");
    const weaksight::KidneyCentres centres(labels);
    int kidneySlice = -1;
    for (int k = 0; k < labels.slices() && kidneySlice < 0; ++k)
        if (centres.boxes(k, 32, 32).size() == 2)
            kidneySlice = k;
    ASSERT_GE(kidneySlice, 0);
    const auto cropRun =
        run("cam --model " + modelPath + " --input " + (dir / "data/case_00000/imaging.nii.gz").string() +
            " --slice " + std::to_string(kidneySlice) + " --crop-size 32 --method gradcam --out " +
            (dir / "kidney.nii.gz").string());
    ASSERT_EQ(cropRun.exitCode, 0) << cropRun.out;
    EXPECT_NE(cropRun.out.find("on the kidneys of the labels"), std::string::npos) << cropRun.out;
    for (const auto& crop : centres.boxes(kidneySlice, 32, 32)) {
        EXPECT_EQ(weaksight::readImage2D(dir / ("kidney_" + crop.side + ".nii.gz")).rows, 32) << crop.side;
        EXPECT_NE(cropRun.out.find(crop.side + " kidney: box at row " + std::to_string(crop.box.row0) +
                                   ", column " + std::to_string(crop.box.col0)),
                  std::string::npos)
            << cropRun.out;
    }
    EXPECT_EQ(run("cam --model " + (dir / "missing.pt").string() + " --input " + input.string()).exitCode, 1);
    EXPECT_NE(
        run("cam --model " + modelPath + " --input " + input.string() + " --method gradcam+++").exitCode, 0);
    EXPECT_EQ(
        run("cam --model " + modelPath + " --input " + (dir / "data/case_00000/imaging.nii.gz").string())
            .exitCode,
        1); // a 3D volume needs --slice
}

TEST(Cli, TwoPointFiveDFromTheDatasetToTheMaps)
{
    // Issue 16, slice context: a dataset with the planes 5 mm above and below each crop, a 2.5D
    // classifier trained on it (and a 2D one on the same crops), and its maps of a volume's slice.
    TempDir dir;
    ASSERT_EQ(run("phantom --out " + (dir / "cases").string() +
                  " --cases 3 --min-size 96 --max-size 96 --thickness 5")
                  .exitCode,
              0);
    const auto build = run("dataset build --cases " + (dir / "cases").string() + " --out " +
                           (dir / "crops").string() + " --crop 32 --context 1 --context-spacing 5");
    ASSERT_EQ(build.exitCode, 0) << build.out;
    const auto dataset = weaksight::compute::CropDataset::open(dir / "crops");
    EXPECT_EQ(dataset.parameters().context, (weaksight::compute::SliceContext{1, 5.0}));
    EXPECT_TRUE(std::filesystem::exists(dir / "crops" / "context.npy"));
    for (const auto& [name, context] : {std::pair{"flat", " --context 0"}, std::pair{"deep", ""}})
        ASSERT_EQ(run("train --data " + (dir / "crops").string() + " --out " + (dir / name).string() +
                      ".wsm --epochs 1 --batch 8 --threads 2" + context)
                      .exitCode,
                  0);
    const auto deep = (dir / "deep.wsm").string(), flat = (dir / "flat.wsm").string();
    EXPECT_EQ(weaksight::compute::Classifier::load(deep, "cpu").description().context.slices, 1);
    EXPECT_EQ(weaksight::compute::Classifier::load(flat, "cpu").description().context.slices, 0);

    const std::string volume = (dir / "cases/case_00000/imaging.nii.gz").string();
    const auto maps = run("cam --model " + deep + " --input " + volume +
                          " --slice 5 --crop whole --method gradcam --out " + (dir / "deep.nii.gz").string());
    ASSERT_EQ(maps.exitCode, 0) << maps.out;
    EXPECT_EQ(weaksight::readImage2D(dir / "deep.nii.gz").rows, 96);
    // One 2D image has no neighbouring planes; the 2D model cannot stand in for the 2.5D one.
    const auto crop = writeTestCrop(dir / "crop.nii.gz", 0.8);
    const auto flatInput = runWeaksight("cam --model " + deep + " --input " + crop.string(), true);
    EXPECT_EQ(flatInput.exitCode, 1);
    EXPECT_NE(flatInput.out.find("give a volume and --slice"), std::string::npos) << flatInput.out;
    const auto notDeep = runWeaksight("evaluate --data " + (dir / "crops").string() + " --model " + flat +
                                          " --out " + (dir / "eval").string() + " --context-model " + flat,
                                      true);
    EXPECT_EQ(notDeep.exitCode, 1);
    EXPECT_NE(notDeep.out.find("is a 2D model"), std::string::npos) << notDeep.out;
    // A 2.5D model asked to read a 2D dataset is told how to build one it can read.
    ASSERT_EQ(run("dataset build --cases " + (dir / "cases").string() + " --out " +
                  (dir / "flat-crops").string() + " --crop 32")
                  .exitCode,
              0);
    const auto refused = runWeaksight("evaluate --data " + (dir / "flat-crops").string() + " --model " +
                                          deep + " --out " + (dir / "e2").string(),
                                      true);
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_NE(refused.out.find("--context 1 --context-spacing"), std::string::npos) << refused.out;
}
