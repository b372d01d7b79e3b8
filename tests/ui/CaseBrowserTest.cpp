// The case list: annotation status read from a real store beside the dataset, filters by name and
// status, and the recent-datasets list.
#include "ui/CaseBrowser.h"

#include "GuiTestSupport.h"
#include "core/phantom/Phantom.h"
#include "storage/AnnotationStore.h"
#include "storage/StoreTools.h"
#include "ui/ComparisonView.h"
#include "ui/HeatmapToolbar.h"
#include "ui/KeyBindings.h"
#include "ui/KeyHelpOverlay.h"
#include "ui/MainWindow.h"
#include "ui/SettingsDialog.h"
#include "ui/SliceView.h"
#include "ui/SurfaceView.h"
#include "ui/Translations.h"
#include "ui/Workspace.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTest>
#include <gtest/gtest.h>
#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkRenderer.h>

using namespace weaksight;
using namespace weaksight::test;

TEST(CaseBrowser, ShowsEachCasesStatusFromTheStoreAndFilters)
{
    TempDir dir;
    PhantomOptions options;
    options.seed = 4;
    options.minInPlace = options.maxInPlace = 96;
    options.sliceThicknesses = {5.0};
    writePhantomDataset(options, dir / "cases", 3);
    const QString root = QString::fromStdString((dir / "cases").string());
    {
        // case_00000: one of two proposals decided; case_00001: its only proposal decided.
        storage::AnnotationStore store(ui::Workspace::storePathFor(root).toStdString());
        storage::importDataset(store, dir / "cases");
        const auto propose = [&](const std::string& caseKey, int slice) {
            storage::ProposalInput proposal;
            proposal.caseId = *store.findCase(caseKey);
            proposal.slice = slice;
            proposal.crop = {0, 0, 8, 8};
            proposal.threshold = 0.5;
            proposal.mask = BinaryMask(8, 8);
            return store.addProposal(proposal);
        };
        const auto decide = [&](int64_t proposal, storage::DecisionKind kind) {
            storage::DecisionInput decision;
            decision.proposalId = proposal;
            decision.annotator = "tester";
            decision.kind = kind;
            store.recordDecision(decision);
        };
        decide(propose("case_00000", 3), storage::DecisionKind::Reject);
        propose("case_00000", 4);
        decide(propose("case_00001", 2), storage::DecisionKind::Accept);
        // What counts is the lesion slices: case_00000 has three, case_00001 one.
        store.setLesionSlices(*store.findCase("case_00000"), {3, 4, 5}, "labels");
        store.setLesionSlices(*store.findCase("case_00001"), {2}, "labels");
    }

    ui::MainWindow window;
    window.resize(900, 700);
    window.show();
    ui::CaseBrowser& browser = *window.caseBrowser();
    // Without a store every case reads "not started".
    TempDir bare;
    writePhantomDataset(options, bare / "cases", 2);
    QSignalSpy listed(&browser, &ui::CaseBrowser::statusRead);
    window.openPath(QString::fromStdString((bare / "cases").string()));
    ASSERT_TRUE(QTest::qWaitFor([&] { return browser.caseCount() == 2; }, 20000));
    for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(browser.itemText(i).contains("not started")) << browser.itemText(i).toStdString();

    QSignalSpy statusRead(&browser, &ui::CaseBrowser::statusRead);
    window.openPath(root);
    ASSERT_TRUE(statusRead.wait(20000));
    ASSERT_EQ(browser.caseCount(), 3);
    EXPECT_EQ(browser.status(0).status, "in progress");
    EXPECT_EQ(browser.status(0).decided, 1);
    EXPECT_EQ(browser.status(0).proposals, 2);
    EXPECT_EQ(browser.status(0).rejected, 1);
    EXPECT_EQ(browser.status(0).lesionSlices, 3);
    EXPECT_EQ(browser.status(0).decidedLesionSlices, 1);
    EXPECT_TRUE(browser.itemText(0).contains("in progress 1/3 lesion slices"))
        << browser.itemText(0).toStdString();
    EXPECT_EQ(browser.status(1).status, "done");
    EXPECT_EQ(browser.status(1).accepted, 1);
    EXPECT_EQ(browser.status(2).status, "not started");

    browser.setFilter("", "done");
    EXPECT_FALSE(browser.isShown(0));
    EXPECT_TRUE(browser.isShown(1));
    EXPECT_FALSE(browser.isShown(2));
    browser.setFilter("0002", "all");
    EXPECT_FALSE(browser.isShown(0));
    EXPECT_FALSE(browser.isShown(1));
    EXPECT_TRUE(browser.isShown(2));
    browser.setFilter("", "in progress");
    EXPECT_TRUE(browser.isShown(0));
    EXPECT_FALSE(browser.isShown(1));
    browser.setFilter("", "all");

    // Choosing a case in the list loads it.
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    browser.setCurrentCase(2);
    ASSERT_TRUE(loaded.wait(20000) || (loaded.count() > 0));
    EXPECT_EQ(loaded.last().at(0).toString(), "case_00002");

    // Remembered for File > Open recent.
    EXPECT_EQ(ui::Workspace::recentDatasets().value(0), QFileInfo(root).absoluteFilePath());
}

