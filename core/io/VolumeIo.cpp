#include "core/io/VolumeIo.h"

#include "core/common/Error.h"
#include "core/io/AtomicFile.h"
#include "core/io/HeaderCheck.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkImageRegionConstIterator.h>
#include <itkImageSeriesReader.h>
#include <itkMetaDataObject.h>
#include <limits>
#include <map>
#include <optional>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

namespace fs = std::filesystem;

namespace weaksight {

namespace {

using FloatImage = itk::Image<float, 3>;
using ByteImage = itk::Image<uint8_t, 3>;
using ShortImage = itk::Image<int16_t, 3>;

std::string firstLine(const std::string& text)
{
    // ITK exception texts carry file/line noise; the description is what helps a user.
    auto pos = text.find("itk::ERROR");
    std::string s = pos == std::string::npos ? text : text.substr(pos);
    const auto nl = s.find('\n');
    if (nl != std::string::npos)
        s = s.substr(0, nl);
    return s;
}

std::string describeItkError(const itk::ExceptionObject& e)
{
    std::string description = e.GetDescription();
    while (!description.empty() && (description.back() == '\n' || description.back() == ' '))
        description.pop_back();
    return description.empty() ? firstLine(e.what()) : description;
}

bool hasGzipExtension(const fs::path& path)
{
    return io::isGzipName(path);
}

std::string formatName(const fs::path& path)
{
    std::string name = path.filename().string();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto endsWith = [&](const char* suffix) {
        const std::string s(suffix);
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (endsWith(".nii") || endsWith(".nii.gz"))
        return "NIfTI";
    if (endsWith(".nrrd") || endsWith(".nhdr"))
        return "NRRD";
    if (endsWith(".mha") || endsWith(".mhd"))
        return "MetaImage";
    if (endsWith(".dcm"))
        return "DICOM";
    return "image";
}

void checkFileExists(const fs::path& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw InputError(path, "file not found");
    if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0)
        throw InputError(path, "file is empty");
}

/// ITK's NIfTI library looks for "name.nii" before "name.nii.gz" (and "name.hdr") whichever it is
/// asked to read, so with both beside each other it silently reads the other file. Such a file is
/// handed to ITK through a uniquely named link in a private folder; elsewhere ITK gets the path.
class ItkReadPath {
public:
    explicit ItkReadPath(const fs::path& path)
        : m_path(path)
    {
        if (formatName(path) != "NIfTI")
            return;
        const std::string name = path.filename().string();
        const std::string stem = name.substr(0, name.size() - (hasGzipExtension(path) ? 7 : 4));
        std::error_code ec;
        bool ambiguous = false;
        for (const char* other : {".nii", ".nii.gz", ".hdr", ".hdr.gz", ".NII", ".NII.GZ", ".HDR", ".HDR.GZ"})
            if (stem + other != name && fs::exists(path.parent_path() / (stem + other), ec))
                ambiguous = true;
        if (!ambiguous)
            return;
        std::string pattern = (fs::temp_directory_path() / "weaksight-read-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            throw InputError(path, "cannot make a private folder to read it from (" +
                                       std::string(std::strerror(errno)) + ")");
        const fs::path folder = pattern;
        const fs::path link = folder / (hasGzipExtension(path) ? "volume.nii.gz" : "volume.nii");
        fs::create_symlink(fs::absolute(path, ec), link, ec);
        if (ec) {
            std::error_code ignored;
            fs::remove_all(folder, ignored);
            throw InputError(path, "cannot link it into a private folder to read it (" + ec.message() + ")");
        }
        m_folder = folder;
        m_path = link;
    }
    ~ItkReadPath()
    {
        std::error_code ec;
        if (!m_folder.empty())
            fs::remove_all(m_folder, ec);
    }
    ItkReadPath(const ItkReadPath&) = delete;
    ItkReadPath& operator=(const ItkReadPath&) = delete;
    /// The name to give ITK.
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
    fs::path m_folder;
};

enum class OpenFor { Header, Voxels };

/// What runs before ITK may open a file: it exists, a gzip stream is whole, and a NIfTI header is
/// one we checked (bad orientation fields abort or hang ITK, and it pads missing voxel data with
/// zeros); the voxel budget applies when the voxels will be read.
void checkBeforeItk(const fs::path& path, OpenFor purpose)
{
    checkFileExists(path);
    const uint64_t dataBytes = hasGzipExtension(path) ? verifyGzipStream(path) : fs::file_size(path);
    if (formatName(path) != "NIfTI")
        return;
    const auto declared = io::checkNiftiHeader(path);
    io::checkNiftiDataSize(path, declared, dataBytes);
    if (purpose == OpenFor::Voxels)
        io::checkVoxelBudget(path, declared.dataBytes() / static_cast<uint64_t>(declared.bytesPerVoxel));
}

/// Opens `path` (as ITK sees it: `itkPath`) and reads its header after our own checks.
itk::ImageIOBase::Pointer openImageIo(const fs::path& path, const fs::path& itkPath,
                                      OpenFor purpose = OpenFor::Voxels)
{
    checkBeforeItk(path, purpose);
    auto io = itk::ImageIOFactory::CreateImageIO(itkPath.c_str(), itk::CommonEnums::IOFileMode::ReadMode);
    if (!io)
        throw InputError(path, "not a recognised image format (expected NIfTI .nii/.nii.gz, NRRD, "
                               "MetaImage .mha/.mhd or a DICOM series directory)");
    io->SetFileName(itkPath.c_str());
    try {
        io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(path, "unreadable or corrupt header: " + describeItkError(e));
    }
    const unsigned dims = io->GetNumberOfDimensions();
    if (dims < 3)
        throw InputError(path, "is a " + std::to_string(dims) + "D image; a 3D volume is needed");
    for (unsigned d = 3; d < dims; ++d)
        if (io->GetDimensions(d) > 1)
            throw InputError(path, "is a " + std::to_string(dims) + "D image with " +
                                       std::to_string(io->GetDimensions(d)) +
                                       " volumes; a single 3D volume is needed");
    if (io->GetNumberOfComponents() != 1)
        throw InputError(path, "has " + std::to_string(io->GetNumberOfComponents()) +
                                   " components per voxel; a scalar volume is needed");
    // Every format, before a voxel is allocated: finite, positive geometry and a size this
    // machine can hold.
    std::array<int64_t, 3> size{};
    std::array<double, 3> spacing{}, origin{};
    std::array<double, 9> direction{};
    for (unsigned i = 0; i < 3; ++i) {
        size[i] = static_cast<int64_t>(io->GetDimensions(i));
        spacing[i] = io->GetSpacing(i);
        origin[i] = io->GetOrigin(i);
        const auto axis = io->GetDirection(i);
        for (unsigned m = 0; m < 3 && m < axis.size(); ++m)
            direction[m * 3 + i] = axis[m];
    }
    io::checkGeometry(path, size, spacing, origin, direction);
    if (purpose == OpenFor::Voxels)
        io::checkVoxelBudget(
            path, io::checkedProduct(path, {uint64_t(size[0]), uint64_t(size[1]), uint64_t(size[2])}));
    return io;
}

template <typename TImage> StorageGeometry geometryOf(const TImage* image, const fs::path& path)
{
    StorageGeometry g;
    const auto size = image->GetLargestPossibleRegion().GetSize();
    for (int i = 0; i < 3; ++i) {
        g.size[i] = static_cast<int>(size[i]);
        g.spacing[i] = image->GetSpacing()[i];
        g.origin[i] = image->GetOrigin()[i];
        for (int j = 0; j < 3; ++j)
            g.direction[i * 3 + j] = image->GetDirection()(i, j);
    }
    try {
        g.deriveCanonicalMapping();
    } catch (const std::invalid_argument& e) {
        throw InputError(path, e.what());
    }
    return g;
}

/// Visits the storage offsets of all voxels in canonical order.
template <typename F> void forEachCanonical(const StorageGeometry& g, F&& visit)
{
    const std::array<std::ptrdiff_t, 3> stride{1, g.size[0],
                                               static_cast<std::ptrdiff_t>(g.size[0]) * g.size[1]};
    std::array<std::ptrdiff_t, 3> start{}, step{};
    for (int a = 0; a < 3; ++a) {
        const int s = g.storageAxisOf[a];
        step[a] = g.flipped[a] ? -stride[s] : stride[s];
        start[a] = g.flipped[a] ? (g.size[s] - 1) * stride[s] : 0;
    }
    const auto shape = g.canonicalShape();
    const std::ptrdiff_t base = start[0] + start[1] + start[2];
    // In 16-voxel blocks along every axis: a file stored in another axis order (KiTS keeps axial
    // slices on its first axis) is then read and written a few cache lines at a time, not one
    // voxel per line (3x faster on a 512 x 512 x 100 case).
    // Kept rather than itk::OrientImageFilter: reorienting, rounding and checking in this one pass
    // took a third of the time ITK's filter plus the same checks took (weaksight_bench_itk).
    constexpr int kBlock = 16;
    for (int k0 = 0; k0 < shape[0]; k0 += kBlock)
        for (int r0 = 0; r0 < shape[1]; r0 += kBlock)
            for (int c0 = 0; c0 < shape[2]; c0 += kBlock) {
                const int k1 = std::min(shape[0], k0 + kBlock), r1 = std::min(shape[1], r0 + kBlock),
                          c1 = std::min(shape[2], c0 + kBlock);
                for (int k = k0; k < k1; ++k)
                    for (int r = r0; r < r1; ++r) {
                        size_t out = (static_cast<size_t>(k) * shape[1] + r) * shape[2] + c0;
                        std::ptrdiff_t offset = base + k * step[0] + r * step[1] + c0 * step[2];
                        for (int c = c0; c < c1; ++c, ++out, offset += step[2])
                            visit(out, offset);
                    }
            }
}

/// Reads voxels; `path` names the file in errors, `itkPath` is what ITK opens (see ItkReadPath).
template <typename TImage>
typename TImage::Pointer readItkImage(const fs::path& path, itk::ImageIOBase* io,
                                      const fs::path& itkPath = {})
{
    auto reader = itk::ImageFileReader<TImage>::New();
    reader->SetFileName((itkPath.empty() ? path : itkPath).string());
    if (io)
        reader->SetImageIO(io);
    try {
        reader->Update();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(path, "cannot read voxel data: " + describeItkError(e));
    } catch (const std::bad_alloc&) {
        throw InputError(path, "not enough memory to read the volume");
    }
    return reader->GetOutput();
}

/// ITK's NIfTI library reads NaN and infinite floats as 0; put them back (as NaN), so that a NIfTI's
/// bad voxels are handled as every other format's.
void markNonFiniteNiftiVoxels(const fs::path& path, FloatImage* image)
{
    if (formatName(path) != "NIfTI")
        return;
    float* data = image->GetBufferPointer();
    const size_t count = image->GetPixelContainer()->Size();
    for (const uint64_t index : io::nonFiniteNiftiVoxels(path, io::checkNiftiHeader(path)))
        if (index < count)
            data[index] = std::numeric_limits<float>::quiet_NaN();
}

CtVolume ctFromFloat(const FloatImage* image, const fs::path& path, ReadReport& report)
{
    CtVolume volume(geometryOf(image, path));
    const float* data = image->GetBufferPointer();
    size_t clamped = 0, nonFinite = 0;
    forEachCanonical(volume.geometry, [&](size_t out, std::ptrdiff_t in) {
        float v = data[in];
        if (!std::isfinite(v)) {
            ++nonFinite;
            v = -1024.f;
        }
        const float r = std::round(v);
        if (r < -32768.f || r > 32767.f)
            ++clamped;
        volume.voxels[out] = static_cast<int16_t>(std::clamp(r, -32768.f, 32767.f));
    });
    if (clamped)
        report.warnings.push_back(std::to_string(clamped) + " voxels outside the int16 range were clamped");
    if (nonFinite)
        report.warnings.push_back(std::to_string(nonFinite) + " NaN/infinite voxels were set to -1024 HU");
    return volume;
}

void logWarnings(const fs::path& path, const ReadReport& report)
{
    for (const auto& w : report.warnings)
        spdlog::warn("{}: {}", path.string(), w);
}

// ---- DICOM series ---------------------------------------------------------------------

struct DicomSlice {
    fs::path file;
    double position = 0; // along the slice normal, mm
    int instance = 0;
    std::string seriesUid;
    std::array<double, 3> normal{0, 0, 1};
    std::array<double, 3> imagePosition{}; // ImagePositionPatient
    std::array<double, 6> orientation{};   // ImageOrientationPatient: row then column direction
    std::array<int64_t, 2> size{};         // columns, rows
    std::array<double, 2> pixelSpacing{};  // along a row, along a column
};

std::string dicomTag(itk::GDCMImageIO* io, const char* tag)
{
    std::string value;
    io->GetValueFromTag(tag, value);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\0'))
        value.pop_back();
    return value;
}

std::vector<double> parseDicomNumbers(const std::string& text)
{
    std::vector<double> values;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find('\\', start), text.size());
        try {
            values.push_back(std::stod(text.substr(start, end - start)));
        } catch (...) {
            return {};
        }
        if (!std::isfinite(values.back())) // "nan" and "inf" parse, and would break the slice order
            return {};
        start = end + 1;
    }
    return values;
}

/// One file's slice header; nullopt (with a warning where it is a DICOM file) when it cannot be
/// a slice of the series.
std::optional<DicomSlice> readSliceHeader(const fs::path& file, ReadReport& report)
{
    auto io = itk::GDCMImageIO::New();
    if (!io->CanReadFile(file.c_str()))
        return std::nullopt;
    io->SetFileName(file.c_str());
    try {
        io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
        report.warnings.push_back("skipped unreadable DICOM file " + file.filename().string() + ": " +
                                  describeItkError(e));
        return std::nullopt;
    }
    DicomSlice s;
    s.file = file;
    s.seriesUid = dicomTag(io, "0020|000e");
    try {
        s.instance = std::stoi(dicomTag(io, "0020|0013"));
    } catch (...) {
    }
    // Position along the slice normal from the tags themselves: single-slice files may be
    // reported as 2D by the IO, without a usable third axis.
    const auto ipp = parseDicomNumbers(dicomTag(io, "0020|0032"));
    const auto iop = parseDicomNumbers(dicomTag(io, "0020|0037"));
    if (ipp.size() != 3 || iop.size() != 6) {
        report.warnings.push_back("skipped " + file.filename().string() +
                                  ": no image position/orientation (not a cross-sectional slice)");
        return std::nullopt;
    }
    s.normal = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
                iop[0] * iop[4] - iop[1] * iop[3]};
    std::copy(ipp.begin(), ipp.end(), s.imagePosition.begin());
    std::copy(iop.begin(), iop.end(), s.orientation.begin());
    s.size = {static_cast<int64_t>(io->GetDimensions(0)), static_cast<int64_t>(io->GetDimensions(1))};
    s.pixelSpacing = {io->GetSpacing(0), io->GetSpacing(1)};
    for (int m = 0; m < 3; ++m)
        s.position += ipp[m] * s.normal[m];
    return s;
}

