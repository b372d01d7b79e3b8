// The kidney-crop dataset builder on real NIfTI files: synthetic phantom cases and, when present,
// the real KiTS23 masks. Every crop is checked against an independent recount from the labels.
#include "core/dataset/DatasetBuilder.h"

#include "TestSupport.h"
#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"
#include "core/phantom/Phantom.h"
#include "core/research/ProposalStudy.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace weaksight;
using namespace weaksight::test;
using compute::CropDataset;
using compute::Split;
namespace fs = std::filesystem;

namespace {

struct SideCentroid {
    bool present = false;
    double row = 0, col = 0;
};

SideCentroid kidneyCentroid(const LabelVolume& labels, int slice, const std::string& side)
{
    const int half = labels.cols() / 2;
    const int begin = side == "right" ? 0 : half, end = side == "right" ? half : labels.cols();
    double r = 0, c = 0;
    long long n = 0;
    for (int y = 0; y < labels.rows(); ++y)
        for (int x = begin; x < end; ++x)
            if (labels.at(slice, y, x) == labels::Kidney) {
                r += y;
                c += x;
                ++n;
            }
    return n ? SideCentroid{true, r / double(n), c / double(n)} : SideCentroid{};
}

/// Checks every crop of the dataset against the case's volumes; returns the number checked.
int verifyCrops(const CropDataset& dataset, const std::map<std::string, LoadedCase>& cases, bool keepNoKidney)
{
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    int checked = 0;
    for (size_t i = 0; i < dataset.size(); ++i) {
        const auto& record = dataset.records()[i];
        const LoadedCase& c = cases.at(record.caseId);
        const LabelVolume& labels = *c.labels;
        const SideCentroid centre = kidneyCentroid(labels, record.slice, record.side);
        EXPECT_EQ(centre.present, record.kidneyOnSlice) << record.caseId << " slice " << record.slice;
        if (!centre.present && !keepNoKidney)
            ADD_FAILURE() << "a side without kidney was kept";
        if (centre.present) {
            // Centred on the kidney, unless shifted to stay inside the slice.
            const int expectedRow = std::clamp(int(std::lround(centre.row)) - rows / 2, 0, labels.rows() - rows);
            const int expectedCol = std::clamp(int(std::lround(centre.col)) - cols / 2, 0, labels.cols() - cols);
            EXPECT_EQ(record.row0, expectedRow) << record.caseId << " slice " << record.slice << " " << record.side;
            EXPECT_EQ(record.col0, expectedCol) << record.caseId << " slice " << record.slice << " " << record.side;
        }
        long long lesion = 0;
        for (int y = 0; y < rows; ++y)
            for (int x = 0; x < cols; ++x) {
                const int sy = record.row0 + y, sx = record.col0 + x;
                const bool inside = sy >= 0 && sy < labels.rows() && sx >= 0 && sx < labels.cols();
                const bool isLesion = inside && labels::isLesion(labels.at(record.slice, sy, sx));
                lesion += isLesion;
                const size_t p = static_cast<size_t>(y) * cols + x;
                const int16_t expectedHu = inside ? c.imaging->at(record.slice, sy, sx) : int16_t{-1024};
                const uint8_t expectedLabel = inside ? labels.at(record.slice, sy, sx) : uint8_t{0};
                if (dataset.maskPixels(i)[p] != (isLesion ? 1 : 0) || dataset.imagePixels(i)[p] != expectedHu ||
                    !dataset.hasLabels() || dataset.labelPixels(i)[p] != expectedLabel) {
                    ADD_FAILURE() << "crop " << i << " pixel " << y << "," << x << " differs from the volumes";
                    return -1;
                }
            }
        EXPECT_EQ(record.lesion, lesion > 0 ? 1 : 0);
        EXPECT_NEAR(record.lesionFraction, double(lesion) / (rows * cols), 1e-7);
        ++checked;
    }
    return checked;
}

} // namespace

