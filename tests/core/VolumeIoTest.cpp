#include "TestSupport.h"
#include "core/common/Error.h"
#include "core/io/VolumeIo.h"

#include <gtest/gtest.h>
#include <set>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <limits>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

using namespace weaksight;
using namespace weaksight::test;

namespace {

CtVolume patternedCt(const StorageGeometry& g)
{
    CtVolume v(g);
    for (size_t i = 0; i < v.voxels.size(); ++i)
        v.voxels[i] = static_cast<int16_t>(static_cast<int>(i * 37 % 4000) - 1024);
    return v;
}

void expectSameGeometry(const StorageGeometry& a, const StorageGeometry& b)
{
    EXPECT_EQ(a.size, b.size);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(a.spacing[i], b.spacing[i], 1e-5);
        EXPECT_NEAR(a.origin[i], b.origin[i], 1e-4);
    }
    for (int i = 0; i < 9; ++i)
        EXPECT_NEAR(a.direction[i], b.direction[i], 1e-5);
    EXPECT_EQ(a.orientationCode(), b.orientationCode());
}

std::string messageOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("unexpected exception type: ") + e.what();
    }
    return "no error";
}

} // namespace

class VolumeRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(VolumeRoundTrip, CtAndLabelsSurviveWriteAndRead)
{
    TempDir dir;
    auto g = StorageGeometry::kitsStorage({7, 12, 10}, {2.5, 0.75, 0.75});
    g.origin = {12.5, -30.0, 101.0};
    const CtVolume ct = patternedCt(g);
    LabelVolume labels(g);
    for (size_t i = 0; i < labels.voxels.size(); ++i)
        labels.voxels[i] = static_cast<uint8_t>(i % 4);

    const auto ctPath = dir / ("ct" + GetParam());
    const auto labelPath = dir / ("labels" + GetParam());
    writeVolume(ct, ctPath);
    writeVolume(labels, labelPath);

    ReadReport report;
    const CtVolume ctBack = readCtVolume(ctPath, &report);
    EXPECT_TRUE(report.warnings.empty());
    expectSameGeometry(ct.geometry, ctBack.geometry);
    EXPECT_EQ(ctBack.shape, ct.shape);
    EXPECT_EQ(ctBack.voxels, ct.voxels);

    const LabelVolume labelsBack = readLabelVolume(labelPath);
    expectSameGeometry(labels.geometry, labelsBack.geometry);
    EXPECT_EQ(labelsBack.voxels, labels.voxels);
    EXPECT_TRUE(readVolumeHeader(labelPath).looksLikeLabels());
    EXPECT_FALSE(readVolumeHeader(ctPath).looksLikeLabels());
}

INSTANTIATE_TEST_SUITE_P(Formats, VolumeRoundTrip, ::testing::Values(".nii", ".nii.gz", ".nrrd", ".mha", ".mhd"),
                         [](const auto& p) {
                             std::string name = p.param.substr(1);
                             for (auto& ch : name)
                                 if (ch == '.')
                                     ch = '_';
                             return name;
                         });

// A marked voxel written with a known storage direction must land on the right canonical
// voxel: anterior at the top, the patient's right on the image's left, inferior slices first.
struct OrientationCase {
    const char* name;
    std::array<double, 9> direction; // LPS, row-major, columns = storage axes
    std::array<int, 3> size;
};

class OrientationTest : public ::testing::TestWithParam<OrientationCase> {};