std::vector<DicomSlice> readSliceHeaders(const fs::path& dir, ReadReport& report)
{
    std::vector<DicomSlice> all;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_regular_file())
            continue;
        if (auto slice = readSliceHeader(entry.path(), report))
            all.push_back(*slice);
    }
    if (all.empty())
        throw InputError(
            dir, "directory holds no readable DICOM image files" +
                     (report.warnings.empty() ? std::string() : " (" + report.warnings.front() + ")"));
    return all;
}

/// The slices of the series with the most, in position order (instance number on a tie).
std::vector<DicomSlice> largestSeries(const std::vector<DicomSlice>& all, ReadReport& report)
{
    std::map<std::string, std::vector<DicomSlice>> bySeries;
    for (auto& s : all)
        bySeries[s.seriesUid].push_back(s);
    auto chosen = std::max_element(bySeries.begin(), bySeries.end(), [](const auto& a, const auto& b) {
        return a.second.size() < b.second.size();
    });
    if (bySeries.size() > 1)
        report.warnings.push_back("directory holds " + std::to_string(bySeries.size()) +
                                  " series; reading the largest (" + chosen->first + ", " +
                                  std::to_string(chosen->second.size()) + " slices)");
    auto slices = chosen->second;
    std::sort(slices.begin(), slices.end(), [](const DicomSlice& a, const DicomSlice& b) {
        return a.position != b.position ? a.position < b.position : a.instance < b.instance;
    });
    return slices;
}

