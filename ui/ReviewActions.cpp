#include "ui/ReviewActions.h"

#include "core/dataset/KidneyCrops.h"
#include "core/masks/MaskEditing.h"
#include "render/MaskLayer.h"
#include "ui/CamController.h"
#include "ui/Dialogs.h"
#include "ui/KeyBindings.h"
#include "ui/ReviewController.h"
#include "ui/SliceView.h"
#include "ui/Workspace.h"

#include <QAction>
#include <QDateTime>
#include <QInputDialog>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <cmath>

namespace weaksight::ui {

ReviewActions::ReviewActions(QMainWindow& window, ReviewController& review, SliceView& view,
                             KeyBindings& keys, Workspace& workspace)
    : QObject(&window)
    , m_window(window)
    , m_review(review)
    , m_view(view)
    , m_keys(keys)
    , m_workspace(workspace)
{
    auto* menu = window.menuBar()->addMenu(tr("&Review"));
    addDecisionActions(menu);
    menu->addSeparator();
    addEditActions(menu);
    menu->addSeparator();
    addNavigationActions(menu);
    connectView();
    connectReview();
    m_statusLabel = new QLabel(&window);
    window.statusBar()->addWidget(m_statusLabel);
}

QAction* ReviewActions::add(QMenu* menu, const QString& id, const QString& text, const QKeySequence& key,
                            std::function<void()> run)
{
    QAction* action = menu->addAction(text, this, std::move(run), key);
    action->setShortcutContext(Qt::WindowShortcut);
    m_keys.add(id, action);
    return action;
}

std::optional<std::pair<CropBox, int>> ReviewActions::resizedCrop(double row, double col) const
{
    const auto box = m_review.cropBox();
    if (!box || m_review.wholeSlice() || m_review.editing())
        return std::nullopt;
    // Half the box on each axis reaches the cursor from the crop's centre.
    const double centreRow = box->row0 + (box->rows - 1) / 2.0, centreCol = box->col0 + (box->cols - 1) / 2.0;
    const int rows = static_cast<int>(std::lround(2 * std::abs(row - centreRow))) + 1;
    const int cols = static_cast<int>(std::lround(2 * std::abs(col - centreCol))) + 1;
    CropSampling sampling = m_review.cams().sampling();
    sampling.cropSize = cropSizeCovering(sampling, rows, cols);
    const auto [extentRows, extentCols] = sampling.extent();
    const CropBox snapped{static_cast<int>(std::lround(centreRow - (extentRows - 1) / 2.0)),
                          static_cast<int>(std::lround(centreCol - (extentCols - 1) / 2.0)), extentRows,
                          extentCols};
    return std::make_pair(snapped, sampling.cropSize);
}

void ReviewActions::showMessage(const QString& text, int ms)
{
    m_window.statusBar()->showMessage(text, ms);
}

void ReviewActions::addDecisionActions(QMenu* menu)
{
    const auto decide = [this](bool (ReviewController::*what)()) {
        if (ensureAnnotator())
            (m_review.*what)();
    };
    add(menu, QStringLiteral("review.accept"), tr("&Accept proposal"), QKeySequence(Qt::Key_A),
        [decide] { decide(&ReviewController::accept); });
    add(menu, QStringLiteral("review.label"), tr("&Label: tumour or cyst"), QKeySequence(Qt::Key_L), [this] {
        m_review.setActiveLabel(m_review.activeLabel() == labels::Tumour ? labels::Cyst : labels::Tumour);
        showMessage(m_review.activeLabel() == labels::Cyst
                        ? tr("Accepted and corrected masks are now cysts.")
                        : tr("Accepted and corrected masks are now tumours."),
                    4000);
    });
    add(menu, QStringLiteral("review.reject"), tr("Re&ject proposal"), QKeySequence(Qt::Key_X),
        [decide] { decide(&ReviewController::reject); });
    add(menu, QStringLiteral("review.skip"), tr("&Skip"), QKeySequence(Qt::Key_S),
        [decide] { decide(&ReviewController::skip); });
    add(menu, QStringLiteral("review.correct"), tr("&Correct (edit the proposal)"), QKeySequence(Qt::Key_E),
        [this] { m_review.startCorrection(); });
    add(menu, QStringLiteral("review.finish"), tr("&Finish correction"), QKeySequence(Qt::Key_Return),
        [this] {
            if (m_review.editing() && ensureAnnotator())
                m_review.finishCorrection();
        });
    add(menu, QStringLiteral("review.cancel"), tr("Cancel correction"), QKeySequence(Qt::Key_Escape),
        [this] { cancelKey(); });
    menu->addSeparator();
    add(menu, QStringLiteral("edit.undo"), tr("&Undo"), QKeySequence::Undo, [this] {
        // While editing: the last stroke or action; else the last decision (the audit log keeps it).
        if (m_review.editing())
            edit([this] { m_review.editor()->undo(); });
        else if (m_review.undoLastDecision())
            showMessage(tr("Decision undone."), 4000);
    });
    add(menu, QStringLiteral("edit.redo"), tr("&Redo"), QKeySequence::Redo,
        [this] { edit([this] { m_review.editor()->redo(); }); });
}

void ReviewActions::edit(const std::function<void()>& step)
{
    if (!m_review.editing())
        return;
    step();
    m_review.editChanged(); // journalled: a crash loses at most the stroke in progress
    showEditedMask();
}

void ReviewActions::addEditActions(QMenu* menu)
{
    const auto operation = [this](std::function<BinaryMask(const BinaryMask&)> op) {
        edit([this, op] { m_review.edit()->apply(op); });
    };
    add(menu, QStringLiteral("edit.fillHoles"), tr("Fill &holes"), QKeySequence(Qt::Key_F),
        [operation] { operation(fillHoles); });
    add(menu, QStringLiteral("edit.keepLargest"), tr("&Keep the largest component"), QKeySequence(Qt::Key_K),
        [operation] { operation(keepLargestComponent); });
    add(menu, QStringLiteral("edit.removeIslands"), tr("Remove small &islands"), QKeySequence(Qt::Key_I),
        [operation] { operation([](const BinaryMask& m) { return removeSmallIslands(m, 10); }); });
    add(menu, QStringLiteral("edit.applyProposal"), tr("Apply the &proposal"), QKeySequence(Qt::Key_P),
        [this, operation] {
            // The proposal lies on its crop; the mask being edited on the whole slice.
            if (const auto p = m_review.proposal(); p && m_review.editing()) {
                const BinaryMask onCanvas = placeMask(*p, m_review.edit()->crop(), m_review.edit()->box());
                operation([onCanvas](const BinaryMask&) { return onCanvas; });
            }
        });
    addPolygonActions(menu);
    add(menu, QStringLiteral("edit.thresholdHu"), tr("Keep an &HU range within the mask…"),
        QKeySequence(Qt::Key_T), [this] { keepHuRange(); });
    add(menu, QStringLiteral("edit.largerBrush"), tr("Larger brush"), QKeySequence(Qt::Key_BracketRight),
        [this] { m_view.setBrushRadiusMm(m_view.brushRadiusMm() * 1.25); });
    add(menu, QStringLiteral("edit.smallerBrush"), tr("Smaller brush"), QKeySequence(Qt::Key_BracketLeft),
        [this] { m_view.setBrushRadiusMm(m_view.brushRadiusMm() / 1.25); });
}

void ReviewActions::addPolygonActions(QMenu* menu)
{
    add(menu, QStringLiteral("edit.polygonAdd"), tr("Polygon: &add (G to start, G to close)"),
        QKeySequence(Qt::Key_G), [this] { polygonKey(false); });
    add(menu, QStringLiteral("edit.polygonSubtract"), tr("Polygon: s&ubtract (Shift+G)"),
        QKeySequence(Qt::SHIFT | Qt::Key_G), [this] { polygonKey(true); });
}

void ReviewActions::polygonKey(bool subtract)
{
    if (!m_review.editing())
        return;
    if (m_view.polygonMode()) { // the same key again closes the polygon and applies it
        edit([this] { m_review.edit()->applyPolygon(); });
        endPolygon();
        return;
    }
    m_review.edit()->startPolygon(subtract);
    m_view.setPolygonMode(true);
    showMessage(subtract ? tr("Polygon (subtract): click the corners, Shift+G closes it, Esc cancels.")
                         : tr("Polygon (add): click the corners, G closes it, Esc cancels."),
                8000);
}

void ReviewActions::keepHuRange()
{
    const LoadedCase* loaded = m_review.currentCase();
    if (!m_review.editing() || !loaded || !loaded->imaging)
        return;
    // Default: the HU range the window shows now.
    const auto wl = m_view.scene().windowLevel();
    int low = static_cast<int>(std::lround(wl.level - wl.window / 2));
    int high = static_cast<int>(std::lround(wl.level + wl.window / 2));
    if (dialogsAllowed()) {
        bool ok = false;
        const QString range =
            QInputDialog::getText(&m_window, tr("HU range"), tr("Keep mask pixels from … to … HU:"),
                                  QLineEdit::Normal, QStringLiteral("%1 %2").arg(low).arg(high), &ok);
        const QStringList parts =
            range.split(QRegularExpression(QStringLiteral("[\\s,;]+")), Qt::SkipEmptyParts);
        if (!ok || parts.size() != 2)
            return;
        low = parts[0].toInt();
        high = parts[1].toInt();
    }
    edit([&] { m_review.edit()->keepHuRange(*loaded->imaging, m_review.slice(), low, high); });
    showMessage(tr("Kept the mask's pixels from %1 to %2 HU.").arg(low).arg(high), 5000);
}

void ReviewActions::addNavigationActions(QMenu* menu)
{
    add(menu, QStringLiteral("review.nextUndecided"), tr("&Next undecided"), QKeySequence(Qt::Key_Space),
        [this] { goToNextUndecided(+1); });
    add(menu, QStringLiteral("review.previousUndecided"), tr("Previous undecided"),
        QKeySequence(Qt::SHIFT | Qt::Key_Space), [this] { goToNextUndecided(-1); });
    auto* wholeSlices = menu->addAction(tr("Review whole slices (not kidney crops)"));
    wholeSlices->setCheckable(true);
    connect(wholeSlices, &QAction::toggled, this, [this](bool on) {
        m_review.setWholeSlice(on);
        updateStatus();
    });
    auto* automaticCrops = menu->addAction(tr("Automatic crops again (forget the placed ones)"));
    automaticCrops->setObjectName("automaticCrops");
    connect(automaticCrops, &QAction::triggered, this, [this] {
        m_review.clearPlacements();
        showMessage(tr("The crops follow the kidney labels (or the slice's halves) again."), 4000);
    });
    m_autoAdvance = menu->addAction(tr("Advance after a decision"));
    m_autoAdvance->setCheckable(true);
    m_autoAdvance->setChecked(QSettings().value(QStringLiteral("autoAdvance"), true).toBool());
    connect(m_autoAdvance, &QAction::toggled, this,
            [](bool on) { QSettings().setValue(QStringLiteral("autoAdvance"), on); });
    add(menu, QStringLiteral("review.annotator"), tr("Set the annotator's name…"), QKeySequence(),
        [this] { askAnnotator(); });
}

void ReviewActions::connectView()
{
    connect(&m_view, &SliceView::brushPressed, this, [this](double row, double col, bool paint) {
        if (!m_review.editing())
            return;
        m_review.edit()->beginStroke(row, col, m_view.brushRadiusPixels(), paint);
        showEditedMask();
    });
    connect(&m_view, &SliceView::brushMoved, this, [this](double row, double col) {
        if (!m_review.editing())
            return;
        m_review.edit()->strokeTo(row, col, m_view.brushRadiusPixels());
        showEditedMask();
    });
    connect(&m_view, &SliceView::brushReleased, this, [this] {
        if (!m_review.editing())
            return;
        m_review.edit()->endStroke();
        m_review.editChanged(); // journalled: a crash loses at most the stroke in progress
    });
    connect(&m_view, &SliceView::cropPlacementClicked, this, [this](double row, double col) {
        const LoadedCase* c = m_review.currentCase();
        if (!c || !c->imaging || m_review.editing())
            return;
        const auto spacing = c->geometry().canonicalSpacing();
        const CropPlacement placement = placementAt(row, col, c->imaging->cols(), spacing[1], spacing[2]);
        m_review.placeCrop(placement);
        showMessage(tr("The %1 kidney's crop is placed here on every slice of the case (Review › Automatic "
                       "crops again undoes it).")
                        .arg(placement.side == "right" ? tr("right") : tr("left")),
                    6000);
    });
    // Ctrl+Shift+drag: the crop under review grows or shrinks about its centre, snapping to a
    // field of view the model reads at its own pixel spacing; released, the crop size changes.
    connect(&m_view, &SliceView::cropResizing, this, [this](double row, double col) {
        if (const auto resized = resizedCrop(row, col)) {
            m_view.heatmapLayer().setHighlightedBox(resized->first);
            m_view.requestRender();
            showMessage(tr("Crop %1 px (%2 × %3 slice pixels): release to use it")
                            .arg(resized->second)
                            .arg(resized->first.rows)
                            .arg(resized->first.cols),
                        3000);
        }
    });
    connect(&m_view, &SliceView::cropResized, this, [this](double row, double col) {
        if (const auto resized = resizedCrop(row, col)) {
            showMessage(
                tr("Crop size %1 px on every slice (the crop-size box in the toolbar)").arg(resized->second),
                5000);
            Q_EMIT cropSizeChosen(resized->second);
        }
        followTarget();
    });
    connect(&m_view, &SliceView::polygonPoint, this, [this](double row, double col) {
        if (!m_review.editing())
            return;
        m_review.edit()->addPolygonCorner(row, col);
        m_view.maskLayer().setPolygon(m_review.edit()->closedPolygon());
        m_view.requestRender();
    });
}

void ReviewActions::connectReview()
{
    connect(&m_review, &ReviewController::editingChanged, this, [this](bool editing) {
        endPolygon();
        m_view.setBrushMode(editing);
        if (editing)
            showEditedMask();
        else
            m_view.maskLayer().clear();
        m_view.requestRender();
        updateStatus();
    });
    connect(&m_review, &ReviewController::decisionSaved, this,
            [this](int slice, int crop, const QString& kind) {
                showMessage(tr("Slice %1, crop %2: %3 (saved)").arg(slice).arg(crop + 1).arg(kind), 4000);
                updateStatus();
            });
    connect(&m_review, &ReviewController::correctionReturned, this, [this](int slice, int) {
        m_view.setSlice(slice);
        updateStatus();
    });
    connect(&m_review, &ReviewController::decisionRecorded, this,
            [this](int slice, int crop, const QString&) {
                if (m_autoAdvance->isChecked()) {
                    if (crop + 1 < m_review.cropCount())
                        m_review.setTarget(slice, crop + 1);
                    else
                        goToNextUndecided(+1);
                }
                updateStatus();
            });
    connect(&m_review, &ReviewController::decisionUndone, this, [this](int slice, int crop) {
        m_view.setSlice(slice);
        m_review.setTarget(slice, crop);
        updateStatus();
    });
    connect(&m_review, &ReviewController::failed, this,
            [this](const QString& message) { showMessage(message, 8000); });
    connect(&m_review, &ReviewController::standingRead, this, &ReviewActions::updateStatus);
    // An Esc that armed the discard of one correction never carries over to the next.
    connect(&m_review, &ReviewController::editingChanged, this, [this] { m_discardArmed.invalidate(); });
    connect(&m_review, &ReviewController::activeLabelChanged, this, [this] {
        showEditedMask();
        updateStatus();
    });
}

bool ReviewActions::ensureAnnotator()
{
    return !m_workspace.annotator().trimmed().isEmpty() || askAnnotator();
}

bool ReviewActions::askAnnotator()
{
    if (!dialogsAllowed()) {
        showMessage(tr("Set the annotator's name first (Review menu)."), 8000);
        return false;
    }
    bool ok = false;
    const QString name =
        QInputDialog::getText(&m_window, tr("Annotator"), tr("Your name (stored with every decision):"),
                              QLineEdit::Normal, m_workspace.annotator(), &ok)
            .trimmed();
    if (!ok || name.isEmpty())
        return false;
    m_workspace.setAnnotator(name); // asked once, remembered
    return true;
}

void ReviewActions::endPolygon()
{
    if (m_review.editing())
        m_review.edit()->cancelPolygon();
    m_view.setPolygonMode(false);
    m_view.maskLayer().setPolygon({});
    m_view.requestRender();
}

void ReviewActions::showEditedMask()
{
    if (!m_review.editing())
        return;
    // Only the part that holds the crop and the strokes: the slice-wide canvas would make the mask
    // layer trace and upload the whole slice at every frame.
    const review::PlacedMask shown = m_review.edit()->finalMask();
    // The labeller's mask: orange for a tumour, violet for a cyst.
    if (m_review.activeLabel() == labels::Cyst)
        m_view.maskLayer().setColour(0.7, 0.45, 1.0);
    else
        m_view.maskLayer().setColour(1.0, 0.55, 0.0);
    m_view.maskLayer().setMask(shown.box.row0, shown.box.col0, shown.mask);
    m_view.requestRender();
}

void ReviewActions::goToNextUndecided(int direction)
{
    if (const auto next = m_review.nextUndecidedSlice(direction)) {
        m_view.setSlice(*next);
        m_review.setTarget(*next, 0);
    } else {
        showMessage(tr("Every kidney crop of this case has a decision."), 4000);
    }
    updateStatus();
}

void ReviewActions::updateStatus()
{
    const int crops = m_review.cropCount();
    followTarget();
    if (crops == 0) {
        m_statusLabel->clear();
        return;
    }
    const auto decided = m_review.decisionOf(m_review.slice(), m_review.crop());
    const QString side = QString::fromStdString(m_review.cropSide());
    m_statusLabel->setText(
        tr("Review: crop %1 of %2%3 — label: %4%5%6")
            .arg(m_review.crop() + 1)
            .arg(crops)
            .arg(side == QLatin1String("right")  ? tr(" (right kidney)")
                 : side == QLatin1String("left") ? tr(" (left kidney)")
                                                 : QString())
            .arg(m_review.activeLabel() == labels::Cyst ? tr("cyst") : tr("tumour"))
            .arg(decided ? tr(" — %1").arg(QString::fromStdString(storage::toString(*decided))) : QString())
            .arg(m_review.editing() ? tr(" — editing") : QString()));
    showRefinedProposal();
}

void ReviewActions::followTarget()
{
    const auto box = m_review.wholeSlice() ? std::nullopt : m_review.cropBox();
    m_view.heatmapLayer().setHighlightedBox(box);
    // A new crop or slice under review comes to the middle of a zoomed view (the zoom stays).
    const std::pair<int, int> target{m_review.slice(), m_review.crop()};
    if (box && target != m_followedTarget) {
        m_followedTarget = target;
        if (m_view.scene().zoomFactor() > 1.01)
            m_view.centreOn(*box);
    }
    m_view.requestRender();
}

void ReviewActions::showRefinedProposal()
{
    if (m_review.editing())
        return;
    // A refined proposal is not the map's isoline: it is drawn as a mask (blue; orange is an edit).
    const auto box = m_review.cropBox();
    const auto proposed = m_review.proposalsRefined() && box ? m_review.proposal() : std::nullopt;
    if (proposed) {
        m_view.maskLayer().setColour(0.2, 0.75, 1.0);
        m_view.maskLayer().setMask(box->row0, box->col0, *proposed);
    } else {
        m_view.maskLayer().clear();
    }
    m_view.requestRender();
}

std::optional<EditRecovery> ReviewActions::pendingRecovery() const
{
    return m_review.journal().load();
}

bool ReviewActions::offerRecovery()
{
    const auto recovery = pendingRecovery();
    if (!recovery)
        return false;
    if (dialogsAllowed()) {
        const auto answer = QMessageBox::question(
            &m_window, tr("Unfinished correction"),
            tr("Weaksight stopped while a correction was being edited (case %1, slice %2, by %3, %4).\n"
               "Restore it?")
                .arg(recovery->caseId)
                .arg(recovery->slice)
                .arg(recovery->annotator)
                .arg(QDateTime::fromMSecsSinceEpoch(recovery->savedAtMs).toString()),
            QMessageBox::Yes | QMessageBox::Discard, QMessageBox::Yes);
        if (answer != QMessageBox::Yes) {
            m_review.journal().discard();
            return false;
        }
    }
    recoverEdit(*recovery);
    return true;
}

void ReviewActions::recoverEdit(const EditRecovery& recovery)
{
    m_recovery = recovery;
    const auto current = m_workspace.currentCase();
    if (current && QString::fromStdString(current->files.caseId) == recovery.caseId &&
        m_workspace.storePath() == recovery.storePath)
        resumeRecoveredEdit();
    else
        m_workspace.open(recovery.datasetPath); // the case is selected when the list is shown
}

QString ReviewActions::recoveryCaseId() const
{
    return m_recovery ? m_recovery->caseId : QString();
}

void ReviewActions::resumeRecoveredEdit()
{
    const auto current = m_workspace.currentCase();
    if (!m_recovery || !current || QString::fromStdString(current->files.caseId) != m_recovery->caseId)
        return;
    const EditRecovery recovery = *m_recovery;
    m_recovery.reset();
    m_view.setSlice(recovery.slice);
    if (m_review.restoreCorrection(recovery))
        showMessage(tr("The unfinished correction is back: finish it with Enter."), 8000);
}

void ReviewActions::cancelKey()
{
    if (m_view.polygonMode()) {
        endPolygon(); // Esc first drops the polygon being drawn
        return;
    }
    if (!m_review.editing())
        return;
    // A correction with strokes is never dropped by one key: Esc twice within a few seconds.
    if (m_review.editor()->modified() &&
        (!m_discardArmed.isValid() || m_discardArmed.hasExpired(kDiscardConfirmMs))) {
        m_discardArmed.start();
        showMessage(
            tr("The correction has unsaved edits: press Esc again to discard them, Enter to record them."),
            static_cast<int>(kDiscardConfirmMs));
        return;
    }
    m_discardArmed.invalidate();
    m_review.cancelCorrection();
    showMessage(tr("Correction discarded."), 4000);
}

bool ReviewActions::confirmClose()
{
    if (!m_review.editing() || !m_review.editor()->modified() || !dialogsAllowed())
        return true;
    const auto answer = QMessageBox::question(
        &m_window, tr("Unsaved correction"),
        tr("The correction in progress is not recorded yet. Record it before closing?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel || (answer == QMessageBox::Save && !m_review.finishCorrection()))
        return false;
    if (answer == QMessageBox::Discard)
        m_review.cancelCorrection();
    return true;
}

} // namespace weaksight::ui
