#include "core/phantom/Phantom.h"

#include "TestSupport.h"
#include "core/common/Error.h"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace weaksight;
namespace fs = std::filesystem;

namespace {

// Small matrices and thick slices keep each case around a tenth of a second; the pixel
// spacing grows so that the field of view stays abdominal.
PhantomOptions smallOptions(uint64_t seed = 1)
{
    PhantomOptions o;
    o.seed = seed;
    o.minInPlace = 160;
    o.maxInPlace = 192;
    o.sliceThicknesses = {5.0};
    return o;
}

struct LabelStats {
    long count[4] = {0, 0, 0, 0};
    double huSum[4] = {0, 0, 0, 0};
    long kidneyLeftHalf = 0;  ///< columns < cols / 2: patient's right
    long kidneyRightHalf = 0; ///< columns > cols / 2: patient's left
    long bone = 0;
    double mean(int label) const { return count[label] ? huSum[label] / count[label] : 0; }
};

LabelStats statsOf(const PhantomCase& c)
{
    LabelStats s;
    const auto& ct = c.imaging;
    const auto& lab = c.segmentation;
    for (int k = 0; k < ct.slices(); ++k)
        for (int r = 0; r < ct.rows(); ++r)
            for (int col = 0; col < ct.cols(); ++col) {
                const uint8_t l = lab.at(k, r, col);
                const int16_t hu = ct.at(k, r, col);
                if (l < 4) {
                    ++s.count[l];
                    s.huSum[l] += hu;
                }
                if (l == labels::Kidney) {
                    if (2 * col < ct.cols() - 1)
                        ++s.kidneyLeftHalf;
                    else if (2 * col > ct.cols() - 1)
                        ++s.kidneyRightHalf;
                }
                if (hu > 400)
                    ++s.bone;
            }
    return s;
}

bool hasLabel(const PhantomCase& c, uint8_t label)
{
    return std::find(c.segmentation.voxels.begin(), c.segmentation.voxels.end(), label) !=
           c.segmentation.voxels.end();
}

} // namespace

TEST(Phantom, GeometryIsKitsStorageWithPlausibleAcquisition)
{
    PhantomOptions o = smallOptions();
    o.sliceThicknesses = {2.5, 5.0};
    const PhantomCase c = generatePhantomCase(o, 3);
    EXPECT_EQ(c.caseId, "case_00003");
    EXPECT_EQ(c.imaging.geometry.orientationCode(), "IPL");
    EXPECT_EQ(c.imaging.geometry.canonicalShape(), c.imaging.shape);
    EXPECT_TRUE(c.imaging.geometry.sameGrid(c.segmentation.geometry));
    EXPECT_EQ(c.imaging.rows(), c.imaging.cols());
    EXPECT_GE(c.imaging.cols(), 160);
    EXPECT_LE(c.imaging.cols(), 192);
    EXPECT_DOUBLE_EQ(c.imaging.spacing[1], c.imaging.spacing[2]);
    const double fov = c.imaging.spacing[2] * c.imaging.cols();
    EXPECT_GE(fov, 330);
    EXPECT_LE(fov, 440);
    EXPECT_TRUE(c.imaging.spacing[0] == 2.5 || c.imaging.spacing[0] == 5.0);
    const double coverage = c.imaging.spacing[0] * c.imaging.slices();
    EXPECT_GE(coverage, 145);
    EXPECT_LE(coverage, 260);
    EXPECT_EQ(c.imaging.voxels.size(), c.segmentation.voxels.size());
    for (uint8_t v : c.segmentation.voxels)
        ASSERT_LE(v, 3);
}

TEST(Phantom, KidneysLieOnBothSidesOfTheMidline)
{
    for (int index = 0; index < 3; ++index) {
        const LabelStats s = statsOf(generatePhantomCase(smallOptions(), index));
        EXPECT_GT(s.kidneyLeftHalf, 500) << "case " << index;
        EXPECT_GT(s.kidneyRightHalf, 500) << "case " << index;
    }
}

