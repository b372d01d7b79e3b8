// The CAM overlay in the real window: a real LibTorch model loaded in the background, heatmaps of
// the slice's kidney crops computed off the GUI thread and drawn by VTK over the CT, the proposal
// contour following the threshold slider, per-method thresholds and the in-memory cache.
#include "GuiTestSupport.h"
#include "core/compute/Classifier.h"
#include "core/dataset/KidneyCrops.h"
#include "core/phantom/Phantom.h"
#include "core/review/ReviewOrder.h"
#include "ui/CamController.h"
#include "ui/ComparisonView.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSlider>
#include <QStatusBar>
#include <QTest>
#include <QToolBar>
#include <QWheelEvent>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <vtkCamera.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>

using namespace weaksight;
using namespace weaksight::test;

namespace {

QImage renderFrame(ui::SliceView& view)
{
    view.requestRender();
    QTest::qWait(80);
    return view.grabFramebuffer();
}

/// Screen rectangle (top-left origin) of a crop box given in slice pixels.
QRect screenRect(ui::SliceView& view, const review::CropHeatmap& patch, double rowSpacing, double colSpacing)
{
    vtkRenderer* renderer = view.scene().renderer();
    const auto toScreen = [&](double row, double col) {
        renderer->SetWorldPoint(col * colSpacing, row * rowSpacing, 0, 1);
        renderer->WorldToDisplay();
        double d[3];
        renderer->GetDisplayPoint(d);
        return QPoint(int(d[0]), view.height() - 1 - int(d[1]));
    };
    return QRect(toScreen(patch.box.row0 - 0.5, patch.box.col0 - 0.5),
                 toScreen(patch.box.row0 + patch.box.rows - 0.5, patch.box.col0 + patch.box.cols - 0.5))
        .normalized();
}

} // namespace