/// Duplicate positions: keep the first (lowest instance number), report the rest.
std::vector<DicomSlice> distinctPositions(const fs::path& dir, const std::vector<DicomSlice>& slices,
                                          ReadReport& report)
{
    std::vector<DicomSlice> kept;
    for (const auto& s : slices) {
        if (!kept.empty() && std::abs(s.position - kept.back().position) < 0.01) {
            report.droppedDuplicates.push_back(s.file);
            report.warnings.push_back(fmt::format("duplicate slice position {:.2f} mm: {} (instance {}) has "
                                                  "the same position as {} (instance {}) "
                                                  "and was left out",
                                                  s.position, s.file.filename().string(), s.instance,
                                                  kept.back().file.filename().string(),
                                                  kept.back().instance));
            continue;
        }
        kept.push_back(s);
    }
    if (kept.size() < 2)
        throw InputError(dir, "DICOM series has " + std::to_string(kept.size()) +
                                  " distinct slice position(s); a 3D volume needs at least 2");
    return kept;
}

/// The median gap between neighbouring slices (the volume's slice spacing); gaps far from it are
/// reported.
double medianSliceGap(const std::vector<DicomSlice>& kept, ReadReport& report)
{
    std::vector<double> gaps;
    for (size_t i = 1; i < kept.size(); ++i)
        gaps.push_back(kept[i].position - kept[i - 1].position);
    std::vector<double> sorted = gaps;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double median = sorted[sorted.size() / 2];
    for (size_t i = 0; i < gaps.size(); ++i)
        if (std::abs(gaps[i] - median) > 0.1 * median + 0.01) {
            report.evenlySpaced = false;
            report.warnings.push_back(fmt::format("uneven slice spacing: {:.2f} mm between {} and {} (median "
                                                  "{:.2f} mm); the volume uses the median "
                                                  "spacing and is not geometrically exact there",
                                                  gaps[i], kept[i].file.filename().string(),
                                                  kept[i + 1].file.filename().string(), median));
        }
    return median;
}

