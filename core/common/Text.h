#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace weaksight {

/// `text` with control characters and DEL written as \xNN, for terminals, logs and tables: names
/// that come from stores and files (case keys, annotators, methods) must not move the cursor,
/// clear the screen or break a table row.
inline std::string printable(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        } else {
            out += ch;
        }
    }
    return out;
}

} // namespace weaksight
