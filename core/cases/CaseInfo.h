#pragma once

#include "core/cases/KitsCase.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

namespace weaksight {

/// The facts `weaksight case-info` prints for a case directory or a single volume file:
/// layout, files, axial_slices, shape [axial, rows, cols], spacing_mm [axial, row, col],
/// orientation (as stored), axial_order, HU range, and for labels slices_with_label and
/// voxels_with_label (label value as a string key), labels (value, name, meaning, slices, voxels),
/// label_table, and slices_with_lesion where the table says what a lesion is. `segmentation` pairs a
/// segmentation with the image `path`; `labelTable` reads the labels with that table instead of
/// the case's own. Throws InputError for bad input.
nlohmann::json caseInfo(const std::filesystem::path& path, VolumeRole role = VolumeRole::Auto,
                        const std::optional<std::filesystem::path>& segmentation = std::nullopt,
                        const std::optional<std::filesystem::path>& labelTable = std::nullopt);

/// The same facts as readable text lines.
std::string formatCaseInfo(const nlohmann::json& info);

} // namespace weaksight
