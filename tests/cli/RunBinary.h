#pragma once

// Runs the real `weaksight` executable (WEAKSIGHT_BINARY) as a user would, capturing its output.

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace weaksight::test {

struct RunResult {
    int exitCode = -1;
    std::string out;
};

/// `arguments` after `weaksight --no-log-file`; stderr goes with stdout when `withStderr`.
inline RunResult runWeaksight(const std::string& arguments, bool withStderr)
{
    const std::string command =
        std::string(WEAKSIGHT_BINARY) + " --no-log-file " + arguments + (withStderr ? " 2>&1" : " 2>/dev/null");
    RunResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return result;
    std::array<char, 4096> buffer{};
    size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        result.out.append(buffer.data(), n);
    const int status = pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace weaksight::test
