// GoogleTest main for the GUI tests: one QApplication with the OpenGL format VTK needs.
// Runs under xvfb-run (QT_QPA_PLATFORM=offscreen cannot host VTK's GL widget).
#include "core/common/Log.h"
#include "render/VtkLogBridge.h"
#include "ui/QtLogBridge.h"
#include "ui/Translations.h"

#include <QApplication>
#include <QDialog>
#include <QProgressDialog>
#include <QSurfaceFormat>
#include <QTimer>
#include <QWidget>
#include <cstdlib>
#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    weaksight::logging::LogOptions log;
    log.writeFile = false;
    log.level = "warn";
    weaksight::logging::initialise(log);
    weaksight::ui::installQtLogBridge();
    weaksight::render::installVtkLogBridge();

    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 2);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setDepthBufferSize(8);
    format.setAlphaBufferSize(8);
    format.setSamples(0);
    QSurfaceFormat::setDefaultFormat(format);

    // Settings (recent datasets, language) go to a fresh folder, never the user's.
    char configHome[] = "/tmp/weaksight-gui-config-XXXXXX";
    if (mkdtemp(configHome))
        setenv("XDG_CONFIG_HOME", configHome, 1);
    // The window asks nothing in tests (as ctest sets it), also when this binary is run by hand.
    if (const char* set = std::getenv("WEAKSIGHT_NO_DIALOGS"); !set || !*set)
        setenv("WEAKSIGHT_NO_DIALOGS", "1", 1);
    QApplication app(argc, argv);
    QApplication::setOrganizationName("WeaksightTests");
    QApplication::setApplicationName("WeaksightTests");
    weaksight::ui::installTranslation(QStringLiteral("en")); // as the app does at start-up
    // A modal dialog that still asks something would wait for a click for ever: fail the test and
    // close it. (Progress dialogs ask nothing.) The timer also fires inside a dialog's event loop.
    QTimer modalGuard;
    QObject::connect(&modalGuard, &QTimer::timeout, [] {
        QWidget* modal = QApplication::activeModalWidget();
        if (modal && !qobject_cast<QProgressDialog*>(modal)) {
            ADD_FAILURE() << "a modal dialog opened during a test: " << modal->metaObject()->className() << " '"
                          << modal->windowTitle().toStdString() << "'";
            if (auto* dialog = qobject_cast<QDialog*>(modal))
                dialog->reject(); // close() is ignored by a message box without an escape button
            else
                modal->close();
        }
    });
    modalGuard.start(500);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
