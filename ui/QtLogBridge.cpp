#include "ui/QtLogBridge.h"

#include <QString>
#include <QtGlobal>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace {
void handleQtMessage(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const std::string text = message.toStdString();
    const char* category = context.category ? context.category : "default";
    switch (type) {
    case QtDebugMsg: spdlog::debug("[Qt:{}] {}", category, text); break;
    case QtInfoMsg: spdlog::info("[Qt:{}] {}", category, text); break;
    case QtWarningMsg: spdlog::warn("[Qt:{}] {}", category, text); break;
    case QtCriticalMsg: spdlog::error("[Qt:{}] {}", category, text); break;
    case QtFatalMsg:
        spdlog::critical("[Qt:{}] {}", category, text);
        spdlog::default_logger()->flush();
        break; // Qt aborts after the handler returns
    }
}
} // namespace

void installQtLogBridge() { qInstallMessageHandler(handleQtMessage); }

} // namespace weaksight::ui