TEST(HeatmapOverlay, ModelHeatmapsAppearOnTheKidneyCropsAndFollowTheThreshold)
{
    TempDir dir;
    writeCaseAndModel(dir, 8, 160);

    ui::MainWindow window;
    window.resize(900, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openPath(QString::fromStdString((dir / "cases").string()));
    ASSERT_TRUE(loaded.wait(20000));
    ui::CamController& cams = *window.camController();
    cams.setCropSize(64);
    QSignalSpy modelLoaded(&cams, &ui::CamController::modelLoaded);
    QSignalSpy ready(&cams, &ui::CamController::heatmapsReady);
    window.loadModel(QString::fromStdString((dir / "model.wsm").string()));
    ASSERT_TRUE(modelLoaded.wait(20000));
    EXPECT_TRUE(modelLoaded.first().at(0).toString().contains("tiny"));
    ui::SliceView& view = *window.sliceView();
    const int slice = view.slice();
    ASSERT_TRUE(ready.wait(30000)) << "heatmaps of the slice computed in the background";
    const review::SliceHeatmaps* maps = cams.heatmaps(slice);
    ASSERT_NE(maps, nullptr);

    // One patch per kidney side, exactly where the dataset builder would cut the crops.
    const LoadedCase& c = *window.currentCase();
    const auto boxes = KidneyCentres(*c.labels).boxes(slice, 64, 64);
    ASSERT_EQ(maps->crops.size(), boxes.size());
    ASSERT_GE(boxes.size(), 1u);
    for (size_t i = 0; i < boxes.size(); ++i) {
        EXPECT_EQ(maps->crops[i].box.row0, boxes[i].box.row0);
        EXPECT_EQ(maps->crops[i].box.col0, boxes[i].box.col0);
        EXPECT_EQ(maps->crops[i].side, boxes[i].side);
    }
    render::HeatmapLayer& layer = view.heatmapLayer();
    EXPECT_EQ(layer.patchCount(), boxes.size());

    // The overlay changes pixels inside the crop boxes only.
    layer.setOpacity(1.0);
    layer.setProposalVisible(false);
    layer.setBoxesVisible(false);
    layer.setColorBarVisible(false);
    const QImage with = renderFrame(view);
    layer.setHeatmapVisible(false);
    const QImage without = renderFrame(view);
    layer.setHeatmapVisible(true);
    ASSERT_EQ(with.size(), without.size());
    std::vector<QRect> rects;
    for (const auto& p : maps->crops)
        rects.push_back(
            screenRect(view, p, c.labels->spacing[1], c.labels->spacing[2]).adjusted(-2, -2, 2, 2));
    int changed = 0, changedOutside = 0;
    for (int y = 0; y < with.height(); ++y)
        for (int x = 0; x < with.width(); ++x)
            if (with.pixel(x, y) != without.pixel(x, y)) {
                ++changed;
                bool inside = false;
                for (const auto& r : rects)
                    inside = inside || r.contains(x, y);
                changedOutside += !inside;
            }
    EXPECT_GT(changed, 500);
    EXPECT_EQ(changedOutside, 0);
    // The colour bar sits at the right edge of the view.
    layer.setColorBarVisible(true);
    const QImage withBar = renderFrame(view);
    int barPixels = 0;
    for (int y = 0; y < withBar.height(); ++y)
        for (int x = withBar.width() * 85 / 100; x < withBar.width(); ++x)
            barPixels += withBar.pixel(x, y) != with.pixel(x, y);
    EXPECT_GT(barPixels, 200);
    // Its title in Ukrainian is drawn (VTK's own fonts have no Cyrillic: it drew nothing).
    layer.setColorBarTitle("");
    const QImage untitled = renderFrame(view);
    layer.setColorBarTitle("Теплова карта");
    const QImage cyrillic = renderFrame(view);
    int titlePixels = 0;
    for (int y = 0; y < cyrillic.height(); ++y)
        for (int x = cyrillic.width() * 80 / 100; x < cyrillic.width(); ++x)
            titlePixels += cyrillic.pixel(x, y) != untitled.pixel(x, y);
    EXPECT_GT(titlePixels, 40) << "the Cyrillic title has glyphs";

    // The threshold slider moves the proposal contour live, without recomputing heatmaps.
    layer.setProposalVisible(true);
    auto* slider = window.findChild<QToolBar*>("heatmapToolbar")->findChild<QSlider*>();
    ASSERT_NE(slider, nullptr);
    ready.clear();
    slider->setValue(20);
    const auto low = layer.proposalContour()->GetNumberOfPoints();
    slider->setValue(90);
    const auto high = layer.proposalContour()->GetNumberOfPoints();
    EXPECT_NE(low, high);
    EXPECT_DOUBLE_EQ(cams.threshold(), 0.9);
    EXPECT_EQ(ready.count(), 0);

    // The IoU shown is the proposal's against the ground-truth lesion inside the crop boxes.
    long long both = 0, either = 0;
    {
        std::vector<uint8_t> inBox(c.labels->sliceSize(), 0), proposed(c.labels->sliceSize(), 0);
        for (const auto& p : maps->crops)
            for (int r = 0; r < p.box.rows; ++r)
                for (int col = 0; col < p.box.cols; ++col) {
                    const int sr = p.box.row0 + r, sc = p.box.col0 + col;
                    if (sr < 0 || sc < 0 || sr >= c.labels->rows() || sc >= c.labels->cols())
                        continue;
                    inBox[static_cast<size_t>(sr) * c.labels->cols() + sc] = 1;
                    proposed[static_cast<size_t>(sr) * c.labels->cols() + sc] =
                        p.values[static_cast<size_t>(r) * p.box.cols + col] > 0.9f;
                }
        for (size_t i = 0; i < inBox.size(); ++i)
            if (inBox[i]) {
                const bool truth = labels::isLesion(c.labels->slice(slice)[i]);
                both += truth && proposed[i];
                either += truth || proposed[i];
            }
    }
    const auto iou = review::proposalIouAgainstTruth(*maps, *c.labels, slice, 0.9);
    ASSERT_TRUE(iou.has_value());
    EXPECT_NEAR(*iou, either ? double(both) / double(either) : 1.0, 1e-12);
    bool shown = false;
    for (auto* label : window.findChild<QToolBar*>("heatmapToolbar")->findChildren<QLabel*>())
        shown = shown || label->text().contains(QString::number(*iou, 'f', 3));
    EXPECT_TRUE(shown) << "IoU " << *iou << " on the toolbar";

    // The toggles hide the layers.
    for (auto* box : window.findChild<QToolBar*>("overlayToolbar")->findChildren<QCheckBox*>())
        if (box->text() == "Heatmap")
            box->setChecked(false);
    const QImage hidden = renderFrame(view);
    int differs = 0;
    for (int y = 0; y < hidden.height(); y += 2)
        for (int x = 0; x < hidden.width(); x += 2)
            differs += hidden.pixel(x, y) != with.pixel(x, y);
    EXPECT_GT(differs, 100);
    for (auto* box : window.findChild<QToolBar*>("overlayToolbar")->findChildren<QCheckBox*>())
        if (box->text() == "Heatmap")
            box->setChecked(true);

    // Another method: its own threshold, its own maps; back to Grad-CAM comes from the cache.
    QSignalSpy progress(&cams, &ui::CamController::progress);
    cams.setMethod(compute::CamMethod::ScoreCam);
    EXPECT_DOUBLE_EQ(cams.threshold(), 0.5);
    ASSERT_TRUE(ready.wait(60000));
    bool inputsShown = false; // Score-CAM reports its masked inputs within a crop
    for (const auto& p : progress)
        inputsShown = inputsShown || p.at(0).toString().contains("masked inputs");
    EXPECT_TRUE(inputsShown);
    const review::SliceHeatmaps* score = cams.heatmaps(slice);
    ASSERT_NE(score, nullptr);
    EXPECT_NE(score->crops[0].values, maps->crops[0].values);
    cams.setMethod(compute::CamMethod::GradCam);
    EXPECT_DOUBLE_EQ(cams.threshold(), 0.9);
    EXPECT_NE(cams.heatmaps(slice), nullptr) << "cached in memory";
    // Idle, the status bar's progress bar and its Cancel are hidden (they showed "0/1"), keeping
    // their place so the view does not change size.
    auto* bar = window.statusBar()->findChild<QProgressBar*>();
    ASSERT_NE(bar, nullptr);
    cams.cancel();
    ASSERT_TRUE(QTest::qWaitFor([&] { return !cams.busy() && !bar->isEnabled(); }, 30000));
    EXPECT_FALSE(bar->isVisible());
    EXPECT_TRUE(bar->sizePolicy().retainSizeWhenHidden());
    // The readout under the cursor names the label and gives the heatmap's value there.
    const review::SliceHeatmaps* onSlice = cams.heatmaps(slice);
    ASSERT_NE(onSlice, nullptr);
    const review::CropHeatmap& first = onSlice->crops[0];
    Q_EMIT view.cursorVoxel(slice, first.box.row0 + first.box.rows / 2, first.box.col0 + first.box.cols / 2,
                            40, labels::Kidney, true);
    const QString readout = window.statusBar()->findChild<QLabel*>("cursorReadout")->text();
    const double value = first.valueAt(first.box.rows / 2, first.box.cols / 2);
    EXPECT_TRUE(readout.contains("kidney")) << readout.toStdString();
    EXPECT_TRUE(readout.contains(QString("heatmap %1").arg(value, 0, 'f', 2))) << readout.toStdString();
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        slider->setValue(50);
        layer.setOpacity(0.5);
        renderFrame(view);
        window.grab().save(QString(out) + "/heatmap-overlay.png");
    }
    unsetenv("XDG_DATA_HOME");
}