TEST_P(OrientationTest, MarkedVoxelLandsOnItsAnatomicalPosition)
{
    TempDir dir;
    StorageGeometry g;
    g.size = GetParam().size;
    g.spacing = {1.5, 2.0, 2.5};
    g.direction = GetParam().direction;
    g.origin = {-20, 30, 40};
    g.deriveCanonicalMapping();
    CtVolume ct(g);
    std::fill(ct.voxels.begin(), ct.voxels.end(), int16_t(-1000));
    // Mark the voxel nearest the patient's right, anterior and inferior corner (canonical 1,1,1).
    const auto shape = ct.shape;
    ct.at(1, 1, 1) = 500;
    const auto expectedPoint = g.physicalPoint(1, 1, 1);
    const auto path = dir / "marked.nii.gz";
    writeVolume(ct, path);

    const CtVolume back = readCtVolume(path);
    ASSERT_EQ(back.shape, shape);
    EXPECT_EQ(back.at(1, 1, 1), 500);
    EXPECT_EQ(std::count(back.voxels.begin(), back.voxels.end(), int16_t(500)), 1);
    const auto point = back.geometry.physicalPoint(1, 1, 1);
    for (int m = 0; m < 3; ++m)
        EXPECT_NEAR(point[m], expectedPoint[m], 1e-3);
    // Anatomy of canonical axes: +column is towards the patient's left (+x in LPS),
    // +row posterior (+y), +slice superior (+z).
    const auto p0 = back.geometry.physicalPoint(0, 0, 0);
    EXPECT_GT(back.geometry.physicalPoint(0, 0, 1)[0], p0[0]);
    EXPECT_GT(back.geometry.physicalPoint(0, 1, 0)[1], p0[1]);
    EXPECT_GT(back.geometry.physicalPoint(1, 0, 0)[2], p0[2]);
}

INSTANTIATE_TEST_SUITE_P(
    Directions, OrientationTest,
    ::testing::Values(OrientationCase{"LPS_identity", {1, 0, 0, 0, 1, 0, 0, 0, 1}, {6, 7, 8}},
                      OrientationCase{"RAS_nifti", {-1, 0, 0, 0, -1, 0, 0, 0, 1}, {6, 7, 8}},
                      OrientationCase{"KiTS_IPL", {0, 0, 1, 0, 1, 0, -1, 0, 0}, {8, 7, 6}},
                      OrientationCase{"sagittal_PSL", {0, 0, 1, 1, 0, 0, 0, 1, 0}, {7, 8, 6}},
                      OrientationCase{"LPI_flipped_z", {1, 0, 0, 0, 1, 0, 0, 0, -1}, {6, 7, 8}}),
    [](const auto& p) { return std::string(p.param.name); });

// Independent of our writer: a NIfTI file written byte by byte with the KiTS header
// (axial on the first array axis, sform I,P,L, qform_code 0, sform_code 2).
TEST(KitsOrientation, HandWrittenKitsHeaderGivesRadiologicalAxialSlices)
{
    TempDir dir;
    const int n0 = 5, n1 = 6, n2 = 7; // slices, H, W as stored
    std::vector<uint8_t> data(static_cast<size_t>(n0) * n1 * n2, 0);
    // NIfTI is x-fastest: index = i0 + n0 * (i1 + n1 * i2). Mark stored slice 0 (most superior),
    // row 2, column 5 (towards the patient's left).
    data[0 + n0 * (2 + n1 * 5)] = 2;
    const std::array<std::array<float, 4>, 3> srow{{{0, 0, -0.8f, 0}, {0, -0.8f, 0, 0}, {-3.0f, 0, 0, 0}}};
    const auto path = dir / "segmentation.nii.gz";
    writeRawNifti(path, {n0, n1, n2}, 2, {1, 3.0f, 0.8f, 0.8f}, srow, data);

    const LabelVolume labels = readLabelVolume(path);
    EXPECT_EQ(labels.geometry.orientationCode(), "IPL");
    EXPECT_EQ(labels.shape, (std::array<int, 3>{n0, n1, n2}));
    EXPECT_NEAR(labels.spacing[0], 3.0, 1e-6);
    EXPECT_NEAR(labels.spacing[1], 0.8, 1e-6);
    // Most superior stored slice is the last canonical slice; rows and columns keep their order.
    EXPECT_EQ(labels.at(n0 - 1, 2, 5), 2);
    EXPECT_EQ(std::count(labels.voxels.begin(), labels.voxels.end(), uint8_t(2)), 1);
}

TEST(VolumeIoErrors, MissingFile)
{
    EXPECT_NE(messageOf([] { readCtVolume("/nonexistent/imaging.nii.gz"); }).find("file not found"),
              std::string::npos);
}

TEST(VolumeIoErrors, EmptyFile)
{
    TempDir dir;
    writeBytes(dir / "empty.nii.gz", {});
    EXPECT_NE(messageOf([&] { readCtVolume(dir / "empty.nii.gz"); }).find("empty"), std::string::npos);
}

