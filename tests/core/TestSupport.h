#pragma once

#include "core/io/Volume.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace weaksight::test {

/// A fresh, empty directory under the system temp dir, removed when the object dies.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "weaksight-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

/// ../shared/data (or $WEAKSIGHT_REAL_DATA) when present.
std::optional<std::filesystem::path> realDataDirectory();

/// A canonical-geometry CT volume filled with `fill` HU.
CtVolume makeCt(std::array<int, 3> shape, std::array<double, 3> spacing, int16_t fill = -1000);
LabelVolume makeLabels(std::array<int, 3> shape, std::array<double, 3> spacing);

/// Writes a NIfTI-1 file byte by byte (independent of ITK) so tests can check how the
/// reader interprets a known header. `srow` is the sform (RAS, mm), 3 rows of 4.
/// datatype: 2 = uint8, 4 = int16, 16 = float32. dims has 2 or 3 entries.
void writeRawNifti(const std::filesystem::path& path, const std::vector<int>& dims, int datatype,
                   const std::vector<float>& pixdim, const std::array<std::array<float, 4>, 3>& srow,
                   const std::vector<uint8_t>& data, int qformCode = 0, int sformCode = 2);

std::vector<uint8_t> readBytes(const std::filesystem::path& path);
void writeBytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

} // namespace weaksight::test