TEST(HeatmapOverlay, AFileThatIsNoModelGivesAMessage)
{
    TempDir dir;
    std::ofstream(dir / "bad.wsm") << "not a model";
    ui::CamController cams;
    QSignalSpy failed(&cams, &ui::CamController::modelFailed);
    cams.loadModel(QString::fromStdString((dir / "bad.wsm").string()));
    ASSERT_TRUE(failed.wait(20000));
    EXPECT_TRUE(failed.first().at(0).toString().contains("bad.wsm"))
        << failed.first().at(0).toString().toStdString();
    EXPECT_FALSE(cams.hasModel());
}

TEST(SliceNavigation, KeysBrowseSlicesAndNFindsTheNextLesionSlice)
{
    LabelVolume labels = makeLabels({12, 16, 16}, {5.0, 1.0, 1.0});
    labels.at(3, 8, 8) = labels::Tumour;
    labels.at(9, 2, 2) = labels::Cyst;
    EXPECT_EQ(review::nextLesionSlice(labels, 0, +1), 3);
    EXPECT_EQ(review::nextLesionSlice(labels, 3, +1), 9);
    EXPECT_EQ(review::nextLesionSlice(labels, 9, +1), std::nullopt);
    EXPECT_EQ(review::nextLesionSlice(labels, 9, -1), 3);

    CtVolume ct = makeCt({12, 16, 16}, {5.0, 1.0, 1.0}, 0);
    ui::SliceView view;
    view.resize(200, 200);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setVolumes(&ct, &labels);
    view.setSlice(5);
    QTest::keyClick(&view, Qt::Key_Up);
    EXPECT_EQ(view.slice(), 6);
    QTest::keyClick(&view, Qt::Key_Down);
    QTest::keyClick(&view, Qt::Key_Down);
    EXPECT_EQ(view.slice(), 4);
    QTest::keyClick(&view, Qt::Key_PageUp);
    EXPECT_EQ(view.slice(), 11) << "clamped at the last slice";
    QTest::keyClick(&view, Qt::Key_Home);
    EXPECT_EQ(view.slice(), 0);
    QTest::keyClick(&view, Qt::Key_End);
    EXPECT_EQ(view.slice(), 11);
    // Ctrl+wheel zooms instead of browsing.
    const double zoom = view.scene().zoomFactor();
    QWheelEvent wheel(QPointF(100, 100), view.mapToGlobal(QPointF(100, 100)), QPoint(), QPoint(0, 120),
                      Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    EXPECT_EQ(view.slice(), 11);
    EXPECT_NEAR(view.scene().zoomFactor(), zoom * 1.2, 1e-9);
    // A resize keeps the zoom and the point in the view centre.
    double focal[3];
    view.scene().renderer()->GetActiveCamera()->GetFocalPoint(focal);
    view.resize(260, 180);
    QTest::qWait(100);
    EXPECT_NEAR(view.scene().zoomFactor(), zoom * 1.2, 1e-9);
    double after[3];
    view.scene().renderer()->GetActiveCamera()->GetFocalPoint(after);
    EXPECT_NEAR(after[0], focal[0], 1e-9);
    EXPECT_NEAR(after[1], focal[1], 1e-9);
}

TEST(ComparisonView, OnePanePerMethodLinkedWithItsOwnThresholdAndIou)
{
    TempDir dir;
    writeCaseAndModel(dir, 9, 128);

    ui::MainWindow window;
    ASSERT_TRUE(openCases(window, dir.path()));
    QSignalSpy modelLoaded(window.camController(), &ui::CamController::modelLoaded);
    window.loadModel(QString::fromStdString((dir / "model.wsm").string()));
    ASSERT_TRUE(modelLoaded.wait(20000));

    // A threshold chosen in the main view for Grad-CAM is where its pane starts.
    window.camController()->setThreshold(compute::CamMethod::GradCam, 0.3);
    window.camController()->setCropSize(48);
    window.setComparisonMode(true);
    ASSERT_TRUE(window.comparisonMode());
    ui::ComparisonView& compare = *window.comparisonView();
    ASSERT_EQ(compare.paneCount(), 5);
    EXPECT_EQ(compare.paneThreshold(1)->value(), 30);
    EXPECT_DOUBLE_EQ(compare.paneController(1)->threshold(), 0.3);
    EXPECT_DOUBLE_EQ(compare.paneController(2)->threshold(), 0.5) << "no threshold set for Grad-CAM++";
    const int slice = window.sliceView()->slice();
    EXPECT_GT(slice, 0) << "the case opened on its lesion slice and the comparison kept it";
    // It opens zoomed onto the slice's (first) crop (a crop was a few dozen pixels of a whole
    // slice), every pane alike.
    EXPECT_TRUE(QTest::qWaitFor([&] { return compare.paneView(0)->scene().zoomFactor() > 1.5; }, 2000))
        << compare.paneView(0)->scene().zoomFactor();
    EXPECT_NEAR(compare.paneView(3)->scene().zoomFactor(), compare.paneView(0)->scene().zoomFactor(),
                0.05 * compare.paneView(0)->scene().zoomFactor());
    for (int p = 0; p < compare.paneCount(); ++p) {
        compare.paneController(p)->setCropSize(48);
        EXPECT_EQ(compare.paneView(p)->slice(), slice);
    }
    compare.setSlice(slice); // recompute at the crop size set above
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            for (int p = 0; p < compare.paneCount(); ++p)
                if (!compare.paneController(p)->heatmaps(slice))
                    return false;
            return true;
        },
        60000))
        << "every method's heatmaps computed";
    for (int p = 0; p < compare.paneCount(); ++p) {
        EXPECT_GT(compare.paneView(p)->heatmapLayer().patchCount(), 0u) << p;
        EXPECT_TRUE(compare.paneTitle(p)->text().contains("IoU"))
            << compare.paneTitle(p)->text().toStdString();
    }
    EXPECT_TRUE(compare.paneTitle(0)->text().startsWith("cam"));
    EXPECT_TRUE(compare.paneTitle(4)->text().startsWith("scorecam"));

    // Each pane its own threshold.
    compare.paneThreshold(1)->setValue(80);
    EXPECT_DOUBLE_EQ(compare.paneController(1)->threshold(), 0.8);
    EXPECT_DOUBLE_EQ(compare.paneController(2)->threshold(), 0.5);
    EXPECT_TRUE(compare.paneTitle(1)->text().contains("t 0.80"));

    // Each pane its own proposal: Grad-CAM++ grown from its map beside the raw maps; its IoU is the
    // grown proposal's, and the other panes stay raw (issue 16).
    compare.paneProposal(2)->setCurrentIndex(
        compare.paneProposal(2)->findData(static_cast<int>(proposals::ProposalKind::Grow)));
    EXPECT_EQ(compare.paneController(2)->settings().proposalKind, proposals::ProposalKind::Grow);
    EXPECT_EQ(compare.paneController(3)->settings().proposalKind, proposals::ProposalKind::Raw);
    const QString grownTitle = compare.paneTitle(2)->text();
    EXPECT_TRUE(grownTitle.contains("+ region growing")) << grownTitle.toStdString();
    const auto grownIou = review::proposalIouAgainstTruth(
        *compare.paneController(2)->heatmaps(slice), *window.currentCase()->labels, slice, 0.5,
        {proposals::ProposalKind::Grow, &*window.currentCase()->imaging, slice});
    ASSERT_TRUE(grownIou.has_value());
    EXPECT_TRUE(grownTitle.contains(QStringLiteral("IoU %1").arg(*grownIou, 0, 'f', 3)))
        << grownTitle.toStdString();
    // Settings from the main toolbar keep each pane's method, threshold and proposal.
    compare.setSettings(window.camController()->settings());
    EXPECT_EQ(compare.paneController(2)->settings().proposalKind, proposals::ProposalKind::Grow);

    // Slice, window and zoom are shared: a wheel step in one pane moves all of them.
    QTest::keyClick(compare.paneView(3), Qt::Key_Down);
    for (int p = 0; p < compare.paneCount(); ++p)
        EXPECT_EQ(compare.paneView(p)->slice(), slice - 1) << p;
    compare.paneView(2)->setWindowLevel({60, 35});
    EXPECT_EQ(compare.paneView(0)->scene().windowLevel().window, 60);
    const double opened = compare.paneView(0)->scene().zoomFactor();
    QWheelEvent wheel(QPointF(50, 50), compare.paneView(0)->mapToGlobal(QPointF(50, 50)), QPoint(),
                      QPoint(0, 240), Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(compare.paneView(0), &wheel);
    // Linked panes show the same region: the same camera (scale and centre).
    auto* zoomed = compare.paneView(0)->scene().renderer()->GetActiveCamera();
    auto* linked = compare.paneView(4)->scene().renderer()->GetActiveCamera();
    EXPECT_NEAR(linked->GetParallelScale(), zoomed->GetParallelScale(), 1e-9);
    EXPECT_NEAR(linked->GetFocalPoint()[0], zoomed->GetFocalPoint()[0], 1e-9);
    EXPECT_NEAR(compare.paneView(0)->scene().zoomFactor(), opened * 1.44, 1e-6); // two Ctrl+wheel notches
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        QTest::qWait(500);
        window.grab().save(QString(out) + "/comparison-view.png");
    }

    // The window's slider and N (next slice with lesion) drive the panes too.
    auto* sliceSlider = window.findChild<QToolBar*>("viewToolbar")->findChild<QSlider*>();
    ASSERT_NE(sliceSlider, nullptr);
    sliceSlider->setValue(2);
    for (int p = 0; p < compare.paneCount(); ++p)
        EXPECT_EQ(compare.paneView(p)->slice(), 2) << p;
    const auto lesion = review::nextLesionSlice(*window.currentCase()->labels, 2, +1);
    ASSERT_TRUE(lesion.has_value());
    QAction* next = nullptr;
    for (auto* action : window.findChildren<QAction*>())
        if (action->shortcut() == QKeySequence(Qt::Key_N))
            next = action;
    ASSERT_NE(next, nullptr) << "Navigate > Next slice with lesion (N)";
    next->trigger();
    for (int p = 0; p < compare.paneCount(); ++p)
        EXPECT_EQ(compare.paneView(p)->slice(), *lesion) << p;
    EXPECT_EQ(sliceSlider->value(), *lesion);

    // Leaving the comparison returns to the single view on the same slice.
    window.setComparisonMode(false);
    EXPECT_FALSE(window.comparisonMode());
    EXPECT_EQ(window.sliceView()->slice(), *lesion);
    unsetenv("XDG_DATA_HOME");
}