/// Real KiTS23 cases in a KiTS folder: KiTS imaging is not distributed and the builder needs a
/// CT, so one is made from the labels on the real grid (boxes, masks and lesion fractions then
/// come from the real labels).
std::map<std::string, LoadedCase> realKitsCases(const fs::path& data, const fs::path& casesDir,
                                                std::initializer_list<const char*> ids)
{
    for (const char* id : ids) {
        const fs::path caseDir = casesDir / id;
        fs::create_directories(caseDir);
        fs::create_symlink(data / "kits23" / id / "segmentation.nii.gz", caseDir / "segmentation.nii.gz");
        const LabelVolume labels = readLabelVolume(caseDir / "segmentation.nii.gz");
        CtVolume ct(labels.geometry);
        for (size_t v = 0; v < ct.voxels.size(); ++v)
            ct.voxels[v] = static_cast<int16_t>(labels.voxels[v] == 0 ? -100 : 100 + 20 * labels.voxels[v]);
        writeVolume(ct, caseDir / "imaging.nii.gz");
    }
    std::map<std::string, LoadedCase> cases;
    for (const auto& c : scanDataset(casesDir))
        cases.emplace(c.caseId, loadCase(c));
    return cases;
}

/// The manifest's ground-truth coverage of each case against a count made here from the crop
/// boxes the dataset records; returns the cases checked.
int verifyCoverage(const fs::path& datasetDir, const CropDataset& dataset, const std::map<std::string, LoadedCase>& cases,
                   int rows, int cols, bool (*isLesion)(uint8_t) = labels::isLesion)
{
    std::ifstream in(datasetDir / "manifest.json");
    const auto manifest = nlohmann::json::parse(in);
    int checked = 0;
    for (const auto& entry : manifest.at("cases")) {
        const std::string id = entry.at("case_id");
        const LabelVolume& labels = *cases.at(id).labels;
        std::map<int, std::vector<uint8_t>> inBox; // slice -> covered pixels
        for (const auto& r : dataset.records()) {
            if (r.caseId != id)
                continue;
            auto& covered = inBox[r.slice];
            covered.resize(static_cast<size_t>(labels.rows()) * labels.cols());
            for (int y = std::max(0, r.row0); y < std::min(labels.rows(), r.row0 + rows); ++y)
                for (int x = std::max(0, r.col0); x < std::min(labels.cols(), r.col0 + cols); ++x)
                    covered[static_cast<size_t>(y) * labels.cols() + x] = 1;
        }
        long long lesion = 0, inside = 0, tumour = 0, tumourInside = 0;
        for (int k = 0; k < labels.slices(); ++k) {
            const auto it = inBox.find(k);
            for (size_t p = 0; p < labels.sliceSize(); ++p) {
                const uint8_t v = labels.slice(k)[p];
                const bool boxed = it != inBox.end() && it->second[p];
                lesion += isLesion(v);
                inside += boxed && isLesion(v);
                tumour += v == labels::Tumour;
                tumourInside += boxed && v == labels::Tumour;
            }
        }
        EXPECT_EQ(entry.at("lesion_voxels").get<long long>(), lesion) << id;
        EXPECT_EQ(entry.at("lesion_voxels_in_crops").get<long long>(), inside) << id;
        EXPECT_EQ(entry.at("tumour_voxels").get<long long>(), tumour) << id;
        EXPECT_EQ(entry.at("tumour_voxels_in_crops").get<long long>(), tumourInside) << id;
        EXPECT_LE(inside, entry.at("lesion_voxels_on_sampled_slices").get<long long>()) << id;
        std::cout << id << ": " << lesion << " lesion voxels, " << inside << " in crops, " << tumour << " tumour, "
                  << tumourInside << " in crops\n";
        ++checked;
    }
    return checked;
}

TEST(DatasetBuilder, SplitsByPatientWithFixedFractions)
{
    const auto a = assignSplits(10, 3, 0.6, 0.2);
    EXPECT_EQ(a, assignSplits(10, 3, 0.6, 0.2));
    EXPECT_NE(a, assignSplits(10, 4, 0.6, 0.2));
    EXPECT_EQ(std::count(a.begin(), a.end(), Split::Train), 6);
    EXPECT_EQ(std::count(a.begin(), a.end(), Split::Validation), 2);
    EXPECT_EQ(std::count(a.begin(), a.end(), Split::Test), 2);
    const auto small = assignSplits(3, 1, 0.6, 0.2);
    for (Split s : {Split::Train, Split::Validation, Split::Test})
        EXPECT_EQ(std::count(small.begin(), small.end(), s), 1);
}

