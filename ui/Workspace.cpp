#include "ui/Workspace.h"

#include "core/common/Error.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>
#include <filesystem>

namespace fs = std::filesystem;

namespace weaksight::ui {

Workspace::Workspace(QObject* parent)
    : QObject(parent)
{
    connect(&m_loadWatcher, &QFutureWatcher<LoadResult>::finished, this, &Workspace::onLoaded);
    m_annotator = QSettings().value(QStringLiteral("annotator")).toString();
}

Workspace::~Workspace()
{
    m_loadWatcher.waitForFinished();
}

QString Workspace::storePathFor(const QString& datasetPath)
{
    const QFileInfo info(datasetPath);
    return QDir(info.isDir() ? info.absoluteFilePath() : info.absolutePath())
        .filePath(QStringLiteral("weaksight.sqlite"));
}

QStringList Workspace::recentDatasets()
{
    return QSettings().value(QStringLiteral("recentDatasets")).toStringList();
}

void Workspace::rememberDataset(const QString& path)
{
    QStringList recent = recentDatasets();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > 10)
        recent.removeLast();
    QSettings().setValue(QStringLiteral("recentDatasets"), recent);
}

bool Workspace::open(const QString& path)
{
    const fs::path p = path.toStdString();
    try {
        std::vector<CaseFiles> cases;
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            try {
                cases = scanDataset(p);
            } catch (const InputError&) {
                // Not a KiTS folder: perhaps a DICOM series.
                cases = {describeVolumeFile(p, VolumeRole::Imaging)};
            }
        } else {
            cases = {describeVolumeFile(p)};
        }
        m_cases = std::move(cases);
        const QFileInfo info(path);
        m_datasetRoot = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
        m_store.setPath(storePathFor(path));
        Q_EMIT casesListed();
        rememberDataset(path);
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Cannot open"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

void Workspace::setAnnotator(const QString& name)
{
    if (name == m_annotator)
        return;
    m_annotator = name;
    QSettings().setValue(QStringLiteral("annotator"), name); // asked once, remembered
    Q_EMIT annotatorChanged(name);
}

int Workspace::indexOf(const QString& caseId) const
{
    for (int i = 0; i < caseCount(); ++i)
        if (QString::fromStdString(m_cases[static_cast<size_t>(i)].caseId) == caseId)
            return i;
    return -1;
}

void Workspace::loadCase(int index)
{
    if (index < 0 || index >= caseCount())
        return;
    const CaseFiles files = m_cases[static_cast<size_t>(index)];
    const int generation = ++m_loadGeneration;
    Q_EMIT caseLoading(QString::fromStdString(files.caseId));
    m_loadWatcher.setFuture(QtConcurrent::run([files, generation]() {
        LoadResult result;
        result.generation = generation;
        try {
            result.loaded = std::make_shared<LoadedCase>(weaksight::loadCase(files));
        } catch (const std::bad_alloc&) {
            result.error = tr("Not enough memory to load %1.").arg(QString::fromStdString(files.caseId));
        } catch (const std::exception& e) {
            result.error = QString::fromStdString(e.what());
        }
        return result;
    }));
}

void Workspace::onLoaded()
{
    const LoadResult result = m_loadWatcher.result();
    if (result.generation != m_loadGeneration)
        return; // a newer request superseded this one
    if (!result.loaded) {
        Q_EMIT failed(tr("Cannot load case"), result.error);
        return;
    }
    m_current = result.loaded;
    Q_EMIT caseLoaded(m_current);
}

} // namespace weaksight::ui