TEST(VolumeIoErrors, TruncatedGzip)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({6, 40, 40}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii.gz");
    auto bytes = readBytes(dir / "ct.nii.gz");
    bytes.resize(bytes.size() / 2);
    writeBytes(dir / "cut.nii.gz", bytes);
    const auto message = messageOf([&] { readCtVolume(dir / "cut.nii.gz"); });
    EXPECT_NE(message.find("cut.nii.gz"), std::string::npos) << message;
    EXPECT_NE(message.find("truncated gzip"), std::string::npos) << message;
}

TEST(VolumeIoErrors, CorruptGzip)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({6, 40, 40}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii.gz");
    auto bytes = readBytes(dir / "ct.nii.gz");
    for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i)
        bytes[i] ^= 0x5a;
    writeBytes(dir / "bad.nii.gz", bytes);
    const auto message = messageOf([&] { readCtVolume(dir / "bad.nii.gz"); });
    EXPECT_NE(message.find("corrupt gzip"), std::string::npos) << message;
}

TEST(VolumeIoErrors, NotAnImage)
{
    TempDir dir;
    const std::string text = "this is a text file, not a CT volume\n";
    writeBytes(dir / "notes.nii", std::vector<uint8_t>(text.begin(), text.end()));
    writeBytes(dir / "notes.txt", std::vector<uint8_t>(text.begin(), text.end()));
    for (const char* name : {"notes.nii", "notes.txt"}) {
        const auto message = messageOf([&] { readCtVolume(dir / name); });
        EXPECT_NE(message.find("not a recognised image format"), std::string::npos) << message;
        EXPECT_NE(message.find(name), std::string::npos) << message;
    }
}

TEST(VolumeIoErrors, TwoDimensionalImage)
{
    TempDir dir;
    std::vector<uint8_t> data(20 * 30 * 2, 0);
    writeRawNifti(dir / "slice.nii", {20, 30}, 4, {1, 1, 1, 1}, {{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}}}, data, 0,
                  1);
    const auto message = messageOf([&] { readCtVolume(dir / "slice.nii"); });
    EXPECT_NE(message.find("2D image; a 3D volume is needed"), std::string::npos) << message;
}

TEST(VolumeIoErrors, TruncatedUncompressedNifti)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({6, 40, 40}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii");
    auto bytes = readBytes(dir / "ct.nii");
    bytes.resize(bytes.size() - 1000);
    writeBytes(dir / "ct.nii", bytes);
    const auto message = messageOf([&] { readCtVolume(dir / "ct.nii"); });
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(VolumeIoErrors, NonIntegerLabelsAreRefused)
{
    TempDir dir;
    std::vector<float> values(4 * 5 * 6, 0.f);
    values[7] = 0.5f;
    std::vector<uint8_t> data(values.size() * 4);
    std::memcpy(data.data(), values.data(), data.size());
    writeRawNifti(dir / "soft.nii", {4, 5, 6}, 16, {1, 1, 1, 1}, {{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}}}, data);
    const auto message = messageOf([&] { readLabelVolume(dir / "soft.nii"); });
    EXPECT_NE(message.find("not a label volume"), std::string::npos) << message;
}

TEST(VolumeIoErrors, FloatBinaryMasksAreAccepted)
{
    // KiTS23 instance masks are float64 0/1; float32 here exercises the same path.
    TempDir dir;
    std::vector<float> values(4 * 5 * 6, 0.f);
    values[7] = 1.f;
    std::vector<uint8_t> data(values.size() * 4);
    std::memcpy(data.data(), values.data(), data.size());
    writeRawNifti(dir / "mask.nii", {4, 5, 6}, 16, {1, 1, 1, 1}, {{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}}}, data);
    const LabelVolume mask = readLabelVolume(dir / "mask.nii");
    EXPECT_EQ(std::count(mask.voxels.begin(), mask.voxels.end(), uint8_t(1)), 1);
}

// ---- Untrusted headers (issue 14): refused with the file named, before ITK parses or allocates ----

