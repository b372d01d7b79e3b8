// Renders real slices through VTK inside the Qt widget and checks the framebuffer.
#include "../core/TestSupport.h"
#include "core/phantom/Phantom.h"
#include "ui/MainWindow.h"
#include "ui/SliceView.h"

#include <QImage>
#include <QPointer>
#include <QProgressDialog>
#include <QStatusBar>
#include <filesystem>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>
#include "ui/CamController.h"
#include "ui/ComparisonView.h"
#include "core/research/DemoSetup.h"
#include <chrono>
#include <iostream>
#include <vtkRenderer.h>
#include <gtest/gtest.h>

using namespace weaksight;
using namespace weaksight::test;

namespace {

constexpr int kViewSize = 400;
constexpr int kVoxels = 64;

/// Widget pixel at the centre of canonical voxel (row, col) when a 64 x 64 mm slice
/// (1 mm pixels) fills a 400 x 400 view.
QPoint pixelOf(int row, int col)
{
    const double scale = double(kViewSize) / kVoxels;
    return {int((col + 0.5) * scale), int((row + 0.5) * scale)};
}

bool isContourRed(QRgb p) { return qRed(p) > 180 && qGreen(p) < 110 && qBlue(p) < 110; }

/// Renders and returns the widget's framebuffer.
QImage renderFrame(ui::SliceView& view)
{
    view.requestRender();
    QTest::qWait(50);
    return view.grabFramebuffer();
}

struct Fixture {
    CtVolume ct = makeCt({3, kVoxels, kVoxels}, {2.0, 1.0, 1.0}, -1000);
    LabelVolume labels = makeLabels({3, kVoxels, kVoxels}, {2.0, 1.0, 1.0});
    Fixture()
    {
        // Slice 1: a bright (bone-like) square in the top-left (anterior, patient's right)
        // and a tumour label square in the lower right.
        for (int r = 4; r < 20; ++r)
            for (int c = 4; c < 20; ++c)
                ct.at(1, r, c) = 1000;
        for (int r = 40; r < 56; ++r)
            for (int c = 40; c < 56; ++c) {
                ct.at(1, r, c) = 40;
                labels.at(1, r, c) = labels::Tumour;
            }
    }
};

} // namespace

TEST(SliceView, RendersSliceAndContoursWhereTheyBelong)
{
    Fixture f;
    ui::SliceView view;
    view.resize(kViewSize, kViewSize);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setVolumes(&f.ct, &f.labels);
    view.setWindowLevel({350, 40});
    view.setSlice(1);
    QImage frame = renderFrame(view);
    ASSERT_EQ(frame.width(), kViewSize);

    // Bright square: white at W350/L40; air: black.
    const QRgb bright = frame.pixel(pixelOf(11, 11));
    EXPECT_GT(qGray(bright), 240) << "bright square missing at the top left";
    EXPECT_LT(qGray(frame.pixel(pixelOf(30, 8))), 15) << "air should be black";
    // The tumour interior is soft tissue (40 HU = the level): mid grey, not contour-coloured.
    const QRgb tissue = frame.pixel(pixelOf(47, 47));
    EXPECT_NEAR(qGray(tissue), 128, 20);

    // Contour pixels in the tumour colour lie on the square's border and nowhere else.
    int onBorder = 0, elsewhere = 0;
    const QPoint topLeft = pixelOf(40, 40), bottomRight = pixelOf(55, 55);
    const QRect border = QRect(topLeft, bottomRight).adjusted(-8, -8, 8, 8);
    const QRect interior = QRect(topLeft, bottomRight).adjusted(8, 8, -8, -8);
    for (int y = 0; y < frame.height(); ++y)
        for (int x = 0; x < frame.width(); ++x)
            if (isContourRed(frame.pixel(x, y)))
                (border.contains(x, y) && !interior.contains(x, y) ? onBorder : elsewhere)++;
    EXPECT_GT(onBorder, 200) << "tumour contour not drawn";
    EXPECT_EQ(elsewhere, 0);

    // Hiding contours removes them.
    view.setLabelContoursVisible(false);
    frame = renderFrame(view);
    int red = 0;
    for (int y = border.top(); y <= border.bottom(); ++y)
        for (int x = border.left(); x <= border.right(); ++x)
            red += isContourRed(frame.pixel(x, y));
    EXPECT_EQ(red, 0);
    view.setLabelContoursVisible(true);

    // Another slice has neither the square nor the contour.
    view.setSlice(0);
    frame = renderFrame(view);
    EXPECT_LT(qGray(frame.pixel(pixelOf(11, 11))), 15);

    // A wide window shows air as dark grey instead of black.
    view.setWindowLevel({4000, 0});
    frame = renderFrame(view);
    EXPECT_NEAR(qGray(frame.pixel(pixelOf(30, 8))), 64, 12);
}