TEST(Translation, UkrainianIsEmbeddedAndChosenInTheSettings)
{
    const QString before = ui::configuredLanguage();
    ui::SettingsDialog dialog;
    dialog.languageBox()->setCurrentIndex(dialog.languageBox()->findData(QStringLiteral("uk")));
    EXPECT_TRUE(dialog.apply());
    EXPECT_TRUE(dialog.languageChanged());
    EXPECT_EQ(ui::configuredLanguage(), "uk");
    EXPECT_EQ(ui::installTranslation(), "uk");
    {
        ui::MainWindow window;
        QStringList menus;
        for (auto* action : window.menuBar()->actions())
            menus << action->text();
        EXPECT_TRUE(menus.contains(QString::fromUtf8("&Файл"))) << menus.join(", ").toStdString();
        EXPECT_EQ(window.windowTitle(), "Weaksight");
        // Qt's own strings too (Debian's qt6-translations-l10n): a standard button's text.
        QDialogButtonBox buttons(QDialogButtonBox::Cancel);
        EXPECT_EQ(buttons.button(QDialogButtonBox::Cancel)->text().remove('&'),
                  QString::fromUtf8("Скасувати"))
            << buttons.button(QDialogButtonBox::Cancel)->text().toStdString();
    }
    EXPECT_EQ(ui::installTranslation(QStringLiteral("en")), "en");
    {
        ui::MainWindow window;
        EXPECT_EQ(window.menuBar()->actions().value(0)->text(), "&File");
    }
    ui::setConfiguredLanguage(before);
}