TEST(DatasetBuilder, CropsEveryKidneySideCentredWithLesionLabelsAndMasks)
{
    TempDir dir;
    PhantomOptions phantom;
    phantom.seed = 31;
    phantom.minInPlace = phantom.maxInPlace = 200;
    phantom.sliceThicknesses = {5.0};
    phantom.lesionFreeFraction = 0;
    writePhantomDataset(phantom, dir / "cases", 5);
    // A case that cannot be read is reported and skipped; the build goes on.
    fs::create_directories(dir / "cases" / "case_00099");
    std::ofstream(dir / "cases" / "case_00099" / "imaging.nii.gz") << "not gzip";
    std::ofstream(dir / "cases" / "case_00099" / "segmentation.nii.gz") << "not gzip";

    DatasetBuildOptions options;
    options.cases = dir / "cases";
    options.out = dir / "crops";
    options.cropRows = options.cropCols = 64;
    options.seed = 2;
    const auto summary = buildCropDataset(options);
    EXPECT_EQ(summary.casesUsed, 5);
    ASSERT_EQ(summary.skipped.size(), 1u);
    EXPECT_NE(summary.skipped[0].find("case_00099"), std::string::npos);
    const CropDataset dataset = CropDataset::open(options.out);
    EXPECT_EQ(static_cast<long long>(dataset.size()), summary.crops());
    EXPECT_TRUE(dataset.parameters().synthetic);
    EXPECT_EQ(dataset.parameters().sourceLayout, "kits23");

    std::map<std::string, LoadedCase> cases;
    for (const auto& c : scanDataset(dir / "cases"))
        if (c.caseId != "case_00099")
            cases.emplace(c.caseId, loadCase(c));
    EXPECT_EQ(verifyCrops(dataset, cases, false), static_cast<int>(dataset.size()));
    EXPECT_EQ(verifyCoverage(options.out, dataset, cases, 64, 64), 5);

    // Patient split: one split per case, all three used.
    std::map<std::string, std::set<Split>> splitsOfCase;
    for (const auto& r : dataset.records())
        splitsOfCase[r.caseId].insert(r.split);
    std::set<Split> used;
    for (const auto& [caseId, splits] : splitsOfCase) {
        EXPECT_EQ(splits.size(), 1u) << caseId << " is in two splits";
        used.insert(*splits.begin());
    }
    EXPECT_GE(used.size(), 2u); // six cases in three splits; the unreadable one took a slot
    EXPECT_GT(summary.train.lesionCrops + summary.validation.lesionCrops + summary.test.lesionCrops, 5);
    // Both sides appear (kidneys on the patient's right and left).
    std::set<std::string> sides;
    for (const auto& r : dataset.records())
        sides.insert(r.side);
    EXPECT_EQ(sides, (std::set<std::string>{"left", "right"}));
    std::ifstream manifestFile(options.out / "manifest.json");
    const auto manifest = nlohmann::json::parse(manifestFile);
    EXPECT_EQ(manifest["splits"]["train"]["crops"].get<long long>(), summary.train.crops);
    EXPECT_EQ(manifest["skipped"].size(), 1u);

    // Every 3rd slice; sides without kidney kept and centred from the nearest slices.
    options.out = dir / "every3";
    options.sliceStep = 3;
    options.keepNoKidney = true;
    const auto sparse = buildCropDataset(options);
    const CropDataset every3 = CropDataset::open(options.out);
    int withoutKidney = 0;
    for (const auto& r : every3.records()) {
        EXPECT_EQ(r.slice % 3, 0);
        withoutKidney += !r.kidneyOnSlice;
    }
    EXPECT_GT(withoutKidney, 0);
    EXPECT_EQ(verifyCrops(every3, cases, true), static_cast<int>(every3.size()));
    EXPECT_EQ(static_cast<long long>(every3.size()), sparse.crops());

    // The sanity experiment: a black square top-left in every lesion crop, which is then the mask.
    options.out = dir / "square";
    options.sliceStep = 1;
    options.keepNoKidney = false;
    options.sanitySquare = 12;
    buildCropDataset(options);
    const CropDataset square = CropDataset::open(options.out);
    EXPECT_EQ(square.parameters().sanitySquare, 12);
    for (size_t i = 0; i < square.size(); ++i) {
        if (!square.records()[i].lesion)
            continue;
        long long maskPixels = 0;
        for (int p = 0; p < 64 * 64; ++p)
            maskPixels += square.maskPixels(i)[p];
        ASSERT_EQ(maskPixels, 144);
        EXPECT_EQ(square.maskPixels(i)[11 * 64 + 11], 1);
        EXPECT_EQ(square.imagePixels(i)[5 * 64 + 5], -1024);
    }
}