TEST(SliceView, WheelBrowsesSlicesAndRendersAreCoalesced)
{
    Fixture f;
    ui::SliceView view;
    view.resize(kViewSize, kViewSize);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setVolumes(&f.ct, &f.labels);
    view.setSlice(0);
    QTest::qWait(50);
    QSignalSpy spy(&view, &ui::SliceView::sliceChanged);
    const QPointF centre(kViewSize / 2.0, kViewSize / 2.0);
    QWheelEvent wheel(centre, view.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    EXPECT_EQ(view.slice(), 1);
    ASSERT_EQ(spy.count(), 1);
    EXPECT_EQ(spy.takeFirst().at(0).toInt(), 1);

    // Many requests within one frame give one render.
    const int before = view.renderCount();
    for (int i = 0; i < 20; ++i)
        view.requestRender();
    QTest::qWait(100);
    EXPECT_EQ(view.renderCount() - before, 1);
}

TEST(SliceView, CursorReportsVoxelAndHu)
{
    Fixture f;
    ui::SliceView view;
    view.resize(kViewSize, kViewSize);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setVolumes(&f.ct, &f.labels);
    view.setSlice(1);
    QTest::qWait(50);
    QSignalSpy spy(&view, &ui::SliceView::cursorVoxel);
    auto moveTo = [&view](QPoint p) {
        QMouseEvent move(QEvent::MouseMove, p, view.mapToGlobal(p), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(&view, &move);
    };
    moveTo(pixelOf(10, 12));
    ASSERT_GE(spy.count(), 1);
    const auto args = spy.last();
    EXPECT_EQ(args.at(1).toInt(), 10); // row
    EXPECT_EQ(args.at(2).toInt(), 12); // column
    EXPECT_EQ(args.at(3).toInt(), 1000);
    moveTo(pixelOf(47, 50));
    EXPECT_EQ(spy.last().at(4).toInt(), labels::Tumour);
}

TEST(MainWindow, OpensAGeneratedDatasetAndShowsTheLesionSlice)
{
    TempDir dir;
    PhantomOptions options;
    options.seed = 5;
    // Small slices keep the test fast; full-size ones when making the README screenshots.
    options.minInPlace = options.maxInPlace = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS") ? 512 : 160;
    options.sliceThicknesses = {5.0};
    options.lesionFreeFraction = 0.0;
    writePhantomDataset(options, dir.path(), 2);

    ui::MainWindow window;
    window.resize(900, 700);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openPath(QString::fromStdString(dir.path().string()));
    ASSERT_TRUE(loaded.wait(20000));
    EXPECT_EQ(window.caseCount(), 2);
    EXPECT_EQ(loaded.first().at(0).toString(), "case_00000");
    const auto* current = window.currentCase();
    ASSERT_NE(current, nullptr);
    ASSERT_TRUE(current->labels.has_value());
    // The window opens on the slice with the most lesion voxels.
    const int slice = window.sliceView()->slice();
    const uint8_t* s = current->labels->slice(slice);
    EXPECT_GT(std::count_if(s, s + current->labels->sliceSize(), [](uint8_t v) { return labels::isLesion(v); }),
              0);
    // The framebuffer shows anatomy, not a black or uniform frame.
    const QImage frame = window.sliceView()->grabFramebuffer();
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        frame.save(QString(out) + "/phantom-slice.png");
        window.grab().save(QString(out) + "/main-window.png");
    }
    int dark = 0, bright = 0;
    for (int y = 0; y < frame.height(); y += 4)
        for (int x = 0; x < frame.width(); x += 4)
            (qGray(frame.pixel(x, y)) < 30 ? dark : bright)++;
    EXPECT_GT(dark, 100);
    EXPECT_GT(bright, 100);

    // Selecting the second case loads it.
    loaded.clear();
    window.selectCase(1);
    ASSERT_TRUE(loaded.wait(20000));
    EXPECT_EQ(loaded.first().at(0).toString(), "case_00001");
}

TEST(MainWindow, BadPathGivesAnErrorNotACrash)
{
    ui::MainWindow window;
    QSignalSpy failed(&window, &ui::MainWindow::loadFailed);
    window.openPath("/nonexistent/case_00000/imaging.nii.gz");
    ASSERT_EQ(failed.count(), 1);
    EXPECT_TRUE(failed.first().at(0).toString().contains("not found"));
}

TEST(MainWindow, DemoTrainsItsModelOnceAndItsHeatmapsFindTheLesion)
{
    // The real first start: the full demo (12 synthetic cases, a tiny ResNet trained on their
    // 64-pixel kidney crops), then the heatmap checked in the rendered framebuffer.
    TempDir home;
    qputenv("XDG_DATA_HOME", QByteArray::fromStdString(home.path().string()));
    ui::MainWindow window;
    window.resize(1000, 900);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    QSignalSpy modelLoaded(window.camController(), &ui::CamController::modelLoaded);
    QSignalSpy ready(window.camController(), &ui::CamController::heatmapsReady);
    const auto started = std::chrono::steady_clock::now();
    window.openDemo(); // returns at once: the preparation runs in the background with a progress dialog
    EXPECT_EQ(loaded.count(), 0);
    ASSERT_TRUE(loaded.wait(480000)) << "demo not prepared and opened";
    ASSERT_TRUE(modelLoaded.count() > 0 || modelLoaded.wait(60000));
    std::cout << "[ demo ] prepared and opened in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
    EXPECT_EQ(window.caseCount(), 12);
    const DemoFiles files = demoFiles(ui::MainWindow::demoRootPath().toStdString());
    EXPECT_TRUE(std::filesystem::exists(files.dataset / "case_00011" / "imaging.nii.gz"));
    EXPECT_FALSE(std::filesystem::exists(files.dataset.string() + ".partial"));
    EXPECT_FALSE(std::filesystem::exists(files.model.string() + ".ckpt"));
    ui::CamController& cams = *window.camController();
    EXPECT_EQ(cams.cropSize(), 64) << "the crop size from the model's training record";
    ASSERT_TRUE(window.currentCase() && window.currentCase()->labels);
    ui::SliceView& view = *window.sliceView();
    const int slice = view.slice(); // the slice with the most lesion
    ASSERT_TRUE(QTest::qWaitFor([&] { return cams.heatmaps(slice) != nullptr; }, 60000));
    const review::SliceHeatmaps& maps = *cams.heatmaps(slice);

    // Render the heatmap alone (opaque, no contours or boxes) and read the framebuffer: viridis
    // grows brighter with the value, so the lesion's pixels must be brighter than the rest of the crops.
    view.setLabelContoursVisible(false);
    render::HeatmapLayer& layer = view.heatmapLayer();
    layer.setOpacity(1.0);
    layer.setProposalVisible(false);
    layer.setBoxesVisible(false);
    layer.setColorBarVisible(false);
    view.requestRender();
    QTest::qWait(100);
    const QImage frame = view.grabFramebuffer();
    const LabelVolume& labels = *window.currentCase()->labels;
    vtkRenderer* renderer = view.scene().renderer();
    double lesionSum = 0, otherSum = 0;
    int lesionCount = 0, otherCount = 0;
    for (const auto& p : maps.crops)
        for (int r = 0; r < p.box.rows; r += 2)
            for (int c = 0; c < p.box.cols; c += 2) {
                const int row = p.box.row0 + r, col = p.box.col0 + c;
                if (row < 0 || col < 0 || row >= labels.rows() || col >= labels.cols())
                    continue;
                renderer->SetWorldPoint(col * labels.spacing[2], row * labels.spacing[1], 0, 1);
                renderer->WorldToDisplay();
                double d[3];
                renderer->GetDisplayPoint(d);
                const int x = static_cast<int>(d[0]), y = view.height() - 1 - static_cast<int>(d[1]);
                if (x < 0 || y < 0 || x >= frame.width() || y >= frame.height())
                    continue;
                const double luminance = qGray(frame.pixel(x, y));
                if (labels::isLesion(labels.slice(slice)[static_cast<size_t>(row) * labels.cols() + col])) {
                    lesionSum += luminance;
                    ++lesionCount;
                } else {
                    otherSum += luminance;
                    ++otherCount;
                }
            }
    ASSERT_GT(lesionCount, 20) << "the lesion lies inside the crops";
    ASSERT_GT(otherCount, 20);
    const double lesionMean = lesionSum / lesionCount, otherMean = otherSum / otherCount;
    std::cout << "[ demo ] heatmap luminance on the lesion " << lesionMean << ", elsewhere in the crops " << otherMean
              << "\n";
    EXPECT_GT(lesionMean, otherMean * 1.25) << "the trained model's heatmap is hottest on the lesion";
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        view.setLabelContoursVisible(true);
        layer.setOpacity(0.5);
        layer.setProposalVisible(true);
        layer.setBoxesVisible(true);
        layer.setColorBarVisible(true);
        view.requestRender();
        QTest::qWait(300);
        window.grab().save(QString(out) + "/main-window-demo.png");
        // The five methods side by side on the same slice, for the README.
        window.setComparisonMode(true);
        ui::ComparisonView& compare = *window.comparisonView();
        EXPECT_TRUE(QTest::qWaitFor(
            [&] {
                for (int p = 0; p < compare.paneCount(); ++p)
                    if (!compare.paneController(p)->heatmaps(compare.slice()))
                        return false;
                return true;
            },
            120000))
            << "the comparison panes' heatmaps did not arrive";
        QTest::qWait(500);
        window.grab().save(QString(out) + "/comparison-view-demo.png");
        window.setComparisonMode(false);
        // The four views with the crosshair on the lesion and every slice's maps stacked.
        window.setViewLayout(ui::LinkedViews::Layout::Grid);
        if (const auto lesion = labelBounds(labels, slice, {labels::Tumour, labels::Cyst}))
            window.linkedViews()->setCrosshair(
                {slice, (lesion->first[1] + lesion->last[1]) / 2, (lesion->first[2] + lesion->last[2]) / 2});
        EXPECT_TRUE(QTest::qWaitFor(
            [&] {
                const auto all = cams.heatmapsOfEverySlice();
                return std::all_of(all.begin(), all.end(), [](auto* m) { return m != nullptr; });
            },
            120000));
        QTest::qWait(1500); // the 3D surfaces
        window.grab().save(QString(out) + "/four-views.png");
        window.setViewLayout(ui::LinkedViews::Layout::Axial);
    }

    // Later starts reuse cases and model: opened at once, nothing retrained.
    const auto modelTime = std::filesystem::last_write_time(files.model);
    loaded.clear();
    modelLoaded.clear();
    window.openDemo();
    ASSERT_TRUE(loaded.wait(20000));
    ASSERT_TRUE(modelLoaded.count() > 0 || modelLoaded.wait(20000));
    EXPECT_EQ(std::filesystem::last_write_time(files.model), modelTime);
    qunsetenv("XDG_DATA_HOME");
}

