#pragma once

#include <optional>
#include <string>

namespace weaksight {

/// Why `key` cannot name a case, or nullopt when it can. Case keys become file and folder names
/// in exports, so a key is one path component: 1 to 128 bytes, no '/', '\\', control characters or
/// NUL, not starting with '.' (so never "." or ".."), no leading or trailing space. Letters of any
/// script (UTF-8) and spaces inside are fine: keys come from folder and file names.
std::optional<std::string> caseKeyProblem(const std::string& key);

/// Throws InputError (naming `where`, e.g. the store or dataset) when caseKeyProblem(key) has one.
void checkCaseKey(const std::string& key, const std::string& where = {});

} // namespace weaksight