namespace {

const std::array<std::array<float, 4>, 3> kPlainSrow{{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}}};

std::vector<uint8_t> shortVoxels(int count)
{
    return std::vector<uint8_t>(static_cast<size_t>(count) * 2, 0);
}

/// A valid 4 x 5 x 6 int16 NIfTI with the float at `offset` of its header replaced.
std::filesystem::path patchedNifti(const TempDir& dir, const std::string& name, size_t offset, float value,
                                   int qformCode = 0, int sformCode = 1)
{
    const auto path = dir / name;
    writeRawNifti(path, {4, 5, 6}, 4, {1, 1, 1, 1}, kPlainSrow, shortVoxels(120), qformCode, sformCode);
    auto bytes = readBytes(path);
    std::memcpy(bytes.data() + offset, &value, sizeof value);
    writeBytes(path, bytes);
    return path;
}

void expectRefused(const std::filesystem::path& path, const std::string& expected, bool headerToo = true)
{
    for (const bool asLabels : {false, true}) {
        const auto message = messageOf([&] {
            if (asLabels)
                readLabelVolume(path);
            else
                readCtVolume(path);
        });
        EXPECT_NE(message.find(expected), std::string::npos) << message;
        EXPECT_NE(message.find(path.filename().string()), std::string::npos) << message;
    }
    if (headerToo) {
        EXPECT_NE(messageOf([&] { readVolumeHeader(path); }).find(expected), std::string::npos);
    }
}

} // namespace

TEST(UntrustedHeaders, NonFiniteSformIsRefusedInsteadOfAbortingItk)
{
    TempDir dir;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    // srow_x[0] (offset 280) and srow_z[3] (offset 324): VNL aborted on these before.
    expectRefused(patchedNifti(dir, "nan-sform.nii", 280, nan), "non-finite sform");
    expectRefused(patchedNifti(dir, "inf-sform.nii", 324, inf), "non-finite sform");
    // Compressed, written with the bad row directly.
    writeRawNifti(dir / "nan-sform.nii.gz", {4, 5, 6}, 4, {1, 1, 1, 1}, {{{nan, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}}},
                  shortVoxels(120), 0, 2);
    expectRefused(dir / "nan-sform.nii.gz", "non-finite sform");
    expectRefused(patchedNifti(dir, "zero-sform.nii", 300, 0.f), "singular sform"); // srow_y[1] = 0
}

TEST(UntrustedHeaders, ImplausibleGeometryIsRefusedInsteadOfHangingItk)
{
    // Found by fuzz_volume_header: a finite sform with a 3.8e30 mm column sent ITK's single-precision
    // SVD (NiftiImageIO::SetImageIOOrientationFromNIfTI) into an endless loop.
    TempDir dir;
    expectRefused(patchedNifti(dir, "huge-sform.nii", 296, 3.8e30f), "implausible sform: voxel size"); // srow_y[0]
    expectRefused(patchedNifti(dir, "tiny-sform.nii", 280, 1e-30f), "implausible sform: voxel size");   // srow_x[0]
    expectRefused(patchedNifti(dir, "far-sform.nii", 292, 1.7e38f), "implausible sform origin");        // srow_x[3]
    expectRefused(patchedNifti(dir, "huge-pixdim.nii", 84, 1e30f, 1, 0), "implausible pixel spacing pixdim[2]");
    expectRefused(patchedNifti(dir, "far-qform.nii", 268, 2e9f, 1, 0), "implausible qform origin"); // qoffset_x
}

TEST(UntrustedHeaders, NonFiniteOrInvalidQformIsRefused)
{
    TempDir dir;
    // quatern_b (256), qoffset_z (276); qform_code 1, sform_code 0.
    expectRefused(patchedNifti(dir, "nan-quatern.nii", 256, std::numeric_limits<float>::quiet_NaN(), 1, 0),
                  "non-finite qform");
    expectRefused(patchedNifti(dir, "inf-offset.nii", 276, std::numeric_limits<float>::infinity(), 1, 0),
                  "non-finite qform");
    expectRefused(patchedNifti(dir, "long-quatern.nii", 256, 3.f, 1, 0), "invalid qform quaternion");
}

