// Tests on real data from ../shared/data (never copied into the repo); skipped when absent.
#include "TestSupport.h"
#include "core/cases/CaseInfo.h"
#include "core/cases/KitsCase.h"
#include "core/io/VolumeIo.h"

#include <gtest/gtest.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

fs::path requireRealData(const std::string& sub)
{
    const auto root = realDataDirectory();
    if (!root || !fs::exists(*root / sub))
        return {};
    return *root / sub;
}

#define SKIP_WITHOUT(path, what)                                                                                  \
    if ((path).empty())                                                                                          \
    GTEST_SKIP() << "real data not present (" what "); set WEAKSIGHT_REAL_DATA or provide ../shared/data"

struct KitsFacts {
    const char* caseId;
    int slices, rows, cols;
    double spacingZ, spacingXY;
    std::vector<int> labels;
};

// The table in ../shared/data/README.md.
const KitsFacts kKitsFacts[] = {
    {"case_00110", 34, 512, 512, 5.0, 0.830078125, {1, 2, 3}},
    {"case_00160", 252, 512, 796, 1.0, 0.451171875, {1, 2}},
    {"case_00502", 159, 512, 512, 2.5, 0.703125, {1, 2, 3}},
};

/// Mean canonical row and column of a label.
std::array<double, 2> centroid(const LabelVolume& v, uint8_t label)
{
    double rows = 0, cols = 0, n = 0;
    for (int k = 0; k < v.slices(); ++k)
        for (int r = 0; r < v.rows(); ++r)
            for (int c = 0; c < v.cols(); ++c)
                if (v.at(k, r, c) == label) {
                    rows += r;
                    cols += c;
                    ++n;
                }
    return {n ? rows / n : -1, n ? cols / n : -1};
}

} // namespace

TEST(RealData, Kits23CaseInfoMatchesTheDatasetReadme)
{
    const auto dir = requireRealData("kits23");
    SKIP_WITHOUT(dir, "kits23");
    for (const auto& facts : kKitsFacts) {
        SCOPED_TRACE(facts.caseId);
        const auto info = caseInfo(dir / facts.caseId);
        EXPECT_EQ(info["layout"], "kits23");
        EXPECT_EQ(info["content"], "labels only");
        EXPECT_EQ(info["axial_slices"], facts.slices);
        EXPECT_EQ(info["shape"], nlohmann::json({facts.slices, facts.rows, facts.cols}));
        EXPECT_NEAR(info["spacing_mm"][0].get<double>(), facts.spacingZ, 1e-4);
        EXPECT_NEAR(info["spacing_mm"][1].get<double>(), facts.spacingXY, 1e-4);
        EXPECT_NEAR(info["spacing_mm"][2].get<double>(), facts.spacingXY, 1e-4);
        EXPECT_EQ(info["orientation"], "IPL");
        for (int label : facts.labels)
            EXPECT_GT(info["slices_with_label"].value(std::to_string(label), 0), 0) << "label " << label;
    }
}

TEST(RealData, Kits23KidneysArePosteriorAndOnBothSides)
{
    const auto dir = requireRealData("kits23/case_00110");
    SKIP_WITHOUT(dir, "kits23/case_00110");
    const LabelVolume labels = readLabelVolume(dir / "segmentation.nii.gz");
    // Kidneys lie behind the midline (posterior half: larger rows) and on both sides.
    int left = 0, right = 0;
    double rowSum = 0, n = 0;
    for (int k = 0; k < labels.slices(); ++k)
        for (int r = 0; r < labels.rows(); ++r)
            for (int c = 0; c < labels.cols(); ++c)
                if (labels.at(k, r, c) == labels::Kidney) {
                    (c < labels.cols() / 2 ? right : left)++;
                    rowSum += r;
                    ++n;
                }
    EXPECT_GT(left, 1000);
    EXPECT_GT(right, 1000);
    EXPECT_GT(rowSum / n, labels.rows() / 2.0);
}

TEST(RealData, Kits23InstanceMasksAreOnTheCaseGrid)
{
    const auto dir = requireRealData("kits23/case_00110");
    SKIP_WITHOUT(dir, "kits23/case_00110");
    const auto files = describeCaseDirectory(dir);
    ASSERT_FALSE(files.annotatorMasks.empty());
    const LabelVolume reference = readLabelVolume(*files.segmentation);
    const LabelVolume instance = readLabelVolume(files.annotatorMasks.front()); // float64 0/1 on disk
    EXPECT_TRUE(reference.geometry.sameGrid(instance.geometry));
    EXPECT_GT(std::count(instance.voxels.begin(), instance.voxels.end(), uint8_t(1)), 0);
}

TEST(RealData, TotalSegmentatorCtLoadsInHounsfieldUnits)
{
    const auto dir = requireRealData("totalsegmentator");
    SKIP_WITHOUT(dir, "totalsegmentator");
    const auto info = caseInfo(dir / "example_ct.nii.gz");
    EXPECT_EQ(info["has_imaging"], true);
    EXPECT_EQ(info["orientation"], "RAS");
    EXPECT_EQ(info["shape"], nlohmann::json({112, 101, 122}));
    EXPECT_EQ(info["hu_range"], nlohmann::json({-1207, 3382}));
    EXPECT_NEAR(info["spacing_mm"][0].get<double>(), 3.0, 1e-4);

    // The model-made mask: 2 = right kidney, 3 = left kidney. Radiological display puts the
    // patient's right kidney on the image's left (smaller canonical column).
    const LabelVolume seg = readLabelVolume(dir / "example_seg_fast_force_split.nii.gz", nullptr);
    const auto rightKidney = centroid(seg, 2), leftKidney = centroid(seg, 3);
    ASSERT_GE(rightKidney[1], 0);
    ASSERT_GE(leftKidney[1], 0);
    EXPECT_LT(rightKidney[1], leftKidney[1]);
    EXPECT_GT(rightKidney[0], seg.rows() / 2.0); // posterior half
}

TEST(RealData, TotalSegmentatorJpeg2000DicomSeries)
{
    const auto dir = requireRealData("totalsegmentator/example_ct_dicom");
    SKIP_WITHOUT(dir, "totalsegmentator/example_ct_dicom");
    ReadReport report;
    const CtVolume ct = readCtVolume(dir, &report);
    EXPECT_EQ(ct.shape, (std::array<int, 3>{20, 512, 512}));
    const auto [lo, hi] = std::minmax_element(ct.voxels.begin(), ct.voxels.end());
    EXPECT_LE(*lo, -900); // air around the patient
    EXPECT_GE(*hi, 300);  // contrast or bone
    // Tissue inside the body sits near soft-tissue HU at the centre of the middle slice.
    EXPECT_GT(ct.at(10, 256, 256), -200);
}

TEST(RealData, DicomSeriesWithDuplicatePositionIsReported)
{
    const auto dir = requireRealData("dicom-series/dupe-positions");
    SKIP_WITHOUT(dir, "dicom-series/dupe-positions");
    ReadReport report;
    const CtVolume ct = readCtVolume(dir, &report);
    EXPECT_EQ(report.droppedDuplicates.size(), 1u);
    EXPECT_EQ(ct.slices(), 10);
    EXPECT_FALSE(report.evenlySpaced);
    bool sawDuplicate = false;
    for (const auto& w : report.warnings)
        sawDuplicate = sawDuplicate || w.find("duplicate slice position") != std::string::npos;
    EXPECT_TRUE(sawDuplicate);
    const auto info = caseInfo(dir);
    EXPECT_FALSE(info["warnings"].empty());
}
