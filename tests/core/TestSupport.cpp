#include "TestSupport.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace weaksight::test {

TempDir::TempDir(const std::string& prefix)
{
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = fs::temp_directory_path() / (prefix + "-" + std::to_string(rd()));
        if (fs::create_directory(candidate)) {
            m_path = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir()
{
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

std::optional<fs::path> realDataDirectory()
{
    if (const char* env = std::getenv("WEAKSIGHT_REAL_DATA"); env && *env && fs::is_directory(env))
        return fs::path(env);
    const fs::path fallback = WEAKSIGHT_REAL_DATA_DEFAULT;
    if (fs::is_directory(fallback))
        return fallback;
    return std::nullopt;
}

CtVolume makeCt(std::array<int, 3> shape, std::array<double, 3> spacing, int16_t fill)
{
    CtVolume v(StorageGeometry::canonical(shape, spacing));
    std::fill(v.voxels.begin(), v.voxels.end(), fill);
    return v;
}

LabelVolume makeLabels(std::array<int, 3> shape, std::array<double, 3> spacing)
{
    return LabelVolume(StorageGeometry::canonical(shape, spacing));
}

namespace {
template <typename T> void put(std::vector<uint8_t>& h, size_t offset, T value)
{
    std::memcpy(h.data() + offset, &value, sizeof(T));
}
} // namespace

void writeRawNifti(const fs::path& path, const std::vector<int>& dims, int datatype,
                   const std::vector<float>& pixdim, const std::array<std::array<float, 4>, 3>& srow,
                   const std::vector<uint8_t>& data, int qformCode, int sformCode)
{
    std::vector<uint8_t> header(352, 0);
    put<int32_t>(header, 0, 348);
    put<int16_t>(header, 40, static_cast<int16_t>(dims.size()));
    for (size_t i = 0; i < dims.size(); ++i)
        put<int16_t>(header, 42 + 2 * i, static_cast<int16_t>(dims[i]));
    for (size_t i = dims.size(); i < 7; ++i)
        put<int16_t>(header, 42 + 2 * i, 1);
    const int bitpix = datatype == 2 ? 8 : datatype == 4 ? 16 : 32;
    put<int16_t>(header, 70, static_cast<int16_t>(datatype));
    put<int16_t>(header, 72, static_cast<int16_t>(bitpix));
    // pixdim[0] (offset 76) is qfac; callers pass it first.
    for (size_t i = 0; i < pixdim.size(); ++i)
        put<float>(header, 76 + 4 * i, pixdim[i]);
    put<float>(header, 108, 352.0f); // vox_offset
    put<float>(header, 112, 1.0f);   // scl_slope
    put<int16_t>(header, 252, static_cast<int16_t>(qformCode));
    put<int16_t>(header, 254, static_cast<int16_t>(sformCode));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            put<float>(header, 280 + r * 16 + c * 4, srow[r][c]);
    std::memcpy(header.data() + 344, "n+1\0", 4);
    std::vector<uint8_t> bytes(header.size() + data.size());
    std::copy(header.begin(), header.end(), bytes.begin());
    std::copy(data.begin(), data.end(), bytes.begin() + static_cast<std::ptrdiff_t>(header.size()));
    if (path.extension() == ".gz") {
        gzFile f = gzopen(path.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
    } else {
        writeBytes(path, bytes);
    }
}

std::vector<uint8_t> readBytes(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& path, const std::vector<uint8_t>& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

} // namespace weaksight::test
