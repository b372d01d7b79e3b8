#pragma once

// "The threshold that would have needed the least correction so far": for every method, the
// threshold t (swept 0..1) whose proposals {shown map > t} differ from the labellers' final masks
// in the fewest pixels, over the standing accepted and corrected decisions whose proposals kept
// their heatmap (schema 3).

#include "storage/AnnotationStore.h"

#include <string>
#include <vector>

namespace weaksight::storage {

struct LearnedThreshold {
    std::string method;
    int decisions = 0;
    double threshold = 0.5;      ///< the best t (the lowest on a tie)
    double meanCorrection = 0;   ///< pixels to change per decision at that t
    std::vector<std::pair<double, double>> curve; ///< (t, mean pixels to change per decision)
};

/// One entry per method that has decisions with heatmaps. `step` > 0.
std::vector<LearnedThreshold> learnedThresholds(const std::vector<HeatmapDecision>& decisions, double step = 0.05);
inline std::vector<LearnedThreshold> learnedThresholds(const AnnotationStore& store, double step = 0.05)
{
    return learnedThresholds(store.heatmapDecisions(), step);
}

} // namespace weaksight::storage
