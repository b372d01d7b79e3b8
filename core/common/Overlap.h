#pragma once

// The one IoU / Dice formula, from pixel counts: masks (core/masks), the evaluation protocol, the
// CAM benchmark and the store all take their figures from here.

namespace weaksight {

struct OverlapRatios {
    double iou = 0;  ///< |A∩B| / |A∪B| (the method's thesis misprints it as |A∩B| / (|A|+|B|))
    double dice = 0; ///< 2|A∩B| / (|A|+|B|), with |A|+|B| = |A∪B| + |A∩B|
};

/// IoU and Dice from |A∩B| and |A∪B|. Two empty masks agree on "nothing": both ratios are 1.
constexpr OverlapRatios overlapRatios(long long intersection, long long unionSize)
{
    if (unionSize <= 0)
        return {1.0, 1.0};
    return {static_cast<double>(intersection) / static_cast<double>(unionSize),
            2.0 * static_cast<double>(intersection) / static_cast<double>(unionSize + intersection)};
}

} // namespace weaksight
