#include "core/cases/CaseKey.h"

#include "core/common/Error.h"
#include "core/common/Text.h"

namespace weaksight {

std::optional<std::string> caseKeyProblem(const std::string& key)
{
    if (key.empty())
        return "is empty";
    if (key.size() > 128)
        return "is longer than 128 bytes";
    if (key.front() == '.')
        return "starts with '.'";
    if (key.front() == ' ' || key.back() == ' ')
        return "starts or ends with a space";
    for (const unsigned char c : key) {
        if (c == '/' || c == '\\')
            return "contains a path separator";
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
    }
    return std::nullopt;
}

void checkCaseKey(const std::string& key, const std::string& where)
{
    if (const auto problem = caseKeyProblem(key)) {
        throw InputError(where, "case key '" + printable(key) + "' " + *problem + " (it must be usable as one file name)");
    }
}

} // namespace weaksight
