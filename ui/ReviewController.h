#pragma once

// UI model of the review loop (no widgets): for the slice on screen, one proposal per kidney crop
// (the active method's heatmap above its threshold); the labeller accepts, rejects, skips, or
// corrects it (editing starts from the proposal). Every decision goes to the dataset's annotation
// store at once, written on the store's thread (StoreOwner: one transaction, with the time spent and
// the IoU records against the ground truth) while the review goes on: until the store confirms it, a
// decision counts as pending (the status and the review order include it); if the write fails the
// labeller is told and a correction comes back for editing. The last decision can be undone (the
// audit log keeps both).

#include "core/cases/KitsCase.h"
#include "core/masks/MaskEditing.h"
#include "core/review/EditSession.h"
#include "core/review/ReviewOrder.h"
#include "storage/AnnotationStore.h"
#include "ui/EditJournal.h"
#include "ui/StoreOwner.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace weaksight {
class KidneyCentres;
}

namespace weaksight::ui {

class CamController;
class Workspace;

class ReviewController : public QObject {
    Q_OBJECT
public:
    /// The annotator, the dataset and its store come from the workspace.
    ReviewController(CamController& cams, Workspace& workspace, QObject* parent = nullptr);
    const CamController& cams() const { return m_cams; }
    ~ReviewController() override;

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
    /// The crop's side ("right" or "left" kidney); empty for the whole slice or without heatmaps.
    std::string cropSide() const;
    /// Whether proposals are refinements (drawn as masks: the map's isoline is not the proposal).
    bool proposalsRefined() const;

    /// The labeller's placement of a side's crop on this case (Ctrl+click): shown at once, kept in
    /// the store; and back to the automatic crops.
    void placeCrop(const CropPlacement& placement);
    void clearPlacements();

    /// What an accepted or corrected mask is: labels::Tumour (default) or labels::Cyst; stored with
    /// the decision and kept apart in the export.
    uint8_t activeLabel() const { return m_activeLabel; }
    void setActiveLabel(uint8_t label);

    bool accept();
    bool reject();
    bool skip();
    /// Enters editing with the proposal as the starting mask.
    bool startCorrection();
    bool editing() const { return m_edit != nullptr; }
    /// The correction in progress (brush, eraser, polygon and mask operations in slice pixels).
    review::EditSession* edit() const { return m_edit.get(); }
    MaskEditor* editor() const { return m_edit ? &m_edit->editor() : nullptr; }
    /// Records the edited mask as a correction (the journal keeps it until the store has it).
    bool finishCorrection();
    void cancelCorrection();
    /// Marks this session's last decision undone.
    bool undoLastDecision();
    /// Call after every finished stroke or action: the edit is journalled for crash recovery.
    void editChanged();
    /// Resumes a correction found in the journal after a crash (same case; its crop box).
    bool restoreCorrection(const EditRecovery& recovery);
    EditJournal& journal() { return m_journal; }

    /// The standing decision kind of a slice's crop: this session's decisions not yet confirmed by
    /// the store first, then the case's standing crops as last read (when the case opened, with
    /// each decision written, after each step through the review order).
    std::optional<storage::DecisionKind> decisionOf(int slice, int crop) const;
    /// The next slice that needs a decision: slices with kidney crops of which one has no standing
    /// decision, ordered by the classifier's lesion probability (highest first, once the scan has
    /// covered the case), then by slice; the one after (direction +1) or before (-1) the current
    /// slice in that order, wrapping around. Then one store query in the background (the case's
    /// standing crops), so decisions other annotators made meanwhile count at the next step.
    std::optional<int> nextUndecidedSlice(int direction = +1);
    /// That order, for the dashboard and tests.
    std::vector<int> reviewOrder();
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    /// A decision was made (its write is on its way: decisionSaved or failed follows).
    void decisionRecorded(int slice, int crop, const QString& kind);
    void decisionSaved(int slice, int crop, const QString& kind);
    void decisionUndone(int slice, int crop);
    void editingChanged(bool editing);
    /// A correction the store could not save is back for editing on its slice.
    void correctionReturned(int slice, int crop);
    void failed(const QString& message);
    /// The case's standing decisions were read from the store (the status and order may change).
    void standingRead();
    void activeLabelChanged(int label);

private:
    /// What the store's thread gives back after a decision or an undo: the case's row and its
    /// standing crops after the write.
    struct Standing {
        std::string caseKey;
        int64_t caseRow = 0;
        std::vector<storage::AnnotationStore::StandingCrop> crops; ///< newest first
    };
    /// A decision of this session, its store row filled in on the store's thread when written.
    struct Recorded {
        std::shared_ptr<int64_t> decisionId;
        int slice, crop;
        CropBox box;
    };
    /// A change asked of the store and not yet confirmed (kind nullopt: an undo).
    struct Pending {
        int64_t sequence;
        int slice, crop;
        CropBox box;
        std::optional<storage::DecisionKind> kind;
        std::string caseKey;
    };
    /// A correction the store could not save, waiting to come back for editing.
    struct Returned {
        std::string caseKey;
        int slice, crop;
        CropBox box;                   ///< the proposal's crop
        review::PlacedMask correction; ///< the final mask on its box
    };
    struct Fingerprints {
        std::string caseKey;
        std::optional<storage::CaseRegistration> registration;
    };

