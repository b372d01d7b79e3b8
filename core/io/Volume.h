#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weaksight {

/// Canonical voxel layout used everywhere in Weaksight (see docs/architecture.md):
///   axis 0 = axial slice index, inferior -> superior (slice 0 is the most inferior),
///   axis 1 = image row, anterior -> posterior (row 0 at the top of the screen),
///   axis 2 = image column, patient's right -> patient's left (radiological display:
///            the patient's left appears on the image's right).
/// In ITK's LPS physical space that is the identity direction ("RAI" in ITK's naming).
/// Files are stored in any order; StorageGeometry records how to get back to it.
enum CanonicalAxis { Axial = 0, Row = 1, Column = 2 };

/// Geometry of a volume as stored in its file, plus the mapping to the canonical layout.
struct StorageGeometry {
    /// Index sizes in the file's own order (ITK index i, j, k; NIfTI dim[1..3]).
    std::array<int, 3> size{0, 0, 0};
    /// Spacing (mm) of each storage axis.
    std::array<double, 3> spacing{1, 1, 1};
    /// Physical (LPS, mm) position of storage voxel (0,0,0).
    std::array<double, 3> origin{0, 0, 0};
    /// Direction cosines, row-major: direction[row * 3 + col]; column s is storage axis s in LPS.
    std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

    /// For each canonical axis: which storage axis carries it, and whether the storage
    /// index runs against the canonical direction. Derived by fromDirection().
    std::array<int, 3> storageAxisOf{2, 1, 0};
    std::array<bool, 3> flipped{false, false, false};

    /// Fills storageAxisOf/flipped from the direction matrix. Throws std::invalid_argument
    /// when the axes are too oblique to be assigned to axial/coronal/sagittal.
    void deriveCanonicalMapping();

    /// Three letters naming the anatomical direction each storage axis points to
    /// (nibabel's aff2axcodes convention, RAS letters): KiTS files give "IPL",
    /// an ordinary DICOM axial series "LPS".
    std::string orientationCode() const;

    /// Canonical shape [axial, rows, cols] and spacing [axial, row, col] in mm.
    std::array<int, 3> canonicalShape() const;
    std::array<double, 3> canonicalSpacing() const;

    /// Storage index of a canonical index.
    std::array<int, 3> storageIndex(int slice, int row, int col) const;
    /// Physical LPS position (mm) of the centre of a canonical voxel.
    std::array<double, 3> physicalPoint(int slice, int row, int col) const;

    /// True when both geometries describe the same grid in space (size, spacing,
    /// origin and direction within the given tolerance in mm / cosine units).
    bool sameGrid(const StorageGeometry& other, double tolerance = 1e-3) const;

    /// A storage geometry whose canonical mapping is the identity (LPS identity direction).
    static StorageGeometry canonical(std::array<int, 3> shape, std::array<double, 3> spacing,
                                     std::array<double, 3> originLps = {0, 0, 0});
    /// KiTS storage convention for a canonical grid: the first array axis is axial pointing
    /// inferior, then posterior, then left (orientation "IPL", no translation by default).
    static StorageGeometry kitsStorage(std::array<int, 3> shape, std::array<double, 3> spacing);
};

/// A 3D volume in canonical layout (see CanonicalAxis), voxel (k, r, c) at
/// voxels[(k * rows + r) * cols + c].
template <typename T> struct Volume {
    StorageGeometry geometry;
    std::array<int, 3> shape{0, 0, 0};      ///< [axial, rows, cols]
    std::array<double, 3> spacing{1, 1, 1}; ///< mm, [axial, row, col]
    std::vector<T> voxels;

    Volume() = default;
    explicit Volume(const StorageGeometry& g)
        : geometry(g)
        , shape(g.canonicalShape())
        , spacing(g.canonicalSpacing())
        , voxels(static_cast<size_t>(shape[0]) * shape[1] * shape[2], T{})
    {
    }

    int slices() const { return shape[0]; }
    int rows() const { return shape[1]; }
    int cols() const { return shape[2]; }
    size_t sliceSize() const { return static_cast<size_t>(shape[1]) * shape[2]; }
    size_t index(int k, int r, int c) const
    {
        return (k * sliceSize()) + static_cast<size_t>(r) * shape[2] + c;
    }
    T& at(int k, int r, int c) { return voxels[index(k, r, c)]; }
    const T& at(int k, int r, int c) const { return voxels[index(k, r, c)]; }
    const T* slice(int k) const { return voxels.data() + k * sliceSize(); }
    T* slice(int k) { return voxels.data() + k * sliceSize(); }
    bool empty() const { return voxels.empty(); }
};

/// CT intensities in Hounsfield units.
using CtVolume = Volume<int16_t>;
/// Integer labels (KiTS: 0 background, 1 kidney, 2 tumour, 3 cyst).
using LabelVolume = Volume<uint8_t>;

namespace labels {
constexpr uint8_t Background = 0;
constexpr uint8_t Kidney = 1;
constexpr uint8_t Tumour = 2;
constexpr uint8_t Cyst = 3;
/// A file's label that means none of the above (core/cases/LabelTable maps files onto these).
constexpr uint8_t Other = 4;
/// "Lesion" is tumour or cyst.
constexpr bool isLesion(uint8_t v)
{
    return v == Tumour || v == Cyst;
}
} // namespace labels

/// A box of voxel indices [slice, row, col], inclusive at both ends.
struct VoxelBox {
    std::array<int, 3> first{0, 0, 0};
    std::array<int, 3> last{0, 0, 0};

    /// The box widened by `margin` voxels on every side, clipped to a volume of `shape`.
    VoxelBox grown(int margin, const std::array<int, 3>& shape) const;
};

/// The smallest box holding every voxel whose label is one of `values` (every non-zero label when
/// `values` is empty); nullopt when there is none.
std::optional<VoxelBox> labelBounds(const LabelVolume& labels, const std::vector<uint8_t>& values = {});
/// The same within axial slice `slice` alone (the box's first and last slice are `slice`).
std::optional<VoxelBox> labelBounds(const LabelVolume& labels, int slice,
                                    const std::vector<uint8_t>& values = {});

} // namespace weaksight