/// Before ITK allocates the series: one slice size, finite positive geometry, within the budget.
void checkSeriesGeometry(const fs::path& dir, const std::vector<DicomSlice>& kept, double sliceSpacing)
{
    const DicomSlice& first = kept.front();
    for (const auto& s : kept)
        if (s.size != first.size)
            throw InputError(dir, fmt::format("DICOM series mixes slice sizes: {} is {} x {}, {} is {} x {}",
                                              first.file.filename().string(), first.size[0], first.size[1],
                                              s.file.filename().string(), s.size[0], s.size[1]));
    const std::array<double, 9> direction{first.orientation[0], first.orientation[3], first.normal[0],
                                          first.orientation[1], first.orientation[4], first.normal[1],
                                          first.orientation[2], first.orientation[5], first.normal[2]};
    const std::array<int64_t, 3> size{first.size[0], first.size[1], static_cast<int64_t>(kept.size())};
    io::checkGeometry(dir, size, {first.pixelSpacing[0], first.pixelSpacing[1], sliceSpacing},
                      first.imagePosition, direction);
    io::checkVoxelBudget(dir,
                         io::checkedProduct(dir, {uint64_t(size[0]), uint64_t(size[1]), uint64_t(size[2])}));
}

CtVolume readDicomSeries(const fs::path& dir, ReadReport& report)
{
    report.format = "DICOM series";
    const std::vector<DicomSlice> slices = largestSeries(readSliceHeaders(dir, report), report);
    const std::vector<DicomSlice> kept = distinctPositions(dir, slices, report);
    const double median = medianSliceGap(kept, report);
    for (const auto& s : kept)
        report.slicePositionsMm.push_back(s.position);
    checkSeriesGeometry(dir, kept, median);

    std::vector<std::string> files;
    for (const auto& s : kept)
        files.push_back(s.file.string());
    auto io = itk::GDCMImageIO::New();
    auto reader = itk::ImageSeriesReader<FloatImage>::New();
    reader->SetImageIO(io);
    reader->SetFileNames(files);
    try {
        reader->Update();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(dir, "cannot read DICOM series: " + describeItkError(e));
    }
    FloatImage::Pointer image = reader->GetOutput();
    auto spacing = image->GetSpacing();
    spacing[2] = median;
    image->SetSpacing(spacing);
    return ctFromFloat(image, dir, report);
}

