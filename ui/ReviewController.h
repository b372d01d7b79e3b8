#pragma once

// UI model of the review loop (no widgets): for the slice on screen, one proposal per kidney crop
// (the active method's heatmap above its threshold); the labeller accepts, rejects, skips, or
// corrects it (editing starts from the proposal). Every decision is written to the dataset's
// annotation store at once (one transaction, with the time spent and the IoU records against the
// ground truth); the last decision can be undone (the audit log keeps both).

#include "core/cases/KitsCase.h"
#include "core/masks/MaskEditing.h"
#include "core/review/EditSession.h"
#include "core/review/ReviewOrder.h"
#include "storage/AnnotationStore.h"
#include "ui/EditJournal.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

namespace weaksight {
class KidneyCentres;
}

namespace weaksight::ui {

class CamController;

class ReviewController : public QObject {
    Q_OBJECT
public:
    explicit ReviewController(CamController& cams, QObject* parent = nullptr);
    ~ReviewController() override;

    void setAnnotator(const QString& name) { m_annotator = name; }
    QString annotator() const { return m_annotator; }
    /// The dataset folder and its store file (opened for writing at the first decision).
    void setDataset(const QString& datasetRoot, const QString& storePath);
    void setCase(std::shared_ptr<const LoadedCase> loaded);
    const LoadedCase* currentCase() const { return m_case.get(); }
    /// Review whole slices (one decision per slice: the union of its crops' proposals on the
    /// slice grid) instead of one decision per kidney crop.
    void setWholeSlice(bool whole);
    bool wholeSlice() const { return m_wholeSlice; }
    /// The slice and crop under review (crop = index into the slice's heatmap patches).
    void setTarget(int slice, int crop = 0);
    int slice() const { return m_slice; }
    int crop() const { return m_crop; }
    int cropCount() const;

    /// The proposal of the current crop: {map > threshold} on the crop grid (nullopt without heatmaps).
    std::optional<BinaryMask> proposal() const;
    /// The crop's box on the slice.
    std::optional<CropBox> cropBox() const;

    bool accept();
    bool reject();
    bool skip();
    /// Enters editing with the proposal as the starting mask.
    bool startCorrection();
    bool editing() const { return m_edit != nullptr; }
    /// The correction in progress (brush, eraser, polygon and mask operations in slice pixels).
    review::EditSession* edit() const { return m_edit.get(); }
    MaskEditor* editor() const { return m_edit ? &m_edit->editor() : nullptr; }
    /// Records the edited mask as a correction.
    bool finishCorrection();
    void cancelCorrection();
    /// Marks this session's last decision undone.
    bool undoLastDecision();
    /// Call after every finished stroke or action: the edit is journalled for crash recovery.
    void editChanged();
    /// Resumes a correction found in the journal after a crash (same case; its crop box).
    bool restoreCorrection(const EditRecovery& recovery);
    EditJournal& journal() { return m_journal; }

    /// The standing decision kind of a slice's crop, from the case's standing crops as last read
    /// (when the case opened, after each decision, at each step through the review order).
    std::optional<storage::DecisionKind> decisionOf(int slice, int crop) const;
    /// The next slice that needs a decision: slices with kidney crops of which one has no standing
    /// decision, ordered by the classifier's lesion probability (highest first, once the scan has
    /// covered the case), then by slice; the one after (direction +1) or before (-1) the current
    /// slice in that order, wrapping around.
    /// One store query: the case's standing crops, read again so other annotators' decisions count.
    std::optional<int> nextUndecidedSlice(int direction = +1);
    /// That order, for the dashboard and tests (the same one query).
    std::vector<int> reviewOrder();
    /// The store, once opened (tests and the dashboard read it).
    storage::AnnotationStore* store() const { return m_store.get(); }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void decisionRecorded(int slice, int crop, const QString& kind);
    void decisionUndone(int slice, int crop);
    void editingChanged(bool editing);
    void failed(const QString& message);
    /// The case's standing decisions were read from a store that finished opening in the background.
    void standingRead();

private:
    bool record(storage::DecisionKind kind, std::optional<BinaryMask> finalMask);
    storage::ProposalInput proposalInput(int64_t caseRowId, const CropBox& box, BinaryMask proposed);
    review::ReviewOrderInput reviewOrderInput() const;
    void stopEditing(bool discardJournal);
    /// The case's kidney centres: the heatmap worker's when it has built them, else built here once.
    const KidneyCentres* centres() const;
    std::optional<CropBox> wholeSliceBox() const;
    /// The store: opened in the background when the dataset is set and its file exists (checks and
    /// migrations cost time on a large store), else created here at the first decision.
    bool openStore();
    void adoptOpenedStore();
    /// The case's row in the store, registered at its first decision (its fingerprints were made
    /// in the background when the case loaded).
    std::optional<int64_t> caseRow();
    /// Reads the case's standing crops (one query once the case's row is known); with waitForStore
    /// it first waits for a store still opening in the background.
    void refreshStanding(bool waitForStore = false);
    std::optional<storage::CaseRegistration> takeRegistration();

    CamController& m_cams;
    QString m_annotator;
    QString m_datasetRoot, m_storePath;
    std::shared_ptr<storage::AnnotationStore> m_store;
    int64_t m_datasetId = 0;
    struct OpenedStore {
        std::shared_ptr<storage::AnnotationStore> store;
        QString path;
        QString error;
    };
    QFutureWatcher<OpenedStore> m_storeOpening;
    struct Registration {
        std::string caseKey;
        std::optional<storage::CaseRegistration> registration;
    };
    QFutureWatcher<Registration> m_registration;
    std::optional<int64_t> m_caseRow;                               ///< the case's row, once known
    std::vector<storage::AnnotationStore::StandingCrop> m_standing; ///< newest first
    std::shared_ptr<const LoadedCase> m_case;
    mutable std::shared_ptr<const KidneyCentres> m_centres;
    int m_slice = -1, m_crop = 0;
    bool m_wholeSlice = false;
    std::unique_ptr<review::EditSession> m_edit; ///< its box stays fixed while editing
    EditJournal m_journal;
    QElapsedTimer m_shownSince; ///< time spent on the current proposal
    struct Recorded {
        int64_t decisionId;
        int slice, crop;
    };
    std::vector<Recorded> m_session;
    QString m_lastError;
};

} // namespace weaksight::ui
