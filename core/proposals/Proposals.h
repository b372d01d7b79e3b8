#pragma once

// Lesion proposals from a CAM heatmap on one kidney crop (issue 16). The raw proposal is the map
// thresholded, {map > t}; the refinements add what the map does not know: where the kidney is
// (organ label, or a region derived from HU), which HU a lesion can have, and the image's own edges
// (region growing, watershed from markers). Pure functions on one crop: no I/O, no Qt, no Torch.
// Every refinement has one "level" the evaluation tunes on validation (propose()), so it sweeps the
// same grid as the raw threshold.

#include "core/masks/BinaryMask.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weaksight::proposals {

/// One crop as the refinements see it (row-major, rows x cols): HU pixels, the normalised heatmap
/// (0..1, already upsampled to the crop's pixels), and optionally the organ region (kidney including
/// its lesions: KiTS labels 1, 2, 3 as 0/1; nullptr when the case has no labels).
struct CropView {
    int rows = 0, cols = 0;
    const int16_t* hu = nullptr;
    const float* map = nullptr;
    const uint8_t* organ = nullptr;
    double pixelSpacingMm = 0; ///< in-plane; 0 = unknown
};

/// A closed HU interval [low, high].
struct HuRange {
    int low = 0, high = 0;
    bool contains(int hu) const { return hu >= low && hu <= high; }
};

/// Where a lesion's pixels lie on contrast-enhanced (portal-venous / nephrographic) CT: tumours
/// enhance less than the parenchyma (about 30-150 HU against 150-250), cysts are water (0-20).
/// -10 keeps cysts with noise below water; 150 is where the enhancing cortex starts. Fat (below
/// -30) and excreted contrast stay out. A starting point: accepted masks can teach a better one.
inline constexpr HuRange kLesionHu{-10, 150};

/// The kidney region derived from HU alone (no label): the crop is centred on the kidney.
struct KidneyRegionOptions {
    /// Renal parenchyma and its lesions on contrast CT: cortex ~150-250, tumours ~30-150, cysts
    /// ~0-20. -10 keeps cysts with noise; fat (-100) is out; 400 keeps a bright corticomedullary
    /// cortex (up to ~300) but drops excreted contrast and dense bone.
    HuRange band{-10, 400};
    /// Median filter radius (pixels) applied to HU first: removes noise speckle without moving the
    /// kidney's edge (a 3 x 3 median keeps steps intact).
    int medianRadius = 1;
    /// Opening radius (pixels) before choosing the component: breaks bridges 1-2 pixels wide to
    /// touching organs of the same HU (psoas, liver, bowel). Wider contacts are not separated: the
    /// organ label is better where there is one.
    int separationRadius = 1;
    /// Closing radius (pixels) of the chosen component: shuts notches up to ~4 pixels wide and dark
    /// partial-volume rims, so that filling holes takes in what they enclose (a sinus behind a narrow
    /// hilum, an out-of-band lesion core); 2 px ~ 1.5 mm at KiTS's typical 0.78 mm. A wide-open
    /// hilum stays outside the region.
    int closingRadius = 2;
    /// Components smaller than this (pixels) are not chosen as the kidney even if nearest the centre
    /// (speckle in the sinus fat); ~30 mm^2 at 0.78 mm, far below any kidney section.
    long long minComponentPixels = 50;
};

/// A kidney region without any label: HU band (after a median filter), an opening, the 4-connected
/// component containing the crop's centre (or, when the centre is outside the band, e.g. in the
/// renal sinus, the one nearest to it), a closing and holes filled. Empty when no component qualifies.
BinaryMask deriveKidneyRegion(const CropView& crop, const KidneyRegionOptions& options = {});

/// Which region a refinement searches in.
struct RegionOptions {
    /// The organ label, when the crop has one, is the truth; the derived region only guesses it.
    bool useOrganWhenGiven = true;
    KidneyRegionOptions derived; ///< used without an organ (or with useOrganWhenGiven false)
};

/// The region a refinement searches in: the crop's organ (when given and wanted), else
/// deriveKidneyRegion(). To sweep levels on one crop, derive it once and pass it as `organ`.
BinaryMask searchRegion(const CropView& crop, const RegionOptions& options);

/// The smallest lesion a refinement keeps: smaller islands are noise or partial volume.
struct CleanupOptions {
    /// With a known spacing: about a disc 5 mm across; renal lesions that small cannot be
    /// characterised on CT, and islands that small are mostly noise at a blob's rim.
    double minAreaMm2 = 20;
    /// Without a spacing: about the same area at KiTS's typical 0.78 mm pixels (20 / 0.78^2 = 33).
    long long minAreaPixels = 30;
};
/// The minimum island size in pixels for a crop of this spacing (0 = unknown).
long long minimumIslandPixels(const CleanupOptions& options, double pixelSpacingMm);

/// {map > threshold} restricted to the anatomy.
struct AnatomyOptions {
    RegionOptions region;
    HuRange lesionHu = kLesionHu;
    /// Median radius (pixels) of the HU the lesion band is tested on: single noisy cortex pixels
    /// below 150 HU would otherwise become specks.
    int medianRadius = 1;
    CleanupOptions cleanup;
};

/// {map > threshold} ∩ region ∩ {lesionHu.low <= HU <= lesionHu.high}, holes filled, islands
/// smaller than the minimum area removed.
BinaryMask refineWithAnatomy(const CropView& crop, double threshold, const AnatomyOptions& options = {});

