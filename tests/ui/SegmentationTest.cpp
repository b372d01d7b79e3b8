// Issue 15 in the workstation: a CT paired with a segmentation from anywhere (File > Load
// segmentation…, a dropped file), read through its label table and remembered; tumour and cyst kept
// apart from the labeller's key to the store and every export; the crop under review outlined and
// followed; a crop placed with Ctrl+click where the kidney is, kept in the store.

#include "GuiTestSupport.h"
#include "core/cases/LabelTable.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"
#include "core/review/ReviewOrder.h"
#include "render/HeatmapLayer.h"
#include "storage/AnnotationStore.h"
#include "storage/Exporter.h"
#include "ui/CamController.h"
#include "ui/CaseBrowser.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"
#include "ui/Workspace.h"

#include <QAction>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTest>
#include <QToolBar>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <vtkCamera.h>
#include <vtkCell.h>
#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

/// A phantom case's CT alone in a folder, and its labels renumbered as another tool's file would be
/// (kidney 5, tumour 7, cyst 9) elsewhere, with a JSON table beside them.
struct ForeignFiles {
    fs::path ct, segmentation, table;
};
ForeignFiles writeForeignFiles(const TempDir& dir)
{
    writeCases(dir, 31, 96);
    ForeignFiles files{dir / "ct" / "scan.nii.gz", dir / "seg" / "scan_seg.nii.gz",
                       dir / "seg" / "scan_seg.labels.json"};
    fs::create_directories(files.ct.parent_path());
    fs::create_directories(files.segmentation.parent_path());
    fs::copy_file(dir / "cases" / "case_00000" / "imaging.nii.gz", files.ct);
    LabelVolume labels = readLabelVolume(dir / "cases" / "case_00000" / "segmentation.nii.gz");
    for (auto& v : labels.voxels)
        v = v == labels::Kidney ? 5 : v == labels::Tumour ? 7 : v == labels::Cyst ? 9 : v;
    writeVolume(labels, files.segmentation);
    std::ofstream(files.table)
        << R"({"labels": [{"value": 5, "name": "Kidney"}, {"value": 7, "name": "Renal tumor"},
                                                 {"value": 9, "name": "Cyst"}]})";
    return files;
}

} // namespace

