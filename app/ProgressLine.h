#pragma once

// The headless commands' progress: one line on a terminal (rewritten in place, 5 times a second),
// or a line every 10 s into a log, with the stage's ETA; on stderr, so stdout keeps the results.

#include <chrono>
#include <cstddef>
#include <string>

namespace weaksight::app {

/// "42s", "3m05s", "1h02m".
std::string formatDuration(double seconds);

class ProgressLine {
public:
    ProgressLine();
    void operator()(const std::string& stage, size_t done, size_t total);

private:
    bool m_terminal = false;
    std::string m_stage;
    std::chrono::steady_clock::time_point m_last{}, m_stageStart{};
};

} // namespace weaksight::app
