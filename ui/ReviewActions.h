#pragma once

// The Review menu and its keys: accept, reject, skip, correct, the editing tools (brush and
// eraser through the view, polygon, fill holes, islands, HU range), undo / redo, and the review
// order (Space). It binds the view's mouse input and the keys to the ReviewController and its
// EditSession, shows their state in the view and the status bar, and decides nothing itself.

#include "core/masks/CropBox.h"
#include "ui/EditJournal.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <functional>
#include <optional>
#include <utility>

class QAction;
class QKeySequence;
class QLabel;
class QMainWindow;
class QMenu;

namespace weaksight::ui {

class KeyBindings;
class ReviewController;
class SliceView;
class Workspace;

class ReviewActions : public QObject {
    Q_OBJECT
public:
    ReviewActions(QMainWindow& window, ReviewController& review, SliceView& view, KeyBindings& keys,
                  Workspace& workspace);

    /// The next (or previous) slice in the review order, or a note that every crop is decided.
    void goToNextUndecided(int direction);
    /// The status bar's "Review: crop i of n — decision — editing".
    void updateStatus();
    /// Asks for the annotator's name when none is set (false: still none).
    bool ensureAnnotator();
    bool askAnnotator();
    /// Draws the current crop's proposal when it is a refinement (the isoline shows only map > t).
    void showRefinedProposal();

    /// Crash recovery: a correction left in the journal, offered back at start-up; restoring it
    /// opens its dataset (through the workspace) and resumes once its case has loaded.
    std::optional<EditRecovery> pendingRecovery() const;
    bool offerRecovery();
    void recoverEdit(const EditRecovery& recovery);
    /// The case a recovery waits for ("" when none): the case list opens it first.
    QString recoveryCaseId() const;
    /// Call when a case has loaded and is on screen.
    void resumeRecoveredEdit();
    /// On closing the window with a correction in progress: record it, discard it, or stay (false).
    bool confirmClose();

Q_SIGNALS:
    /// Ctrl+Shift+drag resized the crop under review: the crop size (model input pixels) to use.
    void cropSizeChosen(int pixels);

private:
    QAction* add(QMenu* menu, const QString& id, const QString& text, const QKeySequence& key,
                 std::function<void()> run);
    void addDecisionActions(QMenu* menu);
    void addEditActions(QMenu* menu);
    void addPolygonActions(QMenu* menu);
    void addNavigationActions(QMenu* menu);
    void connectView();
    void connectReview();
    /// Runs an editing step while a correction is open, journals it and shows the mask.
    void edit(const std::function<void()>& step);
    void polygonKey(bool subtract);
    void keepHuRange();
    void showEditedMask();
    void endPolygon();
    /// Esc: ends a polygon, else cancels the correction (asking by a second Esc when it has edits).
    void cancelKey();
    /// The crop under review outlined in cyan, and centred in a zoomed view when it changes.
    void followTarget();
    void showMessage(const QString& text, int ms);
    /// The crop under review resized to reach slice pixel (row, col) from its centre: the box it
    /// snaps to and the crop size that gives it.
    std::optional<std::pair<CropBox, int>> resizedCrop(double row, double col) const;

    QMainWindow& m_window;
    ReviewController& m_review;
    SliceView& m_view;
    KeyBindings& m_keys;
    Workspace& m_workspace;
    std::optional<EditRecovery> m_recovery; ///< waiting for its case to load
    /// Esc on a correction with edits arms the discard; a second Esc within kDiscardConfirmMs does it.
    QElapsedTimer m_discardArmed;
    std::pair<int, int> m_followedTarget{-1, -1}; ///< the slice and crop last centred
    static constexpr qint64 kDiscardConfirmMs = 4000;
    QAction* m_autoAdvance = nullptr;
    QLabel* m_statusLabel = nullptr;
};

} // namespace weaksight::ui
