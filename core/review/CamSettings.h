#pragma once

// What the heatmaps show, as one value: the method and whose definitions, the target layer, the
// normalisation, the crop size, Score-CAM's precision, Smooth Grad-CAM++'s noise, and a threshold per method.
// The toolbar edits it, the controllers of the single view and of every comparison pane take it whole.

#include "core/compute/CamEngine.h"
#include "core/proposals/Proposals.h"

#include <map>
#include <string>

namespace weaksight::review {

struct CamSettings {
    compute::CamMethod method = compute::CamMethod::GradCam;
    compute::CamFlavour flavour = compute::CamFlavour::Weaksight;
    std::string targetLayer; ///< "" = the model's own (last) stage
    compute::MapNormalisation normalisation = compute::MapNormalisation::PerCrop;
    int cropSize = 150; ///< crop pixels the model sees
    bool scoreReducedPrecision = false;
    /// Smooth Grad-CAM++'s noisy copies per crop and their noise (std on the [0, 1] input).
    int smoothSamples = 4;
    double smoothNoise = 0.3;
    std::map<compute::CamMethod, double> thresholds; ///< each method's own; 0.5 where unset
    /// How a map becomes the proposal: {map > t}, or a refinement at level t (the same maps).
    proposals::ProposalKind proposalKind = proposals::ProposalKind::Raw;
    /// Show a loaded U-Net's lesion probability (issue 16: the learned proposals) instead of the
    /// method's CAM, where one is loaded (ui::CamController::showsSegmenterMaps): the maps are
    /// probabilities, shown unnormalised, with a threshold of their own.
    bool segmenterMaps = false;
    double segmenterThreshold = 0.5;

    double thresholdOf(compute::CamMethod m) const
    {
        const auto it = thresholds.find(m);
        return it == thresholds.end() ? 0.5 : it->second;
    }
    double threshold() const { return thresholdOf(method); }
    void setThreshold(double t) { thresholds[method] = t; }

    /// Whether two settings give the same maps (everything but the thresholds): else the heatmaps
    /// must be fetched again.
    bool sameMaps(const CamSettings& o) const
    {
        return method == o.method && flavour == o.flavour && targetLayer == o.targetLayer &&
               normalisation == o.normalisation && cropSize == o.cropSize &&
               scoreReducedPrecision == o.scoreReducedPrecision && segmenterMaps == o.segmenterMaps &&
               smoothSamples == o.smoothSamples && smoothNoise == o.smoothNoise;
    }
};

} // namespace weaksight::review