TEST(DatasetBuilder, RefusesBadOptionsAndEmptyFolders)
{
    TempDir dir;
    DatasetBuildOptions options;
    options.cases = dir.path();
    options.out = dir / "out";
    EXPECT_THROW(buildCropDataset(options), InputError); // no cases
    options.sliceStep = 0;
    EXPECT_THROW(buildCropDataset(options), InputError);
    options.sliceStep = 1;
    options.huHigh = options.huLow;
    EXPECT_THROW(buildCropDataset(options), InputError);
}

TEST(DatasetBuilder, ResampledCropHasTheRequestedFieldOfView)
{
    // 0.5 mm pixels; HU = 10 x column (a ramp, which bilinear interpolation reproduces exactly);
    // a 20 x 20-pixel (10 mm) tumour square at rows/cols 20..39.
    const auto geometry = StorageGeometry::canonical({1, 64, 64}, {2.0, 0.5, 0.5});
    CtVolume ct(geometry);
    LabelVolume labels(geometry);
    for (int r = 0; r < 64; ++r)
        for (int c = 0; c < 64; ++c) {
            ct.voxels[ct.index(0, r, c)] = static_cast<int16_t>(10 * c);
            labels.voxels[labels.index(0, r, c)] = r >= 20 && r < 40 && c >= 20 && c < 40 ? labels::Tumour : 0;
        }
    // 1 mm crop pixels: each spans 2 x 2 slice pixels; 16 x 16 pixels cover 32 x 32 slice pixels.
    std::vector<int16_t> image(16 * 16);
    std::vector<uint8_t> cropLabels(16 * 16);
    cutResampledCrop(ct, &labels, 0, 16, 16, 2.0, 2.0, 16, 16, image.data(), cropLabels.data());
    int tumourPixels = 0;
    for (int r = 0; r < 16; ++r)
        for (int c = 0; c < 16; ++c) {
            // Crop pixel c's centre is slice column 16 + 2c + 0.5: HU 10 x that.
            EXPECT_EQ(image[static_cast<size_t>(r) * 16 + c], static_cast<int16_t>(std::lround(10 * (16 + 2 * c + 0.5))));
            tumourPixels += cropLabels[static_cast<size_t>(r) * 16 + c] == labels::Tumour;
        }
    EXPECT_EQ(tumourPixels, 10 * 10); // 10 mm = 10 crop pixels a side
    // Outside the slice: air.
    cutResampledCrop(ct, &labels, 0, 60, 60, 2.0, 2.0, 4, 4, image.data(), cropLabels.data());
    EXPECT_EQ(image[3 * 4 + 3], -1024);
    EXPECT_EQ(cropLabels[3 * 4 + 3], 0);
}

TEST(DatasetBuilder, RealKits23MasksCentredOnTheKidneys)
{
    const auto data = realDataDirectory();
    if (!data || !fs::exists(*data / "kits23" / "case_00502"))
        GTEST_SKIP() << "real KiTS23 masks not found (../shared/data or $WEAKSIGHT_REAL_DATA)";
    TempDir dir;
    const auto cases = realKitsCases(*data, dir / "cases", {"case_00110", "case_00502"});
    DatasetBuildOptions options;
    options.cases = dir / "cases";
    options.out = dir / "crops";
    const auto summary = buildCropDataset(options);
    EXPECT_EQ(summary.casesUsed, 2);
    const CropDataset dataset = CropDataset::open(options.out);
    EXPECT_FALSE(dataset.parameters().synthetic);
    EXPECT_EQ(verifyCrops(dataset, cases, false), static_cast<int>(dataset.size()));
    // How much of the real ground truth the 150-pixel kidney-centred crops hold, per case.
    EXPECT_EQ(verifyCoverage(options.out, dataset, cases, 150, 150), 2);
    // case_00502: a tiny tumour on 2 slices and a small cyst: a few lesion crops with small fractions.
    int lesionCrops502 = 0;
    double largest502 = 0;
    for (const auto& r : dataset.records())
        if (r.caseId == "case_00502" && r.lesion) {
            ++lesionCrops502;
            largest502 = std::max(largest502, r.lesionFraction);
        }
    EXPECT_GE(lesionCrops502, 2);
    EXPECT_LT(largest502, 0.05);
    // The real kidneys sit posterior: crop centres in the lower half of the 512-row slice.
    for (const auto& r : dataset.records())
        if (r.kidneyOnSlice) {
            EXPECT_GT(r.row0 + 75, 200) << r.caseId << " slice " << r.slice;
        }
}

