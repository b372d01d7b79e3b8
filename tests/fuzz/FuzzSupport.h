#pragma once

// Shared by the fuzz targets: every input is written to a file in a private folder, because the
// readers under test take paths (as the application does), and logging is silenced so that
// libFuzzer's own output stays readable.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <spdlog/spdlog.h>
#include <string>
#include <unistd.h>

namespace weaksight::fuzz {

inline const std::filesystem::path& scratchFolder()
{
    static const std::filesystem::path folder = [] {
        auto path = std::filesystem::temp_directory_path() / ("weaksight-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
        return path;
    }();
    return folder;
}

inline std::filesystem::path writeInput(const std::string& name, const uint8_t* data, size_t size)
{
    const auto path = scratchFolder() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

inline void quietLogging()
{
    spdlog::set_level(spdlog::level::off);
    ::setenv("WEAKSIGHT_LOG_LEVEL", "off", 1);
}

/// Reads little-endian unsigned values off the front of a fuzz input.
class InputReader {
public:
    InputReader(const uint8_t* data, size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    template <typename T> T take()
    {
        T value = 0;
        for (size_t i = 0; i < sizeof(T) && m_offset < m_size; ++i)
            value |= static_cast<T>(static_cast<T>(m_data[m_offset++]) << (8 * i));
        return value;
    }
    const uint8_t* rest() const { return m_data + m_offset; }
    size_t restSize() const { return m_size - m_offset; }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_offset = 0;
};

} // namespace weaksight::fuzz
