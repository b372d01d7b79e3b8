#pragma once

// Set-up shared by the GUI tests: phantom cases and a tiny ResNet (random weights) in a temporary
// folder, and a main window that has them open.
#include "../core/TestSupport.h"
#include "core/compute/Classifier.h"
#include "core/phantom/Phantom.h"
#include "ui/CamController.h"
#include "ui/MainWindow.h"

#include <QSignalSpy>
#include <QTest>

#include <cstdlib>

namespace weaksight::test {

/// `cases` phantom cases (in-plane `inPlane` pixels, 5 mm slices, every case with lesions) in
/// DIR/cases and a tiny ResNet in DIR/model.wsm; the user data folder (heatmap cache, journal)
/// goes into DIR/data.
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

inline void writeCaseAndModel(const TempDir& dir, uint64_t seed, int inPlane, int cases = 1)
{
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    writeCases(dir, seed, inPlane, cases);
    compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    compute::Classifier::create(description, seed).save((dir / "model.wsm").string());
}

/// Shows the window, opens DIR/cases and loads DIR/model.wsm at `cropSize`; false on a timeout.
inline bool openCasesWithModel(ui::MainWindow& window, const TempDir& dir, int cropSize)
{
    window.resize(1000, 800);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return false;
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openPath(QString::fromStdString((dir / "cases").string()));
    if (!loaded.wait(20000))
        return false;
    window.camController()->setCropSize(cropSize);
    QSignalSpy modelLoaded(window.camController(), &ui::CamController::modelLoaded);
    window.loadModel(QString::fromStdString((dir / "model.wsm").string()));
    return modelLoaded.wait(20000);
}

} // namespace weaksight::test
