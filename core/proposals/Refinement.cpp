// The refinements of a thresholded heatmap: anatomy (region and lesion HU), seeded region growing
// and a marker-based watershed. Each ends with the same clean-up (holes, small islands).
#include "core/compute/CamEngine.h"
#include "core/proposals/CropImages.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <itkConfidenceConnectedImageFilter.h>
#include <itkGradientMagnitudeRecursiveGaussianImageFilter.h>
#include <itkMorphologicalWatershedFromMarkersImageFilter.h>
#include <stdexcept>

namespace weaksight::proposals {

using namespace detail;

namespace {

/// What every refinement starts from: the (median-filtered) HU and the region it searches in.
struct Prepared {
    std::vector<int16_t> hu;
    BinaryMask region;
};

Prepared prepare(const CropView& crop, int medianRadius, const RegionOptions& region)
{
    Prepared p{medianHu(crop, medianRadius), {}};
    p.region = detail::searchRegion(crop, region, &p.hu, medianRadius);
    return p;
}

} // namespace

BinaryMask refineWithAnatomy(const CropView& crop, double threshold, const AnatomyOptions& options)
{
    checkCrop(crop);
    BinaryMask out(crop.rows, crop.cols);
    if (out.pixels.empty())
        return out;
    const auto [hu, region] = prepare(crop, options.medianRadius, options.region);
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = region.pixels[i] && compute::isProposed(crop.map[i], threshold) &&
                                options.lesionHu.contains(hu[i])
                            ? 1
                            : 0;
    return cleanUp(out, crop, options.cleanup);
}

BinaryMask growFromSeeds(const CropView& crop, const GrowOptions& options)
{
    checkCrop(crop);
    BinaryMask out(crop.rows, crop.cols);
    if (out.pixels.empty())
        return out;
    const auto [hu, region] = prepare(crop, options.medianRadius, options.region);

    auto grow = itk::ConfidenceConnectedImageFilter<HuImage, MaskImage>::New();
    long long seeds = 0;
    for (int r = 0; r < crop.rows; ++r)
        for (int c = 0; c < crop.cols; ++c) {
            const size_t i = static_cast<size_t>(r) * crop.cols + c;
            if (region.pixels[i] && crop.map[i] >= options.seedLevel && options.seedHu.contains(hu[i])) {
                grow->AddSeed({{c, r}}); // ITK's index is (x, y) = (column, row)
                ++seeds;
            }
        }
    if (seeds == 0)
        return out;

    grow->SetInput(imageOf<int16_t>(crop.rows, crop.cols, hu.data()));
    grow->SetMultiplier(options.multiplier);
    // ITK divides by (samples - 1) without a check: the first statistics need a neighbourhood of at
    // least 3 x 3, and a single seed may grow to itself alone, so it keeps its first statistics.
    grow->SetInitialNeighborhoodRadius(static_cast<unsigned int>(std::max(1, options.neighbourhoodRadius)));
    grow->SetNumberOfIterations(seeds > 1 ? static_cast<unsigned int>(std::max(0, options.iterations)) : 0u);
    grow->SetReplaceValue(1);
    grow->Update();

    // Growing does not know the region: it may pass a touching organ of the same HU; the region
    // cuts that off.
    const uint8_t* grown = grow->GetOutput()->GetBufferPointer();
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = grown[i] == 1 && region.pixels[i] ? 1 : 0;
    return cleanUp(out, crop, options.cleanup);
}

BinaryMask watershedFromMarkers(const CropView& crop, const WatershedOptions& options)
{
    checkCrop(crop);
    if (!(options.smoothingSigma > 0))
        throw std::invalid_argument("watershed: the smoothing sigma must be positive");
    BinaryMask out(crop.rows, crop.cols);
    if (out.pixels.empty())
        return out;
    const auto [hu, region] = prepare(crop, options.medianRadius, options.region);

    constexpr uint8_t kForeground = 1, kBackground = 2; // 0: not a marker, flooded
    auto markers = makeImage<uint8_t>(crop.rows, crop.cols);
    uint8_t* marker = markers->GetBufferPointer();
    bool anyForeground = false;
    for (size_t i = 0; i < out.pixels.size(); ++i) {
        const float value = crop.map[i];
        if (region.pixels[i] && value >= options.foregroundLevel && options.markerHu.contains(hu[i])) {
            marker[i] = kForeground;
            anyForeground = true;
        } else if (!region.pixels[i] || value <= options.backgroundLevel) {
            marker[i] = kBackground;
        } else {
            marker[i] = 0;
        }
    }
    if (!anyForeground)
        return out;
    // The recursive Gaussian needs 4 pixels along each axis: a smaller crop has no edges to follow,
    // its proposal is the foreground markers.
    if (crop.rows < 4 || crop.cols < 4)
        return cleanUp(maskWhere<uint8_t>(*markers, crop.rows, crop.cols, kForeground), crop,
                       options.cleanup);

    // Smoothing and the gradient in one filter (the image's spacing is 1: sigma in pixels).
    auto gradient = itk::GradientMagnitudeRecursiveGaussianImageFilter<HuImage, FloatImage>::New();
    gradient->SetInput(imageOf<int16_t>(crop.rows, crop.cols, crop.hu));
    gradient->SetSigma(options.smoothingSigma);
    gradient->SetNumberOfWorkUnits(1);
    auto watershed = itk::MorphologicalWatershedFromMarkersImageFilter<FloatImage, MaskImage>::New();
    watershed->SetInput(gradient->GetOutput());
    watershed->SetMarkerImage(markers);
    watershed->MarkWatershedLineOff(); // every pixel gets a basin: no one-pixel gap around the lesion
    watershed->FullyConnectedOff();
    watershed->SetNumberOfWorkUnits(1);
    watershed->Update();
    return cleanUp(maskWhere<uint8_t>(*watershed->GetOutput(), crop.rows, crop.cols, kForeground), crop,
                   options.cleanup);
}

} // namespace weaksight::proposals
