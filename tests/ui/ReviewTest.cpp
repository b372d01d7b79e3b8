// A scripted review session in the real window (Xvfb): accept one proposal, correct another with
// brush and eraser strokes sent as mouse events (with undo and redo), reject a third and undo and
// redo that decision; then the store holds exactly those decisions with the right masks and IoU
// records, and the export writes the matching NIfTI label volume.
#include "GuiTestSupport.h"
#include "core/compute/Classifier.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"
#include "core/phantom/Phantom.h"
#include "storage/AnnotationStore.h"
#include "storage/Exporter.h"
#include "storage/LearnedThreshold.h"
#include "ui/CamController.h"
#include "ui/Dashboard.h"
#include "ui/ExportDialog.h"
#include "ui/HeatmapToolbar.h"
#include "ui/KeyHelpOverlay.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"

#include <QAction>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QMouseEvent>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sqlite3.h>
#include <vtkRenderer.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

namespace {

/// How many SQL statements the store's connection runs for `act` (the writes and in-order reads
/// it asks for run on the store's thread: counted once they are done).
int storeStatementsRunBy(ui::MainWindow& window, const std::function<void()>& act)
{
    std::atomic<int> statements{0};
    sqlite3* connection = storeOf(window)->database().handle();
    sqlite3_trace_v2(
        connection, SQLITE_TRACE_STMT,
        [](unsigned, void* count, void*, void*) {
            ++*static_cast<std::atomic<int>*>(count);
            return 0;
        },
        &statements);
    act();
    window.workspace()->store().waitForWrites();
    sqlite3_trace_v2(connection, 0, nullptr, nullptr);
    return statements;
}

QAction* actionNamed(ui::MainWindow& window, const QString& text)
{
    for (auto* action : window.findChildren<QAction*>())
        if (action->text() == text)
            return action;
    return nullptr;
}

} // namespace

