#include "core/compute/PhysicalScale.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace weaksight::compute {

namespace {

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0)
{
    char text[320];
    std::snprintf(text, sizeof text, pattern, a, b, c, d);
    return text;
}

} // namespace

bool spacingsAgree(double a, double b) { return std::abs(a - b) <= 0.05 * std::max(a, b); }

bool needsResampling(const ModelDescription& model, double rowSpacing, double colSpacing)
{
    return model.pixelSpacingMm > 0 &&
           !(spacingsAgree(rowSpacing, model.pixelSpacingMm) && spacingsAgree(colSpacing, model.pixelSpacingMm));
}

std::string physicalScaleNote(const ModelDescription& model, int cropRows, int cropCols, double rowSpacing,
                              double colSpacing)
{
    const double here = std::max(cropRows * rowSpacing, cropCols * colSpacing);
    if (model.pixelSpacingMm <= 0)
        return format(
            "the model records no pixel spacing (its crops were cut at each scan's own pixels): here a "
            "crop covers %.0f mm at %.2f mm pixels; its heatmaps mean something only near the scale it "
            "was trained at",
            here, std::max(rowSpacing, colSpacing));
    if (!needsResampling(model, rowSpacing, colSpacing))
        return {};
    return format(
        "this scan's pixels are %.2f mm, the model was trained on %.2f mm pixels: a crop of the scan's "
        "pixels covers %.0f mm instead of %.0f mm",
        std::max(rowSpacing, colSpacing), model.pixelSpacingMm, here,
        std::max(cropRows, cropCols) * model.pixelSpacingMm);
}

} // namespace weaksight::compute