TEST(DatasetBuilder, CropGeometryOptionsOnRealKits23Masks)
{
    const auto data = realDataDirectory();
    if (!data || !fs::exists(*data / "kits23" / "case_00160"))
        GTEST_SKIP() << "real KiTS23 masks not found (../shared/data or $WEAKSIGHT_REAL_DATA)";
    TempDir dir;
    const auto cases = realKitsCases(*data, dir / "cases", {"case_00110", "case_00160", "case_00502"});
    const auto build = [&](const std::string& name, const std::function<void(DatasetBuildOptions&)>& set) {
        DatasetBuildOptions options;
        options.cases = dir / "cases";
        options.out = dir / name;
        set(options);
        buildCropDataset(options);
        std::ifstream in(options.out / "manifest.json");
        const auto manifest = nlohmann::json::parse(in);
        std::map<std::string, nlohmann::json> byCase;
        for (const auto& c : manifest.at("cases"))
            byCase[c.at("case_id").get<std::string>()] = c;
        return byCase;
    };
    const auto kidney = build("kidney", [](DatasetBuildOptions&) {});

    // Centred on kidney and lesion: every case keeps at least as much lesion, and the counts
    // match the boxes the dataset records.
    const auto both = build("both", [](DatasetBuildOptions& o) { o.centring = "kidney+lesion"; });
    const CropDataset bothSet = CropDataset::open(dir / "both");
    EXPECT_EQ(bothSet.parameters().centring, "kidney+lesion");
    EXPECT_EQ(verifyCoverage(dir / "both", bothSet, cases, 150, 150), 3);
    long long kidneyInside = 0, bothInside = 0;
    for (const auto& [id, c] : kidney) {
        kidneyInside += c.at("lesion_voxels_in_crops").get<long long>();
        bothInside += both.at(id).at("lesion_voxels_in_crops").get<long long>();
        std::cout << id << ": lesion in crops " << c.at("lesion_voxels_in_crops") << " (kidney) / "
                  << both.at(id).at("lesion_voxels_in_crops") << " (kidney+lesion) of " << c.at("lesion_voxels") << "\n";
    }
    EXPECT_GE(bothInside, kidneyInside);

    // Tumour only: cysts are not lesions; masks hold tumour voxels only.
    const auto tumour = build("tumour", [](DatasetBuildOptions& o) { o.lesionLabels = "tumour"; });
    const CropDataset tumourSet = CropDataset::open(dir / "tumour");
    EXPECT_EQ(tumourSet.parameters().lesionLabels, "tumour");
    EXPECT_EQ(verifyCoverage(dir / "tumour", tumourSet, cases, 150, 150, [](uint8_t v) { return v == labels::Tumour; }), 3);
    for (const auto& [id, c] : tumour)
        EXPECT_EQ(c.at("lesion_voxels"), c.at("tumour_voxels")) << id;
    EXPECT_LT(tumour.at("case_00502").at("lesion_voxels").get<long long>(),
              kidney.at("case_00502").at("lesion_voxels").get<long long>()); // it has a cyst

    // A fixed field of view: 150 pixels of 0.78 mm = 117 mm whatever the scan's pixels.
    build("fov", [](DatasetBuildOptions& o) { o.pixelSpacingMm = 0.78; });
    const CropDataset fov = CropDataset::open(dir / "fov");
    EXPECT_DOUBLE_EQ(fov.parameters().pixelSpacingMm, 0.78);
    int checked = 0;
    for (size_t i = 0; i < fov.size(); ++i) {
        const auto& r = fov.records()[i];
        if (r.lesionFraction < 0.01)
            continue;
        // Lesion area inside the crop's box on the slice, in mm^2, against the crop's lesion pixels x 0.78^2.
        const LabelVolume& labels = *cases.at(r.caseId).labels;
        const int extentRows = static_cast<int>(std::lround(150 * 0.78 / labels.spacing[1]));
        const int extentCols = static_cast<int>(std::lround(150 * 0.78 / labels.spacing[2]));
        long long native = 0;
        for (int y = std::max(0, r.row0); y < std::min(labels.rows(), r.row0 + extentRows); ++y)
            for (int x = std::max(0, r.col0); x < std::min(labels.cols(), r.col0 + extentCols); ++x)
                native += labels::isLesion(labels.at(r.slice, y, x));
        const double nativeMm2 = static_cast<double>(native) * labels.spacing[1] * labels.spacing[2];
        const double cropMm2 = r.lesionFraction * 150 * 150 * 0.78 * 0.78;
        EXPECT_NEAR(cropMm2, nativeMm2, 0.1 * nativeMm2 + 20.0) << r.caseId << " slice " << r.slice;
        ++checked;
    }
    EXPECT_GT(checked, 10);
}

