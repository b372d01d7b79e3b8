// Crash recovery of a correction in progress: the journal survives SIGKILL at any moment with the
// last finished stroke (never a torn file), damaged journals are set aside, and a restarted window
// resumes the correction and records it.
#include "ui/EditJournal.h"

#include "GuiTestSupport.h"
#include "core/compute/Classifier.h"
#include "core/phantom/Phantom.h"
#include "ui/CamController.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"

#include <QAction>
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace weaksight;
using namespace weaksight::test;
namespace fs = std::filesystem;

TEST(EditJournal, SurvivesSigkillWithTheLastFinishedStroke)
{
    TempDir dir;
    const std::string file = (dir / "edit.wsj").string();
    std::mt19937 rng(7);
    for (int round = 0; round < 5; ++round) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        const pid_t pid = fork();
        if (pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
            execl(WEAKSIGHT_JOURNAL_WRITER, WEAKSIGHT_JOURNAL_WRITER, file.c_str(), "100000",
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        close(fds[1]);
        FILE* out = fdopen(fds[0], "r");
        int last = 0, value = 0;
        if (std::fscanf(out, "%d", &value) == 1)
            last = value;
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(rng)));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFSIGNALED(status));
        while (std::fscanf(out, "%d", &value) == 1)
            last = value;
        fclose(out);
        ASSERT_GT(last, 0);
        // The journal holds the last reported state, or the one being saved when it died (its
        // rename either happened or not): never a mix, never less.
        const auto loaded = ui::EditJournal(QString::fromStdString(file)).load();
        ASSERT_TRUE(loaded.has_value()) << "round " << round;
        const long long set = loaded->mask.count();
        EXPECT_TRUE(set == std::min<long long>(last * 37LL, 150 * 150) ||
                    set == std::min<long long>((last + 1) * 37LL, 150 * 150))
            << "reported " << last << ", journal has " << set << " pixels";
        EXPECT_EQ(loaded->caseId, "case_00007");
        EXPECT_EQ(loaded->box.col0, 200);
        EXPECT_EQ(loaded->slice, 41);
    }
    // A damaged journal is reported and set aside, never used.
    {
        QFile f(QString::fromStdString(file));
        ASSERT_TRUE(f.open(QIODevice::ReadWrite));
        f.resize(f.size() / 2);
    }
    EXPECT_FALSE(ui::EditJournal(QString::fromStdString(file)).load().has_value());
    EXPECT_TRUE(QFile::exists(QString::fromStdString(file) + ".damaged"));
    EXPECT_FALSE(QFile::exists(QString::fromStdString(file)));
}

TEST(EditJournal, ARestartedWindowResumesTheCorrectionAndRecordsIt)
{
    TempDir dir;
    writeCaseAndModel(dir, 22, 128, 2);
    const QString root = QString::fromStdString((dir / "cases").string());

    const auto openWindow = [&](ui::MainWindow& window) {
        window.resize(900, 700);
        window.show();
        ui::CamController& cams = *window.camController();
        cams.setCropSize(40);
        QSignalSpy modelLoaded(&cams, &ui::CamController::modelLoaded);
        window.loadModel(QString::fromStdString((dir / "model.wsm").string()));
        return modelLoaded.wait(20000);
    };
    BinaryMask edited;
    int slice = 0;
    {
        // The first session: open case_00001, start a correction, paint, and "crash" (the window
        // goes without finishing; the journal stays).
        ui::MainWindow window;
        ASSERT_TRUE(openWindow(window));
        QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
        window.openPath(root);
        ASSERT_TRUE(loaded.wait(20000));
        loaded.clear();
        window.selectCase(1);
        ASSERT_TRUE(loaded.wait(20000));
        slice = window.sliceView()->slice();
        ui::ReviewController& review = *window.reviewController();
        window.workspace()->setAnnotator("bo");
        ASSERT_TRUE(waitForHeatmaps(window, slice));
        ASSERT_TRUE(review.startCorrection());
        review.editor()->beginStroke(true);
        review.editor()->dab(20, 20, 4);
        review.editor()->endStroke();
        review.editChanged();
        edited = review.editor()->mask();
        review.editor()->beginStroke(false); // an unfinished stroke: lost, as promised
        review.editor()->dab(20, 20, 2);
        ASSERT_NE(review.editor()->mask(), edited);
        ASSERT_TRUE(window.pendingRecovery().has_value());
    }
    // The second session finds the journal and resumes on the same case, slice and mask.
    ui::MainWindow window;
    ASSERT_TRUE(openWindow(window));
    const auto recovery = window.pendingRecovery();
    ASSERT_TRUE(recovery.has_value());
    EXPECT_EQ(recovery->caseId, "case_00001");
    EXPECT_EQ(recovery->slice, slice);
    QSignalSpy loaded(&window, &ui::MainWindow::caseLoaded);
    window.offerRecovery(); // no dialog under test: it restores
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.reviewController()->editing(); }, 30000));
    EXPECT_EQ(window.currentCase()->files.caseId, "case_00001");
    EXPECT_EQ(window.sliceView()->slice(), slice);
    ui::ReviewController& review = *window.reviewController();
    const BinaryMask expected = review.editor()->mask();
    EXPECT_EQ(expected, edited) << "the mask after the last finished stroke is back";
    EXPECT_EQ(expected.at(20, 20), 1);
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    const review::PlacedMask final = review.edit()->finalMask();
    EXPECT_TRUE(holds(final.box, review.edit()->crop())) << "the crop, and the dab outside it";
    ASSERT_TRUE(review.finishCorrection()) << review.lastError().toStdString();
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Correct});
    EXPECT_TRUE(QTest::qWaitFor([&] { return !window.pendingRecovery().has_value(); }, 5000))
        << "a recorded correction leaves no journal";
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(*decisions.front().finalMask, final.mask);
    EXPECT_EQ(decisions.front().finalBox, final.box);
    EXPECT_EQ(decisions.front().annotator, "bo");
    unsetenv("XDG_DATA_HOME");
}

