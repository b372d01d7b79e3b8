// Slice context for proposals (issue 16, part 3): what a crop's thresholded map shares with the
// same kidney's maps on the adjacent slices, by ITK's 3D connected components.

#include "core/compute/CamEngine.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <cmath>
#include <itkConnectedComponentImageFilter.h>
#include <itkImage.h>
#include <stdexcept>
#include <unordered_set>

namespace weaksight::proposals {

BinaryMask linkedAcrossSlices(const SliceStack& stack, double level)
{
    if (stack.rows <= 0 || stack.cols <= 0 || !stack.own)
        throw std::invalid_argument("a slice stack needs a size and the crop's own map");
    BinaryMask own(stack.rows, stack.cols);
    const size_t pixels = own.pixels.size();
    for (size_t p = 0; p < pixels; ++p)
        own.pixels[p] = compute::isProposed(stack.own[p], level) ? 1 : 0;
    // A neighbour whose box reaches none of this crop's pixels (all NaN) is no neighbour.
    const auto reaches = [pixels](const float* plane) {
        return plane && std::any_of(plane, plane + pixels, [](float v) { return !std::isnan(v); });
    };
    const float* below = reaches(stack.below) ? stack.below : nullptr;
    const float* above = reaches(stack.above) ? stack.above : nullptr;
    if (!below && !above)
        return own; // no neighbour to link to: nothing to judge by

    // Planes below, own, above (a missing neighbour, or NaN where it does not reach: empty).
    using Stack = itk::Image<uint8_t, 3>;
    using Labels = itk::Image<uint32_t, 3>;
    auto image = Stack::New();
    image->SetRegions(Stack::RegionType({{0, 0, 0}}, {{static_cast<itk::SizeValueType>(stack.cols),
                                                       static_cast<itk::SizeValueType>(stack.rows), 3}}));
    image->Allocate();
    uint8_t* voxels = image->GetBufferPointer();
    const float* planes[3] = {below, stack.own, above};
    for (size_t z = 0; z < 3; ++z)
        for (size_t p = 0; p < pixels; ++p)
            voxels[z * pixels + p] =
                planes[z] && compute::isProposed(planes[z][p], level) ? 1 : 0; // NaN: never proposed
    auto components = itk::ConnectedComponentImageFilter<Stack, Labels>::New();
    components->SetInput(image);
    components->SetFullyConnected(false); // faces only: a lesion continues straight through
    components->SetNumberOfWorkUnits(1);  // small stacks; callers parallelise over crops
    components->Update();
    const uint32_t* labels = components->GetOutput()->GetBufferPointer();
    std::unordered_set<uint32_t> continued; // components with voxels off the crop's own slice
    for (const size_t z : {size_t{0}, size_t{2}})
        for (size_t p = 0; p < pixels; ++p)
            if (labels[z * pixels + p] != 0)
                continued.insert(labels[z * pixels + p]);
    for (size_t p = 0; p < pixels; ++p)
        own.pixels[p] = own.pixels[p] && continued.count(labels[pixels + p]) ? 1 : 0;
    return own;
}

} // namespace weaksight::proposals
