#include "ui/StoreOwner.h"

#include <QFileInfo>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

StoreOwner::StoreOwner(QObject* parent)
    : QObject(parent)
{
    // One thread each, kept alive: work on one connection runs in the order it was asked for.
    for (QThreadPool* pool : {&m_writerThread, &m_readerThread}) {
        pool->setMaxThreadCount(1);
        pool->setExpiryTimeout(-1);
    }
}

StoreOwner::~StoreOwner()
{
    m_writerThread.waitForDone();
    m_readerThread.waitForDone();
}

void StoreOwner::setPath(const QString& path)
{
    if (path == m_path)
        return;
    m_path = path;
    m_connections.reset();
    if (path.isEmpty())
        return;
    m_connections = std::make_shared<Connections>();
    m_connections->path = path;
    if (QFileInfo::exists(path)) // checked and migrated now, not at the first decision
        m_connections->opening = runOn<void>(m_writerThread, [c = m_connections](QPromise<void>&) {
            try {
                writerOf(*c);
            } catch (const std::exception& e) {
                // Reported again by the first write, which tries once more.
                spdlog::warn("annotation store {}: {}", c->path.toStdString(), e.what());
            }
        });
}

bool StoreOwner::exists() const
{
    return m_connections && (m_connections->writerOpen || QFileInfo::exists(m_path));
}

storage::AnnotationStore& StoreOwner::writerOf(Connections& c)
{
    if (!c.writer) {
        try {
            c.writer = std::make_shared<storage::AnnotationStore>(c.path.toStdString());
        } catch (const std::exception& e) {
            const std::lock_guard<std::mutex> lock(c.errorLock);
            c.openError = QString::fromStdString(e.what());
            throw;
        }
        c.writerOpen = true;
    }
    return *c.writer;
}

storage::AnnotationStore* StoreOwner::existingWriterOf(Connections& c)
{
    if (!c.writer && !QFileInfo::exists(c.path))
        return nullptr;
    return &writerOf(c);
}

const storage::AnnotationStore* StoreOwner::readerOf(Connections& c)
{
    if (!c.reader) {
        // The writer checks and migrates an existing file first: a reader never races a migration.
        if (c.opening.isValid()) {
            c.opening.waitForFinished();
            if (!c.writerOpen) { // the file is there but cannot be used
                const std::lock_guard<std::mutex> lock(c.errorLock);
                throw std::runtime_error(c.openError.toStdString());
            }
        }
        if (!c.writerOpen)
            return nullptr; // no store yet: made at the first write
        c.reader = std::make_shared<storage::AnnotationStore>(c.path.toStdString(),
                                                              storage::Database::Mode::ReadOnly);
    }
    return c.reader.get();
}

void StoreOwner::waitForWrites()
{
    m_writerThread.waitForDone();
}

storage::AnnotationStore* StoreOwner::storeAfterWrites()
{
    waitForWrites();
    return m_connections ? m_connections->writer.get() : nullptr;
}

} // namespace weaksight::ui
