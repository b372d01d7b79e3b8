#pragma once

// The "key: value" line format of model descriptions and dataset parameters (readable, diffable,
// and parsable without a JSON library on GPU machines that have none).

#include <map>
#include <sstream>
#include <string>

namespace weaksight::compute {

/// Lines "key: value"; lines without a colon are ignored; leading spaces of values dropped.
inline std::map<std::string, std::string> parseKeyValueLines(const std::string& text)
{
    std::map<std::string, std::string> values;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        values[line.substr(0, colon)] = value;
    }
    return values;
}

} // namespace weaksight::compute
