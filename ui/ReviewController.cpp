#include "ui/ReviewController.h"

#include "core/dataset/KidneyCrops.h"
#include "core/review/SliceHeatmaps.h"
#include "storage/StoreTools.h"
#include "ui/CamController.h"
#include "ui/Workspace.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace fs = std::filesystem;

ReviewController::ReviewController(CamController& cams, Workspace& workspace, QObject* parent)
    : QObject(parent)
    , m_cams(cams)
    , m_workspace(workspace)
{
    m_shownSince.start();
    connect(&m_workspace, &Workspace::casesListed, this, &ReviewController::onDatasetOpened);
}

ReviewController::~ReviewController()
{
    // Closing with a correction on its way (the close dialog's "Save"): the store's owner has
    // waited for it by now; once it is saved the journal must not offer it again.
    if (m_correctionsInFlight > 0 && m_lastCorrectionWrite.isValid()) {
        m_lastCorrectionWrite.waitForFinished();
        if (m_lastCorrectionWrite.result().ok() && !m_edit)
            m_journal.discard();
    }
    for (const auto& lost : m_returned)
        spdlog::error("a correction the store could not save is lost at exit: case {}, slice {}",
                      lost.caseKey, lost.slice);
}

void ReviewController::onDatasetOpened()
{
    if (m_edit)
        stopEditing(/*discardJournal=*/false); // kept in the journal
    m_caseRow.reset();
    m_standing.clear();
    m_pending.clear();
    m_session.clear();
    m_standingRead = {};
    ++m_datasetGeneration; // replies from the previous dataset's store are ignored
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
    m_pending.clear();
    m_fingerprints = {};
    if (m_case && m_case->imaging) {
        // The fingerprints (SHA-256 of the files) are made now, in the background, so the first
        // decision on the case waits for no hashing.
        m_fingerprints = QtConcurrent::run([files = m_case->files] {
            Fingerprints made{files.caseId, std::nullopt};
            try {
                made.registration = storage::caseRegistration(files);
            } catch (const std::exception& e) {
                spdlog::warn("case {}: registration deferred: {}", files.caseId,
                             e.what()); // retried at the decision
            }
            return made;
        });
    }
    readStanding();
    readPlacements();
    giveBackCorrection();
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

CropBox ReviewController::editCanvas(const CropBox& crop) const
{
    const auto slice = wholeSliceBox();
    return slice ? unionOf(*slice, crop) : crop;
}

std::optional<CropBox> ReviewController::cropBox() const
{
    if (m_edit)
        return m_edit->crop();
    const auto* maps = m_cams.heatmaps(m_slice);
    if (!maps)
        return std::nullopt;
    if (m_wholeSlice)
        return wholeSliceBox();
    if (m_crop < 0 || m_crop >= static_cast<int>(maps->crops.size()))
        return std::nullopt;
    return maps->crops[static_cast<size_t>(m_crop)].box;
}

std::string ReviewController::cropSide() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    if (m_wholeSlice || !maps || m_crop < 0 || m_crop >= static_cast<int>(maps->crops.size()))
        return {};
    return maps->crops[static_cast<size_t>(m_crop)].side;
}

bool ReviewController::proposalsRefined() const
{
    return m_cams.settings().proposalKind != proposals::ProposalKind::Raw;
}

std::optional<BinaryMask> ReviewController::proposal() const
{
    const auto* maps = m_cams.heatmaps(m_slice);
    const auto box = cropBox();
    if (!maps || !box)
        return std::nullopt;
    // Per crop: that crop's {map > t}; whole slice: the union of every crop's, on the slice grid.
    const review::ProposalRule rule = m_cams.proposalRule(m_slice);
    if (m_wholeSlice)
        return review::proposalOn(*maps, *box, m_cams.threshold(), rule);
    if (m_crop < 0 || m_crop >= static_cast<int>(maps->crops.size()))
        return BinaryMask(box->rows, box->cols);
    return review::proposalOn(maps->crops[static_cast<size_t>(m_crop)], *box, m_cams.threshold(), rule);
}

