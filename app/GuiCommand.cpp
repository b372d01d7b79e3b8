#include "app/Commands.h"
#include "render/VtkLogBridge.h"
#include "ui/MainWindow.h"
#include "ui/QtLogBridge.h"
#include "ui/Translations.h"
#include "ui/Workspace.h"

#include <QApplication>
#include <QFileInfo>
#include <QSurfaceFormat>
#include <QTimer>
#include <cstdio>

namespace weaksight::app {

void configureOpenGlFormat()
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
}

bool displayAvailable(const char* command)
{
    for (const char* variable : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"})
        if (!qEnvironmentVariableIsEmpty(variable))
            return true;
    std::fprintf(stderr,
                 "weaksight %s: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                 "The workstation needs a screen: run it on a desktop, over `ssh -X`, or under a virtual\n"
                 "display: xvfb-run -a weaksight %s ...\n"
                 "Everything else runs without one: case-info, phantom, dataset build, train, evaluate,\n"
                 "cam, cam-batch, import, export, stats, merge (see weaksight --help).\n",
                 command, command);
    return false;
}

int runGui(const GuiOptions& options, int argc, char** argv)
{
    if (!displayAvailable("gui"))
        return 2;
    configureOpenGlFormat();
    QApplication application(argc, argv);
    QApplication::setApplicationName("Weaksight");
    QApplication::setOrganizationName("Weaksight");
    QApplication::setApplicationVersion(WEAKSIGHT_VERSION);
    ui::installTranslation(QString::fromStdString(options.language));

    ui::MainWindow window;
    window.show();
    const QString path = QString::fromStdString(options.path);
    QTimer::singleShot(0, &window, [&window, path, &options] {
        // A correction left by a crashed session comes first (its dataset and case).
        if (window.offerRecovery())
            return;
        // A CT with its segmentation, else a path given, else the demo when asked for or on a first
        // start, else the last dataset.
        const QStringList recent = ui::Workspace::recentDatasets();
        // `weaksight gui CT --labels SEG` pairs the path given too.
        const QString image = !options.image.empty()    ? QString::fromStdString(options.image)
                              : !options.labels.empty() ? path
                                                        : QString();
        if (!image.isEmpty() && !options.labels.empty())
            window.openImageWithLabels(image, QString::fromStdString(options.labels),
                                       QString::fromStdString(options.labelTable));
        else if (!image.isEmpty())
            window.openPath(image);
        else if (!path.isEmpty())
            window.openPath(path);
        else if (options.demo || recent.isEmpty() || !QFileInfo::exists(recent.front()))
            window.openDemo();
        else
            window.openPath(recent.front());
    });
    return QApplication::exec();
}

} // namespace weaksight::app
