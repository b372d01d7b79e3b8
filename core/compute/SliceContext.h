#pragma once

// A 2.5D model's slice context (issue 16): which planes around a crop's slice it reads. Torch-free,
// shared by the crop dataset (what it holds), the model description (what it reads) and the
// workstation's crop cutting (core/dataset/KidneyCrops).

#include <string>

namespace weaksight::compute {

/// A 2.5D model's view along the axial axis (issue 16, slice context): besides its own slice, the
/// planes `slices` x `spacingMm` below and above it, the CT interpolated linearly between axial
/// slices. Channel order: -slices .. -1, the slice itself, +1 .. +slices (inferior to superior). A
/// fixed spacing in mm, not in slices, so a model sees the same anatomy on 1 mm and 5 mm scans.
/// Shared by the crop dataset (what it holds) and the model (what it reads).
struct SliceContext {
    int slices = 0;       ///< planes on each side; 0 = a 2D model
    double spacingMm = 0; ///< distance between planes (> 0 when slices > 0)
    int channels() const { return 2 * slices + 1; }
    /// Offset in planes of channel `channel`: -slices .. slices.
    int offsetOf(int channel) const { return channel - slices; }
    /// Every 2D context is the same whatever its spacing.
    bool operator==(const SliceContext& o) const
    {
        return slices == o.slices && (slices == 0 || spacingMm == o.spacingMm);
    }
    bool operator!=(const SliceContext& o) const { return !(*this == o); }
    /// "2D" or "2.5D: 2 x 5 mm each side".
    std::string describe() const;
    /// Throws std::invalid_argument unless 0 <= slices <= 8 and (slices == 0 or 0 < spacingMm <= 50).
    void check() const;
};

} // namespace weaksight::compute