void ReviewController::readStanding()
{
    m_standingRead = {};
    if (!m_case)
        return;
    const std::string key = m_case->files.caseId;
    const std::optional<int64_t> knownRow = m_caseRow;
    const int64_t askedAfter = m_sequence;
    m_standingRead =
        m_workspace.store().readInOrder<Standing>([key, knownRow](storage::AnnotationStore& store) {
            Standing standing{key, 0, {}};
            const auto row = knownRow ? knownRow : store.findCase(key);
            if (row) {
                standing.caseRow = *row;
                standing.crops = store.standingCrops(*row);
            }
            return standing;
        });
    whenFinished(this, m_standingRead,
                 [this, askedAfter, generation = m_datasetGeneration](const StoreReply<Standing>& reply) {
                     if (generation != m_datasetGeneration)
                         return;
                     if (reply.ok()) {
                         adoptStanding(*reply.value, askedAfter);
                         Q_EMIT standingRead();
                     } else if (!reply.absent()) {
                         spdlog::warn("annotation store {}: {}", m_workspace.storePath().toStdString(),
                                      reply.error.toStdString());
                     }
                 });
}

void ReviewController::adoptStanding(const Standing& standing, int64_t confirmedUpTo)
{
    if (!m_case || standing.caseKey != m_case->files.caseId)
        return; // read for a case no longer open
    if (standing.caseRow != 0)
        m_caseRow = standing.caseRow;
    m_standing = standing.crops;
    // Changes asked for before this read are in it now.
    m_pending.erase(std::remove_if(m_pending.begin(), m_pending.end(),
                                   [confirmedUpTo](const Pending& p) { return p.sequence <= confirmedUpTo; }),
                    m_pending.end());
}

void ReviewController::dropPending(int64_t sequence)
{
    m_pending.erase(std::remove_if(m_pending.begin(), m_pending.end(),
                                   [sequence](const Pending& p) { return p.sequence == sequence; }),
                    m_pending.end());
}

void ReviewController::setActiveLabel(uint8_t label)
{
    if (label != labels::Tumour && label != labels::Cyst)
        throw std::invalid_argument("the active label is tumour (2) or cyst (3)");
    if (label == m_activeLabel)
        return;
    m_activeLabel = label;
    Q_EMIT activeLabelChanged(label);
}

std::optional<int64_t> ReviewController::registeredCase(storage::AnnotationStore& store,
                                                        const CaseFiles& files, const std::string& root,
                                                        QFuture<Fingerprints> fingerprints)
{
    auto caseRow = store.findCase(files.caseId);
    if (!caseRow) {
        // First write on this case: its files (paths, shape, fingerprints) as hashed in the
        // background; hashed again here if that failed, so the error reaches the labeller.
        const int64_t dataset = store.registerDataset(root, toString(files.layout));
        const Fingerprints made = fingerprints.isValid() ? fingerprints.result() : Fingerprints{};
        caseRow = made.caseKey == files.caseId && made.registration
                      ? store.registerCase(dataset, *made.registration)
                      : storage::registerCaseFiles(store, dataset, files);
    }
    return caseRow;
}

void ReviewController::placeCrop(const CropPlacement& placement)
{
    if (!m_case || !m_case->imaging)
        return;
    // Shown at once; the store keeps it for the next time the case opens.
    auto placed = m_cams.placedCrops().placements;
    placed.erase(std::remove_if(placed.begin(), placed.end(),
                                [&](const CropPlacement& p) { return p.side == placement.side; }),
                 placed.end());
    placed.push_back(placement);
    m_cams.setPlacements(placed);
    m_centres.reset();
    writePlacement([placement, annotator = m_workspace.annotator().toStdString()](
                       storage::AnnotationStore& store, int64_t caseRow) {
        store.setCropPlacement(caseRow, placement, annotator);
    });
}

void ReviewController::clearPlacements()
{
    if (!m_case || m_cams.placedCrops().placements.empty())
        return;
    m_cams.setPlacements({});
    writePlacement([annotator = m_workspace.annotator().toStdString()](storage::AnnotationStore& store,
                                                                       int64_t caseRow) {
        store.clearCropPlacements(caseRow, annotator);
    });
}