TEST(Review, AcceptCorrectRejectUndoRedoThenTheStoreAndTheExportAgree)
{
    TempDir dir;
    writeCaseAndModel(dir, 21, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::CamController& cams = *window.camController();
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("ana");
    actionNamed(window, "Advance after a decision")->setChecked(false);
    ui::SliceView& view = *window.sliceView();
    const LabelVolume& labels = *window.currentCase()->labels;
    const auto showSlice = [&](int slice) {
        view.setSlice(slice);
        return QTest::qWaitFor([&] { return cams.heatmaps(slice) != nullptr; }, 30000);
    };
    const int first = view.slice();
    ASSERT_TRUE(showSlice(first));
    ASSERT_EQ(review.slice(), first);

    // 1. Accept (key A) the first crop's proposal.
    const BinaryMask acceptedProposal = *review.proposal();
    const auto acceptedBox = *review.cropBox();
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    ASSERT_TRUE(storeOf(window)) << review.lastError().toStdString();
    EXPECT_EQ(review.decisionOf(first, 0), storage::DecisionKind::Accept);

    // 2. Correct (key E) a crop on the next slice: a brush stroke, an eraser stroke, undo + redo.
    const int second = first - 1;
    ASSERT_TRUE(showSlice(second));
    actionWithShortcut(window, QKeySequence(Qt::Key_E))->trigger();
    ASSERT_TRUE(review.editing());
    EXPECT_TRUE(view.brushMode());
    const auto box = *review.cropBox();
    view.setBrushRadiusMm(3 * labels.spacing[2]); // 3 pixels
    const double r0 = box.row0 + 10, c0 = box.col0 + 8;
    stroke(view, labels, {r0, c0}, {r0, c0 + 20});
    BinaryMask painted = cropMask(review);
    for (int c = 8; c <= 28; ++c)
        EXPECT_EQ(painted.at(10, c), 1) << "painted along the stroke, column " << c;
    stroke(view, labels, {r0, c0 + 10}, {r0 + 1, c0 + 10}, Qt::ShiftModifier); // erase the middle
    EXPECT_EQ(cropMask(review).at(10, 18), 0);
    EXPECT_EQ(cropMask(review).at(10, 8), 1);
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        view.requestRender();
        QTest::qWait(300);
        window.grab().save(QString(out) + "/editing.png");
    }
    actionWithShortcut(window, QKeySequence::Undo)->trigger();
    EXPECT_EQ(cropMask(review), painted) << "undo takes the eraser stroke back";
    actionWithShortcut(window, QKeySequence::Redo)->trigger();
    const BinaryMask corrected = cropMask(review);
    EXPECT_EQ(review.edit()->finalMask().box, box)
        << "nothing painted outside the crop: the decision keeps it";
    EXPECT_EQ(corrected.at(10, 18), 0);
    actionWithShortcut(window, QKeySequence(Qt::Key_Return))->trigger();
    EXPECT_FALSE(review.editing());
    EXPECT_EQ(review.decisionOf(second, 0), storage::DecisionKind::Correct);

    // 3. Reject (key X) on a third slice; undo that decision, then decide it again.
    const int third = first + 1;
    ASSERT_TRUE(showSlice(third));
    actionWithShortcut(window, QKeySequence(Qt::Key_X))->trigger();
    EXPECT_EQ(review.decisionOf(third, 0), storage::DecisionKind::Reject);
    actionWithShortcut(window, QKeySequence::Undo)->trigger();
    EXPECT_EQ(review.decisionOf(third, 0), std::nullopt) << "undone";
    actionWithShortcut(window, QKeySequence(Qt::Key_X))->trigger();

    // "Next undecided": decided slices leave the order; once the lesion-probability scan has
    // covered the case, the most probable slices come first.
    ASSERT_TRUE(QTest::qWaitFor([&] { return cams.scannedSlices() == labels.slices(); }, 60000));
    const auto order = review.reviewOrder();
    ASSERT_FALSE(order.empty());
    const KidneyCentres centres(labels);
    for (int decided : {first, second, third}) // crop 0 decided: the slice stays while it has another crop
        EXPECT_EQ(std::count(order.begin(), order.end(), decided),
                  centres.boxes(decided, 40, 40).size() > 1 ? 1 : 0)
            << decided;
    for (int k = 0; k < labels.slices(); ++k)
        EXPECT_EQ(std::count(order.begin(), order.end(), k), centres.boxes(k, 40, 40).empty() ? 0 : 1) << k;
    for (size_t i = 1; i < order.size(); ++i)
        EXPECT_GE(*cams.lesionProbability(order[i - 1]), *cams.lesionProbability(order[i]));
    const auto here = std::find(order.begin(), order.end(), view.slice());
    const int expectedNext = here == order.end() || here + 1 == order.end() ? order.front() : *(here + 1);
    // Space reads the store once (the case's standing crops, so decisions another annotator wrote
    // meanwhile count), however many slices the case has.
    const int statements = storeStatementsRunBy(
        window, [&] { actionWithShortcut(window, QKeySequence(Qt::Key_Space))->trigger(); });
    EXPECT_EQ(view.slice(), expectedNext) << "the next slice in the order of lesion probability";
    EXPECT_EQ(statements, 1) << "store statements run by one Space";

    // The store: exactly these three standing decisions, with their masks and IoU records.
    const storage::AnnotationStore& store = *storeOf(window);
    const auto standing =
        store.standingDecisions({storage::DecisionKind::Accept, storage::DecisionKind::Correct,
                                 storage::DecisionKind::Reject, storage::DecisionKind::Skip});
    ASSERT_EQ(standing.size(), 3u);
    EXPECT_EQ(store.auditCount() >= 5, true) << "4 decisions + 1 undo in the audit log";
    const auto find = [&](int slice) {
        for (const auto& d : standing)
            if (d.slice == slice)
                return d;
        ADD_FAILURE() << "no decision on slice " << slice;
        return standing.front();
    };
    const auto accepted = find(first), correctedDecision = find(second), rejected = find(third);
    EXPECT_EQ(accepted.kind, storage::DecisionKind::Accept);
    EXPECT_EQ(accepted.annotator, "ana");
    EXPECT_EQ(*accepted.finalMask, acceptedProposal);
    const BinaryMask truth = lesionMask(labels, first, acceptedBox);
    ASSERT_TRUE(accepted.overlap.proposalGtIou.has_value());
    EXPECT_NEAR(*accepted.overlap.proposalGtIou, overlap(acceptedProposal, truth).iou, 1e-12);
    EXPECT_EQ(accepted.method, "gradcam");
    EXPECT_EQ(correctedDecision.kind, storage::DecisionKind::Correct);
    EXPECT_EQ(*correctedDecision.finalMask, corrected);
    ASSERT_TRUE(correctedDecision.overlap.voxelsAdded.has_value());
    EXPECT_GT(*correctedDecision.overlap.voxelsAdded + *correctedDecision.overlap.voxelsRemoved, 0);
    EXPECT_EQ(rejected.kind, storage::DecisionKind::Reject);
    EXPECT_FALSE(rejected.finalMask.has_value());

    // The export (what `weaksight export` runs) paints the accepted and corrected masks.
    storage::ExportOptions options;
    options.outDir = dir / "export";
    const auto report = storage::exportMasks(store, options);
    ASSERT_EQ(report.decisions, 2);
    const LabelVolume exported = readLabelVolume(dir / "export" / "nifti" / "case_00000.nii.gz");
    for (int r = 0; r < acceptedBox.rows; ++r)
        for (int c = 0; c < acceptedBox.cols; ++c)
            ASSERT_EQ(exported.at(first, acceptedBox.row0 + r, acceptedBox.col0 + c) != 0,
                      acceptedProposal.at(r, c) != 0);
    for (int r = 0; r < box.rows; ++r)
        for (int c = 0; c < box.cols; ++c)
            ASSERT_EQ(exported.at(second, box.row0 + r, box.col0 + c) != 0, corrected.at(r, c) != 0);
    EXPECT_EQ(std::count_if(exported.slice(third), exported.slice(third) + exported.sliceSize(),
                            [](uint8_t v) { return v != 0; }),
              0);

    // `weaksight export` (the command line) writes the same volume.
    const std::string command = std::string(WEAKSIGHT_BINARY) + " --no-log-file export --db " +
                                storeOf(window)->file().string() + " --out " + (dir / "export-cli").string() +
                                " > /dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    EXPECT_EQ(readLabelVolume(dir / "export-cli" / "nifti" / "case_00000.nii.gz").voxels, exported.voxels);

    // The dashboard reads the same store: IoU rows, effort per method, progress, and the learned
    // threshold (the storage test checks its arithmetic by hand), whose "Use" sets the slider.
    QSignalSpy dataReady(window.dashboard(), &ui::Dashboard::dataReady);
    window.dashboardDock()->show();
    ASSERT_TRUE(dataReady.wait(20000));
    const ui::DashboardData& data = window.dashboard()->data();
    EXPECT_TRUE(data.error.isEmpty()) << data.error.toStdString();
    ASSERT_EQ(data.effort.size(), 1u);
    EXPECT_EQ(data.effort.front().label, "gradcam");
    EXPECT_EQ(data.effort.front().decisions, 3);
    EXPECT_GT(data.effort.front().meanPixelsChanged, 0);
    ASSERT_EQ(data.cases.size(), 1u);
    EXPECT_EQ(data.cases.front().decided, 3);
    ASSERT_FALSE(data.iou.empty());
    // The case's lesion slices came with the decisions (from its labels): its status counts them.
    ASSERT_TRUE(data.cases.front().lesionSlices.has_value());
    EXPECT_EQ(*data.cases.front().lesionSlices,
              static_cast<int64_t>(window.currentCase()->lesionSlices->size()));
    EXPECT_EQ(data.cases.front().lesionSlicesSource, "labels");
    // One case, one annotator: said in the singular; pixels and seconds on charts of their own,
    // with whole-number ticks.
    const QString summary = window.dashboard()->summaryText();
    EXPECT_TRUE(summary.contains("in 1 case by 1 annotator")) << summary.toStdString();
    EXPECT_NE(window.dashboard()->effortChart(), window.dashboard()->timeChart());
    EXPECT_EQ(window.dashboard()->effortChart()->chart()->series().size(), 1);
    EXPECT_EQ(window.dashboard()->timeChart()->chart()->series().size(), 1);
    const auto learned = storage::learnedThresholds(store);
    ASSERT_EQ(learned.size(), 1u) << "accepted + corrected gradcam decisions with their heatmaps";
    EXPECT_EQ(learned.front().decisions, 2);
    ASSERT_EQ(window.dashboard()->learnedTable()->rowCount(), 1);
    EXPECT_EQ(window.dashboard()->learnedTable()->item(0, 2)->text(),
              QString::number(learned.front().threshold, 'f', 2));
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        window.resize(1400, 900);
        QTest::qWait(400);
        window.grab().save(QString(out) + "/dashboard.png");
    }
    window.dashboard()->findChild<QPushButton*>("use-gradcam")->click();
    EXPECT_NEAR(cams.threshold(), learned.front().threshold, 1e-9);

    // The export dialog runs the same export in the background and writes the same file.
    window.showExportDialog();
    auto* dialog = window.findChild<ui::ExportDialog*>("exportDialog");
    ASSERT_NE(dialog, nullptr);
    dialog->setOutputFolder(QString::fromStdString((dir / "export2").string()));
    QSignalSpy exported2(dialog, &ui::ExportDialog::exportFinished);
    dialog->start();
    ASSERT_TRUE(exported2.wait(20000));
    EXPECT_TRUE(exported2.first().at(0).toBool()) << dialog->resultText().toStdString();
    EXPECT_EQ(readLabelVolume(dir / "export2" / "nifti" / "case_00000.nii.gz").voxels, exported.voxels);
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        QTest::qWait(200);
        dialog->grab().save(QString(out) + "/export-dialog.png");
    }
    dialog->close();
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, PolygonAddAndSubtractAndAnHuRangeEditTheMask)
{
    TempDir dir;
    writeCaseAndModel(dir, 23, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::SliceView& view = *window.sliceView();
    const int slice = view.slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    ui::ReviewController& review = *window.reviewController();
    ASSERT_TRUE(review.startCorrection());
    const CropBox canvas = review.edit()->box();
    review.editor()->apply(BinaryMask(canvas.rows, canvas.cols)); // start from an empty mask
    const auto box = *review.cropBox();
    const LabelVolume& labels = *window.currentCase()->labels;
    const auto click = [&](double r, double c) {
        const QPointF at = widgetPoint(view, labels, box.row0 + r, box.col0 + c);
        mouse(&view, QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::NoModifier);
        mouse(&view, QEvent::MouseButtonRelease, at, Qt::NoButton, Qt::NoModifier);
    };
    // A 20 x 20 square drawn by four clicks, closed with G: its pixel centres fill in.
    QAction* polygonAdd = actionWithShortcut(window, QKeySequence(Qt::Key_G));
    ASSERT_NE(polygonAdd, nullptr);
    polygonAdd->trigger();
    EXPECT_TRUE(view.polygonMode());
    for (const auto& [r, c] : std::vector<std::pair<double, double>>{{10, 10}, {10, 30}, {30, 30}, {30, 10}})
        click(r, c);
    EXPECT_EQ(cropMask(review).count(), 0) << "nothing changes until the polygon is closed";
    polygonAdd->trigger();
    EXPECT_FALSE(view.polygonMode());
    const long long square = cropMask(review).count();
    EXPECT_NEAR(static_cast<double>(square), 400.0, 45.0);
    EXPECT_EQ(cropMask(review).at(20, 20), 1);
    EXPECT_EQ(cropMask(review).at(5, 5), 0);
    // Subtract a smaller square from its middle with Shift+G.
    QAction* polygonSubtract = actionWithShortcut(window, QKeySequence(Qt::SHIFT | Qt::Key_G));
    polygonSubtract->trigger();
    for (const auto& [r, c] : std::vector<std::pair<double, double>>{{15, 15}, {15, 25}, {25, 25}, {25, 15}})
        click(r, c);
    polygonSubtract->trigger();
    EXPECT_EQ(cropMask(review).at(20, 20), 0);
    EXPECT_EQ(cropMask(review).at(12, 12), 1);
    // Keep an HU range (without dialogs: the window's range): only pixels whose HU lies in it stay.
    view.setWindowLevel({100, 50}); // 0 .. 100 HU
    const BinaryMask before = cropMask(review);
    actionWithShortcut(window, QKeySequence(Qt::Key_T))->trigger();
    const auto& ct = *window.currentCase()->imaging;
    for (int r = 0; r < 40; ++r)
        for (int c = 0; c < 40; ++c) {
            const int hu = ct.at(slice, box.row0 + r, box.col0 + c);
            ASSERT_EQ(cropMask(review).at(r, c), before.at(r, c) && hu >= 0 && hu <= 100 ? 1 : 0)
                << r << "," << c;
        }
    // Each action was one undo step.
    actionWithShortcut(window, QKeySequence::Undo)->trigger();
    EXPECT_EQ(cropMask(review), before);
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, WholeSliceDecisionsUniteTheCropsProposals)
{
    TempDir dir;
    writeCaseAndModel(dir, 24, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::CamController& cams = *window.camController();
    const int slice = window.sliceView()->slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("cy");
    actionNamed(window, "Review whole slices (not kidney crops)")->setChecked(true);
    EXPECT_EQ(review.cropCount(), 1);
    const LabelVolume& labels = *window.currentCase()->labels;
    // The union of every crop's {map > t} on the slice grid, computed here from the patches.
    BinaryMask expected(labels.rows(), labels.cols());
    const auto& maps = *cams.heatmaps(slice);
    ASSERT_GE(maps.crops.size(), 1u);
    for (const auto& p : maps.crops)
        for (int r = 0; r < p.box.rows; ++r)
            for (int c = 0; c < p.box.cols; ++c)
                if (p.values[static_cast<size_t>(r) * p.box.cols + c] > 0.5f && p.box.row0 + r >= 0 &&
                    p.box.col0 + c >= 0 && p.box.row0 + r < labels.rows() && p.box.col0 + c < labels.cols())
                    expected.at(p.box.row0 + r, p.box.col0 + c) = 1;
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    ASSERT_TRUE(storeOf(window)) << review.lastError().toStdString();
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Accept});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(decisions.front().crop.rows, labels.rows());
    EXPECT_EQ(decisions.front().crop.cols, labels.cols());
    EXPECT_EQ(*decisions.front().finalMask, expected);
    EXPECT_EQ(review.decisionOf(slice, 0), storage::DecisionKind::Accept);
    const BinaryMask truth = lesionMask(labels, slice, {0, 0, labels.rows(), labels.cols()});
    EXPECT_NEAR(*decisions.front().overlap.proposalGtIou, overlap(expected, truth).iou, 1e-12);
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, TheCamFlavourIsStoredWithTheDecision)
{
    TempDir dir;
    writeCaseAndModel(dir, 23, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::CamController& cams = *window.camController();
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("ana");
    // View > CAM definitions > torchcam: the maps and the stored settings follow it.
    auto* torchcam = window.findChild<QAction*>(QStringLiteral("camFlavour:torchcam"));
    ASSERT_NE(torchcam, nullptr);
    torchcam->trigger();
    EXPECT_EQ(cams.flavour(), compute::CamFlavour::TorchCam);
    const KidneyCentres centres(*window.currentCase()->labels);
    int slice = 0; // a slice with a kidney crop
    while (slice < window.currentCase()->labels->slices() && centres.boxes(slice, 40, 40).empty())
        ++slice;
    window.sliceView()->setSlice(slice);
    const bool ready =
        QTest::qWaitFor([&] { return cams.heatmaps(slice) != nullptr && review.proposal(); }, 30000);
    ASSERT_TRUE(ready) << "heatmaps " << (cams.heatmaps(slice) != nullptr) << ", proposal "
                       << review.proposal().has_value();
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    ASSERT_TRUE(storeOf(window)) << review.lastError().toStdString();
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((dir / "cases" / "weaksight.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db, "SELECT s.parameters FROM proposals p JOIN cam_settings s ON s.id = p.cam_settings_id",
                  -1, &statement, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    const std::string parameters = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    EXPECT_NE(parameters.find("flavour=torchcam"), std::string::npos) << parameters;
    sqlite3_finalize(statement);
    sqlite3_close(db);
    window.findChild<QAction*>(QStringLiteral("camFlavour:weaksight"))->trigger();
    EXPECT_EQ(cams.flavour(), compute::CamFlavour::Weaksight);
}

TEST(Review, ARefinedProposalIsWhatTheLabellerDecidesOnAndTheStoreNamesIt)
{
    TempDir dir;
    writeCaseAndModel(dir, 25, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::CamController& cams = *window.camController();
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("ref");
    actionNamed(window, "Advance after a decision")->setChecked(false);
    auto* kind = window.findChild<QComboBox*>("proposalKind");
    ASSERT_NE(kind, nullptr);
    kind->setCurrentIndex(kind->findData(static_cast<int>(proposals::ProposalKind::Anatomy)));
    EXPECT_EQ(cams.settings().proposalKind, proposals::ProposalKind::Anatomy);
    EXPECT_TRUE(review.proposalsRefined());
    const int slice = window.sliceView()->slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    const review::CropHeatmap& crop = cams.heatmaps(slice)->crops.front();
    const review::ProposalRule rule{proposals::ProposalKind::Anatomy, &*window.currentCase()->imaging, slice};
    const BinaryMask expected = review::proposal(crop, cams.threshold(), rule);
    ASSERT_EQ(*review.proposal(), expected);
    EXPECT_NE(expected, review::proposal(crop, cams.threshold()))
        << "the refinement differs from map > t here";
    if (const char* out = std::getenv("WEAKSIGHT_TEST_SCREENSHOTS")) {
        window.sliceView()->requestRender();
        QTest::qWait(300);
        window.grab().save(QString(out) + "/refined-proposal.png");
    }

    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Accept});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(*decisions.front().finalMask, expected) << "the accepted mask is the refined proposal";
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((dir / "cases" / "weaksight.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db, "SELECT s.parameters FROM proposals p JOIN cam_settings s ON s.id = p.cam_settings_id",
                  -1, &statement, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    const std::string parameters = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    EXPECT_NE(parameters.find("\"proposal\": \"anatomy\""), std::string::npos) << parameters;
    sqlite3_finalize(statement);
    sqlite3_close(db);

    // A raw proposal rejected on another slice: the dashboard counts the brush work per proposal
    // kind, so the refinement and the raw map are two rows.
    kind->setCurrentIndex(kind->findData(static_cast<int>(proposals::ProposalKind::Raw)));
    const KidneyCentres centres(*window.currentCase()->labels);
    const auto [extentRows, extentCols] = cams.cropExtent();
    int other = slice + 1;
    while (other < window.currentCase()->imaging->slices() &&
           centres.boxes(other, extentRows, extentCols).empty())
        ++other;
    ASSERT_LT(other, window.currentCase()->imaging->slices());
    window.sliceView()->setSlice(other);
    ASSERT_TRUE(waitForHeatmaps(window, other));
    actionWithShortcut(window, QKeySequence(Qt::Key_X))->trigger();
    QSignalSpy dataReady(window.dashboard(), &ui::Dashboard::dataReady);
    window.dashboardDock()->show();
    ASSERT_TRUE(dataReady.wait(20000));
    std::map<std::string, int> effort;
    for (const auto& e : window.dashboard()->data().effort)
        effort[e.label] = e.decisions;
    EXPECT_EQ(effort, (std::map<std::string, int>{{"gradcam", 1}, {"gradcam + anatomy", 1}}));
    std::set<std::string> curves;
    for (const auto& row : window.dashboard()->data().iou)
        curves.insert(storage::proposalLabel(row.method, row.proposal));
    EXPECT_EQ(curves, (std::set<std::string>{"gradcam", "gradcam + anatomy"}));
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, AUNetsProbabilityIsAProposalInTheMethodListAndTheStoreNamesIt)
{
    // Issue 16, learned proposals in the workstation: a U-Net (as `evaluate --proposals all` saves
    // them) loaded beside the classifier; "U-Net" in the method list shows its lesion probability on
    // the classifier's crops, unnormalised, with a threshold of its own; a decision records the U-Net.
    TempDir dir;
    writeCaseAndModel(dir, 25, 128);
    const auto segmenter = saveTinySegmenter(dir / "unet.wss", 5);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::CamController& cams = *window.camController();
    window.workspace()->setAnnotator("unet");
    actionNamed(window, "Advance after a decision")->setChecked(false);
    QSignalSpy loaded(&cams, &ui::CamController::segmenterLoaded);
    cams.loadSegmenter(QString::fromStdString((dir / "unet.wss").string()), "cpu");
    ASSERT_TRUE(loaded.wait(20000));
    EXPECT_EQ(cams.segmenterHash(), segmenter.contentHash());
    QComboBox* methods = nullptr;
    for (auto* box : window.findChildren<QComboBox*>())
        if (box->findData(ui::HeatmapToolbar::kSegmenterEntry) >= 0)
            methods = box;
    ASSERT_NE(methods, nullptr) << "the method list offers the U-Net";
    const double camThreshold = cams.threshold();
    methods->setCurrentIndex(methods->findData(ui::HeatmapToolbar::kSegmenterEntry));
    ASSERT_TRUE(cams.showsSegmenterMaps());
    EXPECT_DOUBLE_EQ(cams.threshold(), 0.5) << "its own threshold";
    const int slice = window.sliceView()->slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    const review::CropHeatmap& crop = cams.heatmaps(slice)->crops.front();
    std::vector<int16_t> pixels(40 * 40);
    cutCrop(*window.currentCase()->imaging, slice, crop.box.row0, crop.box.col0, 40, 40, pixels.data());
    const auto expected =
        segmenter.predict({{40, 40, std::vector<float>(pixels.begin(), pixels.end())}}).front();
    ASSERT_EQ(crop.values.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_NEAR(crop.values[i], expected[i], 1e-5f) << "the probability as it is (no min-max)";

    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Accept});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(decisions.front().method, "unet");
    EXPECT_EQ(decisions.front().modelHash, segmenter.contentHash()) << "the U-Net is the model of record";
    EXPECT_EQ(*decisions.front().finalMask, review::proposal(crop, 0.5));

    // Back to the CAM method: its own threshold and maps again.
    methods->setCurrentIndex(methods->findData(static_cast<int>(compute::CamMethod::GradCam)));
    EXPECT_FALSE(cams.showsSegmenterMaps());
    EXPECT_DOUBLE_EQ(cams.threshold(), camThreshold);
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, ARealCtWithoutLabelsIsReviewedCropByCropAndSpaceReadsTheStoreOnce)
{
    // The real abdominal CT of ../shared/data (3 mm, RAS, int32 HU, no lesion labels): the crops are
    // the halves of each slice, decisions go to a store beside a copy of the file.
    const auto data = realDataDirectory();
    if (!data || !fs::exists(*data / "totalsegmentator" / "example_ct.nii.gz"))
        GTEST_SKIP() << "../shared/data/totalsegmentator is absent";
    TempDir dir;
    setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    fs::copy_file(*data / "totalsegmentator" / "example_ct.nii.gz", dir / "example_ct.nii.gz");
    compute::ModelDescription description;
    description.architecture = "tiny";
    description.targetLayer = "layer3";
    compute::Classifier::create(description, 17).save((dir / "model.wsm").string());

    ui::MainWindow window;
    ASSERT_TRUE(openPathWithModel(window, dir / "example_ct.nii.gz", dir / "model.wsm", 40));
    ui::SliceView& view = *window.sliceView();
    const int slices = window.currentCase()->imaging->slices();
    EXPECT_EQ(view.slice(), slices / 2) << "no labels: the middle slice first";
    ASSERT_TRUE(waitForHeatmaps(window, view.slice()));
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("real");
    actionNamed(window, "Advance after a decision")->setChecked(true);
    const auto* maps = window.camController()->heatmaps(view.slice());
    ASSERT_EQ(maps->crops.size(), 2u);
    EXPECT_EQ(maps->crops[0].side, "right");
    EXPECT_EQ(review.cropCount(), 2);

    // Accept the right half's proposal: the store is made beside the file, the case registered
    // with its fingerprint, and the view moves to the left half.
    const int first = view.slice();
    const CropBox rightHalf = maps->crops[0].box;
    actionWithShortcut(window, QKeySequence(Qt::Key_A))->trigger();
    ASSERT_TRUE(storeOf(window)) << review.lastError().toStdString();
    EXPECT_TRUE(fs::exists(dir / "weaksight.sqlite"));
    EXPECT_EQ(review.decisionOf(first, 0), storage::DecisionKind::Accept);
    EXPECT_EQ(review.crop(), 1) << "advanced to the other half";
    const auto stored = storeOf(window)->standingDecisions({storage::DecisionKind::Accept});
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored.front().caseKey, "example_ct.nii.gz");
    EXPECT_EQ(stored.front().slice, first);
    EXPECT_EQ(stored.front().crop, rightHalf);
    EXPECT_EQ(storeOf(window)
                  ->caseRegistration(*storeOf(window)->findCase("example_ct.nii.gz"))
                  .imagingFingerprint.size(),
              64u)
        << "SHA-256, hex";

    // Reject the other half; this slice leaves the order, and Space (one store statement) goes on.
    actionWithShortcut(window, QKeySequence(Qt::Key_X))->trigger();
    const auto order = review.reviewOrder();
    EXPECT_EQ(std::count(order.begin(), order.end(), first), 0);
    EXPECT_EQ(order.size(), static_cast<size_t>(slices - 1));
    const int statements = storeStatementsRunBy(
        window, [&] { actionWithShortcut(window, QKeySequence(Qt::Key_Space))->trigger(); });
    EXPECT_EQ(statements, 1);
    EXPECT_NE(view.slice(), first);

    // Another session on the same file: the store opens in the background and the decisions made
    // before count at once (the status, and the review order before any new decision).
    ui::MainWindow again;
    ASSERT_TRUE(openPathWithModel(again, dir / "example_ct.nii.gz", dir / "model.wsm", 40));
    ASSERT_TRUE(waitForHeatmaps(again, first));
    ui::ReviewController& later = *again.reviewController();
    EXPECT_TRUE(QTest::qWaitFor([&] { return later.decisionOf(first, 0).has_value(); }, 10000));
    EXPECT_EQ(later.decisionOf(first, 0), storage::DecisionKind::Accept);
    EXPECT_EQ(later.decisionOf(first, 1), storage::DecisionKind::Reject);
    const auto laterOrder = later.reviewOrder();
    EXPECT_EQ(std::count(laterOrder.begin(), laterOrder.end(), first), 0) << "decided in the earlier session";
}

TEST(Review, ACorrectionTheStoreCannotSaveComesBackForEditing)
{
    // The store file is not a database: the write (on the store's thread) fails after the labeller
    // has moved on; the error is shown and the correction is back for editing, nothing lost.
    TempDir dir;
    writeCaseAndModel(dir, 22, 96);
    const fs::path storeFile = dir / "cases" / "weaksight.sqlite";
    std::ofstream(storeFile) << std::string(4096, 'x');
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    const int slice = window.sliceView()->slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    window.workspace()->setAnnotator("dee");
    ui::ReviewController& review = *window.reviewController();
    ASSERT_TRUE(review.startCorrection());
    review.editor()->beginStroke(true);
    review.editor()->dab(12, 12, 5); // canvas pixels: the slice's
    review.editor()->endStroke();
    review.editChanged();
    const review::PlacedMask corrected = review.edit()->finalMask();
    QSignalSpy failed(&review, &ui::ReviewController::failed);
    ASSERT_TRUE(review.finishCorrection());
    EXPECT_FALSE(review.editing()) << "the review goes on while the store writes";
    ASSERT_TRUE(failed.wait(10000));
    EXPECT_TRUE(failed.first().at(0).toString().contains("not saved"))
        << failed.first().at(0).toString().toStdString();
    ASSERT_TRUE(review.editing()) << "the correction is back";
    EXPECT_EQ(review.edit()->finalMask().mask, corrected.mask);
    EXPECT_EQ(review.edit()->finalMask().box, corrected.box);
    EXPECT_EQ(review.slice(), slice);
    EXPECT_EQ(review.decisionOf(slice, 0), std::nullopt) << "not counted as decided";
    ASSERT_TRUE(window.pendingRecovery().has_value()) << "and journalled";

    // The file is moved away: the same correction is saved.
    fs::rename(storeFile, dir / "not-a-store");
    ASSERT_TRUE(review.finishCorrection());
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Correct});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(*decisions.front().finalMask, corrected.mask);
    EXPECT_EQ(decisions.front().finalBox, corrected.box);
    EXPECT_TRUE(QTest::qWaitFor([&] { return !window.pendingRecovery().has_value(); }, 5000));
    EXPECT_EQ(review.decisionOf(slice, 0), storage::DecisionKind::Correct);
    unsetenv("XDG_DATA_HOME");
}

