#include "core/review/SliceHeatmaps.h"

#include "core/common/Overlap.h"
#include "core/io/Volume.h"

#include <algorithm>

namespace weaksight::review {

namespace {

/// The rule's refinement of one crop on its box (the CT outside the slice reads as air).
BinaryMask refinedOnBox(const CropHeatmap& heatmap, double threshold, const ProposalRule& rule)
{
    const CropBox& box = heatmap.box;
    const CtVolume& ct = *rule.ct;
    std::vector<int16_t> hu(static_cast<size_t>(box.rows) * box.cols, int16_t{-1024});
    for (int r = std::max(0, -box.row0); r < std::min(box.rows, ct.rows() - box.row0); ++r)
        for (int c = std::max(0, -box.col0); c < std::min(box.cols, ct.cols() - box.col0); ++c)
            hu[static_cast<size_t>(r) * box.cols + c] = ct.at(rule.slice, box.row0 + r, box.col0 + c);
    const proposals::CropView view{box.rows, box.cols,     hu.data(), heatmap.values.data(),
                                   nullptr,  ct.spacing[2]};
    return proposals::propose(rule.kind, view, threshold);
}

/// Calls paint(row, col) for every proposed pixel of `heatmap` that lies inside `target`, in
/// target coordinates.
template <typename Paint>
void forEachProposedPixel(const CropHeatmap& heatmap, const CropBox& target, double threshold,
                          const ProposalRule& rule, Paint paint)
{
    if (heatmap.degenerate)
        return;
    const bool refined = rule.kind != proposals::ProposalKind::Raw && rule.ct && rule.slice >= 0 &&
                         rule.slice < rule.ct->slices();
    const BinaryMask refinedMask = refined ? refinedOnBox(heatmap, threshold, rule) : BinaryMask();
    const CropBox& box = heatmap.box;
    const int rowBegin = std::max(0, target.row0 - box.row0),
              rowEnd = std::min(box.rows, target.row0 + target.rows - box.row0);
    const int colBegin = std::max(0, target.col0 - box.col0),
              colEnd = std::min(box.cols, target.col0 + target.cols - box.col0);
    for (int r = rowBegin; r < rowEnd; ++r)
        for (int c = colBegin; c < colEnd; ++c)
            if (refined ? refinedMask.at(r, c) != 0 : compute::isProposed(heatmap.valueAt(r, c), threshold))
                paint(box.row0 + r - target.row0, box.col0 + c - target.col0);
}

} // namespace

std::optional<float> heatmapValueAt(const SliceHeatmaps& heatmaps, int row, int col)
{
    for (const auto& crop : heatmaps.crops)
        if (!crop.degenerate && crop.box.contains(row, col))
            return crop.valueAt(row - crop.box.row0, col - crop.box.col0);
    return std::nullopt;
}

BinaryMask proposal(const CropHeatmap& heatmap, double threshold, const ProposalRule& rule)
{
    return proposalOn(heatmap, heatmap.box, threshold, rule);
}

BinaryMask proposalOn(const CropHeatmap& heatmap, const CropBox& target, double threshold,
                      const ProposalRule& rule)
{
    BinaryMask mask(target.rows, target.cols);
    forEachProposedPixel(heatmap, target, threshold, rule, [&](int r, int c) { mask.at(r, c) = 1; });
    return mask;
}

BinaryMask proposalOn(const SliceHeatmaps& heatmaps, const CropBox& target, double threshold,
                      const ProposalRule& rule)
{
    BinaryMask mask(target.rows, target.cols);
    for (const auto& crop : heatmaps.crops)
        forEachProposedPixel(crop, target, threshold, rule, [&](int r, int c) { mask.at(r, c) = 1; });
    return mask;
}

std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels,
                                              int slice, double threshold, const ProposalRule& rule)
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
    const BinaryMask proposed = proposalOn(heatmaps, slicePixels, threshold, rule);
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