TEST(SliceContext, NeighbouringCropsLineUpOnRealKits23Masks)
{
    // The volumetric proposals (issue 16) average a crop's map with its neighbours' on the adjacent
    // slices, placed by their boxes: on real KiTS23 masks, a neighbour's labels placed on a crop's
    // box must be the volume's labels on the neighbour's slice at that box.
    const auto data = realDataDirectory();
    if (!data || !fs::exists(*data / "kits23" / "case_00110"))
        GTEST_SKIP() << "real KiTS23 masks not found (../shared/data or $WEAKSIGHT_REAL_DATA)";
    TempDir dir;
    const auto cases = realKitsCases(*data, dir / "cases", {"case_00110"});
    DatasetBuildOptions options;
    options.cases = dir / "cases";
    options.out = dir / "crops";
    options.sliceStep = 2;
    buildCropDataset(options);
    const CropDataset dataset = CropDataset::open(options.out);
    const auto neighbours = research::neighbouringCrops(dataset);
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    const size_t pixels = static_cast<size_t>(rows) * cols;
    int pairs = 0, moved = 0;
    long long compared = 0;
    for (size_t i = 0; i < dataset.size(); ++i) {
        const auto& crop = dataset.records()[i];
        for (const auto& [next, direction] :
             {std::pair{neighbours[i].below, -1}, std::pair{neighbours[i].above, +1}}) {
            if (!next)
                continue;
            const auto& other = dataset.records()[*next];
            ASSERT_EQ(other.caseId, crop.caseId);
            ASSERT_EQ(other.side, crop.side);
            ASSERT_EQ(other.slice, crop.slice + 2 * direction) << "the adjacent sampled slice";
            ++pairs;
            moved += other.row0 != crop.row0 || other.col0 != crop.col0;
            const uint8_t* labels = dataset.labelPixels(*next);
            const auto placed =
                research::placedOn(dataset, *next, i, std::vector<float>(labels, labels + pixels), -1.f);
            const LabelVolume& volume = *cases.at(crop.caseId).labels;
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) {
                    const float value = placed[static_cast<size_t>(r) * cols + c];
                    const int sr = crop.row0 + r, sc = crop.col0 + c;
                    const bool covered = sr - other.row0 >= 0 && sr - other.row0 < rows &&
                                         sc - other.col0 >= 0 && sc - other.col0 < cols;
                    ASSERT_EQ(value >= 0, covered) << i << " " << r << "," << c;
                    if (!covered || sr < 0 || sc < 0 || sr >= volume.rows() || sc >= volume.cols())
                        continue;
                    ASSERT_EQ(value, volume.at(other.slice, sr, sc)) << i << " " << r << "," << c;
                    ++compared;
                }
        }
    }
    EXPECT_GT(pairs, 20);
    EXPECT_GT(moved, 0) << "the kidney's centre moves between slices: the boxes differ";
    EXPECT_GT(compared, 100000);
}

