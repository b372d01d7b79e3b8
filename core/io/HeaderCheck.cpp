#include "core/io/HeaderCheck.h"

#include "core/common/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace weaksight::io {

namespace {

constexpr size_t kNifti1HeaderBytes = 348;
constexpr size_t kNifti2HeaderBytes = 540;

/// The first `count` bytes of a file, decompressed when it is gzip (fewer where the file is short).
std::vector<unsigned char> leadingBytes(const fs::path& path, size_t count)
{
    std::vector<unsigned char> bytes(count);
    if (isGzipName(path)) {
        gzFile file = gzopen(path.c_str(), "rb");
        if (!file)
            throw InputError(path, "cannot open for reading");
        const int read = gzread(file, bytes.data(), static_cast<unsigned>(count));
        gzclose(file);
        bytes.resize(read > 0 ? static_cast<size_t>(read) : 0);
        return bytes;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, "cannot open for reading");
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(count));
    bytes.resize(static_cast<size_t>(in.gcount()));
    return bytes;
}

/// Reads numbers of a header in its byte order.
class HeaderReader {
public:
    HeaderReader(const std::vector<unsigned char>& bytes, bool swap)
        : m_bytes(bytes)
        , m_swap(swap)
    {
    }
    template <typename T> T at(size_t offset) const
    {
        unsigned char raw[sizeof(T)];
        std::memcpy(raw, m_bytes.data() + offset, sizeof(T));
        if (m_swap)
            for (size_t i = 0; i < sizeof(T) / 2; ++i)
                std::swap(raw[i], raw[sizeof(T) - 1 - i]);
        T value;
        std::memcpy(&value, raw, sizeof(T));
        return value;
    }

private:
    const std::vector<unsigned char>& m_bytes;
    bool m_swap;
};

/// The fields of either header version, widened.
struct NiftiFields {
    std::array<int64_t, 8> dim{};
    int bitpix = 0;
    int datatype = 0;
    bool swapped = false;
    std::array<double, 8> pixdim{};
    double voxOffset = 0;
    double sclSlope = 0, sclInter = 0;
    int qformCode = 0, sformCode = 0;
    std::array<double, 6> quatern{}; ///< b, c, d, offset x, y, z
    std::array<double, 12> srow{};
};

NiftiFields parseNifti(const fs::path& path, const std::vector<unsigned char>& bytes)
{
    if (bytes.size() < 4)
        throw InputError(path, "too short for a NIfTI header");
    int32_t headerSize = 0;
    std::memcpy(&headerSize, bytes.data(), 4);
    const int32_t swapped = static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(headerSize)));
    const bool swap = headerSize != 348 && headerSize != 540;
    if (swap)
        headerSize = swapped;
    if (headerSize != 348 && headerSize != 540)
        throw InputError(path, "not a recognised image format (a NIfTI file name, but its header size field is "
                               "neither 348 nor 540)");
    const bool nifti2 = headerSize == 540;
    if (bytes.size() < (nifti2 ? kNifti2HeaderBytes : kNifti1HeaderBytes))
        throw InputError(path, "truncated NIfTI header (" + std::to_string(bytes.size()) + " bytes)");
    const HeaderReader h(bytes, swap);
    NiftiFields f;
    f.swapped = swap;
    if (!nifti2) {
        f.datatype = h.at<int16_t>(70);
        for (int i = 0; i < 8; ++i)
            f.dim[static_cast<size_t>(i)] = h.at<int16_t>(40 + 2 * static_cast<size_t>(i));
        f.bitpix = h.at<int16_t>(72);
        for (int i = 0; i < 8; ++i)
            f.pixdim[static_cast<size_t>(i)] = h.at<float>(76 + 4 * static_cast<size_t>(i));
        f.voxOffset = h.at<float>(108);
        f.sclSlope = h.at<float>(112);
        f.sclInter = h.at<float>(116);
        f.qformCode = h.at<int16_t>(252);
        f.sformCode = h.at<int16_t>(254);
        for (size_t i = 0; i < 6; ++i)
            f.quatern[i] = h.at<float>(256 + 4 * i);
        for (size_t i = 0; i < 12; ++i)
            f.srow[i] = h.at<float>(280 + 4 * i);
    } else {
        f.datatype = h.at<int16_t>(12);
        f.bitpix = h.at<int16_t>(14);
        for (int i = 0; i < 8; ++i)
            f.dim[static_cast<size_t>(i)] = h.at<int64_t>(16 + 8 * static_cast<size_t>(i));
        for (int i = 0; i < 8; ++i)
            f.pixdim[static_cast<size_t>(i)] = h.at<double>(104 + 8 * static_cast<size_t>(i));
        f.voxOffset = static_cast<double>(h.at<int64_t>(168));
        f.sclSlope = h.at<double>(176);
        f.sclInter = h.at<double>(184);
        f.qformCode = h.at<int32_t>(344);
        f.sformCode = h.at<int32_t>(348);
        for (size_t i = 0; i < 6; ++i)
            f.quatern[i] = h.at<double>(352 + 8 * i);
        for (size_t i = 0; i < 12; ++i)
            f.srow[i] = h.at<double>(400 + 8 * i);
    }
    return f;
}

