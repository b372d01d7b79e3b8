#pragma once

// Private to weaksight_proposals: a crop's buffers as 2D ITK images and back. ITK's x is the
// column and y the row, so ITK's buffer order is our row-major order. Filters run with one work
// unit: a 150 x 150 crop is too small for ITK's thread pool to pay off, and callers parallelise
// over crops.

#include "core/masks/BinaryMask.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <cstdint>
#include <itkImage.h>
#include <vector>

namespace weaksight::proposals::detail {

using HuImage = itk::Image<int16_t, 2>;
using MaskImage = itk::Image<uint8_t, 2>;
using FloatImage = itk::Image<float, 2>;

/// Throws std::invalid_argument for negative sizes or missing HU / map buffers.
void checkCrop(const CropView& crop);

template <typename Pixel> typename itk::Image<Pixel, 2>::Pointer makeImage(int rows, int cols)
{
    using Image = itk::Image<Pixel, 2>;
    auto image = Image::New();
    image->SetRegions(typename Image::RegionType(
        {{0, 0}}, {{static_cast<itk::SizeValueType>(cols), static_cast<itk::SizeValueType>(rows)}}));
    image->Allocate();
    return image;
}

template <typename Pixel>
typename itk::Image<Pixel, 2>::Pointer imageOf(int rows, int cols, const Pixel* values)
{
    auto image = makeImage<Pixel>(rows, cols);
    std::copy_n(values, static_cast<size_t>(rows) * static_cast<size_t>(cols), image->GetBufferPointer());
    return image;
}

inline MaskImage::Pointer imageOf(const BinaryMask& mask)
{
    return imageOf<uint8_t>(mask.rows, mask.cols, mask.pixels.data());
}

/// The pixels of `image` (same grid as the crop) equal to `value`, as a 0/1 mask.
template <typename Pixel>
BinaryMask maskWhere(const itk::Image<Pixel, 2>& image, int rows, int cols, Pixel value)
{
    BinaryMask out(rows, cols);
    const Pixel* p = image.GetBufferPointer();
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = p[i] == value ? 1 : 0;
    return out;
}

/// The crop's HU after a median filter of `radius` pixels (0: the HU as they are).
std::vector<int16_t> medianHu(const CropView& crop, int radius);

/// deriveKidneyRegion() on HU already median-filtered with options.medianRadius.
BinaryMask deriveKidneyRegion(const CropView& crop, const KidneyRegionOptions& options,
                              const std::vector<int16_t>& smoothedHu);
/// searchRegion() given the crop's HU median-filtered with `radius` (nullptr: none): a derived
/// region reuses them when its own median radius is the same (the median is its largest cost).
BinaryMask searchRegion(const CropView& crop, const RegionOptions& options,
                        const std::vector<int16_t>* smoothedHu, int radius);

/// Finishing every refinement: holes filled, islands below the minimum area removed (MaskEditing's
/// operations, the editor's own).
BinaryMask cleanUp(const BinaryMask& mask, const CropView& crop, const CleanupOptions& options);

} // namespace weaksight::proposals::detail
