#pragma once

// The heatmaps of one slice as the review sees them: one value per kidney crop that knows its box
// on the slice, its side, the map as computed and the map as shown. Proposals and their IoU against
// the ground truth are computed here, once, for the workstation, the comparison panes and the
// benchmark; the render layer only draws these values.

#include "core/compute/CamEngine.h"
#include "core/io/Volume.h"
#include "core/masks/BinaryMask.h"
#include "core/masks/CropBox.h"
#include "core/proposals/Proposals.h"

#include <optional>
#include <string>
#include <vector>

namespace weaksight::review {

/// One kidney crop's heatmap.
struct CropHeatmap {
    CropBox box;               ///< on the slice grid (may extend past the slice's edge)
    std::string side;          ///< "right" (the patient's) or "left"
    std::vector<float> values; ///< box.rows x box.cols, row-major: the map upsampled onto the box, as shown
    bool degenerate = false;   ///< an all-zero or non-finite map: proposes nothing, drawn as nothing
    compute::CamMap raw;       ///< the map as computed, on the target layer's grid (stored with decisions)
    /// The normalisation shown: value = (upsampled raw - low) / (high - low); raw values: 0 and 1.
    float low = 0.f, high = 1.f;

    float valueAt(int row, int col) const { return values[static_cast<size_t>(row) * box.cols + col]; }
};

struct SliceHeatmaps {
    int slice = -1;
    std::vector<CropHeatmap> crops;
    int degenerate = 0; ///< how many of the crops' maps are degenerate
};

/// The shown heatmap value at a slice pixel (the status bar's readout): of the first crop whose box
/// holds it and whose map is not degenerate; nullopt elsewhere.
std::optional<float> heatmapValueAt(const SliceHeatmaps& heatmaps, int row, int col);

/// How a crop's shown map becomes its proposal: {value > threshold} (raw), or a refinement of
/// core/proposals at level = threshold, which also reads the slice's HU. The region is always the
/// one derived from HU: the workstation proposes what a case without labels would get.
struct ProposalRule {
    proposals::ProposalKind kind = proposals::ProposalKind::Raw;
    const CtVolume* ct = nullptr; ///< the case's CT (refinements need it; without it: raw)
    int slice = -1;
};

/// The proposal of one crop on its own box: {value > threshold} (compute::isProposed) or the rule's
/// refinement; nothing for a degenerate map.
BinaryMask proposal(const CropHeatmap& heatmap, double threshold, const ProposalRule& rule = {});
/// One crop's proposal painted on `target` (e.g. the box a correction keeps while editing).
BinaryMask proposalOn(const CropHeatmap& heatmap, const CropBox& target, double threshold,
                      const ProposalRule& rule = {});
/// The proposal painted on `target` (e.g. the whole slice): the union of every crop's proposal
/// where it falls inside the target box.
BinaryMask proposalOn(const SliceHeatmaps& heatmaps, const CropBox& target, double threshold,
                      const ProposalRule& rule = {});

/// IoU of the slice's proposal (the union of every crop's) against the ground-truth lesion, counted
/// over the union of the crop boxes; nullopt without heatmaps or for a slice outside the volume.
/// Both empty counts as 1.
std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels,
                                              int slice, double threshold, const ProposalRule& rule = {});

} // namespace weaksight::review
