#include "ui/ReviewController.h"

#include "core/dataset/KidneyCrops.h"
#include "storage/StoreTools.h"
#include "ui/CamController.h"


#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace fs = std::filesystem;

ReviewController::ReviewController(CamController& cams, QObject* parent) : QObject(parent), m_cams(cams)
{
    m_shownSince.start();
}

ReviewController::~ReviewController() = default;

void ReviewController::setDataset(const QString& datasetRoot, const QString& storePath)
{
    if (storePath == m_storePath)
        return;
    if (m_editor)
        stopEditing(/*discardJournal=*/false); // kept in the journal
    m_datasetRoot = datasetRoot;
    m_storePath = storePath;
    m_store.reset();
    m_session.clear();
}

void ReviewController::setCase(std::shared_ptr<const LoadedCase> loaded)
{
    // Another case while editing: the correction stays in the journal (offered back at start-up).
    if (m_editor)
        stopEditing(/*discardJournal=*/false);
    m_case = std::move(loaded);
    m_centres.reset(); // built on first use unless the heatmap worker has built them already
    m_slice = -1;
}

void ReviewController::setTarget(int slice, int crop)
{
    if ((slice == m_slice && crop == m_crop) || m_editor)
        return; // a correction keeps its slice and crop until finished or cancelled
    m_slice = slice;
    m_crop = crop;
    m_shownSince.restart();
}

void ReviewController::setWholeSlice(bool whole)
{
    if (whole == m_wholeSlice || m_editor)
        return;
    m_wholeSlice = whole;
    m_crop = 0;
    m_shownSince.restart();
}

std::optional<storage::CropBox> ReviewController::wholeSliceBox() const
{
    if (!m_case || !m_case->imaging)
        return std::nullopt;
    return storage::CropBox{0, 0, m_case->imaging->rows(), m_case->imaging->cols()};
}

int ReviewController::cropCount() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!maps)
        return 0;
    return m_wholeSlice ? 1 : static_cast<int>(maps->patches.size());
}

std::optional<storage::CropBox> ReviewController::cropBox() const
{
    if (m_editor && m_editBox)
        return m_editBox;
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!maps)
        return std::nullopt;
    if (m_wholeSlice)
        return wholeSliceBox();
    if (m_crop < 0 || m_crop >= static_cast<int>(maps->patches.size()))
        return std::nullopt;
    const auto& p = maps->patches[static_cast<size_t>(m_crop)];
    return storage::CropBox{p.row0, p.col0, p.rows, p.cols};
}

std::optional<BinaryMask> ReviewController::proposal() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    const auto box = cropBox();
    if (!maps || !box)
        return std::nullopt;
    const double t = m_cams.threshold();
    BinaryMask mask(box->rows, box->cols);
    // Per crop: that crop's {map > t}; whole slice: the union of every crop's, on the slice grid.
    for (int i = 0; i < static_cast<int>(maps->patches.size()); ++i) {
        if (!m_wholeSlice && i != m_crop)
            continue;
        const auto& p = maps->patches[static_cast<size_t>(i)];
        for (int r = 0; r < p.rows; ++r)
            for (int c = 0; c < p.cols; ++c) {
                const int row = p.row0 + r - box->row, col = p.col0 + c - box->col;
                if (row >= 0 && col >= 0 && row < box->rows && col < box->cols && !p.degenerate &&
                    compute::isProposed(p.values[static_cast<size_t>(r) * p.cols + c], t))
                    mask.at(row, col) = 1;
            }
    }
    return mask;
}

bool ReviewController::openStore()
{
    if (m_store)
        return true;
    try {
        m_store = std::make_unique<storage::AnnotationStore>(m_storePath.toStdString());
        const fs::path root = m_datasetRoot.toStdString();
        m_datasetId = m_store->registerDataset(fs::absolute(root).lexically_normal().string(),
                                               m_case ? toString(m_case->files.layout) : std::string("single-file"));
        return true;
    } catch (const std::exception& e) {
        m_store.reset();
        m_lastError = tr("Cannot open the annotation store %1: %2").arg(m_storePath, QString::fromStdString(e.what()));
        Q_EMIT failed(m_lastError);
        return false;
    }
}

std::optional<int64_t> ReviewController::caseId()
{
    if (!m_case || !openStore())
        return std::nullopt;
    if (auto id = m_store->findCase(m_case->files.caseId))
        return id;
    // First decision on this case: register its files (paths, shape, fingerprints).
    return storage::registerCaseFiles(*m_store, m_datasetId, m_case->files);
}

