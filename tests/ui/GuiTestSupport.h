#pragma once

// Set-up shared by the GUI tests: phantom cases and a tiny ResNet (random weights) in a temporary
// folder, a main window that has them open, and mouse strokes on the slice view.
#include "../core/TestSupport.h"
#include "core/compute/Classifier.h"
#include "core/compute/Segmenter.h"
#include "core/phantom/Phantom.h"
#include "ui/CamController.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"
#include "ui/Workspace.h"

#include <QAction>
#include <QApplication>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <array>
#include <cstdlib>
#include <vtkRenderer.h>

namespace weaksight::test {

/// Phantom cases only (in-plane `inPlane` pixels, 5 mm slices, every case with lesions) in DIR/cases.
inline void writeCases(const TempDir& dir, uint64_t seed, int inPlane, int cases = 1)
{
    PhantomOptions options;
    options.seed = seed;
    options.minInPlace = options.maxInPlace = inPlane;
    options.sliceThicknesses = {5.0};
    options.lesionFreeFraction = 0.0;
    writePhantomDataset(options, dir / "cases", cases);
}

/// `cases` phantom cases (in-plane `inPlane` pixels, 5 mm slices, every case with lesions) in
/// DIR/cases and a tiny ResNet in DIR/model.wsm; the user data folder (heatmap cache, journal)
/// goes into DIR/data.
inline void writeCaseAndModel(const TempDir& dir, uint64_t seed, int inPlane, int cases = 1)
{
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    writeCases(dir, seed, inPlane, cases);
    compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    compute::Classifier::create(description, seed).save((dir / "model.wsm").string());
}

/// Shows the window (1000 x 800) and opens `path` (a dataset, case or volume); false on a timeout.
/// An untrained small U-Net written to `path` (as `evaluate --proposals all` saves them), loaded back.
inline compute::Segmenter saveTinySegmenter(const std::filesystem::path& path, uint64_t seed,
                                            const std::string& trainedOn = "ground truth")
{
    compute::SegmenterDescription description;
    description.baseChannels = 4;
    description.levels = 2;
    description.trainedOn = trainedOn;
    compute::Segmenter::create(description, seed).save(path.string());
    return compute::Segmenter::load(path.string(), "cpu");
}

inline bool openPath(ui::MainWindow& window, const std::filesystem::path& path)
{
    window.resize(1000, 800);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return false;
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openPath(QString::fromStdString(path.string()));
    return loaded.wait(20000);
}

/// Shows the window and opens DIR/cases; false on a timeout.
inline bool openCases(ui::MainWindow& window, const std::filesystem::path& dir)
{
    return openPath(window, dir / "cases");
}

/// Shows the window, opens `path` and loads `model` at `cropSize`; false on a timeout.
inline bool openPathWithModel(ui::MainWindow& window, const std::filesystem::path& path,
                              const std::filesystem::path& model, int cropSize)
{
    if (!openPath(window, path))
        return false;
    window.camController()->setCropSize(cropSize);
    QSignalSpy modelLoaded(window.camController(), &ui::CamController::modelLoaded);
    window.loadModel(QString::fromStdString(model.string()));
    return modelLoaded.wait(20000);
}

/// Shows the window, opens DIR/cases and loads DIR/model.wsm at `cropSize`; false on a timeout.
inline bool openCasesWithModel(ui::MainWindow& window, const std::filesystem::path& dir, int cropSize)
{
    return openPathWithModel(window, dir / "cases", dir / "model.wsm", cropSize);
}

inline bool openCasesWithModel(ui::MainWindow& window, const TempDir& dir, int cropSize)
{
    return openCasesWithModel(window, dir.path(), cropSize);
}

/// Waits until the window's heatmap controller has the slice's heatmaps; false on a timeout.
/// The window's annotation store once every write asked for is done (null when there is none).
inline storage::AnnotationStore* storeOf(ui::MainWindow& window)
{
    return window.workspace()->store().storeAfterWrites();
}

/// The window's command on `key` (as a key press would run it), or null.
inline QAction* actionWithShortcut(ui::MainWindow& window, const QKeySequence& key)
{
    for (auto* action : window.findChildren<QAction*>())
        if (action->shortcut() == key)
            return action;
    return nullptr;
}

/// The correction in progress on the proposal's crop (the editor's canvas is the whole slice).
inline BinaryMask cropMask(const ui::ReviewController& review)
{
    const review::EditSession* edit = review.edit();
    return placeMask(edit->mask(), edit->box(), edit->crop());
}

inline bool waitForHeatmaps(ui::MainWindow& window, int slice, int timeoutMs = 30000)
{
    return QTest::qWaitFor([&] { return window.camController()->heatmaps(slice) != nullptr; }, timeoutMs);
}

/// Widget position of a slice pixel (row, col).
inline QPointF widgetPoint(ui::SliceView& view, const LabelVolume& grid, double row, double col)
{
    vtkRenderer* renderer = view.scene().renderer();
    renderer->SetWorldPoint(col * grid.spacing[2], row * grid.spacing[1], 0, 1);
    renderer->WorldToDisplay();
    double d[3];
    renderer->GetDisplayPoint(d);
    const double dpr = view.devicePixelRatioF();
    return {d[0] / dpr, (view.height() * dpr - 1 - d[1]) / dpr};
}

inline void mouse(QWidget* widget, QEvent::Type type, QPointF at, Qt::MouseButtons buttons,
                  Qt::KeyboardModifiers modifiers)
{
    QMouseEvent event(type, at, widget->mapToGlobal(at),
                      type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons, modifiers);
    QApplication::sendEvent(widget, &event);
}

/// A brush stroke from one slice pixel to another, as the mouse does it.
inline void stroke(ui::SliceView& view, const LabelVolume& grid, std::array<double, 2> from,
                   std::array<double, 2> to, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    mouse(&view, QEvent::MouseButtonPress, widgetPoint(view, grid, from[0], from[1]), Qt::LeftButton,
          modifiers);
    for (int i = 1; i <= 8; ++i) {
        const double t = i / 8.0;
        mouse(&view, QEvent::MouseMove,
              widgetPoint(view, grid, from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])),
              Qt::LeftButton, modifiers);
    }
    mouse(&view, QEvent::MouseButtonRelease, widgetPoint(view, grid, to[0], to[1]), Qt::NoButton, modifiers);
}

} // namespace weaksight::test