void ReviewController::writePlacement(std::function<void(storage::AnnotationStore&, int64_t)> change)
{
    const fs::path root = fs::absolute(m_workspace.datasetRoot().toStdString()).lexically_normal();
    const auto written = m_workspace.store().write<int64_t>(
        [files = m_case->files, root = root.string(), fingerprints = m_fingerprints,
         change = std::move(change)](storage::AnnotationStore& store) {
            const auto caseRow = registeredCase(store, files, root, fingerprints);
            change(store, *caseRow);
            return *caseRow;
        });
    whenFinished(this, written, [this](const StoreReply<int64_t>& reply) {
        if (!reply.ok() && !reply.absent()) {
            m_lastError = tr("The crop's place was not saved: %1").arg(reply.error);
            Q_EMIT failed(m_lastError);
        }
    });
}

void ReviewController::readPlacements()
{
    if (!m_case || !m_case->imaging)
        return;
    const auto read = m_workspace.store().readInOrder<std::vector<CropPlacement>>(
        [key = m_case->files.caseId](storage::AnnotationStore& store) {
            const auto row = store.findCase(key);
            return row ? store.cropPlacements(*row) : std::vector<CropPlacement>{};
        });
    whenFinished(this, read,
                 [this, key = m_case->files.caseId](const StoreReply<std::vector<CropPlacement>>& reply) {
                     // A crop placed meanwhile (or another case) wins over what was stored.
                     if (!m_case || m_case->files.caseId != key || !reply.ok() || reply.value->empty() ||
                         !m_cams.placedCrops().placements.empty())
                         return;
                     m_cams.setPlacements(*reply.value);
                     m_centres.reset();
                 });
}

std::pair<std::optional<std::vector<int>>, std::string> ReviewController::lesionSlicesOfCase() const
{
    if (m_case->lesionSlices)
        return {m_case->lesionSlices, "labels"};
    // Without labels, once the classifier has scanned every slice: those it finds a lesion on.
    const auto probabilities = m_cams.lesionProbabilities();
    if (probabilities.empty() ||
        std::any_of(probabilities.begin(), probabilities.end(), [](float p) { return std::isnan(p); }))
        return {std::nullopt, std::string()};
    std::vector<int> slices;
    for (size_t k = 0; k < probabilities.size(); ++k)
        if (probabilities[k] >= 0.5f)
            slices.push_back(static_cast<int>(k));
    return {slices, "classifier"};
}

storage::ProposalInput ReviewController::proposalInput(const CropBox& box, BinaryMask proposed) const
{
    storage::ProposalInput input;
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
    return input;
}