TEST(Segmentation, LoadedOntoACtReadThroughItsTableKeptWhereItFailsAndRemembered)
{
    TempDir dir;
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    const ForeignFiles files = writeForeignFiles(dir);
    const LabelVolume truth = readLabelVolume(dir / "cases" / "case_00000" / "segmentation.nii.gz");
    {
        ui::MainWindow window;
        ASSERT_TRUE(openPath(window, files.ct));
        EXPECT_FALSE(window.currentCase()->labels.has_value()) << "a CT alone";
        window.sliceView()->setSlice(7);
        QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
        window.workspace()->attachSegmentation(QString::fromStdString(files.segmentation.string()));
        ASSERT_TRUE(loaded.wait(20000));
        const LoadedCase& paired = *window.currentCase();
        ASSERT_TRUE(paired.labels.has_value());
        EXPECT_EQ(paired.files.labelTable.source(), files.table.string()) << "the table beside it";
        EXPECT_EQ(paired.labels->voxels, truth.voxels) << "5, 7, 9 read as kidney, tumour, cyst";
        EXPECT_EQ(window.sliceView()->slice(), 7) << "the labeller stays on the slice";
        EXPECT_FALSE(window.caseBrowser()->itemText(0).contains("imaging only"))
            << window.caseBrowser()->itemText(0).toStdString();
        EXPECT_TRUE(window.statusBar()->currentMessage().contains("labels read with scan_seg.labels.json"))
            << window.statusBar()->currentMessage().toStdString();
        if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
            window.sliceView()->setSlice(review::startSlice(truth.slices(), &truth));
            QTest::qWait(300);
            window.grab().save(QString(out) + "/segmentation-loaded.png");
        }

        // A segmentation on another grid is refused by name; the case keeps the labels it had.
        LabelVolume small(StorageGeometry::canonical({4, 16, 16}, {5, 1, 1}));
        writeVolume(small, dir / "small.nii.gz");
        QSignalSpy failed(window.workspace(), &ui::Workspace::failed);
        window.workspace()->attachSegmentation(QString::fromStdString((dir / "small.nii.gz").string()));
        ASSERT_TRUE(failed.wait(20000));
        EXPECT_TRUE(failed.first().at(1).toString().contains("label grid does not match the image grid"))
            << failed.first().at(1).toString().toStdString();
        EXPECT_EQ(window.currentCase()->labels->voxels, truth.voxels);

        // Another table (dropped on the window): 9 is no cyst now, 5 no kidney.
        std::ofstream(dir / "other.json") << R"({"labels": [{"value": 7, "name": "tumour"}]})";
        window.workspace()->openDropped(QString::fromStdString((dir / "other.json").string()));
        ASSERT_TRUE(loaded.wait(20000));
        const LabelVolume& reread = *window.currentCase()->labels;
        EXPECT_EQ(std::count(reread.voxels.begin(), reread.voxels.end(), labels::Kidney), 0);
        EXPECT_EQ(std::count(reread.voxels.begin(), reread.voxels.end(), labels::Tumour),
                  std::count(truth.voxels.begin(), truth.voxels.end(), labels::Tumour));
        // Back to the table beside it.
        window.workspace()->applyLabelTable(QString::fromStdString(files.table.string()));
        ASSERT_TRUE(loaded.wait(20000));
    }
    // Opening the CT again brings its segmentation back.
    ui::MainWindow again;
    ASSERT_TRUE(openPath(again, files.ct));
    ASSERT_TRUE(again.currentCase()->labels.has_value()) << "the pairing is remembered";
    EXPECT_EQ(again.currentCase()->labels->voxels, truth.voxels);

    // Without a table the labels are shown but mean nothing, and the labeller is told.
    fs::remove(files.table);
    QSignalSpy loaded(&again, &ui::MainWindow::caseLoaded);
    again.workspace()->attachSegmentation(QString::fromStdString(files.segmentation.string()));
    ASSERT_TRUE(loaded.wait(20000));
    EXPECT_TRUE(again.currentCase()->files.labelTable.isNone());
    EXPECT_TRUE(again.statusBar()->currentMessage().contains("meanings are unknown"))
        << again.statusBar()->currentMessage().toStdString();

    // A CT given with a segmentation it cannot take (`gui --image --labels` on another grid): said,
    // the CT opens alone, and nothing wrong is remembered for it.
    QSignalSpy failed(again.workspace(), &ui::Workspace::failed);
    again.openImageWithLabels(QString::fromStdString(files.ct.string()),
                              QString::fromStdString((dir / "small.nii.gz").string()));
    ASSERT_TRUE(failed.wait(20000));
    EXPECT_TRUE(failed.first().at(1).toString().contains("opens without it"))
        << failed.first().at(1).toString().toStdString();
    ASSERT_TRUE(QTest::qWaitFor([&] { return again.currentCase() && !again.currentCase()->labels; }, 20000));
    EXPECT_FALSE(again.workspace()->cases().front().segmentation.has_value());
    unsetenv("XDG_DATA_HOME");
}