bool allFinite(const double* values, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        if (!std::isfinite(values[i]))
            return false;
    return true;
}

// A voxel from a micrometre to a kilometre, an origin within a thousand kilometres: any scan. Outside
// these, geometry arithmetic in single precision (ITK's orientation SVD) overflows or underflows.
constexpr const char* kVoxelSizeRange = " (must lie within 1e-6 to 1e6 mm)";
constexpr const char* kOffsetRange = " (must lie within ±1e9 mm)";
bool plausibleVoxelSize(double millimetres)
{
    return std::abs(millimetres) >= 1e-6 && std::abs(millimetres) <= 1e6;
}
bool plausibleOffset(double millimetres)
{
    return std::abs(millimetres) <= 1e9;
}

std::string formatNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

double determinant3(const double* m, size_t stride)
{
    const auto a = [&](size_t r, size_t c) { return m[r * stride + c]; };
    return a(0, 0) * (a(1, 1) * a(2, 2) - a(1, 2) * a(2, 1)) - a(0, 1) * (a(1, 0) * a(2, 2) - a(1, 2) * a(2, 0)) +
           a(0, 2) * (a(1, 0) * a(2, 1) - a(1, 1) * a(2, 0));
}

uint64_t availableMemoryBytes()
{
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kilobytes = 0;
    std::string unit;
    while (meminfo >> key >> kilobytes >> unit)
        if (key == "MemAvailable:")
            return kilobytes * 1024;
    return 0;
}

/// Bytes per voxel of a NIfTI datatype code (ITK's NIfTI library sizes voxels by the datatype, not
/// by bitpix); 0 for a code it does not know.
int datatypeBytes(int datatype)
{
    switch (datatype) {
    case 2: case 256: return 1;              // uint8, int8
    case 4: case 512: return 2;              // int16, uint16
    case 8: case 16: case 768: case 2304: return 4; // int32, float32, uint32, RGBA32
    case 128: return 3;                      // RGB24
    case 32: case 64: case 1024: case 1280: return 8; // complex64, float64, int64, uint64
    case 1536: case 1792: return 16;         // float128, complex128
    case 2048: return 32;                    // complex256
    default: return 0;
    }
}

} // namespace

bool isGzipName(const fs::path& path)
{
    const std::string name = path.filename().string();
    return name.size() >= 3 && (name.compare(name.size() - 3, 3, ".gz") == 0 || name.compare(name.size() - 3, 3, ".GZ") == 0 ||
                                name.compare(name.size() - 3, 3, ".Gz") == 0 || name.compare(name.size() - 3, 3, ".gZ") == 0);
}

uint64_t checkedProduct(const fs::path& path, std::initializer_list<uint64_t> factors)
{
    uint64_t product = 1;
    for (const uint64_t f : factors)
        if (__builtin_mul_overflow(product, f, &product))
            throw InputError(path, "declares a data size that does not fit in 64 bits");
    return product;
}

uint64_t NiftiDeclaration::dataBytes() const
{
    // checkNiftiHeader made sure this product fits.
    return static_cast<uint64_t>(size[0]) * static_cast<uint64_t>(size[1]) * static_cast<uint64_t>(size[2]) *
           static_cast<uint64_t>(extraVolumes) * static_cast<uint64_t>(bytesPerVoxel);
}