std::function<ReviewController::Standing(storage::AnnotationStore&)>
ReviewController::decisionWrite(storage::ProposalInput proposal, storage::DecisionInput decision,
                                std::shared_ptr<int64_t> decisionId) const
{
    std::optional<storage::ModelRecord> model;
    storage::CamSettingsRecord settings;
    if (m_cams.showsSegmenterMaps()) {
        // A learned proposal: the U-Net is the model of record, "unet" the method.
        model =
            storage::ModelRecord{m_cams.segmenterHash(), "unet", m_cams.segmenterPath().toStdString(), "{}"};
        settings.method = "unet";
        settings.layer = "output";
        settings.normalisation = compute::toString(compute::MapNormalisation::None);
    } else if (!m_cams.modelHash().empty()) {
        model = storage::ModelRecord{m_cams.modelHash(), m_cams.modelArchitecture(),
                                     m_cams.modelPath().toStdString(), "{}"};
        settings.method = compute::toString(m_cams.method());
        settings.layer = m_cams.targetLayer().toStdString();
        settings.normalisation = compute::toString(m_cams.normalisation());
    }
    if (model) {
        // Which proposal the labeller saw: the map's key and, for a refinement, its kind.
        const auto kind = m_cams.settings().proposalKind;
        settings.parametersJson =
            "{\"key\": \"" + m_cams.methodKey() + "\"" +
            (kind == proposals::ProposalKind::Raw ? std::string()
                                                  : ", \"proposal\": \"" + proposals::toString(kind) + "\"") +
            "}";
    }
    const fs::path root = m_workspace.datasetRoot().toStdString();
    auto [lesionSlices, lesionSource] = lesionSlicesOfCase();
    return [files = m_case->files, root = fs::absolute(root).lexically_normal().string(),
            fingerprints = m_fingerprints, model = std::move(model), settings = std::move(settings),
            proposal = std::move(proposal), decision = std::move(decision),
            decisionId = std::move(decisionId), lesionSlices = std::move(lesionSlices),
            lesionSource = std::move(lesionSource)](storage::AnnotationStore& store) mutable {
        const auto caseRow = registeredCase(store, files, root, fingerprints);
        proposal.caseId = *caseRow;
        // The slices the case's status counts (a change only is written).
        if (lesionSlices)
            store.setLesionSlices(*caseRow, *lesionSlices, lesionSource);
        if (model) {
            proposal.modelId = store.registerModel(*model);
            proposal.camSettingsId = store.registerCamSettings(settings);
        }
        // Proposal and decision in one transaction: a crash leaves both or neither.
        *decisionId = store.recordProposalDecision(proposal, std::move(decision)).decisionId;
        return Standing{files.caseId, *caseRow, store.standingCrops(*caseRow)};
    };
}

bool ReviewController::record(storage::DecisionKind kind, std::optional<review::PlacedMask> correction)
{
    m_lastError.clear();
    const auto box = cropBox();
    auto proposed = proposal();
    if (!m_case || !box || !proposed) {
        m_lastError = tr("No proposal on this slice to decide on.");
        Q_EMIT failed(m_lastError);
        return false;
    }
    if (m_workspace.annotator().trimmed().isEmpty()) {
        m_lastError = tr("Set the annotator's name first.");
        Q_EMIT failed(m_lastError);
        return false;
    }
    storage::DecisionInput decision;
    decision.annotator = m_workspace.annotator().toStdString();
    decision.kind = kind;
    // A correction painted outside the crop keeps its larger box; the ground truth is cut on it.
    CropBox decisionBox = *box;
    if (correction) {
        decision.finalMask = correction->mask;
        if (correction->box != *box)
            decision.finalBox = decisionBox = correction->box;
    }
    const auto& labels = m_case->labels;
    // Only a box inside the slice gets ground truth; the store refuses any other proposal.
    if (labels && m_slice >= 0 && m_slice < labels->slices() &&
        decisionBox.liesWithin(labels->rows(), labels->cols()))
        decision.groundTruth = lesionMask(*labels, m_slice, decisionBox);
    decision.timeSpentMs = m_shownSince.elapsed();
    if (kind == storage::DecisionKind::Accept || kind == storage::DecisionKind::Correct)
        decision.label = m_activeLabel;

    const Pending change{++m_sequence, m_slice, m_crop, *box, kind, m_case->files.caseId};
    m_pending.push_back(change);
    auto decisionId = std::make_shared<int64_t>(0);
    m_session.push_back({decisionId, m_slice, m_crop, *box});
    const auto written = m_workspace.store().write<Standing>(
        decisionWrite(proposalInput(*box, std::move(*proposed)), std::move(decision), decisionId));
    if (kind != storage::DecisionKind::Correct)
        correction.reset();
    if (correction) {
        ++m_correctionsInFlight;
        m_lastCorrectionWrite = written;
    }
    whenFinished(this, written,
                 [this, change, correction, decisionId,
                  generation = m_datasetGeneration](const StoreReply<Standing>& reply) {
                     if (correction)
                         --m_correctionsInFlight;
                     if (generation == m_datasetGeneration)
                         onDecisionWritten(reply, change, decisionId, correction);
                 });
    m_shownSince.restart();
    Q_EMIT decisionRecorded(m_slice, m_crop, QString::fromStdString(storage::toString(kind)));
    return true;
}

