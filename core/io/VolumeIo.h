#pragma once

#include "core/io/Volume.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace weaksight {

/// What a reader noticed while reading: format, and warnings that the caller must show
/// (they are also written to the log).
struct ReadReport {
    std::string format; ///< "NIfTI", "NRRD", "MetaImage", "DICOM series", ...
    std::vector<std::string> warnings;
    /// DICOM series only: position (mm along the slice normal) of each slice kept, in order.
    std::vector<double> slicePositionsMm;
    /// DICOM series only: files left out because another slice had the same position.
    std::vector<std::filesystem::path> droppedDuplicates;
    bool evenlySpaced = true;
};

/// Header facts of a volume file, without reading its voxels.
struct VolumeHeader {
    StorageGeometry geometry;
    std::string format;
    std::string componentType; ///< ITK's name: "unsigned_char", "short", "float", ...
    int dimensions = 3;
    /// True for unsigned 8-bit data: the way KiTS and most tools store label volumes.
    bool looksLikeLabels() const { return componentType == "unsigned_char"; }
};

/// Reads a CT volume in Hounsfield units from NIfTI (.nii, .nii.gz), NRRD, MetaImage
/// (.mha/.mhd) or a DICOM series (a directory). Values are rounded to int16; values outside
/// int16 are clamped with a warning. Throws InputError naming the file and the problem.
CtVolume readCtVolume(const std::filesystem::path& path, ReadReport* report = nullptr);

/// Reads an integer label volume. Non-integer values or values outside 0..255 are refused.
LabelVolume readLabelVolume(const std::filesystem::path& path, ReadReport* report = nullptr);

/// Reads only the header of a volume file (not a DICOM directory).
VolumeHeader readVolumeHeader(const std::filesystem::path& path);

/// Writes a volume in its own storage geometry (the file's axis order, spacing, origin and
/// direction are those of volume.geometry). The format follows the extension; .gz compresses.
void writeVolume(const CtVolume& volume, const std::filesystem::path& path);
/// `metadata`: extra header fields where the format has them (NRRD's "key:=value" lines).
void writeVolume(const LabelVolume& volume, const std::filesystem::path& path,
                 const std::map<std::string, std::string>& metadata = {});

/// Writes a label volume on the grid of `sourceFile` (the case's imaging or labels). For a NIfTI
/// source the 348-byte header is copied and only the data type, scaling and description change,
/// so the export's header geometry (qform, sform, codes, pixdim) is byte-identical to the source's;
/// other sources go through ITK with the same storage geometry. Throws InputError on a mismatch.
void writeLabelsLikeSource(const LabelVolume& labels, const std::filesystem::path& sourceFile,
                           const std::filesystem::path& path);

/// A 2D float image (row-major, row = ITK y, column = ITK x) with its pixel spacing.
struct Image2DFile {
    int rows = 0;
    int cols = 0;
    double rowSpacing = 1;
    double colSpacing = 1;
    std::vector<float> pixels;
};
/// Reads a 2D image (NIfTI, NRRD, MetaImage, PNG, ... through ITK). A 3D file with one slice is
/// accepted; other 3D files are refused (read them with readCtVolume and take a slice).
Image2DFile readImage2D(const std::filesystem::path& path);
/// Writes a 2D float image; the format follows the extension (.nii.gz for maps).
void writeImage2D(const Image2DFile& image, const std::filesystem::path& path);

/// 2D uint8 PNG (0 / 255 for binary masks) through ITK; read back with readPng8.
void writePng8(const std::vector<uint8_t>& pixels, int rows, int cols, const std::filesystem::path& path);
std::vector<uint8_t> readPng8(const std::filesystem::path& path, int& rows, int& cols);

/// Checks a gzip file end to end; throws InputError for a truncated or corrupt stream. Returns
/// the number of decompressed bytes.
uint64_t verifyGzipStream(const std::filesystem::path& path);

} // namespace weaksight
