// GoogleTest main for the GUI tests: one QApplication with the OpenGL format VTK needs.
// Runs under xvfb-run (QT_QPA_PLATFORM=offscreen cannot host VTK's GL widget).
#include "core/common/Log.h"
#include "render/VtkLogBridge.h"
#include "ui/QtLogBridge.h"

#include <QApplication>
#include <QSurfaceFormat>
#include <gtest/gtest.h>

#include <cstdlib>

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
    QApplication app(argc, argv);
    QApplication::setOrganizationName("WeaksightTests");
    QApplication::setApplicationName("WeaksightTests");
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