TEST(Phantom, LiverIsOnThePatientsRight)
{
    // Radiological display: column 0 is the patient's right. In the most superior slice the
    // liver (about +90..+130 HU, large) dominates the image's left half.
    const PhantomCase c = generatePhantomCase(smallOptions(), 0);
    const int k = c.imaging.slices() - 1;
    long left = 0, right = 0;
    for (int r = 0; r < c.imaging.rows(); ++r)
        for (int col = 0; col < c.imaging.cols(); ++col) {
            const int16_t hu = c.imaging.at(k, r, col);
            if (hu > 80 && hu < 140)
                ++(2 * col < c.imaging.cols() ? left : right);
        }
    EXPECT_GT(left, 2 * right);
}

TEST(Phantom, RecordedLesionsAreLabelledWithPlausibleSizes)
{
    PhantomOptions o = smallOptions(5);
    o.lesionFreeFraction = 0;
    int tumours = 0, cysts = 0;
    for (int index = 0; index < 10; ++index) {
        const PhantomCase c = generatePhantomCase(o, index);
        ASSERT_FALSE(c.lesions.empty()) << "case " << index;
        EXPECT_LE(c.lesions.size(), 3u);
        for (const PhantomLesion& l : c.lesions) {
            EXPECT_GE(l.diameterMm, 10);
            EXPECT_LE(l.diameterMm, 80);
            EXPECT_TRUE(l.side == -1 || l.side == 1);
            ASSERT_TRUE(labels::isLesion(l.label));
            EXPECT_TRUE(hasLabel(c, l.label)) << "case " << index << " label " << int(l.label);
            (l.label == labels::Tumour ? tumours : cysts)++;
        }
    }
    EXPECT_GT(tumours, 0);
    EXPECT_GT(cysts, 0);
}

TEST(Phantom, LesionFreeFractionIsHonoured)
{
    PhantomOptions o = smallOptions(11);
    int lesionFree = 0;
    for (int index = 0; index < 10; ++index) {
        const PhantomCase c = generatePhantomCase(o, index);
        if (c.lesions.empty()) {
            ++lesionFree;
            EXPECT_FALSE(hasLabel(c, labels::Tumour));
            EXPECT_FALSE(hasLabel(c, labels::Cyst));
            EXPECT_TRUE(hasLabel(c, labels::Kidney));
        }
    }
    // Lesion-free cases are spread evenly: 0.2 of 10 consecutive cases.
    EXPECT_EQ(lesionFree, 2);

    o.lesionFreeFraction = 1.0;
    const PhantomCase none = generatePhantomCase(o, 4);
    EXPECT_TRUE(none.lesions.empty());
    EXPECT_FALSE(hasLabel(none, labels::Tumour));
    EXPECT_FALSE(hasLabel(none, labels::Cyst));
}

TEST(Phantom, TissueIntensitiesArePlausible)
{
    PhantomOptions o = smallOptions(3);
    o.lesionFreeFraction = 0;
    LabelStats all;
    for (int index = 0; index < 8; ++index) {
        const PhantomCase c = generatePhantomCase(o, index);
        const LabelStats s = statsOf(c);
        for (int l = 0; l < 4; ++l) {
            all.count[l] += s.count[l];
            all.huSum[l] += s.huSum[l];
        }
        EXPECT_GT(s.bone, 100) << "case " << index; // vertebrae and ribs

        // Air in the image corners, outside the body.
        double air = 0;
        int n = 0;
        for (int k = 0; k < c.imaging.slices(); ++k)
            for (int r = 0; r < 6; ++r)
                for (int col = 0; col < 6; ++col, ++n)
                    air += c.imaging.at(k, r, col) + c.imaging.at(k, r, c.imaging.cols() - 1 - col);
        air /= 2 * n;
        EXPECT_NEAR(air, -1000, 15) << "case " << index;
    }
    ASSERT_GT(all.count[labels::Kidney], 0);
    ASSERT_GT(all.count[labels::Tumour], 0);
    ASSERT_GT(all.count[labels::Cyst], 0);
    EXPECT_GE(all.mean(labels::Kidney), 100);
    EXPECT_LE(all.mean(labels::Kidney), 250);
    EXPECT_GE(all.mean(labels::Cyst), -10);
    EXPECT_LE(all.mean(labels::Cyst), 40);
    EXPECT_LT(all.mean(labels::Tumour), all.mean(labels::Kidney) - 40);
    EXPECT_GT(all.mean(labels::Tumour), all.mean(labels::Cyst));
}

