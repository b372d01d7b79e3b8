#include "app/Commands.h"
#include "render/VtkLogBridge.h"
#include "ui/MainWindow.h"
#include "ui/QtLogBridge.h"

#include <QApplication>
#include <QSurfaceFormat>
#include <QTimer>

namespace weaksight::app {

int runGui(const GuiOptions& options, int argc, char** argv)
{
    ui::installQtLogBridge();
    render::installVtkLogBridge();

    // VTK 9.1 needs an OpenGL 3.2 core context; set before QApplication exists.
    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 2);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
    format.setDepthBufferSize(8);
    format.setAlphaBufferSize(8);
    format.setSamples(0);
    QSurfaceFormat::setDefaultFormat(format);

    QApplication application(argc, argv);
    QApplication::setApplicationName("Weaksight");
    QApplication::setOrganizationName("Weaksight");
    QApplication::setApplicationVersion(WEAKSIGHT_VERSION);

    ui::MainWindow window;
    window.show();
    const QString path = QString::fromStdString(options.path);
    QTimer::singleShot(0, &window, [&window, path, demo = options.demo] {
        if (!path.isEmpty())
            window.openPath(path);
        else if (demo || path.isEmpty())
            window.openDemo();
    });
    return QApplication::exec();
}

} // namespace weaksight::app
