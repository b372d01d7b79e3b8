#include "core/compute/SliceContext.h"

#include <sstream>
#include <stdexcept>

namespace weaksight::compute {

std::string SliceContext::describe() const
{
    if (slices == 0)
        return "2D";
    std::ostringstream out;
    out << "2.5D: " << slices << " x " << spacingMm << " mm each side";
    return out.str();
}

void SliceContext::check() const
{
    if (slices < 0 || slices > 8)
        throw std::invalid_argument("slice context of " + std::to_string(slices) +
                                    " planes each side (0 to 8 are supported)");
    if (slices > 0 && !(spacingMm > 0 && spacingMm <= 50))
        throw std::invalid_argument("slice context spacing of " + std::to_string(spacingMm) +
                                    " mm (more than 0, at most 50)");
}

} // namespace weaksight::compute