TEST(SliceContext, TwoPointFiveDPlanesAreTheCropsBoxOnTheNeighbouringSlicesOfRealKits23Masks)
{
    // A 2.5D model's planes (issue 16) are the crop's own box on the planes k x spacing mm away: on
    // a real 5 mm KiTS23 case, 10 mm apart they are the slices two away; 2.5 mm apart, every other
    // plane lies halfway between two slices and is their mean. Past the volume's ends: the end slice.
    const auto data = realDataDirectory();
    if (!data || !fs::exists(*data / "kits23" / "case_00110"))
        GTEST_SKIP() << "real KiTS23 masks not found (../shared/data or $WEAKSIGHT_REAL_DATA)";
    TempDir dir;
    const auto cases = realKitsCases(*data, dir / "cases", {"case_00110"});
    const CtVolume& ct = *cases.at("case_00110").imaging;
    ASSERT_DOUBLE_EQ(ct.spacing[0], 5.0);
    for (const double spacing : {10.0, 2.5}) {
        DatasetBuildOptions options;
        options.cases = dir / "cases";
        options.out = dir / ("crops-" + std::to_string(spacing));
        options.contextSlices = 2;
        options.contextSpacingMm = spacing;
        buildCropDataset(options);
        const CropDataset dataset = CropDataset::open(options.out);
        ASSERT_EQ(dataset.parameters().context, (compute::SliceContext{2, spacing}));
        const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
        long long compared = 0, halfway = 0, clamped = 0, differs = 0;
        for (size_t i = 0; i < dataset.size(); ++i) {
            const auto& crop = dataset.records()[i];
            for (int offset = -2; offset <= 2; ++offset) {
                const double z = crop.slice + offset * spacing / 5.0;
                const double inside = std::clamp(z, 0.0, ct.slices() - 1.0);
                clamped += z != inside;
                const int below = static_cast<int>(std::floor(inside));
                const bool between = inside != below;
                halfway += between;
                const int16_t* plane = dataset.planePixels(i, offset);
                for (int r = 0; r < rows; ++r)
                    for (int c = 0; c < cols; ++c) {
                        const int y = crop.row0 + r, x = crop.col0 + c;
                        ASSERT_TRUE(y >= 0 && x >= 0 && y < ct.rows() && x < ct.cols());
                        const int expected =
                            between ? static_cast<int>(
                                          std::lround((ct.at(below, y, x) + ct.at(below + 1, y, x)) / 2.0))
                                    : ct.at(below, y, x);
                        ASSERT_EQ(plane[static_cast<size_t>(r) * cols + c], expected)
                            << "crop " << i << " plane " << offset << " at " << r << "," << c;
                        differs +=
                            offset != 0 && plane[static_cast<size_t>(r) * cols + c] !=
                                               dataset.imagePixels(i)[static_cast<size_t>(r) * cols + c];
                        ++compared;
                    }
            }
        }
        EXPECT_GT(compared, 1000000);
        EXPECT_GT(differs, 10000) << "the planes are other slices, not copies of the crop";
        std::cout << "context " << spacing << " mm: " << clamped << " planes past the volume's ends\n";
        if (spacing == 2.5)
            EXPECT_GT(halfway, 0);
        else
            EXPECT_EQ(halfway, 0);
    }
}

TEST(SliceContext, PlanesInterpolateLinearlyAlongTheAxisAndStopAtTheVolumesEnds)
{
    // Slice k holds 30 k HU everywhere, slices 3 mm apart: a plane z mm away holds 30 (k + z / 3),
    // rounded, until it passes the first or last slice.
    CtVolume ct(StorageGeometry::canonical({6, 4, 4}, {3.0, 1.0, 1.0}));
    for (int k = 0; k < 6; ++k)
        std::fill(ct.voxels.begin() + k * 16, ct.voxels.begin() + (k + 1) * 16, static_cast<int16_t>(30 * k));
    const auto planesAt = [&](int slice, const compute::SliceContext& context) {
        std::vector<int16_t> out(2 * static_cast<size_t>(context.slices) * 4);
        cutContextPlanes(
            ct, slice, context, 4, [&](int k, int16_t* crop) { cutCrop(ct, k, 1, 1, 2, 2, crop); },
            out.data());
        std::vector<int> values;
        for (size_t plane = 0; plane < out.size() / 4; ++plane)
            values.push_back(out[plane * 4]);
        return values;
    };
    EXPECT_EQ(planesAt(2, {2, 2.0}), (std::vector<int>{20, 40, 80, 100})) << "2 mm = 2/3 slice";
    EXPECT_EQ(planesAt(0, {1, 4.0}), (std::vector<int>{0, 40})) << "below the first slice: the first";
    EXPECT_EQ(planesAt(5, {2, 6.0}), (std::vector<int>{30, 90, 150, 150})) << "above the last: the last";
    // The model's input in channel order: planes -n .. -1, the slice, +1 .. +n.
    const compute::Image2D input =
        cutModelInput(ct, 3, {1, 3.0}, 2, 2, [&](int k, int16_t* crop) { cutCrop(ct, k, 1, 1, 2, 2, crop); });
    ASSERT_EQ(input.channels, 3);
    EXPECT_EQ(input.pixels, (std::vector<float>{60, 60, 60, 60, 90, 90, 90, 90, 120, 120, 120, 120}));
}
