#pragma once

// A model sees crops of a fixed number of pixels; what they cover depends on the scan's pixel
// spacing. A model records the spacing its training crops were cut at (ModelDescription::
// pixelSpacingMm, from `dataset build --spacing`); these helpers compare it with a scan's.
// Torch-free.

#include "core/compute/Classifier.h"

#include <string>

namespace weaksight::compute {

/// Whether two pixel spacings (mm; 0 = not recorded) are the same scale: within 5 %.
bool spacingsAgree(double a, double b);

/// Whether a scan with these in-plane pixel spacings (mm) must be resampled for the model: it
/// records a spacing and the scan's differs from it by more than 5 %.
bool needsResampling(const ModelDescription& model, double rowSpacing, double colSpacing);

/// A sentence for the user when the physical scale is not what the model was trained at, or
/// cannot be known (the model records no spacing); empty when the scales agree within 5 %.
/// `cropRows` x `cropCols` are the crop's pixels as cut from this scan.
std::string physicalScaleNote(const ModelDescription& model, int cropRows, int cropCols, double rowSpacing,
                              double colSpacing);

} // namespace weaksight::compute
