#pragma once

// The workstation's one owner of the dataset's annotation store (DATASET/weaksight.sqlite): every
// reader and writer in the process goes through it, nothing else opens the store by its path, and
// the GUI thread never runs SQLite.
// - Writes run in the order they were asked for, on the store's own thread, over one read-write
//   connection (opened there as soon as the path is set and the file exists, so checks and
//   migrations never cost the GUI; created at the first write otherwise). The review's reads of
//   its own decisions run there too, so they see every write asked for before them.
// - Reads that may take long (the dashboard, the case list's status, the 3D view's curated masks,
//   the export) run on a second thread over a read-only connection: with SQLite's write-ahead log
//   they never wait for a write, nor a write for them.
// Results come back as QFutures of a StoreReply (the value, or the error naming the file).

#include "storage/AnnotationStore.h"

#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QString>
#include <QThreadPool>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace weaksight::ui {

/// What a store task gives back: its value, or the error that stopped it. A read of a store that
/// does not exist yet gives neither (absent()).
template <typename T> struct StoreReply {
    std::optional<T> value;
    QString error;
    bool ok() const { return value.has_value(); }
    bool absent() const { return !value && error.isEmpty(); }
};

/// Progress of a long read (done, total).
using StoreProgress = std::function<void(int done, int total)>;

/// Calls `handler(result)` on `context`'s thread when `future` finishes (not at all if `context` is
/// gone by then).
template <typename T, typename Handler>
void whenFinished(QObject* context, const QFuture<T>& future, Handler handler)
{
    auto* watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcher<T>::finished, context, [watcher, handler = std::move(handler)] {
        if (watcher->future().resultCount() > 0)
            handler(watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(future);
}

class StoreOwner : public QObject {
    Q_OBJECT
public:
    explicit StoreOwner(QObject* parent = nullptr);
    ~StoreOwner() override; ///< waits for the writes asked for

    /// The store file of the dataset now open (empty: none). Work asked for earlier finishes on the
    /// previous file.
    void setPath(const QString& path);
    QString path() const { return m_path; }
    /// Whether there is a store to read: the file exists (or a write is making it).
    bool exists() const;

    /// Runs `work` on the store's thread after every write asked for before; the store is created
    /// when it does not exist. `written()` follows on the GUI thread when it succeeded.
    template <typename T> QFuture<StoreReply<T>> write(std::function<T(storage::AnnotationStore&)> work);
    /// Runs `work` on the store's thread, in order with the writes (so it sees each one asked for
    /// before it), without creating the store: absent when there is none yet.
    template <typename T>
    QFuture<StoreReply<T>> readInOrder(std::function<T(storage::AnnotationStore&)> work);
    /// Runs `work` on the reading thread over the read-only connection; absent when there is no
    /// store file yet.
    template <typename T>
    QFuture<StoreReply<T>> read(std::function<T(const storage::AnnotationStore&, const StoreProgress&)> work);

    /// Blocks until every write asked for so far is done (closing, tests).
    void waitForWrites();
    /// The read-write connection once every write is done (tests and benchmarks inspect it); null
    /// when none is open.
    storage::AnnotationStore* storeAfterWrites();

Q_SIGNALS:
    /// A write succeeded: views of the store may read it again.
    void written();

private:
    /// The connections of one path; each is used by its own thread only.
    struct Connections {
        QString path;
        std::shared_ptr<storage::AnnotationStore> writer, reader;
        QString openError; ///< why the writer could not open (under errorLock)
        std::mutex errorLock;
        std::atomic<bool> writerOpen{false}; ///< checked and migrated: readers may open
        QFuture<void> opening;               ///< the writer opening an existing file
    };
    static storage::AnnotationStore& writerOf(Connections& c);
    /// The writer, or null when there is no store file yet (nothing is created).
    static storage::AnnotationStore* existingWriterOf(Connections& c);
    static const storage::AnnotationStore* readerOf(Connections& c);
    /// Runs `work(promise)` on `pool`; the future is the promise's.
    template <typename T, typename Work> static QFuture<T> runOn(QThreadPool& pool, Work work);

    QString m_path;
    std::shared_ptr<Connections> m_connections;
    QThreadPool m_writerThread, m_readerThread; ///< one thread each: work runs in order
};

template <typename T, typename Work> QFuture<T> StoreOwner::runOn(QThreadPool& pool, Work work)
{
    // A QPromise's future has no task attached: waiting on it blocks. (A QtConcurrent::run future
    // would let the waiting thread take the queued task and run it itself, out of order and off
    // the store's thread.)
    auto promise = std::make_shared<QPromise<T>>();
    QFuture<T> future = promise->future();
    promise->start();
    pool.start([promise, work = std::move(work)]() mutable {
        work(*promise);
        promise->finish();
    });
    return future;
}

template <typename T>
QFuture<StoreReply<T>> StoreOwner::write(std::function<T(storage::AnnotationStore&)> work)
{
    auto done = runOn<StoreReply<T>>(
        m_writerThread, [c = m_connections, work = std::move(work)](QPromise<StoreReply<T>>& promise) {
            StoreReply<T> reply;
            try {
                if (!c)
                    throw std::runtime_error(QObject::tr("No dataset is open.").toStdString());
                reply.value = work(writerOf(*c));
            } catch (const std::exception& e) {
                reply.error = QString::fromStdString(e.what());
            }
            promise.addResult(std::move(reply));
        });
    whenFinished(this, done, [this](const StoreReply<T>& reply) {
        if (reply.ok())
            Q_EMIT written();
    });
    return done;
}

template <typename T>
QFuture<StoreReply<T>> StoreOwner::readInOrder(std::function<T(storage::AnnotationStore&)> work)
{
    return runOn<StoreReply<T>>(
        m_writerThread, [c = m_connections, work = std::move(work)](QPromise<StoreReply<T>>& promise) {
            StoreReply<T> reply;
            try {
                if (auto* store = c ? existingWriterOf(*c) : nullptr)
                    reply.value = work(*store);
            } catch (const std::exception& e) {
                reply.error = QString::fromStdString(e.what());
            }
            promise.addResult(std::move(reply));
        });
}

template <typename T>
QFuture<StoreReply<T>>
StoreOwner::read(std::function<T(const storage::AnnotationStore&, const StoreProgress&)> work)
{
    return runOn<StoreReply<T>>(
        m_readerThread, [c = m_connections, work = std::move(work)](QPromise<StoreReply<T>>& promise) {
            StoreReply<T> reply;
            try {
                if (const auto* store = c ? readerOf(*c) : nullptr)
                    reply.value = work(*store, [&promise](int done, int total) {
                        promise.setProgressRange(0, total);
                        promise.setProgressValue(done);
                    });
            } catch (const std::exception& e) {
                reply.error = QString::fromStdString(e.what());
            }
            promise.addResult(std::move(reply));
        });
}

} // namespace weaksight::ui