    /// A decision on the proposal in view; a correction's mask on its box (the crop, or larger).
    bool record(storage::DecisionKind kind, std::optional<review::PlacedMask> correction);
    /// The case's row in the store, registered (files, fingerprints) on its first write.
    static std::optional<int64_t> registeredCase(storage::AnnotationStore& store, const CaseFiles& files,
                                                 const std::string& root, QFuture<Fingerprints> fingerprints);
    void writePlacement(std::function<void(storage::AnnotationStore&, int64_t)> change);
    /// The case's placed crops from the store, when the case opens.
    void readPlacements();
    /// The case's lesion slices for its status: from its labels, else from the classifier's
    /// finished scan (p >= 0.5), else unknown; and which of the two.
    std::pair<std::optional<std::vector<int>>, std::string> lesionSlicesOfCase() const;
    storage::ProposalInput proposalInput(const CropBox& box, BinaryMask proposed) const;
    /// The write of one decision: the case registered at its first decision (with the fingerprints
    /// made in the background), model and CAM settings registered, proposal and decision in one
    /// transaction, then the case's standing crops.
    std::function<Standing(storage::AnnotationStore&)>
    decisionWrite(storage::ProposalInput proposal, storage::DecisionInput decision,
                  std::shared_ptr<int64_t> decisionId) const;
    void onDecisionWritten(const StoreReply<Standing>& reply, const Pending& change,
                           const std::shared_ptr<int64_t>& decisionId,
                           const std::optional<review::PlacedMask>& correction);
    void adoptStanding(const Standing& standing, int64_t confirmedUpTo);
    /// The first returned correction of the open case back for editing, when nothing is edited.
    void giveBackCorrection();
    void dropPending(int64_t sequence);
    /// The standing crops as last read with this session's unconfirmed changes applied (newest first).
    std::vector<storage::AnnotationStore::StandingCrop> standingNow() const;
    /// Reads the case's standing crops on the store's thread (one query once the case's row is known).
    void readStanding();
    review::ReviewOrderInput reviewOrderInput() const;
    void stopEditing(bool discardJournal);
    /// The case's kidney centres: the heatmap worker's when it has built them, else built here once.
    const KidneyCentres* centres() const;
    std::optional<CropBox> wholeSliceBox() const;
    /// Where a correction of `crop` can paint: the whole slice (and the crop where it passes the edge).
    CropBox editCanvas(const CropBox& crop) const;
    /// Clears what belonged to the previous dataset (the journal keeps a correction in progress).
    void onDatasetOpened();

    CamController& m_cams;
    Workspace& m_workspace;
    QFuture<Fingerprints> m_fingerprints; ///< the case's files, hashed when it loaded
    std::optional<int64_t> m_caseRow;     ///< the case's row, once known
    std::vector<storage::AnnotationStore::StandingCrop> m_standing; ///< newest first
    QFuture<StoreReply<Standing>> m_standingRead;                   ///< the case's first read
    std::vector<Pending> m_pending;                                 ///< oldest first
    int64_t m_sequence = 0;
    int m_datasetGeneration = 0; ///< replies for an earlier dataset are ignored
    std::vector<Returned> m_returned;
    int m_correctionsInFlight = 0;
    QFuture<StoreReply<Standing>> m_lastCorrectionWrite;
    std::shared_ptr<const LoadedCase> m_case;
    mutable std::shared_ptr<const KidneyCentres> m_centres;
    int m_slice = -1, m_crop = 0;
    uint8_t m_activeLabel = labels::Tumour;
    bool m_wholeSlice = false;
    std::unique_ptr<review::EditSession> m_edit; ///< its box stays fixed while editing
    EditJournal m_journal;
    QElapsedTimer m_shownSince; ///< time spent on the current proposal
    std::vector<Recorded> m_session;
    QString m_lastError;
};

} // namespace weaksight::ui
