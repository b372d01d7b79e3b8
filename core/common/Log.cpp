#include "core/common/Log.h"
#include "core/common/LogLine.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace weaksight::logging {

namespace {
std::filesystem::path g_logFile;
}

std::filesystem::path userDataDirectory()
{
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return std::filesystem::path(xdg) / "weaksight";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::filesystem::path(home) / ".local" / "share" / "weaksight";
    return std::filesystem::temp_directory_path() / "weaksight";
}

std::filesystem::path defaultLogFile() { return userDataDirectory() / "weaksight.log"; }

spdlog::level::level_enum parseLevel(const std::string& name)
{
    const auto level = spdlog::level::from_str(name);
    // from_str maps unknown names to "off"; only accept "off" when asked for.
    if (level == spdlog::level::off && name != "off")
        throw std::invalid_argument("unknown log level '" + name +
                                    "' (use trace, debug, info, warn, error, critical or off)");
    return level;
}

void initialise(const LogOptions& options)
{
    std::string levelName = options.level;
    if (levelName.empty()) {
        const char* env = std::getenv("WEAKSIGHT_LOG_LEVEL");
        levelName = (env && *env) ? env : "info";
    }
    const auto level = parseLevel(levelName);

    std::vector<spdlog::sink_ptr> sinks;
    if (options.console) {
        auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        console->set_pattern("%^[%l]%$ %v");
        sinks.push_back(console);
    }
    g_logFile.clear();
    if (options.writeFile) {
        const auto file = options.file.empty() ? defaultLogFile() : options.file;
        try {
            std::filesystem::create_directories(file.parent_path());
            auto rotating =
                std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.string(), 5 * 1024 * 1024, 3);
            rotating->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] [%t] %v");
            sinks.push_back(rotating);
            g_logFile = file;
        } catch (const std::exception& e) {
            // A read-only home must not stop the program; say so on the console.
            if (options.console)
                fprintf(stderr, "[warning] cannot open log file %s: %s\n", file.c_str(), e.what());
        }
    }
    auto logger = std::make_shared<spdlog::logger>("weaksight", sinks.begin(), sinks.end());
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

std::filesystem::path currentLogFile() { return g_logFile; }

void writeLine(Level level, const std::string& message)
{
    if (level == Level::Warning)
        spdlog::warn("{}", message);
    else
        spdlog::info("{}", message);
}

} // namespace weaksight::logging