void ReviewController::onDecisionWritten(const StoreReply<Standing>& reply, const Pending& change,
                                         const std::shared_ptr<int64_t>& decisionId,
                                         const std::optional<review::PlacedMask>& correction)
{
    if (reply.ok()) {
        adoptStanding(*reply.value, change.sequence);
        // The store has it now; a newer correction, being edited or on its way, keeps the journal.
        if (correction && !m_edit && m_correctionsInFlight == 0)
            m_journal.discard();
        Q_EMIT decisionSaved(change.slice, change.crop,
                             QString::fromStdString(storage::toString(*change.kind)));
        return;
    }
    dropPending(change.sequence);
    m_session.erase(std::remove_if(m_session.begin(), m_session.end(),
                                   [&](const Recorded& r) { return r.decisionId == decisionId; }),
                    m_session.end());
    m_lastError = tr("The decision was not saved: %1").arg(reply.error);
    spdlog::error("{}", m_lastError.toStdString());
    Q_EMIT failed(m_lastError);
    if (correction) {
        // Nothing is lost: the correction comes back for editing on its crop, now or when the
        // labeller has finished the one in hand (or opens its case again).
        m_returned.push_back({change.caseKey, change.slice, change.crop, change.box, *correction});
        giveBackCorrection();
    }
}

void ReviewController::giveBackCorrection()
{
    if (m_edit || !m_case || m_returned.empty() || m_returned.front().caseKey != m_case->files.caseId)
        return;
    const Returned back = m_returned.front();
    m_returned.erase(m_returned.begin());
    m_slice = back.slice;
    m_crop = back.crop;
    m_shownSince.restart();
    m_edit = std::make_unique<review::EditSession>(back.box, back.correction, editCanvas(back.box));
    editChanged();
    Q_EMIT editingChanged(true);
    Q_EMIT correctionReturned(back.slice, back.crop);
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
    // The boxes stay fixed while editing, whatever the heatmaps do meanwhile; strokes land anywhere
    // on the slice.
    m_edit = std::make_unique<review::EditSession>(*box, review::PlacedMask{*box, *start}, editCanvas(*box));
    editChanged();
    Q_EMIT editingChanged(true);
    return true;
}

void ReviewController::editChanged()
{
    if (!m_edit || !m_case)
        return;
    m_journal.save({m_workspace.storePath(), m_workspace.datasetRoot(),
                    QString::fromStdString(m_case->files.caseId), m_slice, m_crop, m_edit->box(),
                    m_workspace.annotator(), 0, m_edit->mask(), m_edit->crop()});
}

bool ReviewController::restoreCorrection(const EditRecovery& recovery)
{
    if (!m_case || QString::fromStdString(m_case->files.caseId) != recovery.caseId)
        return false;
    if (m_edit)
        stopEditing(/*discardJournal=*/true);
    m_slice = recovery.slice;
    m_crop = recovery.crop;
    m_shownSince.restart();
    // The journal's mask lies on its canvas; older journals knew only the crop.
    const CropBox crop = recovery.proposalBox.value_or(recovery.box);
    m_edit = std::make_unique<review::EditSession>(crop, review::PlacedMask{recovery.box, recovery.mask},
                                                   unionOf(editCanvas(crop), recovery.box));
    if (m_workspace.annotator().isEmpty())
        m_workspace.setAnnotator(recovery.annotator);
    Q_EMIT editingChanged(true);
    return true;
}

bool ReviewController::finishCorrection()
{
    if (!m_edit)
        return false;
    m_edit->endStroke();
    if (!record(storage::DecisionKind::Correct, m_edit->finalMask()))
        return false;                      // nothing is lost: still editing, the journal keeps the mask
    stopEditing(/*discardJournal=*/false); // the journal goes once the store has the correction
    giveBackCorrection();
    return true;
}