TEST(HeatmapSettings, NormalisationTargetLayerProbabilityScanAndMemoryBudget)
{
    TempDir dir;
    writeCaseAndModel(dir, 12, 96);
    auto loaded = std::make_shared<const LoadedCase>(loadCase(scanDataset(dir / "cases").front()));
    const auto model = compute::Classifier::load((dir / "model.wsm").string(), "cpu");
    const int slices = loaded->imaging->slices();
    const KidneyCentres centres(*loaded->labels);
    int slice = 0; // a slice with two kidney crops
    while (slice < slices && centres.boxes(slice, 40, 40).size() < 2)
        ++slice;
    ASSERT_LT(slice, slices);

    ui::CamController cams;
    cams.setCropSize(40);
    QSignalSpy modelLoaded(&cams, &ui::CamController::modelLoaded);
    cams.loadModel(QString::fromStdString((dir / "model.wsm").string()), "cpu");
    ASSERT_TRUE(modelLoaded.wait(20000));
    EXPECT_EQ(cams.targetLayers(), (QStringList{"layer1", "layer2", "layer3"}));
    cams.setCase(loaded);
    const auto waitForSlice = [&](int k) {
        cams.requestSlice(k);
        return QTest::qWaitFor([&] { return cams.heatmaps(k) != nullptr; }, 60000);
    };

    // Per crop: every patch spans [0, 1].
    ASSERT_TRUE(waitForSlice(slice));
    for (const auto& p : cams.heatmaps(slice)->crops) {
        EXPECT_FLOAT_EQ(*std::min_element(p.values.begin(), p.values.end()), 0.f);
        EXPECT_FLOAT_EQ(*std::max_element(p.values.begin(), p.values.end()), 1.f);
    }

    // Raw values are the engine's upsampled map of the crop, exactly.
    cams.setNormalisation(compute::MapNormalisation::None);
    ASSERT_TRUE(waitForSlice(slice));
    const auto box = centres.boxes(slice, 40, 40).front();
    std::vector<int16_t> pixels(40 * 40);
    cutCrop(*loaded->imaging, slice, box.box.row0, box.box.col0, 40, 40, pixels.data());
    compute::CamOptions options;
    const auto direct =
        compute::computeCams(model, {{40, 40, std::vector<float>(pixels.begin(), pixels.end())}}, options);
    const auto& raw = cams.heatmaps(slice)->crops.front().values;
    ASSERT_EQ(raw.size(), direct.front().upsampled.values.size());
    for (size_t i = 0; i < raw.size(); ++i)
        ASSERT_NEAR(raw[i], direct.front().upsampled.values[i], 1e-5f + 1e-4f * std::abs(raw[i]));

    // An earlier target layer: the engine's layer2 map (finer than layer3's).
    cams.setTargetLayer("layer2");
    ASSERT_TRUE(waitForSlice(slice));
    options.targetLayer = "layer2";
    const auto finer =
        compute::computeCams(model, {{40, 40, std::vector<float>(pixels.begin(), pixels.end())}}, options);
    EXPECT_EQ(finer.front().raw.rows, 20);
    const auto& layer2 = cams.heatmaps(slice)->crops.front().values;
    for (size_t i = 0; i < layer2.size(); ++i)
        ASSERT_NEAR(layer2[i], finer.front().upsampled.values[i], 1e-5f + 1e-4f * std::abs(layer2[i]));
    cams.setTargetLayer("layer3");

    // Score-CAM in reduced precision: the engine's bfloat16 map on this CPU, kept apart from float32.
    cams.setMethod(compute::CamMethod::ScoreCam);
    ASSERT_TRUE(waitForSlice(slice));
    const std::vector<float> scoreFloat = cams.heatmaps(slice)->crops.front().values;
    cams.setScoreReducedPrecision(true);
    EXPECT_NE(cams.methodKey().find("precision=reduced"), std::string::npos);
    ASSERT_TRUE(waitForSlice(slice));
    compute::CamOptions reducedOptions;
    reducedOptions.method = compute::CamMethod::ScoreCam;
    reducedOptions.scoreReducedPrecision = true;
    const auto reduced = compute::computeCams(
        model, {{40, 40, std::vector<float>(pixels.begin(), pixels.end())}}, reducedOptions);
    const auto& shownReduced = cams.heatmaps(slice)->crops.front().values;
    float largestChange = 0;
    for (size_t i = 0; i < shownReduced.size(); ++i) {
        ASSERT_NEAR(shownReduced[i], reduced.front().upsampled.values[i],
                    1e-5f + 1e-4f * std::abs(shownReduced[i]));
        largestChange = std::max(largestChange, std::abs(shownReduced[i] - scoreFloat[i]));
    }
    EXPECT_GT(largestChange, 0.f) << "a reduced-precision map, not the cached float32 one";
    cams.setScoreReducedPrecision(false);
    cams.setMethod(compute::CamMethod::GradCam);

    // Per volume: one min-max over every crop of the case (a whole-case job), checked against
    // the raw maps of all slices.
    float low = std::numeric_limits<float>::max(), high = std::numeric_limits<float>::lowest();
    for (int k = 0; k < slices; ++k) {
        if (centres.boxes(k, 40, 40).empty())
            continue;
        ASSERT_TRUE(waitForSlice(k)) << k;
        for (const auto& p : cams.heatmaps(k)->crops)
            if (!p.degenerate)
                for (float v : p.values) {
                    low = std::min(low, v);
                    high = std::max(high, v);
                }
    }
    const std::vector<float> rawSlice = cams.heatmaps(slice)->crops.back().values;
    cams.setNormalisation(compute::MapNormalisation::PerCase);
    EXPECT_EQ(cams.heatmaps(slice), nullptr) << "not before the volume's range is known";
    ASSERT_TRUE(waitForSlice(slice));
    EXPECT_TRUE(cams.colorBarTitle().contains("per volume"));
    const auto& perVolume = cams.heatmaps(slice)->crops.back().values;
    for (size_t i = 0; i < perVolume.size(); ++i)
        ASSERT_NEAR(perVolume[i], (rawSlice[i] - low) / (high - low), 1e-4f);

    // The lesion-probability scan runs when nothing else waits and equals the classifier's
    // probability of the slice's crops (the larger of the two).
    ASSERT_TRUE(QTest::qWaitFor([&] { return cams.scannedSlices() == slices; }, 60000));
    std::vector<compute::Image2D> crops;
    for (const auto& b : centres.boxes(slice, 40, 40)) {
        cutCrop(*loaded->imaging, slice, b.box.row0, b.box.col0, 40, 40, pixels.data());
        crops.push_back({40, 40, std::vector<float>(pixels.begin(), pixels.end())});
    }
    const auto probabilities = model.lesionProbability(crops);
    ASSERT_TRUE(cams.lesionProbability(slice).has_value());
    EXPECT_NEAR(*cams.lesionProbability(slice), *std::max_element(probabilities.begin(), probabilities.end()),
                1e-5);
    const float p = *cams.lesionProbability(slice);
    const auto next = cams.nextProbableLesionSlice(-1, +1, p - 1e-3);
    ASSERT_TRUE(next.has_value());
    EXPECT_LE(*next, slice);
    EXPECT_GT(*cams.lesionProbability(*next), p - 1e-3);

    // The memory cache keeps the most recently used slices within its budget.
    const size_t before = cams.memoryBytes();
    ASSERT_GT(before, 0u);
    cams.setMemoryBudget(before / 4);
    EXPECT_LE(cams.memoryBytes(), before / 4);
    EXPECT_NE(cams.heatmaps(slice), nullptr) << "the slice used last is kept";
    unsetenv("XDG_DATA_HOME");
}

