// The linked views in the real window: axial, coronal and sagittal views and the 3D view in one
// layout or 2 x 2, one crosshair (a click in one view moves the others), window and level shared,
// the axial slices' heatmaps computed in the background and stacked into the coronal and sagittal
// views with the axial view's threshold and style.
#include "ui/LinkedViews.h"

#include "GuiTestSupport.h"
#include "core/review/ViewPlane.h"
#include "ui/SurfaceView.h"

#include <QDockWidget>
#include <QImage>
#include <QLabel>
#include <QSlider>
#include <QToolBar>
#include <gtest/gtest.h>
#include <set>
#include <vtkImageData.h>
#include <vtkPolyData.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;
using review::ViewPlane;

namespace {

/// Widget position of a pixel (row, col) of the plane a view shows.
QPointF planePoint(ui::SliceView& view, double row, double col)
{
    const review::PlaneGrid grid = view.scene().grid();
    vtkRenderer* renderer = view.scene().renderer();
    renderer->SetWorldPoint(col * grid.colSpacing, row * grid.rowSpacing, 0, 1);
    renderer->WorldToDisplay();
    double d[3];
    renderer->GetDisplayPoint(d);
    const double dpr = view.devicePixelRatioF();
    return {d[0] / dpr, (view.height() * dpr - 1 - d[1]) / dpr};
}

void click(ui::SliceView& view, QPointF at)
{
    mouse(&view, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::NoModifier);
    mouse(&view, QEvent::MouseButtonRelease, at, Qt::NoButton, Qt::NoModifier);
}

/// Distinct grey levels in a rendered view (a black or uniform frame has one or two).
int greyLevels(const QImage& frame)
{
    std::set<int> levels;
    for (int y = 0; y < frame.height(); y += 3)
        for (int x = 0; x < frame.width(); x += 3)
            levels.insert(qGray(frame.pixel(x, y)) / 8);
    return static_cast<int>(levels.size());
}

} // namespace

