#include "TestSupport.h"
#include "core/cases/CaseInfo.h"
#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/io/VolumeIo.h"

#include <gtest/gtest.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

// 6 slices of 10 x 12: kidney on slices 1-4, tumour on slices 2-3, cyst on slice 4.
void writeCase(const fs::path& dir, bool imaging, const char* segName, bool instances, bool annotators)
{
    fs::create_directories(dir);
    const auto g = StorageGeometry::kitsStorage({6, 10, 12}, {3.0, 0.8, 0.8});
    if (imaging) {
        CtVolume ct(g);
        std::fill(ct.voxels.begin(), ct.voxels.end(), int16_t(-50));
        ct.at(0, 0, 0) = -1000;
        ct.at(5, 9, 11) = 1200;
        writeVolume(ct, dir / "imaging.nii.gz");
    }
    if (segName) {
        LabelVolume labels(g);
        for (int k = 1; k <= 4; ++k)
            for (int r = 2; r < 6; ++r)
                labels.at(k, r, 1) = labels::Kidney; // 4 voxels per slice
        labels.at(2, 3, 1) = labels::Tumour;
        labels.at(3, 3, 1) = labels::Tumour;
        labels.at(4, 4, 1) = labels::Cyst;
        writeVolume(labels, dir / segName);
    }
    if (instances)
        fs::create_directories(dir / "instances");
    if (annotators)
        fs::create_directories(dir / "segmentations");
}

} // namespace

TEST(KitsCase, RecognisesLayouts)
{
    TempDir root;
    writeCase(root / "kits19" / "case_00000", true, "segmentation.nii.gz", false, false);
    writeCase(root / "kits21" / "case_00000", true, "aggregated_MAJ_seg.nii.gz", false, true);
    writeCase(root / "kits23" / "case_00000", true, "segmentation.nii.gz", true, false);
    writeCase(root / "kits23" / "case_00001", false, "segmentation.nii.gz", false, false); // masks only
    writeCase(root / "kits23" / "case_00002", true, nullptr, false, false);                 // imaging only
    fs::create_directories(root / "kits23" / "not_a_case");

    const auto k19 = scanDataset(root / "kits19");
    ASSERT_EQ(k19.size(), 1u);
    EXPECT_EQ(k19[0].layout, KitsLayout::Kits19);
    EXPECT_EQ(k19[0].contentDescription(), "imaging and labels");
    // Loading finds the cyst label, which KiTS19 does not have.
    EXPECT_EQ(loadCase(k19[0]).files.layout, KitsLayout::Kits23);

    const auto k21 = scanDataset(root / "kits21");
    ASSERT_EQ(k21.size(), 1u);
    EXPECT_EQ(k21[0].layout, KitsLayout::Kits21);
    EXPECT_EQ(k21[0].segmentation->filename(), "aggregated_MAJ_seg.nii.gz");

    const auto k23 = scanDataset(root / "kits23");
    ASSERT_EQ(k23.size(), 3u);
    EXPECT_EQ(k23[0].layout, KitsLayout::Kits23);
    // No instances/ of its own, but its dataset is KiTS23.
    EXPECT_EQ(k23[1].layout, KitsLayout::Kits23);
    EXPECT_EQ(describeCaseDirectory(root / "kits23" / "case_00001").layout, KitsLayout::Kits23);
    EXPECT_EQ(k23[1].contentDescription(), "labels only");
    EXPECT_FALSE(k23[1].hasImaging());
    EXPECT_EQ(k23[2].contentDescription(), "imaging only");
    EXPECT_FALSE(k23[2].hasSegmentation());

    // A single case directory is a dataset of one.
    const auto single = scanDataset(root / "kits23" / "case_00000");
    ASSERT_EQ(single.size(), 1u);
    EXPECT_EQ(single[0].caseId, "case_00000");
}

TEST(KitsCase, EmptyFolderIsAClearError)
{
    TempDir root;
    EXPECT_THROW(scanDataset(root.path()), InputError);
    EXPECT_THROW(scanDataset(root / "missing"), InputError);
}

TEST(KitsCase, CaseInfoCountsSlicesAndVoxelsPerLabel)
{
    TempDir root;
    writeCase(root / "case_00007", true, "segmentation.nii.gz", true, false);
    const auto info = caseInfo(root / "case_00007");
    EXPECT_EQ(info["layout"], "kits23");
    EXPECT_EQ(info["axial_slices"], 6);
    EXPECT_EQ(info["shape"], nlohmann::json({6, 10, 12}));
    EXPECT_EQ(info["spacing_mm"][0].get<double>(), 3.0);
    EXPECT_NEAR(info["spacing_mm"][1].get<double>(), 0.8, 1e-6);
    EXPECT_EQ(info["orientation"], "IPL");
    EXPECT_EQ(info["slices_with_label"], nlohmann::json({{"1", 4}, {"2", 2}, {"3", 1}}));
    EXPECT_EQ(info["voxels_with_label"], nlohmann::json({{"1", 16 - 3}, {"2", 2}, {"3", 1}}));
    EXPECT_EQ(info["slices_with_lesion"], 3);
    EXPECT_EQ(info["hu_range"], nlohmann::json({-1000, 1200}));
    EXPECT_EQ(info["axial_order"], "inferior_to_superior");
}

TEST(KitsCase, CaseInfoOnSingleLabelFile)
{
    TempDir root;
    writeCase(root / "c", false, "segmentation.nii.gz", false, false);
    const auto info = caseInfo(root / "c" / "segmentation.nii.gz");
    EXPECT_EQ(info["layout"], "single-file");
    EXPECT_EQ(info["has_labels"], true);
    EXPECT_EQ(info["slices_with_label"]["1"], 4);
}

TEST(KitsCase, MismatchedGridsAreRefused)
{
    TempDir root;
    const auto dir = root / "case_00009";
    fs::create_directories(dir);
    writeVolume(CtVolume(StorageGeometry::kitsStorage({6, 10, 12}, {3, 0.8, 0.8})), dir / "imaging.nii.gz");
    writeVolume(LabelVolume(StorageGeometry::kitsStorage({6, 10, 11}, {3, 0.8, 0.8})), dir / "segmentation.nii.gz");
    try {
        loadCase(describeCaseDirectory(dir));
        FAIL() << "expected a grid mismatch error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("segmentation.nii.gz"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
    }
}