// ---- The GUI process itself, killed mid-stroke ------------------------------------------------
// The parent runs this test binary again as a child process (only GuiProcessChild.*) that opens
// the real window, paints and erases with mouse events, starts a third stroke and waits; the parent
// SIGKILLs it there, then a new window must offer the correction with exactly the finished strokes.

namespace {

void writeMask(const fs::path& file, const BinaryMask& mask, int slice)
{
    std::ofstream out(file.string() + ".tmp");
    out << slice << " " << mask.rows << " " << mask.cols << "\n";
    for (uint8_t v : mask.pixels)
        out << (v ? '1' : '0');
    out.close();
    fs::rename(file.string() + ".tmp", file); // whole or absent: the parent polls for it
}

std::pair<BinaryMask, int> readMask(const fs::path& file)
{
    std::ifstream in(file);
    int slice = 0, rows = 0, cols = 0;
    in >> slice >> rows >> cols;
    BinaryMask mask(rows, cols);
    std::string bits;
    in >> bits;
    for (size_t i = 0; i < mask.pixels.size() && i < bits.size(); ++i)
        mask.pixels[i] = bits[i] == '1';
    return {mask, slice};
}

} // namespace

TEST(GuiProcessChild, PaintsThenWaitsToBeKilled)
{
    const char* dirName = std::getenv("WEAKSIGHT_CRASH_CHILD_DIR");
    if (!dirName)
        GTEST_SKIP() << "runs only as the child process of "
                        "EditJournal.TheGuiProcessKilledMidStrokeLosesOnlyThatStroke";
    const fs::path dir = dirName;
    ui::MainWindow window;
    ASSERT_TRUE(openCasesWithModel(window, dir, 40));
    ui::SliceView& view = *window.sliceView();
    ui::ReviewController& review = *window.reviewController();
    window.workspace()->setAnnotator("cy");
    const int slice = view.slice();
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    ASSERT_TRUE(review.startCorrection());
    const LabelVolume& labels = *window.currentCase()->labels;
    view.setBrushRadiusMm(3 * labels.spacing[2]);
    const auto box = *review.cropBox();
    const double r0 = box.row0 + 12, c0 = box.col0 + 6;
    stroke(view, labels, {r0, c0}, {r0 + 10, c0 + 24});                            // paint
    stroke(view, labels, {r0 + 5, c0 + 12}, {r0 + 6, c0 + 14}, Qt::ShiftModifier); // erase a bit
    const BinaryMask finished = review.editor()->mask();
    ASSERT_GT(finished.count(), 50);
    // A third stroke, pressed and moved but not released when the process dies.
    mouse(&view, QEvent::MouseButtonPress, widgetPoint(view, labels, box.row0 + 30, box.col0 + 30),
          Qt::LeftButton, {});
    mouse(&view, QEvent::MouseMove, widgetPoint(view, labels, box.row0 + 32, box.col0 + 36), Qt::LeftButton,
          {});
    ASSERT_NE(review.editor()->mask(), finished);
    writeMask(dir / "finished.txt", finished, slice);
    QTest::qWait(120000); // the parent kills this process here
    ADD_FAILURE() << "the child was not killed";
}

TEST(EditJournal, TheGuiProcessKilledMidStrokeLosesOnlyThatStroke)
{
    TempDir dir;
    writeCaseAndModel(dir, 24, 128);
    setenv("WEAKSIGHT_CRASH_CHILD_DIR", dir.path().c_str(), 1); // before fork: only exec runs in the child
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "weaksight_gui_tests", "--gtest_filter=GuiProcessChild.*",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    unsetenv("WEAKSIGHT_CRASH_CHILD_DIR");
    ASSERT_GT(pid, 0);
    const fs::path marker = dir / "finished.txt";
    int status = 0;
    bool exited = false;
    for (int waited = 0; waited < 1200 && !fs::exists(marker); ++waited) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(exited) << "the child GUI process ended by itself (status " << status << ")";
    ASSERT_TRUE(fs::exists(marker)) << "the child did not get to its stroke in 2 minutes";
    kill(pid, SIGKILL);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    const auto [finished, slice] = readMask(marker);

    // A new window (this process) finds the journal the killed one left and restores it.
    ui::MainWindow window;
    window.resize(900, 700);
    window.show();
    window.camController()->setCropSize(40);
    QSignalSpy modelLoaded(window.camController(), &ui::CamController::modelLoaded);
    window.loadModel(QString::fromStdString((dir / "model.wsm").string()));
    ASSERT_TRUE(modelLoaded.wait(20000));
    const auto recovery = window.pendingRecovery();
    ASSERT_TRUE(recovery.has_value()) << "the killed GUI left no journal";
    EXPECT_EQ(recovery->caseId, "case_00000");
    EXPECT_EQ(recovery->slice, slice);
    window.offerRecovery();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.reviewController()->editing(); }, 30000));
    ui::ReviewController& review = *window.reviewController();
    EXPECT_EQ(review.editor()->mask(), finished)
        << "exactly the finished strokes: the one in progress is lost";
    ASSERT_TRUE(waitForHeatmaps(window, slice));
    window.workspace()->setAnnotator("cy");
    const CropBox canvas = review.edit()->box();
    ASSERT_TRUE(review.finishCorrection()) << review.lastError().toStdString();
    const auto decisions = storeOf(window)->standingDecisions({storage::DecisionKind::Correct});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(placeMask(*decisions.front().finalMask, decisions.front().finalBox, canvas), finished);
    unsetenv("XDG_DATA_HOME");
}
