#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>

namespace weaksight::logging {

struct LogOptions {
    /// trace, debug, info, warn, error, critical or off; empty means
    /// $WEAKSIGHT_LOG_LEVEL, else "info".
    std::string level;
    /// Log file; empty means defaultLogFile(). Set writeFile=false for none.
    std::filesystem::path file;
    bool writeFile = true;
    bool console = true;
};

/// Creates the one "weaksight" logger (console on stderr plus a rotating file)
/// and makes it spdlog's default. Safe to call again to reconfigure.
void initialise(const LogOptions& options = {});

/// $XDG_DATA_HOME/weaksight/weaksight.log, or ~/.local/share/weaksight/weaksight.log.
std::filesystem::path defaultLogFile();

/// The user's data directory for Weaksight (created on demand by callers).
std::filesystem::path userDataDirectory();

/// Throws std::invalid_argument for an unknown name.
spdlog::level::level_enum parseLevel(const std::string& name);

/// The path of the log file in use, empty when none.
std::filesystem::path currentLogFile();

} // namespace weaksight::logging