TEST(UntrustedHeaders, ZeroOrNonFiniteSpacingAndNonPositiveSizesAreRefused)
{
    TempDir dir;
    expectRefused(patchedNifti(dir, "zero-spacing.nii", 80, 0.f), "pixel spacing pixdim[1]");
    expectRefused(patchedNifti(dir, "nan-spacing.nii", 88, std::numeric_limits<float>::quiet_NaN()),
                  "pixel spacing pixdim[3]");
    expectRefused(patchedNifti(dir, "nan-slope.nii", 112, std::numeric_limits<float>::quiet_NaN()),
                  "non-finite intensity scaling");
    writeRawNifti(dir / "negative-size.nii", {4, -5, 6}, 4, {1, 1, 1, 1}, kPlainSrow, shortVoxels(120));
    expectRefused(dir / "negative-size.nii", "size -5 along axis 2");
    writeRawNifti(dir / "zero-size.nii", {4, 5, 0}, 4, {1, 1, 1, 1}, kPlainSrow, {});
    expectRefused(dir / "zero-size.nii", "size 0 along axis 3");
    // MetaImage: ITK parses it; the geometry check runs before any voxel is allocated.
    const std::string header = "ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementSpacing = 0 1 1\n"
                               "ElementType = MET_SHORT\nElementDataFile = LOCAL\n";
    std::vector<uint8_t> mha(header.begin(), header.end());
    mha.resize(mha.size() + 4 * 4 * 4 * 2, 0);
    writeBytes(dir / "zero-spacing.mha", mha);
    expectRefused(dir / "zero-spacing.mha", "voxel spacing 0");
}

TEST(UntrustedHeaders, TinyGzipDeclaringAHugeVolumeIsRefusedWithoutAllocating)
{
    TempDir dir;
    // The finding: 73 bytes declaring 1400^3 voxels took 8.2 GB and 37 s and read as zeros.
    writeRawNifti(dir / "huge.nii.gz", {1400, 1400, 1400}, 4, {1, 1, 1, 1}, kPlainSrow, {});
    EXPECT_LT(std::filesystem::file_size(dir / "huge.nii.gz"), 200u);
    expectRefused(dir / "huge.nii.gz", "the header declares 5488000352");
}

TEST(UntrustedHeaders, ValidGzipHoldingHalfTheVoxelsIsRefused)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({6, 40, 40}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii.gz");
    // Decompress, keep the header and half of the voxels, compress again: a valid gzip stream.
    std::vector<char> content(1 << 20);
    gzFile in = gzopen((dir / "ct.nii.gz").c_str(), "rb");
    const int bytes = gzread(in, content.data(), static_cast<unsigned>(content.size()));
    gzclose(in);
    ASSERT_GT(bytes, 352 + 6 * 40 * 40);
    gzFile out = gzopen((dir / "half.nii.gz").c_str(), "wb");
    gzwrite(out, content.data(), static_cast<unsigned>(352 + (bytes - 352) / 2));
    gzclose(out);
    expectRefused(dir / "half.nii.gz", "truncated voxel data");
}

TEST(UntrustedHeaders, VoxelBudgetRefusesWhatTheMachineCannotHold)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({6, 40, 40}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii.gz");
    writeVolume(ct, dir / "ct.nrrd");
    ::setenv("WEAKSIGHT_MAX_VOXELS", "9000", 1); // the volume has 9600
    expectRefused(dir / "ct.nii.gz", "more than this machine can read now (9000", false);
    expectRefused(dir / "ct.nrrd", "more than this machine can read now (9000", false);
    // Reading only the header allocates nothing: the budget does not apply.
    EXPECT_EQ(readVolumeHeader(dir / "ct.nii.gz").geometry.size, ct.geometry.size);
    ::setenv("WEAKSIGHT_MAX_VOXELS", "9600", 1);
    EXPECT_EQ(readCtVolume(dir / "ct.nii.gz").voxels, ct.voxels);
    ::unsetenv("WEAKSIGHT_MAX_VOXELS");
}