/// Writes any ITK image (creating the folder; compressed where the format allows).
/// Checks a written file as far as its format allows: a complete gzip stream, a NIfTI whose data
/// is as long as its header says (ITK's writers do not always report a short write).
void verifyWritten(const fs::path& file)
{
    const uint64_t bytes = hasGzipExtension(file) ? verifyGzipStream(file) : fs::file_size(file);
    if (formatName(file) == "NIfTI") {
        io::checkNiftiDataSize(file, io::checkNiftiHeader(file), bytes);
        return;
    }
    // Other formats (MetaImage, NRRD, PNG): read the voxels back. ITK's MetaImage writer, for one,
    // only prints "file stream is fail after write" when the disk is full.
    auto io = itk::ImageIOFactory::CreateImageIO(file.c_str(), itk::CommonEnums::IOFileMode::ReadMode);
    if (!io)
        throw InputError(file, "the written file cannot be read back");
    io->SetFileName(file.c_str());
    try {
        io->ReadImageInformation();
        itk::ImageIORegion region(io->GetNumberOfDimensions());
        for (unsigned d = 0; d < io->GetNumberOfDimensions(); ++d) {
            region.SetIndex(d, 0);
            region.SetSize(d, io->GetDimensions(d));
        }
        io->SetIORegion(region);
        std::vector<char> buffer(io->GetImageSizeInBytes());
        io->Read(buffer.data());
    } catch (const itk::ExceptionObject& e) {
        throw InputError(file, "the written file does not read back: " + describeItkError(e));
    }
    // MetaImage reads a cut-off compressed stream without complaint: compare the sizes.
    if (formatName(file) == "MetaImage" && file.extension() == ".mha") {
        std::ifstream in(file, std::ios::binary);
        std::string line;
        uint64_t declared = static_cast<uint64_t>(io->GetImageSizeInBytes());
        while (std::getline(in, line)) {
            if (line.rfind("CompressedDataSize", 0) == 0)
                declared = std::stoull(line.substr(line.find('=') + 1));
            if (line.rfind("ElementDataFile", 0) == 0)
                break;
        }
        const auto headerBytes = static_cast<uint64_t>(in.tellg());
        if (!in || bytes < headerBytes + declared)
            throw InputError(file, "the written file holds " + std::to_string(bytes) +
                                       " bytes, its header declares " +
                                       std::to_string(headerBytes + declared));
    }
}

