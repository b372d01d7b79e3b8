#pragma once

namespace weaksight::render {
/// Routes VTK's output window (warnings, errors) into the spdlog logger.
void installVtkLogBridge();
} // namespace weaksight::render