TEST(SurfaceView, ShowsGroundTruthAndCuratedSurfacesOfTheCase)
{
    TempDir dir;
    writeCases(dir, 6, 128);
    const QString root = QString::fromStdString((dir / "cases").string());
    {
        // One accepted 6 x 6 mask on slice 10.
        storage::AnnotationStore store(ui::Workspace::storePathFor(root).toStdString());
        storage::importDataset(store, dir / "cases");
        storage::ProposalInput proposal;
        proposal.caseId = *store.findCase("case_00000");
        proposal.slice = 10;
        proposal.crop = {60, 60, 6, 6};
        proposal.threshold = 0.5;
        proposal.mask = BinaryMask(6, 6);
        for (int r = 0; r < 6; ++r)
            for (int c = 0; c < 6; ++c)
                proposal.mask.at(r, c) = 1;
        storage::DecisionInput decision;
        decision.proposalId = store.addProposal(proposal);
        decision.annotator = "tester";
        decision.kind = storage::DecisionKind::Accept;
        store.recordDecision(decision);
    }
    ui::MainWindow window;
    window.resize(1200, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    QSignalSpy ready(window.surfaceView(), &ui::SurfaceView::surfacesReady);
    window.openPath(root);
    ASSERT_TRUE(loaded.wait(20000));
    EXPECT_EQ(ready.count(), 0) << "nothing is built while the 3D view is hidden";
    window.set3dViewVisible(true);
    ASSERT_TRUE(ready.wait(30000));
    EXPECT_GE(ready.first().at(0).toInt(), 2) << "kidney and lesion surfaces";
    EXPECT_EQ(ready.first().at(1).toInt(), 1) << "the accepted mask";

    // Rendered: the view is no longer just its background, and the curated toggle changes it.
    ui::SurfaceView& view = *window.surfaceView();
    QTest::qWait(100);
    const QImage both = view.grabFramebuffer();
    view.scene().setTruthVisible(false);
    const QImage curatedOnly = view.grabFramebuffer();
    view.scene().setCuratedVisible(false);
    const QImage empty = view.grabFramebuffer();
    int differs = 0, curatedPixels = 0;
    for (int y = 0; y < both.height(); y += 2)
        for (int x = 0; x < both.width(); x += 2) {
            differs += both.pixel(x, y) != empty.pixel(x, y);
            curatedPixels += curatedOnly.pixel(x, y) != empty.pixel(x, y);
        }
    EXPECT_GT(differs, 500);
    EXPECT_GT(curatedPixels, 5);

    // The slice on screen is a plane through the scan, following the slice view.
    const LoadedCase& shown = *window.currentCase();
    window.sliceView()->setSlice(7);
    double bounds[6];
    view.scene().slicePlane()->GetBounds(bounds);
    EXPECT_TRUE(view.scene().slicePlane()->GetVisibility());
    EXPECT_NEAR(bounds[4], 7 * shown.labels->spacing[0], 1e-3); // VTK's points are float
    EXPECT_NEAR(bounds[1], (shown.labels->cols() - 1) * shown.labels->spacing[2], 1e-3);
    view.requestRender();
    QTest::qWait(100);
    const QImage withPlane = view.grabFramebuffer();
    view.scene().setSlicePlaneVisible(false);
    view.requestRender();
    QTest::qWait(100);
    const QImage withoutPlane = view.grabFramebuffer();
    view.scene().markerRenderer()->DrawOff();
    view.requestRender();
    QTest::qWait(100);
    const QImage withoutMarker = view.grabFramebuffer();
    view.scene().markerRenderer()->DrawOn();
    int planePixels = 0, markerPixels = 0, markerElsewhere = 0;
    for (int y = 0; y < withPlane.height(); y += 2)
        for (int x = 0; x < withPlane.width(); x += 2) {
            planePixels += withPlane.pixel(x, y) != withoutPlane.pixel(x, y);
            const bool corner = x < withPlane.width() * 20 / 100 && y > withPlane.height() * 80 / 100;
            (corner ? markerPixels : markerElsewhere) +=
                withoutPlane.pixel(x, y) != withoutMarker.pixel(x, y);
        }
    EXPECT_GT(planePixels, 100);
    EXPECT_GT(markerPixels, 20) << "the R/L A/P S/I cube is drawn in the lower left corner";
    EXPECT_EQ(markerElsewhere, 0);
    view.scene().setSlicePlaneVisible(true);

    // Navigate > Reset view (R) brings a rotated 3D view back to the front view: looking from
    // anterior (-y) towards +y, superior (+z) up.
    view.scene().setTruthVisible(true);
    view.scene().setCuratedVisible(true);
    auto* camera = view.scene().renderer()->GetActiveCamera();
    camera->Azimuth(70);
    camera->Elevation(20);
    double direction[3], up[3];
    camera->GetDirectionOfProjection(direction);
    EXPECT_LT(direction[1], 0.5) << "rotated away from the front";
    for (const auto& command : window.keyBindings().commands()) // the key's command, as a press of R runs it
        if (command.id == QStringLiteral("navigate.resetView"))
            command.action->trigger();
    camera->GetDirectionOfProjection(direction);
    camera->GetViewUp(up);
    EXPECT_NEAR(direction[0], 0.0, 1e-9);
    EXPECT_NEAR(direction[1], 1.0, 1e-9);
    EXPECT_NEAR(direction[2], 0.0, 1e-9);
    EXPECT_NEAR(up[2], 1.0, 1e-9);
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        view.scene().setTruthVisible(true);
        view.scene().setCuratedVisible(true);
        view.requestRender();
        QTest::qWait(200);
        window.grab().save(QString(out) + "/3d-view.png");
    }
}