/// Writes any ITK image atomically (creating the folder; compressed where the format allows).
template <typename TImage> void writeItkImage(TImage* image, const fs::path& path)
{
    io::writeAtomically(
        path,
        [&](const fs::path& temporary) {
            auto writer = itk::ImageFileWriter<TImage>::New();
            writer->SetFileName(temporary.string());
            writer->SetInput(image);
            writer->SetUseCompression(true);
            try {
                writer->Update();
            } catch (const itk::ExceptionObject& e) {
                // ITK names the file it wrote: the temporary; the user asked for `path`.
                std::string description = describeItkError(e);
                for (auto at = description.find(temporary.string()); at != std::string::npos;
                     at = description.find(temporary.string()))
                    description.replace(at, temporary.string().size(), path.string());
                throw InputError(path, "cannot write: " + description);
            }
        },
        verifyWritten);
}

template <typename TVolume>
void writeImpl(const TVolume& volume, const fs::path& path,
               const std::map<std::string, std::string>& metadata = {})
{
    using Pixel = typename std::decay_t<decltype(volume.voxels)>::value_type;
    using ImageType = itk::Image<Pixel, 3>;
    const auto& g = volume.geometry;
    auto image = ImageType::New();
    typename ImageType::RegionType region;
    typename ImageType::SpacingType spacing;
    typename ImageType::PointType origin;
    typename ImageType::DirectionType direction;
    for (int i = 0; i < 3; ++i) {
        region.SetSize(i, g.size[i]);
        spacing[i] = g.spacing[i];
        origin[i] = g.origin[i];
        for (int j = 0; j < 3; ++j)
            direction(i, j) = g.direction[i * 3 + j];
    }
    image->SetRegions(region);
    image->SetSpacing(spacing);
    image->SetOrigin(origin);
    image->SetDirection(direction);
    image->Allocate();
    Pixel* data = image->GetBufferPointer();
    forEachCanonical(
        g, [&](size_t canonical, std::ptrdiff_t storage) { data[storage] = volume.voxels[canonical]; });
    // NRRD writes these as "key:=value" header fields (Slicer's segment metadata).
    for (const auto& [key, value] : metadata)
        itk::EncapsulateMetaData<std::string>(image->GetMetaDataDictionary(), key, value);

    writeItkImage(image.GetPointer(), path);
}

} // namespace

uint64_t verifyGzipStream(const fs::path& path)
{
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file)
        throw InputError(path, "cannot open for reading");
    std::vector<char> buffer(1 << 20);
    uint64_t total = 0;
    int read = 0;
    while ((read = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0)
        total += static_cast<uint64_t>(read);
    int errnum = Z_OK;
    const std::string message = gzerror(file, &errnum);
    gzclose(file);
    if (read < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
        if (errnum == Z_BUF_ERROR)
            throw InputError(path, "truncated gzip stream (the file ends before the compressed data does)");
        throw InputError(path, "corrupt gzip data (" + message + ")");
    }
    return total;
}

VolumeHeader readVolumeHeader(const fs::path& path)
{
    if (fs::is_directory(path))
        throw InputError(path, "is a directory; a volume file is needed");
    const ItkReadPath itkPath(path);
    auto io = openImageIo(path, itkPath.path(), OpenFor::Header);
    VolumeHeader header;
    header.format = formatName(path);
    header.dimensions = static_cast<int>(io->GetNumberOfDimensions());
    header.componentType = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
    auto& g = header.geometry;
    for (int i = 0; i < 3; ++i) {
        g.size[i] = static_cast<int>(io->GetDimensions(i));
        g.spacing[i] = io->GetSpacing(i);
        g.origin[i] = io->GetOrigin(i);
        const auto axis = io->GetDirection(i);
        for (int m = 0; m < 3; ++m)
            g.direction[m * 3 + i] = axis[m];
    }
    try {
        g.deriveCanonicalMapping();
    } catch (const std::invalid_argument& e) {
        throw InputError(path, e.what());
    }
    return header;
}