/// Seeded region growing on HU (ITK's ConfidenceConnectedImageFilter).
struct GrowOptions {
    /// Seeds: map >= seedLevel; the top of a normalised map (peak 1) is where the classifier is surest.
    double seedLevel = 0.8;
    RegionOptions region;
    /// Seeds must also lie in this HU band: a seed on the enhancing cortex (where a blurred map
    /// spills over) would mix cortex and lesion into the statistics and grow over both.
    HuRange seedHu = kLesionHu;
    /// The interval grown into is mean +- multiplier x standard deviation: ITK's default 2.5 keeps
    /// ~99 % of a lesion's Gaussian noise while a 100 HU step to the cortex stays out.
    double multiplier = 2.5;
    /// Times the statistics are re-estimated from the grown region. ITK's default is 4; on the test
    /// crops 2 and 4 give the same mask, and every pass is a chance to widen the interval and leak
    /// into a neighbour of similar HU.
    int iterations = 2;
    /// Neighbourhood (pixels) around each seed for the first statistics: 1 (3 x 3, ITK's default;
    /// also the least, as ITK's variance needs more than one sample). A single seed keeps these
    /// first statistics (no iterations: it may grow to one pixel, whose variance ITK cannot take).
    int neighbourhoodRadius = 1;
    /// Median radius (pixels) of the HU grown on: a tighter variance estimate, fewer leaks.
    int medianRadius = 1;
    CleanupOptions cleanup;
};

/// Seeds = map >= seedLevel inside the region and the seed HU band; grown on the (median-filtered)
/// HU with ConfidenceConnected, masked by the region, holes filled, small islands removed.
/// No seed: an empty mask.
BinaryMask growFromSeeds(const CropView& crop, const GrowOptions& options = {});

/// Marker-based watershed (ITK's MorphologicalWatershedFromMarkersImageFilter) on HU edges.
struct WatershedOptions {
    /// Foreground markers: map >= foregroundLevel (where the map is confident).
    double foregroundLevel = 0.7;
    /// Background markers: map <= backgroundLevel (the map's tail), and everything outside the region.
    /// A pixel meeting both (foregroundLevel <= backgroundLevel) is foreground. Where the map's tail
    /// falls inside a lesion (a map much smaller than the lesion, or offset from it), those pixels
    /// are background and the lesion is cut there: growFromSeeds has no such markers.
    double backgroundLevel = 0.2;
    RegionOptions region;
    /// Foreground markers must also lie in this band (as GrowOptions::seedHu): a marker on the cortex
    /// would claim the whole cortex plateau.
    HuRange markerHu = kLesionHu;
    /// Median radius (pixels) of the HU the marker band is tested on (as AnatomyOptions::medianRadius).
    int medianRadius = 1;
    /// Gaussian sigma (pixels; not > 0: std::invalid_argument) of the gradient magnitude: 1 pixel suppresses
    /// the edges of CT noise (10-20 HU per pixel) yet keeps a lesion's boundary sharp and in place.
    double smoothingSigma = 1.0;
    CleanupOptions cleanup;
};

/// Foreground markers = map >= foregroundLevel inside the region (and markerHu); background markers =
/// map <= backgroundLevel or outside the region; flooded on the gradient magnitude of the Gaussian-
/// smoothed HU; the foreground basin, holes filled, small islands removed. No foreground marker:
/// empty. A crop under 4 pixels on a side has no edges to follow: the foreground markers, cleaned.
BinaryMask watershedFromMarkers(const CropView& crop, const WatershedOptions& options = {});

// ---- Slice context ---------------------------------------------------------------------------

/// A crop's map with the same kidney's maps on the adjacent slices, placed on the crop's box
/// (rows x cols each; a neighbour nullptr when there is none, NaN where its box does not reach).
struct SliceStack {
    int rows = 0, cols = 0;
    const float* below = nullptr;
    const float* own = nullptr;
    const float* above = nullptr;
};

/// {own > level}, keeping only what continues onto an adjacent slice: the 3D components (face-
/// connected, ITK's ConnectedComponentImageFilter) of the stack thresholded at `level` that also
/// have voxels below or above. A lesion spans slices; a speck of the map on one slice does not.
/// Without neighbours (none given, or none reaching any of the crop's pixels), {own > level}
/// unchanged.
BinaryMask linkedAcrossSlices(const SliceStack& stack, double level);

// ---- One entry point for the evaluation -----------------------------------------------------
enum class ProposalKind {
    Raw,       ///< {map > level}
    Anatomy,   ///< refineWithAnatomy at threshold = level
    Grow,      ///< growFromSeeds at seedLevel = level
    Watershed, ///< watershedFromMarkers at foregroundLevel = level
};

/// Names: "raw", "anatomy", "grow", "watershed".
std::string toString(ProposalKind kind);
/// Accepts the names toString() gives; throws std::invalid_argument naming the known ones.
ProposalKind proposalKindFromString(const std::string& name);
std::vector<ProposalKind> allProposalKinds();

struct ProposalOptions {
    AnatomyOptions anatomy;
    GrowOptions grow;           ///< seedLevel is replaced by the level
    WatershedOptions watershed; ///< foregroundLevel is replaced by the level
};

/// The proposal of `kind` at `level`, the one parameter tuned on validation (the threshold for raw
/// and anatomy, the seed level for grow, the foreground level for watershed). Raw is exactly
/// {map > level} (compute::isProposed), whatever the options.
BinaryMask propose(ProposalKind kind, const CropView& crop, double level,
                   const ProposalOptions& options = {});

} // namespace weaksight::proposals