TEST(Overlays, EachOverlayHasItsOwnSwitchAndOpacity)
{
    TempDir dir;
    writeCases(dir, 8, 128);
    ui::MainWindow window;
    // View > Score-CAM in reduced precision reaches the heatmap controller (its maps: HeatmapSettings).
    auto* reducedPrecision = window.findChild<QAction*>("scoreReducedPrecision");
    ASSERT_NE(reducedPrecision, nullptr);
    reducedPrecision->setChecked(true);
    EXPECT_TRUE(window.camController()->scoreReducedPrecision());
    reducedPrecision->setChecked(false);
    EXPECT_FALSE(window.camController()->scoreReducedPrecision());
    // View > Smooth Grad-CAM++ noise and samples: the maps' settings (and so their cache key) change,
    // and the choice is kept for the next start.
    ASSERT_NE(window.findChild<QAction*>("smoothParameters"), nullptr);
    auto* heatmapToolbar = window.findChild<ui::HeatmapToolbar*>();
    ASSERT_NE(heatmapToolbar, nullptr);
    heatmapToolbar->setSmoothParameters(8, 0.15);
    EXPECT_EQ(window.camController()->settings().smoothSamples, 8);
    EXPECT_DOUBLE_EQ(window.camController()->settings().smoothNoise, 0.15);
    window.camController()->setMethod(compute::CamMethod::SmoothGradCamPlusPlus);
    EXPECT_NE(window.camController()->methodKey().find("samples=8 noise=0.15"), std::string::npos)
        << window.camController()->methodKey();
    {
        ui::MainWindow again;
        EXPECT_EQ(again.camController()->settings().smoothSamples, 8) << "kept in the settings";
        again.findChild<ui::HeatmapToolbar*>()->setSmoothParameters(4, 0.3);
    }
    window.camController()->setMethod(compute::CamMethod::GradCam);
    ASSERT_TRUE(openCases(window, dir.path()));
    ui::SliceView& view = *window.sliceView();
    ASSERT_TRUE(view.scene().labelContourShown(labels::Tumour)) << "the case opens on its lesion slice";
    auto* panel = window.findChild<QWidget*>("overlayPanel");
    ASSERT_NE(panel, nullptr);
    const auto frame = [&] {
        view.requestRender();
        QTest::qWait(80);
        return view.grabFramebuffer();
    };
    const QImage full = frame();
    panel->findChild<QSlider*>("opacity-tumour")->setValue(20);
    const QImage faint = frame();
    panel->findChild<QCheckBox*>("show-tumour")->setChecked(false);
    EXPECT_FALSE(view.scene().labelContourShown(labels::Tumour));
    EXPECT_TRUE(view.scene().labelContourShown(labels::Kidney)) << "only the tumour's switch changed";
    const QImage hidden = frame();
    int fainter = 0, gone = 0;
    for (int y = 0; y < full.height(); ++y)
        for (int x = 0; x < full.width(); ++x) {
            fainter += full.pixel(x, y) != faint.pixel(x, y);
            gone += full.pixel(x, y) != hidden.pixel(x, y);
        }
    EXPECT_GT(fainter, 20) << "the tumour contour drawn at 20 % opacity";
    EXPECT_GT(gone, 20);
    // The comparison panes follow.
    window.setComparisonMode(true);
    EXPECT_FALSE(window.comparisonView()->paneView(0)->scene().labelContourShown(labels::Tumour));
    window.setComparisonMode(false);
}

TEST(KeyBindings, RebindingInTheSettingsRefusesConflictsAndTheHelpListsTheKeys)
{
    {
        ui::MainWindow window;
        ui::KeyBindings& keys = window.keyBindings();
        EXPECT_EQ(keys.key("review.accept"), QKeySequence(Qt::Key_A));
        ui::SettingsDialog dialog(&keys, &window);
        // Accept on Y: fine.
        dialog.setKey("review.accept", QKeySequence(Qt::Key_Y));
        EXPECT_TRUE(dialog.apply()) << dialog.errorText().toStdString();
        EXPECT_EQ(keys.key("review.accept"), QKeySequence(Qt::Key_Y));
        // Reject on Y as well: refused, nothing changes, the message names both commands.
        dialog.setKey("review.reject", QKeySequence(Qt::Key_Y));
        EXPECT_FALSE(dialog.apply());
        EXPECT_TRUE(dialog.errorText().contains("Accept proposal")) << dialog.errorText().toStdString();
        EXPECT_TRUE(dialog.errorText().contains("Reject proposal"));
        EXPECT_EQ(keys.key("review.reject"), QKeySequence(Qt::Key_X));
        // Conflicts with an unchanged command are caught too (N is "next slice with lesion").
        EXPECT_FALSE(keys.rebind({{"review.skip", QKeySequence(Qt::Key_N)}}).isEmpty());
        // The help overlay lists the commands with their current keys.
        window.showKeyHelp();
        auto* help = window.findChild<ui::KeyHelpOverlay*>("keyHelp");
        ASSERT_NE(help, nullptr);
        EXPECT_TRUE(help->lines().contains("Accept proposal\tY")) << help->lines().join(" | ").toStdString();
        EXPECT_TRUE(help->lines().contains("Next undecided\tSpace"));
    }
    {
        // Remembered: a new window starts with the user's binding.
        ui::MainWindow window;
        EXPECT_EQ(window.keyBindings().key("review.accept"), QKeySequence(Qt::Key_Y));
        window.keyBindings().reset();
        EXPECT_EQ(window.keyBindings().key("review.accept"), QKeySequence(Qt::Key_A));
    }
    ui::MainWindow fresh;
    EXPECT_EQ(fresh.keyBindings().key("review.accept"), QKeySequence(Qt::Key_A)) << "reset back to the default";
}