TEST(Review, TheKeyHelpOverACorrectionTakesEscWithoutDiscardingIt)
{
    TempDir dir;
    writeCaseAndModel(dir, 21, 96);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    window.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&window));
    ASSERT_TRUE(waitForHeatmaps(window, window.sliceView()->slice()));
    ui::ReviewController& review = *window.reviewController();
    ASSERT_TRUE(review.startCorrection());
    window.showKeyHelp();
    QPointer<ui::KeyHelpOverlay> help = window.findChild<ui::KeyHelpOverlay*>("keyHelp");
    ASSERT_FALSE(help.isNull());
    EXPECT_TRUE(help->lines().contains("Window / level\tLeft-drag"))
        << help->lines().join(" | ").toStdString();
    EXPECT_TRUE(help->lines().contains("Brush / eraser (correcting)\tLeft-drag / Shift+left-drag"));
    // Esc while the help is shown, wherever the focus is: the help closes, the correction stays.
    QTest::keyClick(window.sliceView(), Qt::Key_Escape);
    EXPECT_TRUE(QTest::qWaitFor([&] { return help.isNull(); }, 2000)) << "Esc closes the help";
    EXPECT_TRUE(review.editing()) << "and nothing else";
    // Without the help the same key cancels the correction, as the Review menu says.
    QTest::keyClick(window.sliceView(), Qt::Key_Escape);
    EXPECT_FALSE(review.editing());
    // A correction with an edit is never dropped by one key: the first Esc only warns, the second
    // discards.
    ASSERT_TRUE(review.startCorrection());
    BinaryMask changed = review.editor()->mask();
    changed.at(0, 0) = changed.at(0, 0) ? 0 : 1;
    review.editor()->apply(changed);
    ASSERT_TRUE(review.editor()->modified());
    QTest::keyClick(window.sliceView(), Qt::Key_Escape);
    EXPECT_TRUE(review.editing()) << "one Esc keeps the edited correction";
    EXPECT_TRUE(window.statusBar()->currentMessage().contains("press Esc again"))
        << window.statusBar()->currentMessage().toStdString();
    QTest::keyClick(window.sliceView(), Qt::Key_Escape);
    EXPECT_FALSE(review.editing()) << "the second Esc discards it";
    // Every key of the window is listed, the standard ones and the 3D view's mouse too.
    window.showKeyHelp();
    help = window.findChild<ui::KeyHelpOverlay*>("keyHelp");
    ASSERT_FALSE(help.isNull());
    const QString all = help->lines().join(" | ");
    for (const char* entry :
         {"Open a dataset or case folder", "Quit", "Settings", "Polygon corner", "3D view"})
        EXPECT_TRUE(all.contains(entry)) << entry << ": " << all.toStdString();
    QTest::keyClick(help, Qt::Key_Escape);
}