CtVolume readCtVolume(const fs::path& path, ReadReport* reportOut)
{
    ReadReport local;
    ReadReport& report = reportOut ? *reportOut : local;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        auto volume = readDicomSeries(path, report);
        logWarnings(path, report);
        return volume;
    }
    const ItkReadPath itkPath(path);
    auto io = openImageIo(path, itkPath.path());
    report.format = formatName(path);
    auto image = readItkImage<FloatImage>(path, io, itkPath.path());
    markNonFiniteNiftiVoxels(path, image.GetPointer());
    auto volume = ctFromFloat(image, path, report);
    logWarnings(path, report);
    return volume;
}

LabelVolume readLabelVolume(const fs::path& path, ReadReport* reportOut)
{
    ReadReport local;
    ReadReport& report = reportOut ? *reportOut : local;
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw InputError(path, "is a directory; a label volume file is needed");
    const ItkReadPath itkPath(path);
    auto io = openImageIo(path, itkPath.path());
    report.format = formatName(path);
    if (io->GetComponentType() == itk::IOComponentEnum::UCHAR) {
        auto image = readItkImage<ByteImage>(path, io, itkPath.path());
        LabelVolume volume(geometryOf(image.GetPointer(), path));
        const uint8_t* data = image->GetBufferPointer();
        forEachCanonical(volume.geometry,
                         [&](size_t out, std::ptrdiff_t in) { volume.voxels[out] = data[in]; });
        return volume;
    }
    // Other types (KiTS instance masks are float64 0/1): values must be whole numbers in 0..255.
    auto image = readItkImage<FloatImage>(path, io, itkPath.path());
    markNonFiniteNiftiVoxels(path, image.GetPointer());
    LabelVolume volume(geometryOf(image.GetPointer(), path));
    const float* data = image->GetBufferPointer();
    size_t bad = 0;
    float firstBad = 0;
    forEachCanonical(volume.geometry, [&](size_t out, std::ptrdiff_t in) {
        const float v = data[in];
        if (!(v >= 0.f && v <= 255.f && v == std::floor(v))) {
            if (bad++ == 0)
                firstBad = v;
            return;
        }
        volume.voxels[out] = static_cast<uint8_t>(v);
    });
    if (bad)
        throw InputError(
            path, "not a label volume: " + std::to_string(bad) +
                      " voxels are not whole numbers in 0..255 (first: " + std::to_string(firstBad) + ")");
    return volume;
}

namespace {

constexpr size_t kNiftiHeaderBytes = 348;
constexpr size_t kNiftiDataOffset = 352; // header + 4-byte extension flag

std::vector<uint8_t> readNiftiHeader(const fs::path& source)
{
    gzFile file = gzopen(source.c_str(), "rb"); // reads plain files too
    if (!file)
        throw InputError(source, "cannot open for reading");
    std::vector<uint8_t> header(kNiftiHeaderBytes);
    const int n = gzread(file, header.data(), static_cast<unsigned>(header.size()));
    gzclose(file);
    int32_t sizeofHdr = 0;
    std::memcpy(&sizeofHdr, header.data(), 4);
    if (n != static_cast<int>(kNiftiHeaderBytes) || sizeofHdr != 348)
        return {}; // not a little-endian NIfTI-1 header: let ITK write it
    return header;
}

template <typename T> void putValue(std::vector<uint8_t>& h, size_t offset, T value)
{
    std::memcpy(h.data() + offset, &value, sizeof(T));
}

void writeBytesMaybeGz(const fs::path& path, const std::vector<uint8_t>& bytes)
{
    io::writeAtomically(
        path,
        [&](const fs::path& temporary) {
            if (hasGzipExtension(path)) {
                gzFile file = gzopen(temporary.c_str(), "wb6");
                const bool ok = file && gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                                            static_cast<int>(bytes.size());
                if (!file || gzclose(file) != Z_OK || !ok)
                    throw InputError(path, "cannot write (disk full or no permission?)");
                return;
            }
            std::FILE* file = std::fopen(temporary.c_str(), "wb");
            const bool ok = file && std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
            if (!file || std::fclose(file) != 0 || !ok)
                throw InputError(path, "cannot write (disk full or no permission?)");
        },
        verifyWritten);
}

} // namespace