TEST(HeatmapSettings, AModelsPhysicalScaleIsKeptByResamplingItsCrops)
{
    TempDir dir;
    writeCaseAndModel(dir, 12, 96);
    auto loaded = std::make_shared<const LoadedCase>(loadCase(scanDataset(dir / "cases").front()));
    const double spacing = loaded->imaging->spacing[1];
    ASSERT_DOUBLE_EQ(loaded->imaging->spacing[2], spacing);
    // A model trained on pixels 1.5 x this scan's: its 32-pixel crops hold 48 scan pixels.
    compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    description.pixelSpacingMm = 1.5 * spacing;
    compute::Classifier::create(description, 12).save((dir / "scaled.wsm").string());
    const auto model = compute::Classifier::load((dir / "scaled.wsm").string(), "cpu");

    ui::CamController cams;
    cams.setCropSize(32);
    QSignalSpy modelLoaded(&cams, &ui::CamController::modelLoaded);
    cams.loadModel(QString::fromStdString((dir / "scaled.wsm").string()), "cpu");
    ASSERT_TRUE(modelLoaded.wait(20000));
    cams.setCase(loaded);
    EXPECT_EQ(cams.cropExtent(), std::make_pair(48, 48));
    EXPECT_TRUE(cams.physicalScaleNote().contains(QStringLiteral("resampled")))
        << cams.physicalScaleNote().toStdString();
    const KidneyCentres centres(*loaded->labels);
    int slice = 0;
    while (slice < loaded->imaging->slices() && centres.boxes(slice, 48, 48).empty())
        ++slice;
    ASSERT_LT(slice, loaded->imaging->slices());
    cams.setNormalisation(compute::MapNormalisation::None);
    cams.requestSlice(slice);
    ASSERT_TRUE(QTest::qWaitFor([&] { return cams.heatmaps(slice) != nullptr; }, 60000));

    // Patches cover the 48-pixel boxes on the slice grid; their values are the engine's map of the
    // crop resampled to the model's spacing, upsampled back onto those 48 x 48 slice pixels.
    const auto boxes = centres.boxes(slice, 48, 48);
    const auto& patches = cams.heatmaps(slice)->crops;
    ASSERT_EQ(patches.size(), boxes.size());
    std::vector<int16_t> pixels(32 * 32);
    cutResampledCrop(*loaded->imaging, nullptr, slice, boxes[0].box.row0, boxes[0].box.col0, 1.5, 1.5, 32, 32,
                     pixels.data(), nullptr);
    const auto direct = compute::computeCams(
        model, {{32, 32, std::vector<float>(pixels.begin(), pixels.end())}}, compute::CamOptions{});
    const auto expected = compute::upsampleBilinear(direct.front().raw, 48, 48);
    EXPECT_EQ(patches[0].box.row0, boxes[0].box.row0);
    EXPECT_EQ(patches[0].box.rows, 48);
    EXPECT_EQ(patches[0].box.cols, 48);
    ASSERT_EQ(patches[0].values.size(), expected.values.size());
    for (size_t i = 0; i < expected.values.size(); ++i)
        ASSERT_NEAR(patches[0].values[i], expected.values[i], 1e-5f + 1e-4f * std::abs(expected.values[i]));
}