bool ReviewController::record(storage::DecisionKind kind, std::optional<BinaryMask> finalMask)
{
    m_lastError.clear();
    const auto box = cropBox();
    const auto proposed = proposal();
    if (!m_case || !box || !proposed) {
        m_lastError = tr("No proposal on this slice to decide on.");
        Q_EMIT failed(m_lastError);
        return false;
    }
    if (m_annotator.trimmed().isEmpty()) {
        m_lastError = tr("Set the annotator's name first.");
        Q_EMIT failed(m_lastError);
        return false;
    }
    try {
        const auto id = caseId();
        if (!id)
            return false;
        storage::ProposalInput proposalInput;
        proposalInput.caseId = *id;
        proposalInput.slice = m_slice;
        proposalInput.crop = *box;
        proposalInput.threshold = m_cams.threshold();
        proposalInput.mask = *proposed;
        if (const auto heatmap = m_wholeSlice ? std::nullopt : m_cams.patchHeatmap(m_slice, m_crop))
            proposalInput.heatmap = storage::ProposalHeatmap{heatmap->raw.rows, heatmap->raw.cols, heatmap->raw.values,
                                                             heatmap->low, heatmap->high};
        if (!m_cams.modelHash().empty()) {
            proposalInput.modelId = m_store->registerModel(
                {m_cams.modelHash(), m_cams.modelArchitecture(), m_cams.modelPath().toStdString(), "{}"});
            storage::CamSettingsRecord settings;
            settings.method = compute::toString(m_cams.method());
            settings.layer = m_cams.targetLayer().toStdString();
            settings.normalisation = compute::toString(m_cams.normalisation());
            settings.parametersJson = "{\"key\": \"" + m_cams.methodKey() + "\"}";
            proposalInput.camSettingsId = m_store->registerCamSettings(settings);
        }
        storage::DecisionInput decision;
        decision.annotator = m_annotator.toStdString();
        decision.kind = kind;
        decision.finalMask = std::move(finalMask);
        const auto& labels = m_case->labels;
        // Only a box inside the slice gets ground truth; the store refuses any other proposal.
        if (labels && m_slice >= 0 && m_slice < labels->slices() && box->row >= 0 && box->col >= 0 &&
            box->row + box->rows <= labels->rows() && box->col + box->cols <= labels->cols())
            decision.groundTruth = lesionMask(*m_case->labels, m_slice, box->row, box->col, box->rows, box->cols);
        decision.timeSpentMs = m_shownSince.elapsed();
        // Proposal and decision in one transaction: a crash leaves both or neither.
        const auto result = m_store->recordProposalDecision(proposalInput, std::move(decision));
        m_session.push_back({result.decisionId, m_slice, m_crop});
    } catch (const std::exception& e) {
        m_lastError = tr("The decision was not saved: %1").arg(QString::fromStdString(e.what()));
        spdlog::error("{}", m_lastError.toStdString());
        Q_EMIT failed(m_lastError);
        return false;
    }
    m_shownSince.restart();
    Q_EMIT decisionRecorded(m_slice, m_crop, QString::fromStdString(storage::toString(kind)));
    return true;
}

// An accepted decision's final mask is its proposal: the store takes the one just written.
bool ReviewController::accept() { return !editing() && record(storage::DecisionKind::Accept, std::nullopt); }
bool ReviewController::reject() { return !editing() && record(storage::DecisionKind::Reject, std::nullopt); }
bool ReviewController::skip() { return !editing() && record(storage::DecisionKind::Skip, std::nullopt); }

bool ReviewController::startCorrection()
{
    const auto start = proposal();
    if (!start || editing())
        return false;
    m_editBox = cropBox(); // fixed while editing, whatever the heatmaps do meanwhile
    m_editor = std::make_unique<MaskEditor>(*start);
    editChanged();
    Q_EMIT editingChanged(true);
    return true;
}

void ReviewController::editChanged()
{
    const auto box = cropBox();
    if (!m_editor || !box || !m_case)
        return;
    m_journal.save({m_storePath, m_datasetRoot, QString::fromStdString(m_case->files.caseId), m_slice, m_crop, *box,
                    m_annotator, 0, m_editor->mask()});
}

bool ReviewController::restoreCorrection(const EditRecovery& recovery)
{
    if (!m_case || QString::fromStdString(m_case->files.caseId) != recovery.caseId)
        return false;
    cancelCorrection();
    m_slice = recovery.slice;
    m_crop = recovery.crop;
    m_shownSince.restart();
    m_editor = std::make_unique<MaskEditor>(recovery.mask);
    m_editBox = recovery.box;
    if (m_annotator.isEmpty())
        m_annotator = recovery.annotator;
    Q_EMIT editingChanged(true);
    return true;
}

bool ReviewController::finishCorrection()
{
    if (!m_editor)
        return false;
    m_editor->endStroke();
    BinaryMask final = m_editor->mask();
    if (!record(storage::DecisionKind::Correct, std::move(final)))
        return false; // nothing is lost: still editing, the journal keeps the mask
    stopEditing(/*discardJournal=*/true);
    return true;
}

void ReviewController::cancelCorrection()
{
    if (m_editor)
        stopEditing(/*discardJournal=*/true);
}

void ReviewController::stopEditing(bool discardJournal)
{
    m_editor.reset();
    m_editBox.reset();
    if (discardJournal)
        m_journal.discard();
    Q_EMIT editingChanged(false);
}

