// DICOM series: written slice by slice with ITK's GDCM writer, read back by our reader.
#include "TestSupport.h"
#include "core/common/Error.h"
#include "core/io/VolumeIo.h"

#include <gtest/gtest.h>
#include <cmath>
#include <cstdlib>
#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkMetaDataObject.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

using SliceImage = itk::Image<int16_t, 3>;

/// Writes one axial slice (rows x cols) at z = position mm, every pixel = hu + row.
void writeDicomSlice(const fs::path& file, int instance, double position, int rows, int cols, int hu)
{
    auto image = SliceImage::New();
    SliceImage::RegionType region;
    region.SetSize({static_cast<itk::SizeValueType>(cols), static_cast<itk::SizeValueType>(rows), 1});
    image->SetRegions(region);
    image->Allocate();
    const double spacing[3] = {0.7, 0.7, 2.5};
    image->SetSpacing(spacing);
    SliceImage::PointType origin;
    origin[0] = -100;
    origin[1] = -80;
    origin[2] = position;
    image->SetOrigin(origin);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            image->SetPixel({c, r, 0}, static_cast<int16_t>(hu + r));

    auto io = itk::GDCMImageIO::New();
    io->KeepOriginalUIDOn();
    // ImageFileWriter hands the image's dictionary to the IO, so the tags go on the image.
    auto& dict = image->GetMetaDataDictionary();
    itk::EncapsulateMetaData<std::string>(dict, "0020|000e", "1.2.826.0.1.3680043.2.1125.1.42");
    itk::EncapsulateMetaData<std::string>(dict, "0020|000d", "1.2.826.0.1.3680043.2.1125.1.41");
    itk::EncapsulateMetaData<std::string>(dict, "0008|0060", "CT");
    itk::EncapsulateMetaData<std::string>(dict, "0020|0013", std::to_string(instance));
    itk::EncapsulateMetaData<std::string>(dict, "0008|0016", "1.2.840.10008.5.1.4.1.1.2"); // CT Image Storage
    itk::EncapsulateMetaData<std::string>(dict, "0028|0004", "MONOCHROME2");
    itk::EncapsulateMetaData<std::string>(dict, "0020|0032", "-100\\-80\\" + std::to_string(position));
    itk::EncapsulateMetaData<std::string>(dict, "0020|0037", "1\\0\\0\\0\\1\\0");
    itk::EncapsulateMetaData<std::string>(dict, "0028|0030", "0.7\\0.7");
    itk::EncapsulateMetaData<std::string>(dict, "0018|0050", "2.5");
    auto writer = itk::ImageFileWriter<SliceImage>::New();
    writer->SetFileName(file.string());
    writer->SetInput(image);
    writer->SetImageIO(io);
    writer->Update();
}

} // namespace

TEST(DicomSeries, ReadsSortedSeriesInHounsfieldUnits)
{
    TempDir dir;
    // Written out of order on purpose: the reader must sort by position, not by file name.
    const double positions[] = {10, 0, 5, 2.5, 7.5};
    for (int i = 0; i < 5; ++i)
        writeDicomSlice(dir / ("slice" + std::to_string(i) + ".dcm"), i + 1, positions[i], 16, 20,
                        static_cast<int>(positions[i] * 10) - 500);
    ReadReport report;
    const CtVolume ct = readCtVolume(dir.path(), &report);
    EXPECT_EQ(report.format, "DICOM series");
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
    EXPECT_TRUE(report.evenlySpaced);
    ASSERT_EQ(ct.shape, (std::array<int, 3>{5, 16, 20}));
    EXPECT_NEAR(ct.spacing[0], 2.5, 1e-6);
    EXPECT_NEAR(ct.spacing[1], 0.7, 1e-4);
    // Slice k is z = 2.5 k (inferior -> superior); voxel value = 10 z - 500 + row.
    for (int k = 0; k < 5; ++k)
        EXPECT_EQ(ct.at(k, 3, 4), static_cast<int16_t>(25 * k - 500 + 3)) << "slice " << k;
    EXPECT_EQ(ct.geometry.orientationCode(), "LPS");
}

TEST(DicomSeries, DuplicatePositionsAndGapsAreReported)
{
    TempDir dir;
    const double positions[] = {0, 2.5, 5, 5, 12.5, 15};
    for (int i = 0; i < 6; ++i)
        writeDicomSlice(dir / ("s" + std::to_string(i) + ".dcm"), i + 1, positions[i], 8, 8, 0);
    ReadReport report;
    const CtVolume ct = readCtVolume(dir.path(), &report);
    EXPECT_EQ(ct.slices(), 5); // the duplicate is left out, not stacked
    ASSERT_EQ(report.droppedDuplicates.size(), 1u);
    EXPECT_FALSE(report.evenlySpaced);
    bool sawDuplicate = false, sawGap = false;
    for (const auto& w : report.warnings) {
        sawDuplicate = sawDuplicate || w.find("duplicate slice position") != std::string::npos;
        sawGap = sawGap || w.find("uneven slice spacing") != std::string::npos;
    }
    EXPECT_TRUE(sawDuplicate);
    EXPECT_TRUE(sawGap);
    EXPECT_EQ(report.slicePositionsMm, (std::vector<double>{0, 2.5, 5, 12.5, 15}));
}

TEST(DicomSeries, DirectoryWithoutDicomIsAClearError)
{
    TempDir dir;
    writeBytes(dir / "readme.txt", {'h', 'i'});
    try {
        readCtVolume(dir.path());
        FAIL() << "expected an error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("no readable DICOM"), std::string::npos) << e.what();
    }
}

TEST(DicomSeries, HeadersAreCheckedBeforeTheSeriesIsRead)
{
    // Issue 14: the header validator covers DICOM too. Before ITK allocates a series: the voxel
    // budget, one slice size, finite positions (a "nan" position made the slice order undefined).
    {
        TempDir dir;
        for (int i = 0; i < 4; ++i)
            writeDicomSlice(dir / ("s" + std::to_string(i) + ".dcm"), i + 1, 2.5 * i, 16, 20, 0);
        ::setenv("WEAKSIGHT_MAX_VOXELS", "1000", 1);
        try {
            readCtVolume(dir.path());
            ADD_FAILURE() << "expected the budget to refuse 16 x 20 x 4 voxels";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("declares 1280 voxels"), std::string::npos) << e.what();
        }
        ::unsetenv("WEAKSIGHT_MAX_VOXELS");
        EXPECT_EQ(readCtVolume(dir.path()).slices(), 4);
    }
    {
        TempDir dir;
        for (int i = 0; i < 3; ++i)
            writeDicomSlice(dir / ("s" + std::to_string(i) + ".dcm"), i + 1, 2.5 * i, 8, 8, 0);
        writeDicomSlice(dir / "s3.dcm", 4, 7.5, 8, 10, 0);
        try {
            readCtVolume(dir.path());
            ADD_FAILURE() << "expected mixed slice sizes to be refused";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("mixes slice sizes"), std::string::npos) << e.what();
        }
    }
    {
        TempDir dir;
        for (int i = 0; i < 3; ++i)
            writeDicomSlice(dir / ("s" + std::to_string(i) + ".dcm"), i + 1, 2.5 * i, 8, 8, 0);
        writeDicomSlice(dir / "s3.dcm", 4, std::nan(""), 8, 8, 0);
        ReadReport report;
        const CtVolume ct = readCtVolume(dir.path(), &report);
        EXPECT_EQ(ct.slices(), 3) << "the slice without a finite position is left out";
        EXPECT_EQ(report.slicePositionsMm, (std::vector<double>{0, 2.5, 5}));
    }
}
