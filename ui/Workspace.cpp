#include "ui/Workspace.h"

#include "core/common/Error.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>
#include <cstring>
#include <filesystem>
#include <spdlog/spdlog.h>

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
        // A volume opened before with a segmentation gets it back.
        if (cases.size() == 1 && cases.front().layout == KitsLayout::SingleFile &&
            !cases.front().segmentation)
            if (auto paired = rememberedPairing(cases.front()))
                cases.front() = std::move(*paired);
        listCases(std::move(cases), path);
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Cannot open"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

void Workspace::listCases(std::vector<CaseFiles> cases, const QString& path)
{
    m_cases = std::move(cases);
    m_current.reset();
    m_currentIndex = -1;
    ++m_loadGeneration; // a load of the old list still running is dropped when it ends
    const QFileInfo info(path);
    m_datasetRoot = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    m_store.setPath(storePathFor(path));
    Q_EMIT casesListed();
    rememberDataset(path);
}

bool Workspace::openPaired(const QString& image, const QString& segmentation, const QString& labelTable)
{
    try {
        const auto table =
            labelTable.isEmpty() ? std::nullopt : std::optional<fs::path>(labelTable.toStdString());
        CaseFiles files = pairedCase(image.toStdString(), segmentation.toStdString(), table);
        listCases({std::move(files)}, image); // remembered once it loads
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Cannot open"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

void Workspace::attachSegmentation(const QString& segmentation, const QString& labelTable)
{
    if (m_currentIndex < 0 || !m_cases[static_cast<size_t>(m_currentIndex)].imaging) {
        Q_EMIT failed(tr("Cannot load segmentation"),
                      tr("Open a CT first: a segmentation is loaded onto its image."));
        return;
    }
    try {
        const auto table =
            labelTable.isEmpty() ? std::nullopt : std::optional<fs::path>(labelTable.toStdString());
        const CaseFiles& current = m_cases[static_cast<size_t>(m_currentIndex)];
        CaseFiles files = pairedCase(*current.imaging, segmentation.toStdString(), table);
        files.caseId = current.caseId; // the case keeps its name (and its decisions in the store)
        files.directory = current.directory;
        files.layout = current.layout;
        startLoad(m_currentIndex, files);
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Cannot load segmentation"), QString::fromStdString(e.what()));
    }
}

void Workspace::applyLabelTable(const QString& labelTable)
{
    if (m_currentIndex < 0 || !m_cases[static_cast<size_t>(m_currentIndex)].segmentation) {
        Q_EMIT failed(tr("Cannot load label table"),
                      tr("The case on screen has no segmentation to read with it."));
        return;
    }
    try {
        CaseFiles files = m_cases[static_cast<size_t>(m_currentIndex)];
        files.labelTable = LabelTable::read(labelTable.toStdString());
        startLoad(m_currentIndex, files);
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Cannot load label table"), QString::fromStdString(e.what()));
    }
}

void Workspace::openDropped(const QString& path)
{
    enum Role { Open, Segmentation, Table };
    const bool imageOnScreen = m_currentIndex >= 0 && m_cases[static_cast<size_t>(m_currentIndex)].imaging;
    // The header says whether a file holds labels: read on a worker, as every file is.
    QtConcurrent::run([path, imageOnScreen] {
        const fs::path p = path.toStdString();
        const std::string name = p.filename().string();
        std::error_code ec;
        if (!imageOnScreen || fs::is_directory(p, ec))
            return Open;
        if (name.size() > 9 && name.compare(name.size() - 9, 9, ".seg.nrrd") == 0)
            return Segmentation;
        for (const char* extension : {".json", ".label", ".txt"})
            if (name.size() > std::strlen(extension) &&
                name.compare(name.size() - std::strlen(extension), std::strlen(extension), extension) == 0)
                return Table;
        try {
            return readVolumeHeader(p).looksLikeLabels() ? Segmentation : Open;
        } catch (const std::exception&) {
            return Open; // opening it reports the problem
        }
    }).then(this, [this, path](Role role) {
        if (role == Segmentation)
            attachSegmentation(path);
        else if (role == Table)
            applyLabelTable(path);
        else
            open(path);
    });
}

namespace {

/// The settings key of a CT's remembered segmentation.
QString pairingKey(const fs::path& image)
{
    return QStringLiteral("segmentations/") +
           QString::fromStdString(fs::absolute(image).string())
               .toUtf8()
               .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

void Workspace::rememberPairing(const CaseFiles& files)
{
    if (files.layout != KitsLayout::SingleFile || !files.imaging || !files.segmentation)
        return;
    QSettings().setValue(pairingKey(*files.imaging),
                         QStringList{QString::fromStdString(fs::absolute(*files.segmentation).string()),
                                     QString::fromStdString(files.labelTable.source())});
}

void Workspace::forgetPairing(const CaseFiles& files)
{
    if (files.imaging)
        QSettings().remove(pairingKey(*files.imaging));
}

std::optional<CaseFiles> Workspace::rememberedPairing(const CaseFiles& files)
{
    if (!files.imaging)
        return std::nullopt;
    const QString key = pairingKey(*files.imaging);
    const QStringList pairing = QSettings().value(key).toStringList();
    if (pairing.size() != 2)
        return std::nullopt;
    try {
        const fs::path table = pairing[1].toStdString();
        std::error_code ec;
        return pairedCase(*files.imaging, pairing[0].toStdString(),
                          fs::is_regular_file(table, ec) ? std::optional<fs::path>(table) : std::nullopt);
    } catch (const std::exception& e) {
        spdlog::warn("the segmentation paired with {} before cannot be used: {}", files.imaging->string(),
                     e.what());
        return std::nullopt;
    }
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
    startLoad(index, m_cases[static_cast<size_t>(index)]);
}

void Workspace::startLoad(int index, const CaseFiles& files)
{
    const int generation = ++m_loadGeneration;
    m_currentIndex = index;
    Q_EMIT caseLoading(QString::fromStdString(files.caseId));
    m_loadWatcher.setFuture(QtConcurrent::run([files, generation, index]() {
        LoadResult result;
        result.generation = generation;
        result.index = index;
        result.files = files;
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
    auto& listed = m_cases[static_cast<size_t>(result.index)];
    if (!result.loaded) {
        // A CT with the segmentation paired with it before (or given with it) that cannot be
        // used any more (the error names it): forgotten, and the CT opens alone.
        if (listed.layout == KitsLayout::SingleFile && listed.segmentation &&
            listed.segmentation == result.files.segmentation &&
            result.error.contains(QString::fromStdString(listed.segmentation->string()))) {
            forgetPairing(listed);
            listed.segmentation.reset();
            listed.labelTable = LabelTable::none();
            Q_EMIT caseFilesChanged(result.index);
            Q_EMIT failed(tr("Cannot load the segmentation"),
                          result.error + tr("\nThe CT opens without it."));
            startLoad(result.index, listed);
            return;
        }
        // The case on screen stays (e.g. with its old labels after a segmentation on another grid).
        if (m_current)
            m_currentIndex = indexOf(QString::fromStdString(m_current->files.caseId));
        Q_EMIT failed(tr("Cannot load case"), result.error);
        return;
    }
    if (listed.segmentation != result.loaded->files.segmentation ||
        listed.labelTable.source() != result.loaded->files.labelTable.source()) {
        listed = result.loaded->files; // a segmentation or table attached: the case keeps it
        Q_EMIT caseFilesChanged(result.index);
    }
    rememberPairing(listed); // a CT with a segmentation from elsewhere, once it loaded
    m_current = result.loaded;
    Q_EMIT caseLoaded(m_current);
}

} // namespace weaksight::ui
