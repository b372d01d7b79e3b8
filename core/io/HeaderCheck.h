#pragma once

// Checks that run before ITK sees a file's header or allocates its voxels. ITK 5.2 trusts headers:
// a NIfTI with non-finite qform/sform fields aborts the process inside VNL or loops forever in
// vnl_svd, and a 73-byte .nii.gz can declare 1400^3 voxels that the reader allocates and fills
// with zeros. Every failure is an InputError naming the file.

#include <array>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <vector>

namespace weaksight::io {

/// What a NIfTI-1 or NIfTI-2 header declares about the voxel data.
struct NiftiDeclaration {
    std::array<int64_t, 3> size{};  ///< dim[1..3]
    int64_t extraVolumes = 1;       ///< product of dim[4..dim[0]]
    int bytesPerVoxel = 0;          ///< from the datatype, as ITK's NIfTI library reads it
    int64_t voxelOffset = 0;        ///< vox_offset: where the data starts
    int datatype = 0;               ///< NIfTI datatype code (16 float32, 64 float64, ...)
    bool swapped = false;           ///< stored in the other byte order than this machine's
    uint64_t dataBytes() const;     ///< size * extraVolumes * bytesPerVoxel (checked: no overflow)
};

/// Whether a file name ends in ".gz", in any case (gzip-compressed NIfTI and others).
bool isGzipName(const std::filesystem::path& path);

/// Reads the header of a .nii / .nii.gz (either byte order, NIfTI-1 or -2) and refuses what ITK
/// cannot read safely: a header size that is neither 348 nor 540, dim[0] outside 1..7,
/// non-positive sizes, an unknown datatype, a data size that overflows, zero or non-finite pixel
/// spacing on the axes it has, non-finite scaling, and
/// non-finite or invalid qform (quaternion norm > 1) or sform (singular) fields when their codes
/// say they are used.
NiftiDeclaration checkNiftiHeader(const std::filesystem::path& path);

/// Refuses a NIfTI whose data (decompressed, for .gz) is shorter than the header declares:
/// ITK would pad the missing voxels with zeros.
void checkNiftiDataSize(const std::filesystem::path& path, const NiftiDeclaration& declared, uint64_t fileBytes);

/// Storage indices (file order, which is ITK's buffer order) of the NaN and infinite voxels of a
/// float32 or float64 NIfTI; empty for integer data. ITK's NIfTI library silently sets them to 0,
/// which in CT is water, not "no data": callers treat them as every other format's.
std::vector<uint64_t> nonFiniteNiftiVoxels(const std::filesystem::path& path, const NiftiDeclaration& declared);

/// Refuses sizes below 1, spacing that is zero, negative or not finite, a non-finite origin and a
/// non-finite or singular direction matrix (row-major 3x3), whatever the format.
void checkGeometry(const std::filesystem::path& path, const std::array<int64_t, 3>& size,
                   const std::array<double, 3>& spacing, const std::array<double, 3>& origin,
                   const std::array<double, 9>& direction);

/// a * b * c without overflow; throws InputError naming `path` when the product does not fit.
uint64_t checkedProduct(const std::filesystem::path& path, std::initializer_list<uint64_t> factors);

/// Most voxels a volume reader accepts: $WEAKSIGHT_MAX_VOXELS when set, else an eighth of the
/// memory available now (the reader holds a float copy and the int16 volume: 6 bytes a voxel, with
/// headroom), at least 64 Mi voxels.
uint64_t voxelBudget();

/// Refuses `voxels` above voxelBudget(), naming the budget and how to raise it.
void checkVoxelBudget(const std::filesystem::path& path, uint64_t voxels);

} // namespace weaksight::io