bool ReviewController::undoLastDecision()
{
    if (m_session.empty() || !m_store)
        return false;
    const Recorded last = m_session.back();
    try {
        m_store->undoDecision(last.decisionId, m_annotator.toStdString());
    } catch (const std::exception& e) {
        m_lastError = QString::fromStdString(e.what());
        Q_EMIT failed(m_lastError);
        return false;
    }
    m_session.pop_back();
    Q_EMIT decisionUndone(last.slice, last.crop);
    return true;
}

std::optional<storage::DecisionKind> ReviewController::decisionOf(int slice, int crop) const
{
    const auto* maps = m_cams.heatmaps(slice);
    if (!m_store || !m_case || !maps || crop < 0 || crop >= (m_wholeSlice ? 1 : static_cast<int>(maps->patches.size())))
        return std::nullopt;
    const auto id = m_store->findCase(m_case->files.caseId);
    if (!id)
        return std::nullopt;
    storage::CropBox box;
    if (m_wholeSlice) {
        box = *wholeSliceBox();
    } else {
        const auto& p = maps->patches[static_cast<size_t>(crop)];
        box = {p.row0, p.col0, p.rows, p.cols};
    }
    for (const auto& d : m_store->decisionsForSlice(*id, slice)) // newest first
        if (!d.undone && d.crop.row == box.row && d.crop.col == box.col && d.crop.rows == box.rows &&
            d.crop.cols == box.cols)
            return d.kind;
    return std::nullopt;
}

const KidneyCentres* ReviewController::centres() const
{
    if (!m_centres && m_case && m_case->labels) {
        const auto shared = m_cams.kidneyCentres();
        m_centres = shared ? shared : std::make_shared<const KidneyCentres>(*m_case->labels);
    }
    return m_centres.get();
}

bool ReviewController::sliceDecided(int64_t caseId, int slice) const
{
    const auto [rows, cols] = m_cams.cropExtent();
    const KidneyCentres* kidneys = centres();
    std::vector<CropBox> boxes;
    if (m_wholeSlice) {
        // Slices with kidney crops need one decision of the whole slice.
        if (kidneys && kidneys->boxes(slice, rows, cols).empty())
            return true;
        if (!m_store)
            return false;
        const auto whole = wholeSliceBox();
        const auto decisions = m_store->decisionsForSlice(caseId, slice);
        return std::any_of(decisions.begin(), decisions.end(), [&](const storage::StoredDecision& d) {
            return !d.undone && d.crop.row == 0 && d.crop.col == 0 && d.crop.rows == whole->rows && d.crop.cols == whole->cols;
        });
    }
    if (m_case && m_case->imaging)
        boxes = cropBoxes(*m_case, kidneys, slice, rows, cols);
    if (boxes.empty())
        return true; // nothing to decide on this slice
    if (!m_store)
        return false;
    const auto decisions = m_store->decisionsForSlice(caseId, slice);
    for (const auto& box : boxes) {
        const bool decided = std::any_of(decisions.begin(), decisions.end(), [&](const storage::StoredDecision& d) {
            return !d.undone && d.crop.row == box.row0 && d.crop.col == box.col0 && d.crop.rows == rows &&
                   d.crop.cols == cols;
        });
        if (!decided)
            return false;
    }
    return true;
}

std::vector<int> ReviewController::reviewOrder() const
{
    std::vector<int> order;
    if (!m_case || !m_case->imaging)
        return order;
    const auto id = m_store && m_case ? m_store->findCase(m_case->files.caseId) : std::nullopt;
    for (int k = 0; k < m_case->imaging->slices(); ++k)
        if (!sliceDecided(id.value_or(-1), k))
            order.push_back(k);
    // Most probable lesions first once the scan has covered the case; slice order otherwise.
    if (m_cams.scannedSlices() == m_case->imaging->slices())
        std::stable_sort(order.begin(), order.end(), [this](int a, int b) {
            return m_cams.lesionProbability(a).value_or(0) > m_cams.lesionProbability(b).value_or(0);
        });
    return order;
}

std::optional<int> ReviewController::nextUndecidedSlice(int direction) const
{
    const auto order = reviewOrder();
    if (order.empty())
        return std::nullopt;
    const auto here = std::find(order.begin(), order.end(), m_slice);
    if (here == order.end()) {
        // The current slice is decided: in slice order, the next undecided one in `direction`;
        // with probabilities, the most probable (forward) or the least (backward).
        if (m_cams.scannedSlices() == m_case->imaging->slices())
            return direction > 0 ? order.front() : order.back();
        for (int k = m_slice + direction; k >= 0 && k < m_case->imaging->slices(); k += direction)
            if (std::find(order.begin(), order.end(), k) != order.end())
                return k;
        return direction > 0 ? order.front() : order.back();
    }
    // Along the order, wrapping around.
    const auto index = static_cast<long>(here - order.begin());
    const auto size = static_cast<long>(order.size());
    if (size == 1)
        return std::nullopt;
    return order[static_cast<size_t>(((index + (direction > 0 ? 1 : -1)) % size + size) % size)];
}

} // namespace weaksight::ui
