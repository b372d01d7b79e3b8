#include "ui/ReviewController.h"

#include "core/dataset/KidneyCrops.h"
#include "core/review/SliceHeatmaps.h"
#include "storage/StoreTools.h"
#include "ui/CamController.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace fs = std::filesystem;

ReviewController::ReviewController(CamController& cams, QObject* parent)
    : QObject(parent)
    , m_cams(cams)
{
    m_shownSince.start();
    connect(&m_storeOpening, &QFutureWatcher<OpenedStore>::finished, this, [this] {
        if (m_store)
            return;
        adoptOpenedStore();
        refreshStanding();
        Q_EMIT standingRead(); // the status and order may change: earlier sessions' decisions
    });
}

ReviewController::~ReviewController()
{
    m_storeOpening.waitForFinished();
    m_registration.waitForFinished();
}

void ReviewController::setDataset(const QString& datasetRoot, const QString& storePath)
{
    if (storePath == m_storePath)
        return;
    if (m_edit)
        stopEditing(/*discardJournal=*/false); // kept in the journal
    m_datasetRoot = datasetRoot;
    m_storePath = storePath;
    m_store.reset();
    m_datasetId = 0;
    m_caseRow.reset();
    m_standing.clear();
    m_session.clear();
    // A store of the previous dataset still opening is dropped with its future (adoptOpenedStore
    // checks the path).
    m_storeOpening.setFuture(QFuture<OpenedStore>());
    if (!QFileInfo::exists(storePath))
        return; // made at the first decision
    m_storeOpening.setFuture(QtConcurrent::run([path = storePath] {
        OpenedStore opened{nullptr, path, {}};
        try {
            opened.store = std::make_shared<storage::AnnotationStore>(path.toStdString());
        } catch (const std::exception& e) {
            opened.error = QString::fromStdString(e.what());
        }
        return opened;
    }));
}

void ReviewController::adoptOpenedStore()
{
    if (m_store || !m_storeOpening.isFinished() || m_storeOpening.future().resultCount() == 0)
        return;
    const OpenedStore opened = m_storeOpening.result();
    if (opened.path != m_storePath)
        return;
    if (!opened.store) {
        // Shown at the first decision, which tries again.
        spdlog::warn("annotation store {}: {}", opened.path.toStdString(), opened.error.toStdString());
        return;
    }
    m_store = opened.store;
}

void ReviewController::setCase(std::shared_ptr<const LoadedCase> loaded)
{
    // Another case while editing: the correction stays in the journal (offered back at start-up).
    if (m_edit)
        stopEditing(/*discardJournal=*/false);
    m_case = std::move(loaded);
    m_centres.reset(); // built on first use unless the heatmap worker has built them already
    m_slice = -1;
    m_caseRow.reset();
    m_standing.clear();
    // The previous case's fingerprints, if still being made, are dropped (takeRegistration checks
    // the case key).
    m_registration.setFuture(QFuture<Registration>());
    if (m_case && m_case->imaging) {
        // The fingerprints (SHA-256 of the files) are made now, in the background, so the first
        // decision on the case does not hash a CT file on the GUI thread.
        m_registration.setFuture(QtConcurrent::run([files = m_case->files] {
            Registration made{files.caseId, std::nullopt};
            try {
                made.registration = storage::caseRegistration(files);
            } catch (const std::exception& e) {
                spdlog::warn("case {}: registration deferred: {}", files.caseId,
                             e.what()); // retried at the decision
            }
            return made;
        }));
    }
    refreshStanding();
}

void ReviewController::setTarget(int slice, int crop)
{
    if ((slice == m_slice && crop == m_crop) || m_edit)
        return; // a correction keeps its slice and crop until finished or cancelled
    m_slice = slice;
    m_crop = crop;
    m_shownSince.restart();
}

void ReviewController::setWholeSlice(bool whole)
{
    if (whole == m_wholeSlice || m_edit)
        return;
    m_wholeSlice = whole;
    m_crop = 0;
    m_shownSince.restart();
}

std::optional<CropBox> ReviewController::wholeSliceBox() const
{
    if (!m_case || !m_case->imaging)
        return std::nullopt;
    return CropBox{0, 0, m_case->imaging->rows(), m_case->imaging->cols()};
}

int ReviewController::cropCount() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!maps)
        return 0;
    return m_wholeSlice ? 1 : static_cast<int>(maps->crops.size());
}

std::optional<CropBox> ReviewController::cropBox() const
{
    if (m_edit)
        return m_edit->box();
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!maps)
        return std::nullopt;
    if (m_wholeSlice)
        return wholeSliceBox();
    if (m_crop < 0 || m_crop >= static_cast<int>(maps->crops.size()))
        return std::nullopt;
    return maps->crops[static_cast<size_t>(m_crop)].box;
}