TEST(LinkedViews, FourViewsShareOneCrosshairAndStackTheSlicesHeatmaps)
{
    TempDir dir;
    writeCaseAndModel(dir, 8, 160);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 64));
    window.resize(1200, 1000);
    ui::LinkedViews& views = *window.linkedViews();
    EXPECT_EQ(views.viewLayout(), ui::LinkedViews::Layout::Axial);
    EXPECT_FALSE(views.coronal()->isVisible());

    // Ctrl+4: the four views, the dock's 3D view out of the way.
    window.set3dViewVisible(true);
    QAction* grid = actionWithShortcut(window, QKeySequence(Qt::CTRL | Qt::Key_4));
    ASSERT_NE(grid, nullptr);
    grid->trigger();
    EXPECT_EQ(views.viewLayout(), ui::LinkedViews::Layout::Grid);
    QTest::qWait(100);
    for (QWidget* w : std::initializer_list<QWidget*>{views.axial(), views.coronal(), views.sagittal(),
                                                      views.surfacePanel()})
        EXPECT_TRUE(w->isVisible());
    EXPECT_FALSE(window.findChild<QDockWidget*>("surfaceDock")->isVisible());

    // The crosshair starts in the middle of the axial slice; each view shows the plane through it.
    const LoadedCase& c = *window.currentCase();
    const int slice = views.axial()->slice();
    ASSERT_TRUE(views.crosshair().has_value());
    EXPECT_EQ(*views.crosshair(), (std::array<int, 3>{slice, c.imaging->rows() / 2, c.imaging->cols() / 2}));
    EXPECT_EQ(views.coronal()->slice(), c.imaging->rows() / 2);
    EXPECT_EQ(views.sagittal()->slice(), c.imaging->cols() / 2);
    EXPECT_TRUE(views.coronal()->scene().crosshairShown());
    EXPECT_TRUE(views.axial()->scene().crosshairShown());

    // A click in the coronal view: the axial view goes to that slice, the sagittal to that column.
    const int targetSlice = slice > 0 ? slice - 1 : slice + 1;
    const int planeRow = c.imaging->slices() - 1 - targetSlice, col = 50;
    QSignalSpy axialMoved(views.axial(), &ui::SliceView::sliceChanged);
    click(*views.coronal(), planePoint(*views.coronal(), planeRow, col));
    EXPECT_EQ(views.axial()->slice(), targetSlice);
    EXPECT_EQ(views.sagittal()->slice(), col);
    EXPECT_EQ(*views.crosshair(), (std::array<int, 3>{targetSlice, c.imaging->rows() / 2, col}));
    EXPECT_GE(axialMoved.count(), 1);
    // A click in the axial view moves the coronal and sagittal planes; the axial slice stays.
    click(*views.axial(), planePoint(*views.axial(), 70, 40));
    EXPECT_EQ(*views.crosshair(), (std::array<int, 3>{targetSlice, 70, 40}));
    EXPECT_EQ(views.coronal()->slice(), 70);
    EXPECT_EQ(views.sagittal()->slice(), 40);
    // The wheel in the sagittal view moves its plane and the crosshair with it.
    QWheelEvent wheel(QPointF(20, 20), views.sagittal()->mapToGlobal(QPointF(20, 20)), QPoint(),
                      QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(views.sagittal(), &wheel);
    EXPECT_EQ(views.sagittal()->slice(), 42);
    EXPECT_EQ((*views.crosshair())[2], 42);

    // Window and level are shared by the three planes.
    views.coronal()->setWindowLevel({400, 60});
    EXPECT_EQ(views.axial()->scene().windowLevel().window, 400);
    EXPECT_EQ(views.sagittal()->scene().windowLevel().level, 60);

    // Every slice's maps come in the background; the coronal view stacks those crossing its row.
    click(*views.axial(), planePoint(*views.axial(), c.imaging->rows() / 2, c.imaging->cols() / 2));
    const std::array<int, 3> cursor = *views.crosshair();
    ui::CamController& cams = *window.camController();
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto maps = cams.heatmapsOfEverySlice();
            return !maps.empty() &&
                   std::all_of(maps.begin(), maps.end(), [](auto* m) { return m != nullptr; });
        },
        60000))
        << "every slice's heatmaps computed for the stacked views";
    QTest::qWait(50);
    const auto maps = cams.heatmapsOfEverySlice();
    int crossing = 0;
    for (const auto* m : maps)
        crossing += std::any_of(m->crops.begin(), m->crops.end(), [&](const review::CropHeatmap& h) {
            return !h.degenerate && h.box.row0 <= cursor[1] && cursor[1] < h.box.row0 + h.box.rows;
        });
    ASSERT_GT(crossing, 1);
    EXPECT_EQ(views.stackedSlices(ViewPlane::Coronal), crossing);
    // The stacked image holds each slice's shown value at the crosshair's row.
    vtkImageData* stacked = views.coronal()->heatmapLayer().heatmapImage();
    int compared = 0;
    for (int k = 0; k < c.imaging->slices(); ++k)
        for (const auto& h : maps[static_cast<size_t>(k)]->crops) {
            if (h.degenerate || cursor[1] < h.box.row0 || cursor[1] >= h.box.row0 + h.box.rows)
                continue;
            const int column = h.box.col0 + h.box.cols / 2;
            const float value = h.valueAt(cursor[1] - h.box.row0, column - h.box.col0);
            int extent[6];
            stacked->GetExtent(extent);
            const int planeRowOfK = c.imaging->slices() - 1 - k;
            EXPECT_FLOAT_EQ(*static_cast<float*>(
                                stacked->GetScalarPointer(column - extent[0], planeRowOfK - extent[2], 0)),
                            value);
            ++compared;
        }
    EXPECT_GE(compared, crossing); // a slice may have both sides' crops on the row
    EXPECT_GT(views.coronal()->heatmapLayer().patchCount(), 0u);
    // With every map in memory, a click four rows down stacks the coronal view again on the new row.
    const int movedRow = cursor[1] + 4;
    click(*views.axial(), planePoint(*views.axial(), movedRow, cursor[2]));
    ASSERT_EQ(views.coronal()->slice(), movedRow);
    stacked = views.coronal()->heatmapLayer().heatmapImage();
    int movedCompared = 0;
    for (int k = 0; k < c.imaging->slices(); ++k)
        for (const auto& h : maps[static_cast<size_t>(k)]->crops) {
            if (h.degenerate || movedRow < h.box.row0 || movedRow >= h.box.row0 + h.box.rows)
                continue;
            const int column = h.box.col0 + h.box.cols / 2;
            int extent[6];
            stacked->GetExtent(extent);
            EXPECT_FLOAT_EQ(*static_cast<float*>(stacked->GetScalarPointer(
                                column - extent[0], c.imaging->slices() - 1 - k - extent[2], 0)),
                            h.valueAt(movedRow - h.box.row0, column - h.box.col0));
            ++movedCompared;
        }
    EXPECT_GT(movedCompared, 0);

    // The axial view's threshold and opacity reach the stacked views at the next frame.
    QSlider* threshold = window.findChild<QToolBar*>("heatmapToolbar")->findChild<QSlider*>();
    threshold->setValue(35);
    views.axial()->heatmapLayer().setOpacity(0.8);
    views.axial()->renderImmediately();
    EXPECT_DOUBLE_EQ(views.coronal()->heatmapLayer().threshold(), 0.35);
    EXPECT_DOUBLE_EQ(views.sagittal()->heatmapLayer().style().opacity, 0.8);
    EXPECT_GT(views.coronal()->heatmapLayer().proposalContour()->GetNumberOfPoints(), 0);

    // Real pictures in every plane.
    for (ui::SliceView* v : {views.axial(), views.coronal(), views.sagittal()}) {
        v->requestRender();
        QTest::qWait(60);
        EXPECT_GT(greyLevels(v->grabFramebuffer()), 6) << review::toString(v->plane());
    }
    auto* caption = views.findChild<QLabel*>("viewCaption1");
    ASSERT_NE(caption, nullptr);
    EXPECT_TRUE(caption->text().contains(QString::number(movedRow)));

    // One view of the coronal plane; back to the axial view, where the stack is no longer computed.
    window.setViewLayout(ui::LinkedViews::Layout::Coronal);
    EXPECT_FALSE(views.axial()->isVisible());
    EXPECT_TRUE(views.coronal()->isVisible());
    EXPECT_TRUE(cams.stackedSlicesWanted());
    // The axial view is hidden now: the toolbar's threshold still reaches the coronal view.
    threshold->setValue(60);
    EXPECT_DOUBLE_EQ(views.coronal()->heatmapLayer().threshold(), 0.6);
    window.setViewLayout(ui::LinkedViews::Layout::Axial);
    EXPECT_FALSE(cams.stackedSlicesWanted());
    EXPECT_FALSE(
        views.axial()->scene().crosshairShown()); // one axial view: no lines over the labeller's work
}

