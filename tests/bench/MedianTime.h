#pragma once

// The benches' one timing rule: one warm-up run, then the median of `repeats` runs in milliseconds.

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace weaksight::bench {

inline double medianMs(int repeats, const std::function<void()>& run)
{
    run(); // warm-up
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

} // namespace weaksight::bench