std::optional<BinaryMask> ReviewController::proposal() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    const auto box = cropBox();
    if (!maps || !box)
        return std::nullopt;
    // Per crop: that crop's {map > t}; whole slice: the union of every crop's, on the slice grid.
    if (m_wholeSlice)
        return review::proposalOn(*maps, *box, m_cams.threshold());
    if (m_crop < 0 || m_crop >= static_cast<int>(maps->crops.size()))
        return BinaryMask(box->rows, box->cols);
    return review::proposalOn(maps->crops[static_cast<size_t>(m_crop)], *box, m_cams.threshold());
}

bool ReviewController::openStore()
{
    // A store being opened in the background: the decision waits for it (usually done by now).
    if (!m_store && m_storeOpening.isRunning())
        m_storeOpening.waitForFinished();
    adoptOpenedStore();
    try {
        if (!m_store)
            m_store = std::make_shared<storage::AnnotationStore>(m_storePath.toStdString());
        if (m_datasetId == 0) {
            const fs::path root = m_datasetRoot.toStdString();
            m_datasetId = m_store->registerDataset(fs::absolute(root).lexically_normal().string(),
                                                   m_case ? toString(m_case->files.layout)
                                                          : std::string("single-file"));
        }
        return true;
    } catch (const std::exception& e) {
        m_store.reset();
        m_lastError =
            tr("Cannot open the annotation store %1: %2").arg(m_storePath, QString::fromStdString(e.what()));
        Q_EMIT failed(m_lastError);
        return false;
    }
}

std::optional<storage::CaseRegistration> ReviewController::takeRegistration()
{
    m_registration.waitForFinished();
    if (!m_registration.future().isValid() || m_registration.future().resultCount() == 0)
        return std::nullopt;
    const Registration made = m_registration.result();
    return m_case && made.caseKey == m_case->files.caseId ? made.registration : std::nullopt;
}

std::optional<int64_t> ReviewController::caseRow()
{
    if (!m_case || !openStore())
        return std::nullopt;
    if (!m_caseRow)
        m_caseRow = m_store->findCase(m_case->files.caseId);
    if (!m_caseRow) {
        // First decision on this case: its files (paths, shape, fingerprints) as hashed in the
        // background; again here if that failed, so the error reaches the labeller.
        const auto made = takeRegistration();
        m_caseRow = made ? m_store->registerCase(m_datasetId, *made)
                         : storage::registerCaseFiles(*m_store, m_datasetId, m_case->files);
    }
    return m_caseRow;
}

void ReviewController::refreshStanding(bool waitForStore)
{
    m_standing.clear();
    if (!m_store && waitForStore && m_storeOpening.isRunning())
        m_storeOpening.waitForFinished(); // usually done long before a labeller presses Space
    adoptOpenedStore();
    if (!m_store || !m_case)
        return;
    try {
        if (!m_caseRow)
            m_caseRow = m_store->findCase(m_case->files.caseId);
        if (m_caseRow)
            m_standing = m_store->standingCrops(*m_caseRow);
    } catch (const std::exception& e) {
        spdlog::warn("annotation store {}: {}", m_storePath.toStdString(), e.what());
    }
}

storage::ProposalInput ReviewController::proposalInput(int64_t caseRowId, const CropBox& box,
                                                       BinaryMask proposed)
{
    storage::ProposalInput input;
    input.caseId = caseRowId;
    input.slice = m_slice;
    input.crop = box;
    input.threshold = m_cams.threshold();
    input.mask = std::move(proposed);
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!m_wholeSlice && maps && m_crop >= 0 && m_crop < static_cast<int>(maps->crops.size())) {
        const review::CropHeatmap& heatmap = maps->crops[static_cast<size_t>(m_crop)];
        input.heatmap = storage::ProposalHeatmap{heatmap.raw.rows, heatmap.raw.cols, heatmap.raw.values,
                                                 heatmap.low, heatmap.high};
    }
    if (!m_cams.modelHash().empty()) {
        input.modelId = m_store->registerModel(
            {m_cams.modelHash(), m_cams.modelArchitecture(), m_cams.modelPath().toStdString(), "{}"});
        storage::CamSettingsRecord settings;
        settings.method = compute::toString(m_cams.method());
        settings.layer = m_cams.targetLayer().toStdString();
        settings.normalisation = compute::toString(m_cams.normalisation());
        settings.parametersJson = "{\"key\": \"" + m_cams.methodKey() + "\"}";
        input.camSettingsId = m_store->registerCamSettings(settings);
    }
    return input;
}

bool ReviewController::record(storage::DecisionKind kind, std::optional<BinaryMask> finalMask)
{
    m_lastError.clear();
    const auto box = cropBox();
    auto proposed = proposal();
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
        const auto id = caseRow();
        if (!id)
            return false;
        storage::DecisionInput decision;
        decision.annotator = m_annotator.toStdString();
        decision.kind = kind;
        decision.finalMask = std::move(finalMask);
        const auto& labels = m_case->labels;
        // Only a box inside the slice gets ground truth; the store refuses any other proposal.
        if (labels && m_slice >= 0 && m_slice < labels->slices() &&
            box->liesWithin(labels->rows(), labels->cols()))
            decision.groundTruth = lesionMask(*labels, m_slice, *box);
        decision.timeSpentMs = m_shownSince.elapsed();
        // Proposal and decision in one transaction: a crash leaves both or neither.
        const auto result = m_store->recordProposalDecision(proposalInput(*id, *box, std::move(*proposed)),
                                                            std::move(decision));
        m_session.push_back({result.decisionId, m_slice, m_crop});
    } catch (const std::exception& e) {
        m_lastError = tr("The decision was not saved: %1").arg(QString::fromStdString(e.what()));
        spdlog::error("{}", m_lastError.toStdString());
        Q_EMIT failed(m_lastError);
        return false;
    }
    m_shownSince.restart();
    refreshStanding();
    Q_EMIT decisionRecorded(m_slice, m_crop, QString::fromStdString(storage::toString(kind)));
    return true;
}