TEST(LinkedViews, TheLayoutIsRememberedAndCtrlWheelZoomsAboutTheCursor)
{
    TempDir dir;
    writeCases(dir, 3, 128);
    {
        ui::MainWindow window;
        ASSERT_TRUE(openCases(window, dir.path()));
        window.setViewLayout(ui::LinkedViews::Layout::Sagittal);
    }
    ui::MainWindow window;
    ASSERT_TRUE(openCases(window, dir.path()));
    ui::LinkedViews& views = *window.linkedViews();
    EXPECT_EQ(views.viewLayout(), ui::LinkedViews::Layout::Sagittal);
    EXPECT_TRUE(views.sagittal()->isVisible());
    // The sagittal plane is the scan's: rows of the volume across, slices down (superior on top).
    const review::PlaneGrid grid = views.sagittal()->scene().grid();
    EXPECT_EQ(grid.cols, window.currentCase()->imaging->rows());
    EXPECT_EQ(grid.rows, window.currentCase()->imaging->slices());

    // Ctrl+wheel over a point: the point stays under the cursor.
    ui::SliceView& view = *views.sagittal();
    const QPointF at = planePoint(view, grid.rows / 4.0, grid.cols / 4.0);
    QWheelEvent wheel(at, view.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::ControlModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    EXPECT_GT(view.scene().zoomFactor(), 1.3);
    const QPointF after = planePoint(view, grid.rows / 4.0, grid.cols / 4.0);
    EXPECT_NEAR(after.x(), at.x(), 1.0);
    EXPECT_NEAR(after.y(), at.y(), 1.0);
    window.setViewLayout(ui::LinkedViews::Layout::Axial); // the next test's windows start as usual
}

TEST(LinkedViews, RealKitsMasksShowInEveryPlaneAtTheirPhysicalScale)
{
    // KiTS23 case_00160: 252 x 512 x 796 at 1 x 0.451 x 0.451 mm, masks only (no CT is public).
    const auto root = realDataDirectory();
    const fs::path seg = root ? *root / "kits23" / "case_00160" / "segmentation.nii.gz" : fs::path();
    if (!root || !fs::exists(seg))
        GTEST_SKIP()
            << "real data not present (kits23/case_00160); set WEAKSIGHT_REAL_DATA or provide ../shared/data";
    ui::MainWindow window;
    ASSERT_TRUE(openPath(window, seg.parent_path()));
    window.setViewLayout(ui::LinkedViews::Layout::Grid);
    ui::LinkedViews& views = *window.linkedViews();
    const LoadedCase& c = *window.currentCase();
    ASSERT_TRUE(c.labels.has_value());
    const auto tumour = labelBounds(*c.labels, std::vector<uint8_t>{labels::Tumour});
    ASSERT_TRUE(tumour.has_value());
    // The crosshair on the tumour's middle voxel (as a click there would put it).
    const std::array<int, 3> centre{(tumour->first[0] + tumour->last[0]) / 2,
                                    (tumour->first[1] + tumour->last[1]) / 2,
                                    (tumour->first[2] + tumour->last[2]) / 2};
    views.setCrosshair(centre);
    EXPECT_EQ(views.axial()->slice(), centre[0]);
    const review::PlaneGrid coronal = views.coronal()->scene().grid();
    EXPECT_EQ(coronal.rows, 252);
    EXPECT_EQ(coronal.cols, 796);
    EXPECT_DOUBLE_EQ(coronal.rowSpacing, c.labels->spacing[0]);
    // The tumour's contour in the coronal and sagittal planes spans its extent there, in mm.
    for (ui::SliceView* side : {views.coronal(), views.sagittal()}) {
        const review::PlaneGrid g = side->scene().grid();
        // The tumour's extent on this plane, counted from the labels directly.
        int r0 = g.rows, r1 = -1, c0 = g.cols, c1 = -1;
        for (int pr = 0; pr < g.rows; ++pr)
            for (int pc = 0; pc < g.cols; ++pc) {
                const auto v = side->scene().voxelAt(pr, pc);
                if (c.labels->at(v[0], v[1], v[2]) == labels::Tumour) {
                    r0 = std::min(r0, pr), r1 = std::max(r1, pr), c0 = std::min(c0, pc),
                    c1 = std::max(c1, pc);
                }
            }
        ASSERT_GE(r1, r0) << review::toString(side->plane());
        double bounds[6];
        side->scene().labelContour(labels::Tumour)->GetBounds(bounds);
        EXPECT_NEAR(bounds[0], (c0 - 0.5) * g.colSpacing, g.colSpacing) << review::toString(side->plane());
        EXPECT_NEAR(bounds[1], (c1 + 0.5) * g.colSpacing, g.colSpacing);
        EXPECT_NEAR(bounds[2], (r0 - 0.5) * g.rowSpacing, g.rowSpacing);
        EXPECT_NEAR(bounds[3], (r1 + 0.5) * g.rowSpacing, g.rowSpacing);
    }
    // The superior end is at the top: the tumour's most superior slice is the coronal plane's
    // first row holding it.
    EXPECT_EQ(
        review::planePointOf(ViewPlane::Coronal, c.labels->shape, {tumour->last[0], centre[1], centre[2]})[1],
        252 - 1 - tumour->last[0]);
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        QTest::qWait(1500); // the 3D surfaces
        window.grab().save(QString(out) + "/four-views-kits23.png");
    }
    window.setViewLayout(ui::LinkedViews::Layout::Axial);
}