TEST(Segmentation, TotalSegmentatorsKidneysPlaceTheReviewsCropsOnARealCt)
{
    const auto root = realDataDirectory();
    if (!root || !fs::exists(*root / "totalsegmentator" / "example_seg_fast_force_split.nii.gz"))
        GTEST_SKIP()
            << "real data not present (totalsegmentator); set WEAKSIGHT_REAL_DATA or provide ../shared/data";
    TempDir dir;
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    std::ofstream(dir / "totalseg.json") << R"({"labels": [{"value": 2, "name": "kidney_right"},
                                                         {"value": 3, "name": "kidney_left"}]})";
    ui::MainWindow window;
    window.resize(1000, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openImageWithLabels(
        QString::fromStdString((*root / "totalsegmentator" / "example_ct.nii.gz").string()),
        QString::fromStdString((*root / "totalsegmentator" / "example_seg_fast_force_split.nii.gz").string()),
        QString::fromStdString((dir / "totalseg.json").string()));
    ASSERT_TRUE(loaded.wait(30000));
    const LoadedCase& c = *window.currentCase();
    ASSERT_TRUE(c.labels.has_value());
    EXPECT_EQ(c.lesionSlices->size(), 0u)
        << "two kidneys, no lesion (KiTS's meanings would call them lesions)";
    // The crops the review decides on sit on the two kidneys, not on the slice's halves.
    const KidneyCentres centres(*c.labels);
    ASSERT_TRUE(centres.hasKidney());
    int slice = -1;
    for (int k = 0; k < c.labels->slices() && slice < 0; ++k)
        if (centres.boxes(k, 40, 40).size() == 2)
            slice = k;
    ASSERT_GE(slice, 0);
    for (const auto& crop : centres.boxes(slice, 40, 40)) {
        long long kidney = 0;
        for (int r = std::max(0, crop.box.row0);
             r < std::min(c.labels->rows(), crop.box.row0 + crop.box.rows); ++r)
            for (int col = std::max(0, crop.box.col0);
                 col < std::min(c.labels->cols(), crop.box.col0 + crop.box.cols); ++col)
                kidney += c.labels->at(slice, r, col) == labels::Kidney;
        EXPECT_GT(kidney, 20) << crop.side;
    }
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        window.sliceView()->setSlice(slice);
        QTest::qWait(300);
        window.grab().save(QString(out) + "/totalsegmentator-paired.png");
    }
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, TumourAndCystAreKeptApartFromTheKeyToTheExportAndTheCropIsFollowed)
{
    TempDir dir;
    writeCaseAndModel(dir, 23, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    window.workspace()->setAnnotator("ana");
    ui::ReviewController& review = *window.reviewController();
    ui::SliceView& view = *window.sliceView();
    const int slice = view.slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    ASSERT_GE(review.cropCount(), 2) << "a slice through both kidneys";

    // The crop under review is outlined in cyan, the other in yellow.
    view.requestRender();
    QTest::qWait(100);
    auto* colours = view.heatmapLayer().boxes()->GetCellData()->GetScalars();
    ASSERT_EQ(colours->GetNumberOfTuples(), review.cropCount());
    const auto colourOf = [&](int crop) {
        return static_cast<int>(colours->GetComponent(crop, 2));
    };
    EXPECT_EQ(colourOf(0), render::HeatmapLayer::kHighlightedBoxColour[2]);
    EXPECT_EQ(colourOf(1), render::HeatmapLayer::kBoxColour[2]);

    // L makes the masks cysts; the decision says so.
    actionWithShortcut(window, QKeySequence(Qt::Key_L))->trigger();
    EXPECT_EQ(review.activeLabel(), labels::Cyst);
    view.scene().zoom(3); // zoomed in: the next crop comes to the middle
    const auto cystBox = *review.cropBox();
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    // Advanced to the other kidney's crop: outlined now, and centred (the zoom kept).
    ASSERT_TRUE(QTest::qWaitFor([&] { return review.crop() == 1; }, 5000));
    const CropBox next = *review.cropBox();
    double focal[3];
    view.scene().renderer()->GetActiveCamera()->GetFocalPoint(focal);
    const LabelVolume& grid = *window.currentCase()->labels;
    EXPECT_NEAR(focal[0], (next.col0 + (next.cols - 1) / 2.0) * grid.spacing[2], 1e-6);
    EXPECT_NEAR(focal[1], (next.row0 + (next.rows - 1) / 2.0) * grid.spacing[1], 1e-6);
    EXPECT_NEAR(view.scene().zoomFactor(), 3.0, 1e-6);
    colours = view.heatmapLayer().boxes()->GetCellData()->GetScalars();
    EXPECT_EQ(colourOf(1), render::HeatmapLayer::kHighlightedBoxColour[2]);
    // A tumour on the other crop.
    actionWithShortcut(window, QKeySequence(Qt::Key_L))->trigger();
    EXPECT_EQ(review.activeLabel(), labels::Tumour);
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    storage::AnnotationStore* store = storeOf(window);
    ASSERT_NE(store, nullptr);
    const auto decisions = store->standingDecisions({storage::DecisionKind::Accept});
    ASSERT_EQ(decisions.size(), 2u);
    EXPECT_EQ(decisions[0].label, labels::Cyst);
    EXPECT_EQ(decisions[1].label, labels::Tumour);

    // Every export keeps them apart: NIfTI values, Slicer segments, COCO categories.
    storage::ExportOptions options;
    options.outDir = dir / "export";
    options.formats = {"nifti", "seg-nrrd", "coco"};
    storage::exportMasks(*store, options);
    const LabelVolume exported = readLabelVolume(dir / "export" / "nifti" / "case_00000.nii.gz");
    // Each decision's pixels carry its label (where the later tumour mask does not cover them).
    const auto covers = [&](const storage::StoredDecision& d, int row, int col) {
        const int r = row - d.crop.row0, c = col - d.crop.col0;
        return d.finalMask && r >= 0 && c >= 0 && r < d.crop.rows && c < d.crop.cols && d.finalMask->at(r, c);
    };
    long long cystPixels = 0;
    for (int row = 0; row < exported.rows(); ++row)
        for (int col = 0; col < exported.cols(); ++col) {
            if (covers(decisions[1], row, col))
                ASSERT_EQ(exported.at(slice, row, col), labels::Tumour);
            else if (covers(decisions[0], row, col)) {
                ASSERT_EQ(exported.at(slice, row, col), labels::Cyst);
                ++cystPixels;
            }
        }
    EXPECT_EQ(decisions[0].crop, cystBox);
    const LabelTable segments = LabelTable::read(dir / "export" / "seg-nrrd" / "case_00000.seg.nrrd");
    for (const auto& entry : segments.entries())
        EXPECT_TRUE(entry.name == "tumour" || entry.name == "cyst") << entry.name;
    const auto coco = nlohmann::json::parse(std::ifstream(dir / "export" / "coco.json"));
    std::set<int> categories;
    for (const auto& a : coco["annotations"])
        categories.insert(a["category_id"].get<int>());
    for (const auto& d : decisions) {
        if (d.finalMask && d.finalMask->count() > 0) {
            EXPECT_TRUE(categories.count(*d.label)) << "category of label " << int(*d.label);
        }
    }
    // The slice's number in the window is the one in the file names.
    const QString sliceLabel = window.findChild<QLabel*>("sliceLabel")->text();
    EXPECT_TRUE(sliceLabel.startsWith(QString("slice %1 of 0–").arg(view.slice())))
        << sliceLabel.toStdString();
    EXPECT_TRUE(fs::exists(dir / "export" / "images" / "case_00000" /
                           QString("slice_%1.png").arg(slice, 4, 10, QChar('0')).toStdString()));
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, ACropPlacedWithCtrlClickIsWhereTheHeatmapsAndTheReviewAreAndIsKept)
{
    // A CT without labels: its crops are the slice's halves until the labeller places one.
    TempDir dir;
    writeCaseAndModel(dir, 29, 128);
    fs::create_directories(dir / "ct");
    fs::copy_file(dir / "cases" / "case_00000" / "imaging.nii.gz", dir / "ct" / "scan.nii.gz");
    const fs::path ct = dir / "ct" / "scan.nii.gz";
    const CtVolume volume = readCtVolume(ct);
    const int rows = 40;
    CropBox placedBox;
    {
        ui::MainWindow window;
        ASSERT_TRUE(openPathWithModel(window, ct, dir / "model.wsm", rows));
        window.workspace()->setAnnotator("ana");
        ui::SliceView& view = *window.sliceView();
        const int slice = view.slice();
        ASSERT_TRUE(waitForHeatmaps(window, slice));
        ui::CamController& cams = *window.camController();
        ASSERT_EQ(cams.heatmaps(slice)->crops.size(), 2u);
        const CropBox half = cams.heatmaps(slice)->crops[1].box;
        // Ctrl+click in the image's right half (the patient's left), off the half's centre.
        const double row = volume.rows() / 2.0 + 20, col = volume.cols() * 0.62;
        const QPointF at = widgetPoint(view, LabelVolume(volume.geometry), row, col);
        mouse(&view, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::ControlModifier);
        mouse(&view, QEvent::MouseButtonRelease, at, Qt::NoButton, Qt::ControlModifier);
        ASSERT_EQ(cams.placedCrops().placements.size(), 1u);
        EXPECT_EQ(cams.placedCrops().placements[0].side, "left");
        ASSERT_TRUE(QTest::qWaitFor(
            [&] {
                const auto* maps = cams.heatmaps(slice);
                return maps && maps->crops.size() == 2 && maps->crops[1].box != half;
            },
            30000));
        placedBox = cams.heatmaps(slice)->crops[1].box;
        EXPECT_NEAR(placedBox.row0 + rows / 2.0, row, 1.0) << "centred where clicked";
        EXPECT_NEAR(placedBox.col0 + rows / 2.0, col, 1.0);
        // On another slice too, and the review decides on that box.
        view.setSlice(slice - 1);
        ASSERT_TRUE(waitForHeatmaps(window, slice - 1));
        EXPECT_EQ(cams.heatmaps(slice - 1)->crops[1].box, placedBox);
        window.reviewController()->setTarget(slice - 1, 1);
        EXPECT_EQ(window.reviewController()->cropBox(), placedBox);
        if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
            view.requestRender();
            QTest::qWait(300);
            window.grab().save(QString(out) + "/crop-placed.png");
        }
        storage::AnnotationStore* store = storeOf(window);
        ASSERT_NE(store, nullptr) << "the placement registered the case and made the store";
        const auto placements = store->cropPlacements(*store->findCase("scan.nii.gz"));
        ASSERT_EQ(placements.size(), 1u);
        EXPECT_NEAR(placements[0].rowMm, row * volume.spacing[1], 1e-6);
    }
    // Opened again, the case has its placed crop back.
    ui::MainWindow again;
    ASSERT_TRUE(openPathWithModel(again, ct, dir / "model.wsm", rows));
    ASSERT_TRUE(
        QTest::qWaitFor([&] { return again.camController()->placedCrops().placements.size() == 1; }, 10000));
    const int slice = again.sliceView()->slice();
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto* maps = again.camController()->heatmaps(slice);
            return maps && maps->crops.size() == 2 && maps->crops[1].box == placedBox;
        },
        30000));
    // Review › Automatic crops again forgets it.
    again.findChild<QAction*>("automaticCrops")->trigger();
    EXPECT_TRUE(again.camController()->placedCrops().placements.empty());
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, CtrlShiftDragResizesTheCropUnderReviewToAFieldOfViewTheModelReads)
{
    TempDir dir;
    writeCaseAndModel(dir, 31, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::SliceView& view = *window.sliceView();
    ui::CamController& cams = *window.camController();
    const LabelVolume& labels = *window.currentCase()->labels;
    const int slice = view.slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    ui::ReviewController& review = *window.reviewController();
    review.setTarget(slice, 0);
    const CropBox box = *review.cropBox();
    ASSERT_EQ(box.rows, 40);
    const double centreRow = box.row0 + (box.rows - 1) / 2.0, centreCol = box.col0 + (box.cols - 1) / 2.0;
    // Ctrl+Shift+drag from the centre to 30 rows and 20 columns away: 61 x 41 pixels wanted, the
    // model's crop size snaps to 64 (a multiple of 8), shown as the outline while dragging.
    const auto modifiers = Qt::ControlModifier | Qt::ShiftModifier;
    mouse(&view, QEvent::MouseButtonPress, widgetPoint(view, labels, centreRow, centreCol), Qt::LeftButton,
          modifiers);
    mouse(&view, QEvent::MouseMove, widgetPoint(view, labels, centreRow + 30, centreCol + 20), Qt::LeftButton,
          modifiers);
    vtkPolyData* outlines = view.heatmapLayer().boxes();
    double bounds[6];
    bool preview = false;
    auto* colours = outlines->GetCellData()->GetScalars();
    for (vtkIdType cell = 0; cell < outlines->GetNumberOfCells(); ++cell) {
        double rgb[3];
        colours->GetTuple(cell, rgb);
        if (rgb[2] == render::HeatmapLayer::kHighlightedBoxColour[2] &&
            rgb[1] == render::HeatmapLayer::kHighlightedBoxColour[1]) {
            outlines->GetCell(cell)->GetBounds(bounds);
            preview = true;
        }
    }
    ASSERT_TRUE(preview) << "the snapped box outlined while dragging";
    EXPECT_NEAR((bounds[3] - bounds[2]) / labels.spacing[1], 64, 0.01);
    EXPECT_EQ(cams.cropSize(), 40) << "nothing changes before the release";
    mouse(&view, QEvent::MouseButtonRelease, widgetPoint(view, labels, centreRow + 30, centreCol + 20),
          Qt::NoButton, modifiers);
    EXPECT_EQ(cams.cropSize(), 64);
    EXPECT_EQ(window.findChild<QToolBar*>("heatmapToolbar")->findChild<QSpinBox*>()->value(), 64)
        << "the toolbar's crop size says so";
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            const auto* maps = cams.heatmaps(slice);
            return maps && !maps->crops.empty() && maps->crops[0].box.rows == 64;
        },
        30000));
    const CropBox resized = cams.heatmaps(slice)->crops[0].box;
    EXPECT_NEAR(resized.row0 + (resized.rows - 1) / 2.0, centreRow, 1.0) << "about the same centre";
    EXPECT_NEAR(resized.col0 + (resized.cols - 1) / 2.0, centreCol, 1.0);
    unsetenv("XDG_DATA_HOME");
}

