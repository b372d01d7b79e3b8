#pragma once

// Which slice the labeller sees next. The review visits the slices that still have a kidney crop
// without a standing decision: by the classifier's lesion probability (highest first) once the
// background scan has covered the case, else in slice order. Pure functions of their inputs, so the
// order is tested without a store or a window; the workstation feeds them one store query per call.

#include "core/io/Volume.h"
#include "core/masks/CropBox.h"

#include <functional>
#include <optional>
#include <vector>

namespace weaksight::review {

/// A standing (not undone) decision: where it was made.
struct DecidedCrop {
    int slice = 0;
    CropBox box;
};

struct ReviewOrderInput {
    int sliceCount = 0;
    /// The boxes of a slice that need a decision (the kidney crops, or the whole slice).
    std::function<std::vector<CropBox>(int slice)> boxesToDecide;
    /// Every standing decision of the case, in any order.
    std::vector<DecidedCrop> decided;
    /// Lesion probability per slice (NaN: not scanned yet); used once every slice has one.
    std::vector<float> probabilities;
};

/// The slices with at least one box without a decision, in review order.
std::vector<int> reviewOrder(const ReviewOrderInput& input);
/// Whether the order follows the lesion probability (every slice scanned).
bool ordersByProbability(const ReviewOrderInput& input);

/// The slice to go to from `current` (+1 forward, -1 back) along `order`, wrapping around. When the
/// current slice is not in the order (it is decided): by probability, the first (forward) or last;
/// in slice order, the next undecided slice in that direction, wrapping around. Nothing when the
/// order is empty or holds only the current slice.
std::optional<int> nextInReviewOrder(const std::vector<int>& order, int current, int direction,
                                     bool byProbability);

/// The next slice after `from` in `direction` (+1 / -1) that has lesion voxels, if any.
std::optional<int> nextLesionSlice(const LabelVolume& labels, int from, int direction);
/// Where a labeller starts on a case: the slice with the most lesion voxels, else the middle one.
int startSlice(int sliceCount, const LabelVolume* labels);

} // namespace weaksight::review
