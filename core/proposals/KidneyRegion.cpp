// Where the kidney is on a crop: the organ label when there is one, else a region derived from HU;
// and the crop plumbing every refinement shares (checks, the median-filtered HU, the clean-up).
#include "core/masks/MaskEditing.h"
#include "core/proposals/CropImages.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <cmath>
#include <itkBinaryBallStructuringElement.h>
#include <itkBinaryMorphologicalClosingImageFilter.h>
#include <itkBinaryMorphologicalOpeningImageFilter.h>
#include <itkBinaryThresholdImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkMedianImageFilter.h>
#include <limits>
#include <stdexcept>

namespace weaksight::proposals {

namespace detail {

void checkCrop(const CropView& crop)
{
    if (crop.rows < 0 || crop.cols < 0)
        throw std::invalid_argument("proposal: negative crop size");
    if (crop.rows > 0 && crop.cols > 0 && (crop.hu == nullptr || crop.map == nullptr))
        throw std::invalid_argument("proposal: the crop has no HU or no heatmap");
}

std::vector<int16_t> medianHu(const CropView& crop, int radius)
{
    const size_t n = static_cast<size_t>(crop.rows) * static_cast<size_t>(crop.cols);
    if (radius <= 0 || n == 0)
        return std::vector<int16_t>(crop.hu, crop.hu + n);
    auto median = itk::MedianImageFilter<HuImage, HuImage>::New();
    median->SetInput(imageOf<int16_t>(crop.rows, crop.cols, crop.hu));
    median->SetRadius(static_cast<itk::SizeValueType>(radius));
    median->SetNumberOfWorkUnits(1);
    median->Update();
    const int16_t* p = median->GetOutput()->GetBufferPointer();
    return std::vector<int16_t>(p, p + n);
}

BinaryMask cleanUp(const BinaryMask& mask, const CropView& crop, const CleanupOptions& options)
{
    return removeSmallIslands(fillHoles(mask), minimumIslandPixels(options, crop.pixelSpacingMm));
}

} // namespace detail

using namespace detail;

long long minimumIslandPixels(const CleanupOptions& options, double pixelSpacingMm)
{
    if (pixelSpacingMm > 0 && std::isfinite(pixelSpacingMm))
        return static_cast<long long>(std::ceil(options.minAreaMm2 / (pixelSpacingMm * pixelSpacingMm)));
    return options.minAreaPixels;
}

namespace {

using Ball = itk::BinaryBallStructuringElement<uint8_t, 2>;

Ball ball(int radius)
{
    Ball kernel;
    kernel.SetRadius(static_cast<itk::SizeValueType>(radius));
    kernel.CreateStructuringElement();
    return kernel;
}

/// The label of the component nearest to the crop's centre (distance 0 when it contains it),
/// among components of at least `minPixels`; 0 when there is none. Ties: the lower label.
template <typename Label>
Label componentNearestCentre(const Label* labels, int rows, int cols, Label count, long long minPixels)
{
    std::vector<long long> sizes(static_cast<size_t>(count) + 1, 0);
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    for (size_t i = 0; i < n; ++i)
        ++sizes[labels[i]];
    const double centreRow = (rows - 1) / 2.0, centreCol = (cols - 1) / 2.0;
    std::vector<double> nearest(sizes.size(), std::numeric_limits<double>::infinity());
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const Label label = labels[static_cast<size_t>(r) * cols + c];
            const double d2 = (r - centreRow) * (r - centreRow) + (c - centreCol) * (c - centreCol);
            if (label != 0 && d2 < nearest[label])
                nearest[label] = d2;
        }
    Label best = 0;
    for (Label label = 1; label <= count; ++label)
        if (sizes[label] >= minPixels && (best == 0 || nearest[label] < nearest[best]))
            best = label;
    return best;
}

} // namespace

BinaryMask deriveKidneyRegion(const CropView& crop, const KidneyRegionOptions& options)
{
    checkCrop(crop);
    return detail::deriveKidneyRegion(crop, options, medianHu(crop, options.medianRadius));
}

