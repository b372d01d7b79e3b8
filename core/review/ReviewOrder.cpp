#include "core/review/ReviewOrder.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace weaksight::review {

namespace {

long long lesionVoxels(const LabelVolume& labels, int slice)
{
    const uint8_t* s = labels.slice(slice);
    return std::count_if(s, s + labels.sliceSize(), [](uint8_t v) { return labels::isLesion(v); });
}

} // namespace

bool ordersByProbability(const ReviewOrderInput& input)
{
    return input.sliceCount > 0 && static_cast<int>(input.probabilities.size()) == input.sliceCount &&
           std::none_of(input.probabilities.begin(), input.probabilities.end(),
                        [](float p) { return std::isnan(p); });
}

std::vector<int> reviewOrder(const ReviewOrderInput& input)
{
    std::unordered_map<int, std::vector<CropBox>> decided;
    for (const auto& d : input.decided)
        decided[d.slice].push_back(d.box);
    std::vector<int> order;
    for (int k = 0; k < input.sliceCount; ++k) {
        const auto found = decided.find(k);
        for (const CropBox& box : input.boxesToDecide(k))
            if (found == decided.end() ||
                std::find(found->second.begin(), found->second.end(), box) == found->second.end()) {
                order.push_back(k);
                break;
            }
    }
    if (ordersByProbability(input))
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return input.probabilities[static_cast<size_t>(a)] > input.probabilities[static_cast<size_t>(b)];
        });
    return order;
}

std::optional<int> nextInReviewOrder(const std::vector<int>& order, int current, int direction,
                                     bool byProbability)
{
    if (order.empty())
        return std::nullopt;
    const auto here = std::find(order.begin(), order.end(), current);
    if (here == order.end()) {
        if (byProbability)
            return direction > 0 ? order.front() : order.back();
        // Slice order: the nearest undecided slice in the direction, else wrap around.
        if (direction > 0) {
            const auto after = std::upper_bound(order.begin(), order.end(), current);
            return after != order.end() ? *after : order.front();
        }
        const auto before = std::lower_bound(order.begin(), order.end(), current);
        return before != order.begin() ? *std::prev(before) : order.back();
    }
    const auto size = static_cast<long>(order.size());
    if (size == 1)
        return std::nullopt;
    const auto index = static_cast<long>(here - order.begin());
    return order[static_cast<size_t>(((index + (direction > 0 ? 1 : -1)) % size + size) % size)];
}

std::optional<int> nextLesionSlice(const LabelVolume& labels, int from, int direction)
{
    for (int k = from + direction; k >= 0 && k < labels.slices(); k += direction)
        if (lesionVoxels(labels, k) > 0)
            return k;
    return std::nullopt;
}

int startSlice(int sliceCount, const LabelVolume* labels)
{
    int start = sliceCount / 2;
    long long most = 0;
    for (int k = 0; labels && k < labels->slices(); ++k)
        if (const long long n = lesionVoxels(*labels, k); n > most) {
            most = n;
            start = k;
        }
    return start;
}

} // namespace weaksight::review
