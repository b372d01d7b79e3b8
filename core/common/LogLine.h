#pragma once

#include <string>

namespace weaksight::logging {

enum class Level { Info, Warning };

/// Writes one line through the one logger, for code that must not include spdlog: LibTorch 2.x
/// ships fmt headers of its own, which clash with those the system's spdlog was built against,
/// so the compute core (which includes LibTorch) logs through this function instead.
void writeLine(Level level, const std::string& message);

} // namespace weaksight::logging
