#pragma once

namespace weaksight::ui {
/// Routes qDebug/qWarning/qCritical/qFatal into the spdlog logger.
void installQtLogBridge();
} // namespace weaksight::ui