BinaryMask detail::deriveKidneyRegion(const CropView& crop, const KidneyRegionOptions& options,
                                      const std::vector<int16_t>& hu)
{
    if (crop.rows == 0 || crop.cols == 0)
        return BinaryMask(crop.rows, crop.cols);
    auto band = itk::BinaryThresholdImageFilter<HuImage, MaskImage>::New();
    band->SetInput(imageOf<int16_t>(crop.rows, crop.cols, hu.data()));
    band->SetLowerThreshold(static_cast<int16_t>(std::clamp(options.band.low, -32768, 32767)));
    band->SetUpperThreshold(static_cast<int16_t>(std::clamp(options.band.high, -32768, 32767)));
    band->SetInsideValue(1);
    band->SetOutsideValue(0);
    band->SetNumberOfWorkUnits(1);

    using Opening = itk::BinaryMorphologicalOpeningImageFilter<MaskImage, MaskImage, Ball>;
    auto opening = Opening::New();
    itk::ImageSource<MaskImage>* separated = band.GetPointer();
    if (options.separationRadius > 0) {
        opening->SetInput(band->GetOutput());
        opening->SetKernel(ball(options.separationRadius));
        opening->SetForegroundValue(1);
        opening->SetBackgroundValue(0);
        opening->SetNumberOfWorkUnits(1);
        separated = opening.GetPointer();
    }

    // Face connectivity: a diagonal touch to a neighbouring organ does not join it.
    using LabelImage = itk::Image<uint32_t, 2>;
    auto components = itk::ConnectedComponentImageFilter<MaskImage, LabelImage>::New();
    components->SetInput(separated->GetOutput());
    components->FullyConnectedOff();
    components->SetNumberOfWorkUnits(1);
    components->Update();

    const uint32_t* labels = components->GetOutput()->GetBufferPointer();
    const uint32_t kidney = componentNearestCentre<uint32_t>(
        labels, crop.rows, crop.cols, components->GetObjectCount(), options.minComponentPixels);
    BinaryMask region(crop.rows, crop.cols);
    if (kidney == 0)
        return region;
    for (size_t i = 0; i < region.pixels.size(); ++i)
        region.pixels[i] = labels[i] == kidney ? 1 : 0;

    // Closing first, so that the hilum notch is shut and filling holes takes the sinus in.
    if (options.closingRadius > 0) {
        auto closing = itk::BinaryMorphologicalClosingImageFilter<MaskImage, MaskImage, Ball>::New();
        closing->SetInput(imageOf(region));
        closing->SetKernel(ball(options.closingRadius));
        closing->SetForegroundValue(1);
        closing->SetNumberOfWorkUnits(1);
        closing->Update();
        region = maskWhere<uint8_t>(*closing->GetOutput(), crop.rows, crop.cols, 1);
    }
    return fillHoles(region);
}

BinaryMask searchRegion(const CropView& crop, const RegionOptions& options)
{
    checkCrop(crop);
    return detail::searchRegion(crop, options, nullptr, 0);
}

BinaryMask detail::searchRegion(const CropView& crop, const RegionOptions& options,
                                const std::vector<int16_t>* smoothedHu, int radius)
{
    if (crop.organ == nullptr || !options.useOrganWhenGiven) {
        const int wanted = options.derived.medianRadius;
        if (smoothedHu != nullptr && std::max(0, radius) == std::max(0, wanted))
            return detail::deriveKidneyRegion(crop, options.derived, *smoothedHu);
        return detail::deriveKidneyRegion(crop, options.derived, medianHu(crop, wanted));
    }
    BinaryMask organ(crop.rows, crop.cols);
    for (size_t i = 0; i < organ.pixels.size(); ++i)
        organ.pixels[i] = crop.organ[i] != 0 ? 1 : 0;
    return organ;
}

} // namespace weaksight::proposals
