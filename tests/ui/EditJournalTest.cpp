// Crash recovery of a correction in progress: the journal survives SIGKILL at any moment with the
// last finished stroke (never a torn file), damaged journals are set aside, and a restarted window
// resumes the correction and records it.
#include "GuiTestSupport.h"
#include "core/compute/Classifier.h"
#include "core/phantom/Phantom.h"
#include "ui/CamController.h"
#include "ui/EditJournal.h"
#include "ui/MainWindow.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"

#include <QAction>
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace weaksight;
using namespace weaksight::test;

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
            execl(WEAKSIGHT_JOURNAL_WRITER, WEAKSIGHT_JOURNAL_WRITER, file.c_str(), "100000", static_cast<char*>(nullptr));
            _exit(127);
        }
        close(fds[1]);
        FILE* out = fdopen(fds[0], "r");
        int last = 0, value = 0;
        if (std::fscanf(out, "%d", &value) == 1)
            last = value;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(rng)));
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
        EXPECT_EQ(loaded->box.col, 200);
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
        review.setAnnotator("bo");
        ASSERT_TRUE(QTest::qWaitFor([&] { return window.camController()->heatmaps(slice) != nullptr; }, 30000));
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
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.camController()->heatmaps(slice) != nullptr; }, 30000));
    ASSERT_TRUE(review.finishCorrection()) << review.lastError().toStdString();
    EXPECT_FALSE(window.pendingRecovery().has_value()) << "a recorded correction leaves no journal";
    const auto decisions = review.store()->standingDecisions({storage::DecisionKind::Correct});
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(*decisions.front().finalMask, expected);
    EXPECT_EQ(decisions.front().annotator, "bo");
    unsetenv("XDG_DATA_HOME");
}