NiftiDeclaration checkNiftiHeader(const fs::path& path)
{
    const NiftiFields f = parseNifti(path, leadingBytes(path, kNifti2HeaderBytes));
    if (f.dim[0] < 1 || f.dim[0] > 7)
        throw InputError(path, "NIfTI header has dim[0] = " + std::to_string(f.dim[0]) + " (1 to 7 allowed)");
    NiftiDeclaration d;
    for (int64_t i = 1; i <= 7; ++i) {
        const int64_t n = i <= f.dim[0] ? f.dim[static_cast<size_t>(i)] : 1;
        if (n < 1)
            throw InputError(path, "NIfTI header declares size " + std::to_string(n) + " along axis " +
                                       std::to_string(i) + " (sizes must be at least 1)");
        if (i <= 3)
            d.size[static_cast<size_t>(i - 1)] = n;
        else
            d.extraVolumes = static_cast<int64_t>(checkedProduct(path, {uint64_t(d.extraVolumes), uint64_t(n)}));
    }
    d.bytesPerVoxel = datatypeBytes(f.datatype);
    if (d.bytesPerVoxel == 0)
        throw InputError(path, "NIfTI header has an unknown datatype " + std::to_string(f.datatype));
    checkedProduct(path, {uint64_t(d.size[0]), uint64_t(d.size[1]), uint64_t(d.size[2]), uint64_t(d.extraVolumes),
                          uint64_t(d.bytesPerVoxel), 2}); // with room for the offset added below
    for (size_t i = 1; i <= 3 && static_cast<int64_t>(i) <= f.dim[0]; ++i) {
        if (!std::isfinite(f.pixdim[i]) || f.pixdim[i] == 0)
            throw InputError(path, "NIfTI header has pixel spacing pixdim[" + std::to_string(i) +
                                       "] = " + std::to_string(f.pixdim[i]) + " (must be finite and non-zero)");
        if (!plausibleVoxelSize(f.pixdim[i]))
            throw InputError(path, "NIfTI header has an implausible pixel spacing pixdim[" + std::to_string(i) +
                                       "] = " + formatNumber(f.pixdim[i]) + " mm" + kVoxelSizeRange);
    }
    if (!std::isfinite(f.pixdim[0]))
        throw InputError(path, "NIfTI header has a non-finite qfac (pixdim[0])");
    // Beyond 2^62 bytes no file is real, and the cast below stays defined.
    if (!std::isfinite(f.voxOffset) || f.voxOffset < 0 || f.voxOffset > 4.6e18)
        throw InputError(path, "NIfTI header has vox_offset " + std::to_string(f.voxOffset));
    d.voxelOffset = static_cast<int64_t>(f.voxOffset);
    d.datatype = f.datatype;
    d.swapped = f.swapped;
    if (!std::isfinite(f.sclSlope) || !std::isfinite(f.sclInter))
        throw InputError(path, "NIfTI header has non-finite intensity scaling (scl_slope/scl_inter)");
    if (f.qformCode > 0) {
        if (!allFinite(f.quatern.data(), f.quatern.size()))
            throw InputError(path, "NIfTI header has non-finite qform fields (quatern/qoffset) while qform_code is " +
                                       std::to_string(f.qformCode));
        const double norm = f.quatern[0] * f.quatern[0] + f.quatern[1] * f.quatern[1] + f.quatern[2] * f.quatern[2];
        if (norm > 1.0 + 1e-4)
            throw InputError(path, "NIfTI header has an invalid qform quaternion (b² + c² + d² = " +
                                       std::to_string(norm) + " > 1)");
    }
    if (f.sformCode > 0) {
        if (!allFinite(f.srow.data(), f.srow.size()))
            throw InputError(path, "NIfTI header has non-finite sform rows (srow_x/y/z) while sform_code is " +
                                       std::to_string(f.sformCode));
        if (determinant3(f.srow.data(), 4) == 0)
            throw InputError(path, "NIfTI header has a singular sform (its 3x3 part has determinant 0)");
        // ITK takes the sform apart with a single-precision SVD, which never returns when a
        // column's squared length overflows a float: such voxel sizes are refused first.
        for (int column = 0; column < 3; ++column) {
            const double size = std::sqrt(f.srow[column] * f.srow[column] + f.srow[4 + column] * f.srow[4 + column] +
                                          f.srow[8 + column] * f.srow[8 + column]);
            if (!plausibleVoxelSize(size))
                throw InputError(path, "NIfTI header has an implausible sform: voxel size " + formatNumber(size) +
                                           " mm along array axis " + std::to_string(column) + kVoxelSizeRange);
        }
        for (int row = 0; row < 3; ++row)
            if (!plausibleOffset(f.srow[4 * row + 3]))
                throw InputError(path, "NIfTI header has an implausible sform origin " +
                                           formatNumber(f.srow[4 * row + 3]) + " mm" + kOffsetRange);
    }
    if (f.qformCode > 0)
        for (int i = 3; i < 6; ++i)
            if (!plausibleOffset(f.quatern[i]))
                throw InputError(path, "NIfTI header has an implausible qform origin " + formatNumber(f.quatern[i]) +
                                           " mm" + kOffsetRange);
    return d;
}