TEST(MainWindow, ClosingTheDemosProgressDialogCancelsWithoutACrash)
{
    // Found by the tests' modal-dialog guard: the dialog deletes itself when closed, and the
    // preparation's end used it afterwards (a crash when a labeller closed it).
    TempDir home;
    qputenv("XDG_DATA_HOME", QByteArray::fromStdString(home.path().string()));
    ui::MainWindow window;
    DemoOptions small;
    small.cases = 2;
    small.epochs = 1;
    small.phantomMinInPlane = small.phantomMaxInPlane = 128;
    window.setDemoOptions(small);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    window.openDemo();
    QProgressDialog* dialog = nullptr;
    ASSERT_TRUE(QTest::qWaitFor([&] { return (dialog = window.findChild<QProgressDialog*>()) != nullptr; }, 10000));
    QPointer<QProgressDialog> alive(dialog);
    dialog->close(); // what the window's close button does
    ASSERT_TRUE(QTest::qWaitFor([&] { return alive.isNull(); }, 5000)) << "the dialog deletes itself";
    // The preparation stops at its next check and reports; nothing touches the deleted dialog.
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.statusBar()->currentMessage().contains("cancelled"); }, 120000))
        << window.statusBar()->currentMessage().toStdString();
    EXPECT_EQ(window.caseCount(), 0);
}
