#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace weaksight {

/// A problem with something the user gave us (a file, a folder, an option).
/// The message always names the offending file and says what is wrong with it,
/// so it can be shown as-is in a dialog or on the terminal.
class InputError : public std::runtime_error {
public:
    InputError(const std::filesystem::path& file, const std::string& problem)
        : std::runtime_error(file.empty() ? problem : file.string() + ": " + problem)
        , m_file(file)
        , m_problem(problem)
    {
    }
    explicit InputError(const std::string& problem) : InputError({}, problem) {}

    const std::filesystem::path& file() const { return m_file; }
    const std::string& problem() const { return m_problem; }

private:
    std::filesystem::path m_file;
    std::string m_problem;
};

} // namespace weaksight
