#pragma once

namespace weaksight {
/// Routes ITK's output window and GDCM's trace streams (warnings, errors, debug text) into
/// the spdlog logger.
void installItkLogBridge();
} // namespace weaksight
