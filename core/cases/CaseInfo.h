#pragma once

#include "core/cases/KitsCase.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace weaksight {

/// The facts `weaksight case-info` prints for a case directory or a single volume file:
/// layout, files, axial_slices, shape [axial, rows, cols], spacing_mm [axial, row, col],
/// orientation (as stored), axial_order, HU range, and for labels slices_with_label and
/// voxels_with_label (label value as a string key). Throws InputError for bad input.
nlohmann::json caseInfo(const std::filesystem::path& path, VolumeRole role = VolumeRole::Auto);

/// The same facts as readable text lines.
std::string formatCaseInfo(const nlohmann::json& info);

} // namespace weaksight
