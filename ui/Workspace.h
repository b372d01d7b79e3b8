#pragma once

// What the workstation has open and who works in it: a dataset (or one case, volume or DICOM
// series), its cases, its annotation store (the process's one StoreOwner), the case on screen and
// the annotator. Opening lists the cases without reading voxels; a case loads on a worker thread
// (the GUI thread never reads files) and a newer request supersedes an older one. No widgets: the
// window shows what this reports. (The CAM settings value lives in the main view's CamController,
// which fits it to the model it has loaded: a second copy here could only drift from it.)

#include "core/cases/KitsCase.h"
#include "ui/StoreOwner.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

namespace weaksight::ui {

class Workspace : public QObject {
    Q_OBJECT
public:
    explicit Workspace(QObject* parent = nullptr);
    ~Workspace() override;

    /// The annotation store of a dataset: `weaksight.sqlite` in its folder (a file's folder for a
    /// single volume).
    static QString storePathFor(const QString& datasetPath);
    /// Datasets opened before, newest first (kept in the settings).
    static QStringList recentDatasets();

    /// A dataset folder, a case folder, a volume file or a DICOM series folder: lists its cases and
    /// emits casesListed (or failed).
    bool open(const QString& path);
    const std::vector<CaseFiles>& cases() const { return m_cases; }
    int caseCount() const { return static_cast<int>(m_cases.size()); }
    /// The index of a case by its id, or -1.
    int indexOf(const QString& caseId) const;
    /// The dataset's folder (a file's folder for a single volume) and its store.
    QString datasetRoot() const { return m_datasetRoot; }
    QString storePath() const { return m_store.path(); }
    /// The dataset's annotation store: every read and write goes through it.
    StoreOwner& store() { return m_store; }

    /// Who makes the decisions (stored with each); remembered in the settings.
    QString annotator() const { return m_annotator; }
    void setAnnotator(const QString& name);

    /// A CT paired with a segmentation from anywhere (`weaksight gui --image CT --labels SEG`):
    /// one case, read with `labelTable` (a table file) or the table the segmentation carries or
    /// sits beside. The pairing is remembered for the image (reopening it brings the labels back).
    bool openPaired(const QString& image, const QString& segmentation, const QString& labelTable = {});
    /// Pairs the case on screen with a segmentation file (File › Load segmentation…, a dropped
    /// file) and loads it again with it; its grid must be the image's. When the new labels fail the
    /// case keeps the ones it had, and failed says why.
    void attachSegmentation(const QString& segmentation, const QString& labelTable = {});
    /// Reads the case's labels again with another table (File › Load label table…).
    void applyLabelTable(const QString& labelTable);
    /// A dropped file or folder: a segmentation or a label table for the case on screen when it is
    /// one (read in the background), else opened as a dataset, case or volume.
    void openDropped(const QString& path);

    /// Loads a case in the background: caseLoaded or failed follows.
    void loadCase(int index);
    std::shared_ptr<const LoadedCase> currentCase() const { return m_current; }
    /// The case on screen (or loading), or -1.
    int currentIndex() const { return m_currentIndex; }

Q_SIGNALS:
    void casesListed();
    /// A listed case's files changed (a segmentation or label table attached to it).
    void caseFilesChanged(int index);
    void caseLoading(const QString& caseId);
    void caseLoaded(std::shared_ptr<const LoadedCase> loaded);
    void failed(const QString& title, const QString& message);
    void annotatorChanged(const QString& name);

private:
    struct LoadResult {
        std::shared_ptr<LoadedCase> loaded;
        QString error;
        int generation = 0;
        int index = -1;
        CaseFiles files; ///< what was asked for
    };
    void rememberDataset(const QString& path);
    void listCases(std::vector<CaseFiles> cases, const QString& path);
    /// Loads `files` as case `index`; they replace the listed ones only once they load.
    void startLoad(int index, const CaseFiles& files);
    void onLoaded();
    static void rememberPairing(const CaseFiles& files);
    static void forgetPairing(const CaseFiles& files);
    static std::optional<CaseFiles> rememberedPairing(const CaseFiles& files);

    std::vector<CaseFiles> m_cases;
    QString m_datasetRoot;
    StoreOwner m_store;
    QString m_annotator;
    std::shared_ptr<const LoadedCase> m_current;
    int m_currentIndex = -1;
    QFutureWatcher<LoadResult> m_loadWatcher;
    int m_loadGeneration = 0;
};

} // namespace weaksight::ui
