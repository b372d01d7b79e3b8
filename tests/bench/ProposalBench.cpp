// Milliseconds per crop of each proposal kind (issue 16: a refinement may add at most 20 ms per
// crop on the CPU). A 150 x 150 crop (the dataset's crop size) with a kidney, a tumour, CT noise and
// a heatmap spilling over both, with and without the organ label (without it, the kidney region is
// derived from HU on every call), and the map linked across three slices. Prints the median of `repeats` calls (default 50) after a warm-up.
// Usage: weaksight_bench_proposals [repeats]

#include "MedianTime.h"
#include "../core/ProposalCrops.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

using namespace weaksight;
using namespace weaksight::proposals;

namespace {

using bench::medianMs;

} // namespace

int main(int argc, char** argv)
{
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
    test::KidneyCropLayout layout;
    layout.rows = 150;
    layout.cols = 150;
    layout.kidneyRow = 74.5;
    layout.kidneyCol = 74.5;
    layout.kidneyRadius = 55;
    layout.tumourRow = 50;
    layout.tumourCol = 98;
    layout.tumourRadius = 15;
    test::SyntheticCrop crop = test::kidneyWithTumour(layout);
    crop.addNoise(10, 16);
    crop.addBlob(layout.tumourRow - 8, layout.tumourCol + 9, 14);
    crop.pixelSpacingMm = 0.78;

    std::printf("proposals on a %d x %d crop, median of %d calls (%u hardware threads)\n", crop.rows,
                crop.cols, repeats, std::thread::hardware_concurrency());
    const double raw = medianMs(repeats, [&] { propose(ProposalKind::Raw, crop.view(), 0.5); });
    std::printf("  %-34s %8.3f ms\n", "raw {map > t}", raw);
    const double region = medianMs(repeats, [&] { deriveKidneyRegion(crop.view()); });
    std::printf("  %-34s %8.3f ms\n", "deriveKidneyRegion alone", region);
    const std::pair<ProposalKind, double> kinds[] = {
        {ProposalKind::Anatomy, 0.3}, {ProposalKind::Grow, 0.8}, {ProposalKind::Watershed, 0.7}};
    for (const auto& [kind, level] : kinds)
        for (bool withOrgan : {true, false}) {
            const double ms = medianMs(repeats, [&] { propose(kind, crop.view(withOrgan), level); });
            char name[64];
            std::snprintf(name, sizeof name, "%s (%s)", toString(kind).c_str(),
                          withOrgan ? "organ label" : "derived region");
            std::printf("  %-34s %8.3f ms   added over raw %8.3f ms   %s\n", name, ms, ms - raw,
                        ms - raw <= 20 ? "within 20 ms" : "OVER 20 ms");
        }
    // Slice context: the crop's map with the same map shifted two pixels on the slices around it.
    std::vector<float> shifted(crop.map.size());
    for (int r = 0; r < crop.rows; ++r)
        for (int c = 0; c < crop.cols; ++c)
            shifted[static_cast<size_t>(r) * crop.cols + c] =
                crop.map[static_cast<size_t>(std::min(crop.rows - 1, r + 2)) * crop.cols + c];
    const SliceStack stack{crop.rows, crop.cols, shifted.data(), crop.map.data(), shifted.data()};
    const double linked = medianMs(repeats, [&] { linkedAcrossSlices(stack, 0.5); });
    std::printf("  %-34s %8.3f ms   added over raw %8.3f ms   %s\n", "linked across slices (3 slices)", linked,
                linked - raw, linked - raw <= 20 ? "within 20 ms" : "OVER 20 ms");
    return 0;
}