TEST(UntrustedHeaders, NonFiniteVoxelsBecomeAirWithAWarningInEveryFormat)
{
    TempDir dir;
    std::vector<float> values(4 * 5 * 6, 40.f);
    values[3] = std::numeric_limits<float>::quiet_NaN();
    values[9] = std::numeric_limits<float>::infinity();
    std::vector<uint8_t> data(values.size() * 4);
    std::memcpy(data.data(), values.data(), data.size());
    writeRawNifti(dir / "nan.nii", {4, 5, 6}, 16, {1, 1, 1, 1}, kPlainSrow, data);
    writeRawNifti(dir / "nan.nii.gz", {4, 5, 6}, 16, {1, 1, 1, 1}, kPlainSrow, data);
    for (const char* name : {"nan.nii", "nan.nii.gz"}) {
        ReadReport report;
        const CtVolume ct = readCtVolume(dir / name, &report);
        EXPECT_EQ(std::count(ct.voxels.begin(), ct.voxels.end(), int16_t(-1024)), 2) << name;
        EXPECT_EQ(std::count(ct.voxels.begin(), ct.voxels.end(), int16_t(40)), 118) << name;
        ASSERT_EQ(report.warnings.size(), 1u) << name;
        EXPECT_NE(report.warnings[0].find("2 NaN/infinite voxels"), std::string::npos) << report.warnings[0];
        // As labels they are not whole numbers (they read as 0 before: silently "background").
        EXPECT_NE(messageOf([&] { readLabelVolume(dir / name); }).find("not a label volume: 2 voxels"),
                  std::string::npos);
    }
}

// ---- Atomic outputs (issue 14) --------------------------------------------------------------

TEST(AtomicOutputs, AFullDiskLeavesNoPartialFileAndKeepsTheOldOne)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({20, 100, 100}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii");
    writeVolume(ct, dir / "ct.nii.gz");
    ASSERT_GT(std::filesystem::file_size(dir / "ct.nii.gz"), 8192u);
    const auto before = readBytes(dir / "ct.nii");
    const auto beforeGz = readBytes(dir / "ct.nii.gz");
    CtVolume other = ct;
    other.voxels[0] = 5;
    // Files cannot grow past 4 KB (EFBIG): what a full disk looks like to a writer.
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto previousHandler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::vector<std::string> messages;
    for (const char* name : {"ct.nii", "ct.nii.gz", "new.nii.gz", "new.mha", "new.nrrd"})
        messages.push_back(messageOf([&] { writeVolume(other, dir / name); }));
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, previousHandler);
    for (const auto& message : messages) {
        EXPECT_EQ(message.find("no error"), std::string::npos) << message;
        EXPECT_EQ(message.find(".partial-"), std::string::npos) << "names the asked-for file: " << message;
    }
    EXPECT_EQ(readBytes(dir / "ct.nii"), before);
    EXPECT_EQ(readBytes(dir / "ct.nii.gz"), beforeGz);
    EXPECT_FALSE(std::filesystem::exists(dir / "new.nii.gz"));
    EXPECT_FALSE(std::filesystem::exists(dir / "new.mha"));
    EXPECT_FALSE(std::filesystem::exists(dir / "new.nrrd"));
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << entry.path();
    // And with room again the same writes go through.
    writeVolume(other, dir / "ct.nii.gz");
    EXPECT_EQ(readCtVolume(dir / "ct.nii.gz").voxels, other.voxels);
}


