#include "core/review/SliceHeatmaps.h"

#include "core/common/Overlap.h"
#include "core/io/Volume.h"

#include <algorithm>

namespace weaksight::review {

namespace {

/// Calls paint(row, col) for every proposed pixel of `heatmap` that lies inside `target`, in
/// target coordinates.
template <typename Paint>
void forEachProposedPixel(const CropHeatmap& heatmap, const CropBox& target, double threshold, Paint paint)
{
    if (heatmap.degenerate)
        return;
    const CropBox& box = heatmap.box;
    const int rowBegin = std::max(0, target.row0 - box.row0),
              rowEnd = std::min(box.rows, target.row0 + target.rows - box.row0);
    const int colBegin = std::max(0, target.col0 - box.col0),
              colEnd = std::min(box.cols, target.col0 + target.cols - box.col0);
    for (int r = rowBegin; r < rowEnd; ++r)
        for (int c = colBegin; c < colEnd; ++c)
            if (compute::isProposed(heatmap.valueAt(r, c), threshold))
                paint(box.row0 + r - target.row0, box.col0 + c - target.col0);
}

} // namespace

BinaryMask proposal(const CropHeatmap& heatmap, double threshold)
{
    return proposalOn(heatmap, heatmap.box, threshold);
}

BinaryMask proposalOn(const CropHeatmap& heatmap, const CropBox& target, double threshold)
{
    BinaryMask mask(target.rows, target.cols);
    forEachProposedPixel(heatmap, target, threshold, [&](int r, int c) { mask.at(r, c) = 1; });
    return mask;
}

BinaryMask proposalOn(const SliceHeatmaps& heatmaps, const CropBox& target, double threshold)
{
    BinaryMask mask(target.rows, target.cols);
    for (const auto& crop : heatmaps.crops)
        forEachProposedPixel(crop, target, threshold, [&](int r, int c) { mask.at(r, c) = 1; });
    return mask;
}

std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels,
                                              int slice, double threshold)
{
    if (heatmaps.crops.empty() || slice < 0 || slice >= labels.slices())
        return std::nullopt;
    const CropBox slicePixels{0, 0, labels.rows(), labels.cols()};
    // Proposal and truth are compared over the union of the crop boxes only.
    BinaryMask inBox(labels.rows(), labels.cols());
    for (const auto& crop : heatmaps.crops)
        for (int r = std::max(0, crop.box.row0); r < std::min(labels.rows(), crop.box.row0 + crop.box.rows);
             ++r)
            std::fill_n(&inBox.at(r, std::max(0, crop.box.col0)),
                        std::max(0, std::min(labels.cols(), crop.box.col0 + crop.box.cols) -
                                        std::max(0, crop.box.col0)),
                        uint8_t{1});
    const BinaryMask proposed = proposalOn(heatmaps, slicePixels, threshold);
    const uint8_t* truth = labels.slice(slice);
    long long both = 0, either = 0;
    for (size_t i = 0; i < inBox.pixels.size(); ++i) {
        if (!inBox.pixels[i])
            continue;
        const bool t = labels::isLesion(truth[i]);
        both += t && proposed.pixels[i];
        either += t || proposed.pixels[i];
    }
    return overlapRatios(both, either).iou;
}

} // namespace weaksight::review
