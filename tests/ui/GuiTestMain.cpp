// GoogleTest main for the GUI tests: one QApplication with the OpenGL format VTK needs.
// Runs under xvfb-run (QT_QPA_PLATFORM=offscreen cannot host VTK's GL widget).
#include "core/common/Log.h"
#include "render/VtkLogBridge.h"
#include "ui/QtLogBridge.h"

#include <QApplication>
#include <QSurfaceFormat>
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

    QApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