TEST(NiftiSiblings, ANiiGzIsReadFromItselfWhenANiiOfTheSameNameLiesBesideIt)
{
    // ITK's NIfTI library looks for "x.nii" before "x.nii.gz", whichever it is asked to read.
    // Link folders left by other processes (one killed mid-read cannot remove its own) do not count.
    const auto linkFolders = [] {
        std::set<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
            if (entry.path().filename().string().rfind("weaksight-read-", 0) == 0)
                names.insert(entry.path().filename().string());
        return names;
    };
    const auto before = linkFolders();
    TempDir dir;
    const CtVolume plain = patternedCt(StorageGeometry::kitsStorage({4, 10, 10}, {1, 1, 1}));
    CtVolume compressed = plain;
    compressed.voxels[0] = 5;
    writeVolume(plain, dir / "x.nii");
    writeVolume(compressed, dir / "x.nii.gz");
    EXPECT_EQ(readCtVolume(dir / "x.nii.gz").voxels, compressed.voxels);
    EXPECT_EQ(readCtVolume(dir / "x.nii").voxels, plain.voxels);
    LabelVolume labels(plain.geometry);
    labels.voxels[0] = 1;
    writeVolume(labels, dir / "y.nii.gz");
    writeVolume(LabelVolume(plain.geometry), dir / "y.nii");
    EXPECT_EQ(readLabelVolume(dir / "y.nii.gz").voxels, labels.voxels);
    EXPECT_EQ(readVolumeHeader(dir / "x.nii.gz").componentType, readVolumeHeader(dir / "x.nii").componentType);
    // No link folder is left behind.
    for (const auto& name : linkFolders())
        EXPECT_TRUE(before.count(name)) << name << " was left behind";
}

TEST(UntrustedHeaders, OverflowingSizesAndADatatypeWiderThanItsBitpixAreRefused)
{
    TempDir dir;
    // 32767^7 int16 voxels do not fit in 64 bits: the product must not wrap to a small size.
    writeRawNifti(dir / "wrap.nii", {32767, 32767, 32767, 32767, 32767, 32767, 32767}, 4, {1, 1, 1, 1}, kPlainSrow, {});
    expectRefused(dir / "wrap.nii", "does not fit in 64 bits");
    // float32 data whose bitpix says 8: ITK's NIfTI library sizes voxels by the datatype, so the
    // file must hold 4 bytes a voxel, not 1.
    writeRawNifti(dir / "narrow.nii", {4, 5, 6}, 16, {1, 1, 1, 1}, kPlainSrow, std::vector<uint8_t>(120, 0));
    auto bytes = readBytes(dir / "narrow.nii");
    const int16_t bitpix = 8;
    std::memcpy(bytes.data() + 72, &bitpix, 2);
    writeBytes(dir / "narrow.nii", bytes);
    expectRefused(dir / "narrow.nii", "truncated voxel data");
    expectRefused(patchedNifti(dir, "huge-offset.nii", 108, 1e30f), "vox_offset");
}

TEST(UntrustedHeaders, UpperCaseNamesAndTwoDimensionalSpacingAreStillRead)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({4, 10, 10}, {1, 1, 1}));
    writeVolume(ct, dir / "ct.nii.gz");
    std::filesystem::rename(dir / "ct.nii.gz", dir / "CT.NII.GZ");
    EXPECT_EQ(readCtVolume(dir / "CT.NII.GZ").voxels, ct.voxels);
    // A 2D map whose unused third spacing is 0 (some writers leave it so) is a valid 2D image.
    std::vector<uint8_t> data(20 * 30 * 4, 0);
    writeRawNifti(dir / "map.nii", {20, 30}, 16, {1, 0.5f, 0.5f, 0}, kPlainSrow, data, 0, 0);
    const auto map = readImage2D(dir / "map.nii");
    EXPECT_EQ(map.rows, 30);
    EXPECT_EQ(map.cols, 20);
}

TEST(AtomicOutputs, OutputsKeepTheUsualModeAndDetachedFormatsLeaveNoTemporaries)
{
    TempDir dir;
    const CtVolume ct = patternedCt(StorageGeometry::kitsStorage({4, 10, 10}, {1, 1, 1}));
    const mode_t previous = ::umask(022);
    writeVolume(ct, dir / "ct.nii.gz");
    ::umask(previous);
    EXPECT_EQ(std::filesystem::status(dir / "ct.nii.gz").permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    // MetaImage with a separate data file, written twice: header and data, nothing else.
    writeVolume(ct, dir / "vol.mhd");
    writeVolume(ct, dir / "vol.mhd");
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    ASSERT_EQ(names.size(), 3u) << ::testing::PrintToString(names);
    EXPECT_EQ(names[0], "ct.nii.gz");
    EXPECT_EQ(names[1], "vol.mhd");
    EXPECT_EQ(names[2].rfind("vol.", 0), 0u) << names[2];
    EXPECT_EQ(readCtVolume(dir / "vol.mhd").voxels, ct.voxels);
}