TEST(HeatmapSettings, ATwoPointFiveDModelReadsTheSlicesAboveAndBelowItsCrops)
{
    // Issue 16, slice context: a model of one plane each side, one slice thickness apart, is fed
    // the crop's box on the slice below, the slice and the slice above, in that order.
    TempDir dir;
    writeCaseAndModel(dir, 12, 96);
    auto loaded = std::make_shared<const LoadedCase>(loadCase(scanDataset(dir / "cases").front()));
    compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    description.context = {1, loaded->imaging->spacing[0]};
    compute::Classifier::create(description, 12).save((dir / "context.wsm").string());
    const auto model = compute::Classifier::load((dir / "context.wsm").string(), "cpu");

    ui::CamController cams;
    cams.setCropSize(40);
    QSignalSpy modelLoaded(&cams, &ui::CamController::modelLoaded);
    cams.loadModel(QString::fromStdString((dir / "context.wsm").string()), "cpu");
    ASSERT_TRUE(modelLoaded.wait(20000));
    cams.setCase(loaded);
    const KidneyCentres centres(*loaded->labels);
    int slice = 1;
    while (slice < loaded->imaging->slices() - 1 && centres.boxes(slice, 40, 40).empty())
        ++slice;
    ASSERT_LT(slice, loaded->imaging->slices() - 1);
    cams.setNormalisation(compute::MapNormalisation::None);
    cams.requestSlice(slice);
    ASSERT_TRUE(QTest::qWaitFor([&] { return cams.heatmaps(slice) != nullptr; }, 60000));

    const auto box = centres.boxes(slice, 40, 40).front().box;
    std::vector<float> planes;
    std::vector<int16_t> pixels(40 * 40);
    for (const int k : {slice - 1, slice, slice + 1}) {
        cutCrop(*loaded->imaging, k, box.row0, box.col0, 40, 40, pixels.data());
        planes.insert(planes.end(), pixels.begin(), pixels.end());
    }
    const auto direct = compute::computeCams(model, {{40, 40, planes, 3}}, compute::CamOptions{});
    const auto expected = compute::upsampleBilinear(direct.front().raw, 40, 40);
    const auto& patch = cams.heatmaps(slice)->crops.front();
    ASSERT_EQ(patch.values.size(), expected.values.size());
    for (size_t i = 0; i < expected.values.size(); ++i)
        ASSERT_NEAR(patch.values[i], expected.values[i], 1e-5f + 1e-4f * std::abs(expected.values[i]));
    // The slice alone (a 2D crop) gives another map: the neighbours are really read.
    const auto flatPlanes = std::vector<float>(planes.begin() + 1600, planes.begin() + 3200);
    std::vector<float> repeated;
    for (int k = 0; k < 3; ++k)
        repeated.insert(repeated.end(), flatPlanes.begin(), flatPlanes.end());
    const auto same = compute::computeCams(model, {{40, 40, repeated, 3}}, compute::CamOptions{});
    EXPECT_NE(same.front().raw.values, direct.front().raw.values);
}