TEST(Segmentation, AnExportedSegNrrdOpensBackOnItsCtWithTheLabellersLabels)
{
    // The curator's round trip: decisions exported for 3D Slicer, then that file loaded onto the CT
    // as a segmentation (File › Load segmentation…), read through the segment names it carries.
    TempDir dir;
    writeCaseAndModel(dir, 33, 128);
    fs::path ct, exported;
    std::vector<std::pair<int, CropBox>> decided; // slice, crop of each accepted proposal
    LabelVolume expected;
    {
        ui::MainWindow window;
        ASSERT_TRUE(openCasesWithModel(window, dir, 40));
        window.workspace()->setAnnotator("fay");
        ct = window.currentCase()->files.imaging->string();
        ui::ReviewController& review = *window.reviewController();
        const int slice = window.sliceView()->slice();
        ASSERT_TRUE(waitForHeatmaps(window, slice));
        review.setTarget(slice, 0);
        review.setActiveLabel(labels::Cyst); // kept apart from a tumour through the export
        ASSERT_TRUE(review.accept()) << review.lastError().toStdString();
        storage::AnnotationStore& store = *storeOf(window);
        storage::ExportOptions options;
        options.outDir = dir / "export";
        options.formats = {"seg-nrrd"};
        storage::exportMasks(store, options);
        exported = options.outDir / "seg-nrrd" / "case_00000.seg.nrrd";
        ASSERT_TRUE(fs::exists(exported));
        expected = storage::curatedLesionMask(store, "case_00000", window.currentCase()->imaging->geometry,
                                              {storage::DecisionKind::Accept}, labels::Cyst);
        ASSERT_GT(std::count(expected.voxels.begin(), expected.voxels.end(), labels::Cyst), 0);
    }
    ui::MainWindow window;
    window.resize(1000, 800);
    window.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.openImageWithLabels(QString::fromStdString(ct.string()), QString::fromStdString(exported.string()),
                               {});
    ASSERT_TRUE(loaded.wait(30000));
    const LoadedCase& c = *window.currentCase();
    ASSERT_TRUE(c.labels.has_value());
    EXPECT_EQ(c.labels->voxels, expected.voxels) << "the labeller's cyst, voxel for voxel, read as a cyst";
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        for (int k = 0; k < c.labels->slices(); ++k)
            if (std::count(c.labels->slice(k), c.labels->slice(k) + c.labels->sliceSize(), labels::Cyst) >
                0) {
                window.sliceView()->setSlice(k);
                break;
            }
        QTest::qWait(300);
        window.grab().save(QString(out) + "/export-seg-nrrd-reopened.png");
    }
    unsetenv("XDG_DATA_HOME");
}
