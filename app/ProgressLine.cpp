#include "app/ProgressLine.h"

#include <iostream>
#include <spdlog/fmt/fmt.h>
#include <unistd.h>

namespace weaksight::app {

std::string formatDuration(double seconds)
{
    const auto s = static_cast<long long>(seconds + 0.5);
    if (s >= 3600)
        return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    if (s >= 60)
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

ProgressLine::ProgressLine()
    : m_terminal(::isatty(STDERR_FILENO) != 0)
{
}

void ProgressLine::operator()(const std::string& stage, size_t done, size_t total)
{
    const auto now = std::chrono::steady_clock::now();
    const bool last = done == total;
    if (stage != m_stage) {
        m_stage = stage;
        m_stageStart = now;
    }
    if (!last && now - m_last < std::chrono::milliseconds(m_terminal ? 200 : 10000))
        return;
    m_last = now;
    const double elapsed = std::chrono::duration<double>(now - m_stageStart).count();
    const double eta = done ? elapsed / static_cast<double>(done) * static_cast<double>(total - done) : 0.0;
    std::cerr << fmt::format("{}{} {}/{} ETA {}{}", m_terminal ? "\r" : "", stage, done, total,
                             formatDuration(eta), m_terminal && !last ? "      " : "\n")
              << std::flush;
}

} // namespace weaksight::app