TEST(ComparisonView, AUNetLoadedInTheMainViewGetsAPaneBesideTheCamMethods)
{
    TempDir dir;
    writeCaseAndModel(dir, 9, 128);
    const auto segmenter = saveTinySegmenter(dir / "unet.wss", 3);

    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 48));
    QSignalSpy loaded(window.camController(), &ui::CamController::segmenterLoaded);
    window.camController()->loadSegmenter(QString::fromStdString((dir / "unet.wss").string()), "cpu");
    ASSERT_TRUE(loaded.wait(20000));
    window.setComparisonMode(true);
    ui::ComparisonView& compare = *window.comparisonView();
    ASSERT_EQ(compare.paneCount(), 6) << "five CAM methods and the U-Net";
    ui::CamController& unet = *compare.paneController(5);
    EXPECT_TRUE(unet.showsSegmenterMaps());
    EXPECT_EQ(unet.segmenterHash(), segmenter.contentHash()) << "shared with the main view";
    const int slice = window.sliceView()->slice();
    unet.setCropSize(48);
    compare.setSlice(slice);
    ASSERT_TRUE(QTest::qWaitFor([&] { return unet.heatmaps(slice) != nullptr; }, 60000));
    EXPECT_TRUE(compare.paneTitle(5)->text().startsWith("U-Net"))
        << compare.paneTitle(5)->text().toStdString();
    const review::CropHeatmap& crop = unet.heatmaps(slice)->crops.front();
    std::vector<int16_t> pixels(48 * 48);
    cutCrop(*window.currentCase()->imaging, slice, crop.box.row0, crop.box.col0, 48, 48, pixels.data());
    const auto expected =
        segmenter.predict({{48, 48, std::vector<float>(pixels.begin(), pixels.end())}}).front();
    ASSERT_EQ(crop.values.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(crop.values[i], expected[i], 1e-5f);
    EXPECT_FALSE(compare.paneController(1)->showsSegmenterMaps()) << "the other panes stay CAM methods";
    window.setComparisonMode(false);
    unsetenv("XDG_DATA_HOME");
}