std::vector<uint64_t> nonFiniteNiftiVoxels(const fs::path& path, const NiftiDeclaration& declared)
{
    constexpr int kFloat32 = 16, kFloat64 = 64;
    std::vector<uint64_t> found;
    if (!((declared.datatype == kFloat32 && declared.bytesPerVoxel == 4) ||
          (declared.datatype == kFloat64 && declared.bytesPerVoxel == 8)))
        return found;
    const size_t width = static_cast<size_t>(declared.bytesPerVoxel);
    const uint64_t voxels = declared.dataBytes() / width;
    const bool gz = isGzipName(path);
    gzFile compressed = nullptr;
    std::ifstream plain;
    if (gz) {
        compressed = gzopen(path.c_str(), "rb");
        if (!compressed || gzseek(compressed, static_cast<z_off_t>(declared.voxelOffset), SEEK_SET) < 0) {
            if (compressed)
                gzclose(compressed);
            throw InputError(path, "cannot read its voxel data");
        }
    } else {
        plain.open(path, std::ios::binary);
        plain.seekg(declared.voxelOffset);
    }
    std::vector<unsigned char> chunk((1 << 20) / width * width);
    uint64_t index = 0;
    while (index < voxels) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size() / width, voxels - index)) * width;
        size_t got = 0;
        if (gz) {
            const int read = gzread(compressed, chunk.data(), static_cast<unsigned>(want));
            got = read > 0 ? static_cast<size_t>(read) : 0;
        } else {
            plain.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(want));
            got = static_cast<size_t>(plain.gcount());
        }
        if (got < want)
            break; // checkNiftiDataSize reports short data
        for (size_t offset = 0; offset < got; offset += width, ++index) {
            unsigned char raw[8];
            std::memcpy(raw, chunk.data() + offset, width);
            if (declared.swapped)
                std::reverse(raw, raw + width);
            double value;
            if (width == 4) {
                float f;
                std::memcpy(&f, raw, 4);
                value = f;
            } else {
                std::memcpy(&value, raw, 8);
            }
            if (!std::isfinite(value)) {
                if (found.size() >= (uint64_t(1) << 24))
                    throw InputError(path, "more than 16 million NaN or infinite voxels: not an image");
                found.push_back(index);
            }
        }
    }
    if (compressed)
        gzclose(compressed);
    return found;
}

void checkNiftiDataSize(const fs::path& path, const NiftiDeclaration& declared, uint64_t fileBytes)
{
    uint64_t needed = 0;
    if (__builtin_add_overflow(static_cast<uint64_t>(declared.voxelOffset), declared.dataBytes(), &needed))
        throw InputError(path, "declares a data size that does not fit in 64 bits");
    if (fileBytes < needed)
        throw InputError(path, std::string(isGzipName(path) ? "decompressed data is " : "file is ") +
                                   std::to_string(fileBytes) + " bytes, the header declares " + std::to_string(needed) +
                                   " (truncated voxel data: the missing voxels would read as zeros)");
}

void checkGeometry(const fs::path& path, const std::array<int64_t, 3>& size, const std::array<double, 3>& spacing,
                   const std::array<double, 3>& origin, const std::array<double, 9>& direction)
{
    for (size_t i = 0; i < 3; ++i) {
        if (size[i] < 1)
            throw InputError(path, "declares size " + std::to_string(size[i]) + " along axis " + std::to_string(i) +
                                       " (sizes must be at least 1)");
        if (!std::isfinite(spacing[i]) || spacing[i] <= 0)
            throw InputError(path, "declares voxel spacing " + std::to_string(spacing[i]) + " along axis " +
                                       std::to_string(i) + " (must be finite and positive)");
    }
    if (!allFinite(origin.data(), origin.size()))
        throw InputError(path, "declares a non-finite origin");
    if (!allFinite(direction.data(), direction.size()))
        throw InputError(path, "declares a non-finite direction matrix");
    if (std::abs(determinant3(direction.data(), 3)) < 1e-6)
        throw InputError(path, "declares a singular direction matrix (axes not independent)");
}

uint64_t voxelBudget()
{
    if (const char* value = std::getenv("WEAKSIGHT_MAX_VOXELS"); value && *value) {
        char* end = nullptr;
        const unsigned long long parsed = std::strtoull(value, &end, 10);
        if (end && *end == '\0' && parsed > 0)
            return parsed;
    }
    constexpr uint64_t kFloor = 64ull << 20;
    const uint64_t available = availableMemoryBytes();
    return available == 0 ? 1ull << 31 : std::max(kFloor, available / 8);
}

void checkVoxelBudget(const fs::path& path, uint64_t voxels)
{
    const uint64_t budget = voxelBudget();
    if (voxels > budget)
        throw InputError(path, "declares " + std::to_string(voxels) + " voxels, more than this machine can read now (" +
                                   std::to_string(budget) +
                                   "; an eighth of the available memory, or $WEAKSIGHT_MAX_VOXELS)");
}

} // namespace weaksight::io