TEST(Review, BrushStrokesOutsideTheCropAreKeptScoredAndExported)
{
    // A lesion reaching past the crop: the labeller paints on beyond the box, the decision keeps
    // the whole mask on a larger box and the export writes every pixel of it.
    TempDir dir;
    writeCaseAndModel(dir, 25, 128);
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    window.workspace()->setAnnotator("eve");
    ui::ReviewController& review = *window.reviewController();
    ui::SliceView& view = *window.sliceView();
    const LabelVolume& labels = *window.currentCase()->labels;
    const int slice = view.slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    actionWithShortcut(window, QKeySequence(Qt::Key_E))->trigger();
    ASSERT_TRUE(review.editing());
    const CropBox crop = *review.cropBox();
    EXPECT_EQ(review.edit()->box(), (CropBox{0, 0, labels.rows(), labels.cols()}))
        << "the canvas is the slice";
    // P puts the proposal back: it lies on the crop, the mask on the slice (this once crashed).
    const BinaryMask proposal = *review.proposal();
    review.editor()->apply(BinaryMask(labels.rows(), labels.cols()));
    actionWithShortcut(window, QKeySequence(Qt::Key_P))->trigger();
    EXPECT_EQ(cropMask(review), proposal);
    EXPECT_EQ(review.edit()->mask().count(), proposal.count()) << "nothing outside the crop";
    // From inside the crop to 12 pixels below it (the crop stays what the decision is about).
    view.setBrushRadiusMm(2 * labels.spacing[2]);
    const double col = crop.col0 + crop.cols / 2.0;
    stroke(view, labels, {crop.row0 + crop.rows - 6.0, col}, {crop.row0 + crop.rows + 12.0, col});
    EXPECT_EQ(*review.cropBox(), crop);
    const review::PlacedMask final = review.edit()->finalMask();
    EXPECT_EQ(final.box.row0, crop.row0);
    EXPECT_GE(final.box.row0 + final.box.rows, crop.row0 + crop.rows + 12)
        << "the box reaches the stroke's end";
    const int outsideRow = crop.row0 + crop.rows + 8, outsideCol = static_cast<int>(col);
    EXPECT_EQ(final.mask.at(outsideRow - final.box.row0, outsideCol - final.box.col0), 1);
    actionWithShortcut(window, QKeySequence(Qt::Key_Return))->trigger();
    EXPECT_FALSE(review.editing());

    storage::AnnotationStore& store = *storeOf(window);
    const auto decisions = store.standingDecisions({storage::DecisionKind::Correct});
    ASSERT_EQ(decisions.size(), 1u);
    const auto& d = decisions.front();
    EXPECT_EQ(d.crop, crop);
    EXPECT_EQ(d.finalBox, final.box);
    EXPECT_EQ(*d.finalMask, final.mask);
    // Its IoU records: the final mask against the ground truth on the whole final box.
    const BinaryMask truth = lesionMask(labels, slice, final.box);
    EXPECT_NEAR(*d.overlap.finalGtIou, overlap(final.mask, truth).iou, 1e-12);
    EXPECT_GT(*d.overlap.voxelsAdded, 0);

    storage::ExportOptions options;
    options.outDir = dir / "export";
    storage::exportMasks(store, options);
    const LabelVolume back = readLabelVolume(options.outDir / "nifti" / "case_00000.nii.gz");
    EXPECT_NE(back.at(slice, outsideRow, outsideCol), 0) << "the pixel painted outside the crop is exported";
    unsetenv("XDG_DATA_HOME");
}