TEST(Phantom, IsDeterministicPerSeedAndIndex)
{
    const PhantomCase a = generatePhantomCase(smallOptions(42), 2);
    const PhantomCase b = generatePhantomCase(smallOptions(42), 2);
    EXPECT_EQ(a.imaging.shape, b.imaging.shape);
    EXPECT_EQ(a.imaging.voxels, b.imaging.voxels);
    EXPECT_EQ(a.segmentation.voxels, b.segmentation.voxels);
    ASSERT_EQ(a.lesions.size(), b.lesions.size());
    for (size_t i = 0; i < a.lesions.size(); ++i)
        EXPECT_EQ(a.lesions[i].diameterMm, b.lesions[i].diameterMm);

    const PhantomCase otherSeed = generatePhantomCase(smallOptions(43), 2);
    EXPECT_TRUE(otherSeed.imaging.shape != a.imaging.shape || otherSeed.imaging.voxels != a.imaging.voxels);
    const PhantomCase otherIndex = generatePhantomCase(smallOptions(42), 3);
    EXPECT_TRUE(otherIndex.imaging.shape != a.imaging.shape || otherIndex.imaging.voxels != a.imaging.voxels);
}

TEST(Phantom, RejectsInvalidOptions)
{
    PhantomOptions o = smallOptions();
    o.sliceThicknesses.clear();
    EXPECT_THROW(generatePhantomCase(o, 0), InputError);
    o = smallOptions();
    o.minInPlace = 300;
    o.maxInPlace = 200;
    EXPECT_THROW(generatePhantomCase(o, 0), InputError);
    o = smallOptions();
    o.lesionFreeFraction = 1.5;
    EXPECT_THROW(generatePhantomCase(o, 0), InputError);
    EXPECT_THROW(generatePhantomCase(smallOptions(), -1), InputError);
}

TEST(Phantom, WritesKits23Layout)
{
    test::TempDir dir("weaksight-phantom");
    PhantomOptions o = smallOptions();
    o.minInPlace = o.maxInPlace = 64;
    o.firstIndex = 3;
    std::vector<int> progress;
    writePhantomDataset(o, dir.path(), 2, [&](int done, int total) {
        EXPECT_EQ(total, 2);
        progress.push_back(done);
    });
    EXPECT_EQ(progress, (std::vector<int>{1, 2}));
    for (const char* id : {"case_00003", "case_00004"}) {
        EXPECT_TRUE(fs::is_regular_file(dir.path() / id / "imaging.nii.gz")) << id;
        EXPECT_TRUE(fs::is_regular_file(dir.path() / id / "segmentation.nii.gz")) << id;
        EXPECT_TRUE(fs::is_directory(dir.path() / id / "instances")) << id;
    }
    EXPECT_FALSE(fs::exists(dir.path() / "case_00000"));
    std::ifstream in(dir.path() / "dataset_00003-00004.json");
    ASSERT_TRUE(in.good());
    const auto summary = nlohmann::json::parse(in);
    EXPECT_EQ(summary["seed"], 1);
    ASSERT_EQ(summary["cases"].size(), 2u);
    EXPECT_EQ(summary["cases"][0]["case_id"], "case_00003");
    EXPECT_EQ(summary["cases"][1]["shape"].size(), 3u);
}