void ReviewController::cancelCorrection()
{
    if (m_edit)
        stopEditing(/*discardJournal=*/true);
    giveBackCorrection();
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
    if (m_session.empty() || !m_case)
        return false;
    const Recorded last = m_session.back();
    m_session.pop_back();
    const Pending change{++m_sequence, last.slice, last.crop, last.box, std::nullopt, m_case->files.caseId};
    m_pending.push_back(change);
    // After the decision's own write (the store's thread runs them in order): its row is known then.
    const auto undone = m_workspace.store().write<Standing>(
        [decisionId = last.decisionId, annotator = m_workspace.annotator().toStdString(),
         caseKey = m_case->files.caseId](storage::AnnotationStore& store) {
            if (*decisionId == 0)
                throw std::runtime_error("the decision was never saved");
            store.undoDecision(*decisionId, annotator);
            const auto caseRow = store.findCase(caseKey);
            return Standing{caseKey, caseRow.value_or(0),
                            caseRow ? store.standingCrops(*caseRow)
                                    : std::vector<storage::AnnotationStore::StandingCrop>{}};
        });
    whenFinished(this, undone,
                 [this, change, last, generation = m_datasetGeneration](const StoreReply<Standing>& reply) {
                     if (generation != m_datasetGeneration)
                         return;
                     if (reply.ok()) {
                         adoptStanding(*reply.value, change.sequence);
                         return;
                     }
                     dropPending(change.sequence);
                     if (*last.decisionId != 0)
                         m_session.push_back(last); // still standing: it can be undone again
                     m_lastError = tr("The undo was not saved: %1").arg(reply.error);
                     Q_EMIT failed(m_lastError);
                 });
    Q_EMIT decisionUndone(last.slice, last.crop);
    return true;
}

std::optional<storage::DecisionKind> ReviewController::decisionOf(int slice, int crop) const
{
    const auto* maps = m_cams.heatmaps(slice);
    if (!m_case || !maps || crop < 0 || crop >= (m_wholeSlice ? 1 : static_cast<int>(maps->crops.size())))
        return std::nullopt;
    const CropBox box = m_wholeSlice ? *wholeSliceBox() : maps->crops[static_cast<size_t>(crop)].box;
    for (const auto& d : standingNow()) // newest first
        if (d.slice == slice && d.crop == box)
            return d.kind;
    return std::nullopt;
}

std::vector<storage::AnnotationStore::StandingCrop> ReviewController::standingNow() const
{
    auto crops = m_standing;               // newest first
    for (const auto& change : m_pending) { // oldest first
        if (change.kind) {
            crops.insert(crops.begin(), {change.slice, change.box, *change.kind});
        } else if (const auto undone = std::find_if(
                       crops.begin(), crops.end(),
                       [&](const auto& d) { return d.slice == change.slice && d.crop == change.box; });
                   undone != crops.end()) {
            crops.erase(undone);
        }
    }
    return crops;
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
    input.boxesToDecide = [=, wholeSlice = m_wholeSlice, placed = m_cams.placedCrops()](int slice) {
        std::vector<CropBox> boxes;
        for (const auto& crop : cropsOnSlice(kidneys, slice, whole.rows, whole.cols, rows, cols, placed))
            boxes.push_back(crop.box);
        // Whole slices: every slice with kidney crops needs one decision of the whole slice.
        if (wholeSlice && !boxes.empty())
            boxes = {whole};
        return boxes;
    };
    for (const auto& d : standingNow())
        input.decided.push_back({d.slice, d.crop});
    input.probabilities = m_cams.lesionProbabilities();
    return input;
}

std::vector<int> ReviewController::reviewOrder()
{
    // Before the case's first read is back nothing is known of earlier sessions: wait for it (a
    // moment after opening the case at most).
    if (m_standingRead.isValid() && !m_standingRead.isFinished()) {
        m_standingRead.waitForFinished();
        if (const auto reply = m_standingRead.result(); reply.ok())
            adoptStanding(*reply.value, 0);
    }
    return review::reviewOrder(reviewOrderInput());
}

std::optional<int> ReviewController::nextUndecidedSlice(int direction)
{
    const auto order = reviewOrder();
    const auto next =
        review::nextInReviewOrder(order, m_slice, direction, review::ordersByProbability(reviewOrderInput()));
    readStanding(); // so decisions other annotators made meanwhile count at the next step
    return next;
}

} // namespace weaksight::ui
