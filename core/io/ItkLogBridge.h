#pragma once

namespace weaksight {
/// Routes ITK's output window (warnings, errors, debug text) into the spdlog logger.
void installItkLogBridge();
} // namespace weaksight