// An accepted decision's final mask is its proposal: the store takes the one just written.
bool ReviewController::accept()
{
    return !editing() && record(storage::DecisionKind::Accept, std::nullopt);
}
bool ReviewController::reject()
{
    return !editing() && record(storage::DecisionKind::Reject, std::nullopt);
}
bool ReviewController::skip()
{
    return !editing() && record(storage::DecisionKind::Skip, std::nullopt);
}

bool ReviewController::startCorrection()
{
    const auto start = proposal();
    const auto box = cropBox();
    if (!start || !box || editing())
        return false;
    // The box stays fixed while editing, whatever the heatmaps do meanwhile.
    m_edit = std::make_unique<review::EditSession>(*box, *start);
    editChanged();
    Q_EMIT editingChanged(true);
    return true;
}

void ReviewController::editChanged()
{
    if (!m_edit || !m_case)
        return;
    m_journal.save({m_storePath, m_datasetRoot, QString::fromStdString(m_case->files.caseId), m_slice, m_crop,
                    m_edit->box(), m_annotator, 0, m_edit->mask()});
}

bool ReviewController::restoreCorrection(const EditRecovery& recovery)
{
    if (!m_case || QString::fromStdString(m_case->files.caseId) != recovery.caseId)
        return false;
    cancelCorrection();
    m_slice = recovery.slice;
    m_crop = recovery.crop;
    m_shownSince.restart();
    m_edit = std::make_unique<review::EditSession>(recovery.box, recovery.mask);
    if (m_annotator.isEmpty())
        m_annotator = recovery.annotator;
    Q_EMIT editingChanged(true);
    return true;
}

bool ReviewController::finishCorrection()
{
    if (!m_edit)
        return false;
    m_edit->endStroke();
    BinaryMask final = m_edit->mask();
    if (!record(storage::DecisionKind::Correct, std::move(final)))
        return false; // nothing is lost: still editing, the journal keeps the mask
    stopEditing(/*discardJournal=*/true);
    return true;
}

void ReviewController::cancelCorrection()
{
    if (m_edit)
        stopEditing(/*discardJournal=*/true);
}

void ReviewController::stopEditing(bool discardJournal)
{
    m_edit.reset();
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
    refreshStanding();
    Q_EMIT decisionUndone(last.slice, last.crop);
    return true;
}

std::optional<storage::DecisionKind> ReviewController::decisionOf(int slice, int crop) const
{
    const auto* maps = m_cams.heatmaps(slice);
    if (!m_case || !maps || crop < 0 || crop >= (m_wholeSlice ? 1 : static_cast<int>(maps->crops.size())))
        return std::nullopt;
    const CropBox box = m_wholeSlice ? *wholeSliceBox() : maps->crops[static_cast<size_t>(crop)].box;
    for (const auto& d : m_standing) // newest first
        if (d.slice == slice && d.crop == box)
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

review::ReviewOrderInput ReviewController::reviewOrderInput() const
{
    review::ReviewOrderInput input;
    if (!m_case || !m_case->imaging)
        return input;
    input.sliceCount = m_case->imaging->slices();
    const auto [rows, cols] = m_cams.cropExtent();
    const KidneyCentres* kidneys = centres();
    const CropBox whole = *wholeSliceBox(); // the slice's size: all the crops need of the volume
    input.boxesToDecide = [=, wholeSlice = m_wholeSlice](int slice) {
        std::vector<CropBox> boxes;
        for (const auto& crop : cropsOnSlice(kidneys, slice, whole.rows, whole.cols, rows, cols))
            boxes.push_back(crop.box);
        // Whole slices: every slice with kidney crops needs one decision of the whole slice.
        if (wholeSlice && !boxes.empty())
            boxes = {whole};
        return boxes;
    };
    for (const auto& d : m_standing)
        input.decided.push_back({d.slice, d.crop});
    input.probabilities = m_cams.lesionProbabilities();
    return input;
}

std::vector<int> ReviewController::reviewOrder()
{
    refreshStanding(/*waitForStore=*/true);
    return review::reviewOrder(reviewOrderInput());
}

std::optional<int> ReviewController::nextUndecidedSlice(int direction)
{
    refreshStanding(/*waitForStore=*/true);
    const auto input = reviewOrderInput();
    return review::nextInReviewOrder(review::reviewOrder(input), m_slice, direction,
                                     review::ordersByProbability(input));
}

} // namespace weaksight::ui
