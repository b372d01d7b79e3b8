#include "ui/DemoPreparation.h"

#include <QCoreApplication>
#include <QFutureWatcher>
#include <QPointer>
#include <QProgressDialog>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>
#include <chrono>

namespace weaksight::ui {

namespace {

/// The demo's texts, translated under their own context.
struct DemoText {
    Q_DECLARE_TR_FUNCTIONS(weaksight::ui::DemoPreparation)
};

/// One bar over the three stages, weighted by their measured share of the time.
void reportStage(QPromise<void>& promise, const std::string& stage, int done, int total,
                 std::chrono::steady_clock::time_point started)
{
    const int of = std::max(total, 1);
    const QString text =
        stage == "cases"   ? DemoText::tr("Generating synthetic CT cases: %1 of %2").arg(done).arg(total)
        : stage == "crops" ? DemoText::tr("Cutting kidney crops: case %1 of %2").arg(done).arg(total)
                           : DemoText::tr("Training the demo classifier: %1 %").arg(100 * done / of);
    const double share = stage == "cases" ? 0.0 : stage == "crops" ? 0.3 : 0.35;
    const double width = stage == "cases" ? 0.3 : stage == "crops" ? 0.05 : 0.65;
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    promise.setProgressRange(0, 1000);
    promise.setProgressValueAndText(static_cast<int>(1000 * (share + width * done / of)),
                                    text + DemoText::tr("  (%1 s)").arg(seconds));
}

QProgressDialog* makeProgressDialog(QWidget* parent)
{
    auto* progress =
        new QProgressDialog(DemoText::tr("Preparing the demo…"), DemoText::tr("Cancel"), 0, 100, parent);
    progress->setWindowTitle(DemoText::tr("Weaksight demo"));
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(0);
    progress->setMinimumWidth(460);
    progress->setAttribute(Qt::WA_DeleteOnClose);
    return progress;
}

} // namespace

void prepareDemoInBackground(QWidget* parent, const std::filesystem::path& root, const DemoOptions& options,
                             DemoPreparationCallbacks callbacks)
{
    auto* progress = makeProgressDialog(parent);
    auto* watcher = new QFutureWatcher<void>(parent);
    QObject::connect(watcher, &QFutureWatcher<void>::progressRangeChanged, progress,
                     &QProgressDialog::setRange);
    QObject::connect(watcher, &QFutureWatcher<void>::progressValueChanged, progress,
                     &QProgressDialog::setValue);
    QObject::connect(watcher, &QFutureWatcher<void>::progressTextChanged, progress,
                     &QProgressDialog::setLabelText);
    QObject::connect(progress, &QProgressDialog::canceled, watcher, &QFutureWatcher<void>::cancel);
    // The labeller may close the dialog (it deletes itself then): the finish must not touch it.
    const QPointer<QProgressDialog> progressAlive(progress);
    QObject::connect(watcher, &QFutureWatcher<void>::finished, parent, [watcher, progressAlive, callbacks] {
        // Read the outcome before closing the dialog: closing a QProgressDialog emits canceled().
        const bool cancelled = watcher->isCanceled();
        if (progressAlive) {
            QObject::disconnect(progressAlive, &QProgressDialog::canceled, watcher,
                                &QFutureWatcher<void>::cancel);
            progressAlive->close();
        }
        watcher->deleteLater();
        if (cancelled) {
            callbacks.cancelled();
            return;
        }
        try {
            watcher->waitForFinished(); // rethrows a worker exception
        } catch (const std::exception& e) {
            callbacks.failed(QString::fromStdString(e.what()));
            return;
        }
        callbacks.ready();
    });
    watcher->setFuture(QtConcurrent::run([root, options](QPromise<void>& promise) {
        std::atomic<bool> cancel{false};
        const auto started = std::chrono::steady_clock::now();
        try {
            prepareDemo(
                root, options,
                [&](const std::string& stage, int done, int total) {
                    reportStage(promise, stage, done, total, started);
                    if (promise.isCanceled())
                        cancel = true;
                },
                &cancel);
        } catch (const DemoCancelled&) {
        }
    }));
    progress->show();
}

} // namespace weaksight::ui
