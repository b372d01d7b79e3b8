#pragma once

// The export's DICOM Segmentation (DCMTK's dcmseg): a case's curated labels as a binary SEG with
// one segment per label value (tumour, cyst, …), one frame per segment and slice that has it,
// positioned and oriented in the patient's space. When the CT came from a DICOM series the SEG
// joins its patient, study and frame of reference and every frame names the CT slice it segments
// (derivation image); otherwise it gets a study of its own, named after the case.

#include "core/io/Volume.h"

#include <filesystem>
#include <optional>
#include <string>

namespace weaksight::storage {

struct DicomSegSource {
    std::string caseKey;
    /// The CT's DICOM series folder, when the case's imaging is one.
    std::optional<std::filesystem::path> dicomSeries;
};

/// Writes `labels` (on the case's grid; non-zero values are segments) to `path` through a
/// temporary file, then reads it back with DCMTK and checks every frame against `labels`
/// (InputError naming `path` otherwise). Returns the number of frames written.
size_t writeDicomSeg(const LabelVolume& labels, const DicomSegSource& source,
                     const std::filesystem::path& path);

} // namespace weaksight::storage