void writeLabelsLikeSource(const LabelVolume& labels, const fs::path& sourceFile, const fs::path& path)
{
    const VolumeHeader source = readVolumeHeader(sourceFile);
    if (!source.geometry.sameGrid(labels.geometry))
        throw InputError(sourceFile, "the exported labels are not on this file's grid");
    std::vector<uint8_t> header = (source.format == "NIfTI" && formatName(path) == "NIfTI")
                                      ? readNiftiHeader(sourceFile)
                                      : std::vector<uint8_t>{};
    if (header.empty()) {
        writeVolume(labels, path);
        return;
    }
    const uint8_t maxLabel =
        labels.voxels.empty() ? 0 : *std::max_element(labels.voxels.begin(), labels.voxels.end());
    putValue<int16_t>(header, 70, 2);                      // datatype: unsigned char
    putValue<int16_t>(header, 72, 8);                      // bitpix
    putValue<float>(header, 108, float(kNiftiDataOffset)); // vox_offset
    putValue<float>(header, 112, 1.0f);                    // scl_slope
    putValue<float>(header, 116, 0.0f);                    // scl_inter
    putValue<float>(header, 124, float(maxLabel));         // cal_max
    putValue<float>(header, 128, 0.0f);                    // cal_min
    char description[80] = "Weaksight curated labels";
    std::memcpy(header.data() + 148, description, sizeof description);
    std::vector<uint8_t> bytes(kNiftiDataOffset + labels.voxels.size(), 0);
    std::copy(header.begin(), header.end(), bytes.begin());
    uint8_t* data = bytes.data() + kNiftiDataOffset;
    forEachCanonical(labels.geometry, [&](size_t canonical, std::ptrdiff_t storage) {
        data[storage] = labels.voxels[canonical];
    });
    writeBytesMaybeGz(path, bytes);
}

Image2DFile readImage2D(const fs::path& path)
{
    checkBeforeItk(path, OpenFor::Header); // 2D images are small: no voxel budget, as before
    const ItkReadPath itkPath(path);
    auto io =
        itk::ImageIOFactory::CreateImageIO(itkPath.path().c_str(), itk::CommonEnums::IOFileMode::ReadMode);
    if (!io)
        throw InputError(path, "not a recognised image format");
    io->SetFileName(itkPath.path().c_str());
    try {
        io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
        throw InputError(path, "unreadable or corrupt header: " + describeItkError(e));
    }
    for (unsigned d = 2; d < io->GetNumberOfDimensions(); ++d)
        if (io->GetDimensions(d) > 1)
            throw InputError(path, "is a 3D volume; choose a slice (--slice) to get a 2D crop");
    if (io->GetNumberOfComponents() != 1)
        throw InputError(path, "has several components per pixel; a single-channel image is needed");
    const auto image = readItkImage<itk::Image<float, 2>>(path, io, itkPath.path());
    const auto size = image->GetLargestPossibleRegion().GetSize();
    Image2DFile out;
    out.cols = static_cast<int>(size[0]);
    out.rows = static_cast<int>(size[1]);
    out.colSpacing = image->GetSpacing()[0];
    out.rowSpacing = image->GetSpacing()[1];
    out.pixels.assign(image->GetBufferPointer(),
                      image->GetBufferPointer() + static_cast<size_t>(out.rows) * out.cols);
    return out;
}

void writeImage2D(const Image2DFile& in, const fs::path& path)
{
    using FloatImage2 = itk::Image<float, 2>;
    auto image = FloatImage2::New();
    FloatImage2::RegionType region;
    region.SetSize({static_cast<itk::SizeValueType>(in.cols), static_cast<itk::SizeValueType>(in.rows)});
    image->SetRegions(region);
    const double spacing[2] = {in.colSpacing, in.rowSpacing};
    image->SetSpacing(spacing);
    image->Allocate();
    std::copy(in.pixels.begin(), in.pixels.end(), image->GetBufferPointer());
    writeItkImage(image.GetPointer(), path);
}

void writePng8(const std::vector<uint8_t>& pixels, int rows, int cols, const fs::path& path)
{
    using PngImage = itk::Image<uint8_t, 2>;
    auto image = PngImage::New();
    PngImage::RegionType region;
    region.SetSize({static_cast<itk::SizeValueType>(cols), static_cast<itk::SizeValueType>(rows)});
    image->SetRegions(region);
    image->Allocate();
    std::copy(pixels.begin(), pixels.end(), image->GetBufferPointer());
    writeItkImage(image.GetPointer(), path);
}

std::vector<uint8_t> readPng8(const fs::path& path, int& rows, int& cols)
{
    using PngImage = itk::Image<uint8_t, 2>;
    checkFileExists(path);
    const auto image = readItkImage<PngImage>(path, nullptr);
    const auto size = image->GetLargestPossibleRegion().GetSize();
    cols = static_cast<int>(size[0]);
    rows = static_cast<int>(size[1]);
    const uint8_t* p = image->GetBufferPointer();
    return {p, p + static_cast<size_t>(rows) * cols};
}

void writeVolume(const CtVolume& volume, const fs::path& path)
{
    writeImpl(volume, path);
}
void writeVolume(const LabelVolume& volume, const fs::path& path,
                 const std::map<std::string, std::string>& metadata)
{
    writeImpl(volume, path, metadata);
}

} // namespace weaksight
