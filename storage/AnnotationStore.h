#pragma once

#include "core/masks/BinaryMask.h"
#include "core/masks/CropBox.h"
#include "storage/Database.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weaksight::storage {

enum class DecisionKind { Accept, Correct, Reject, Skip };
std::string toString(DecisionKind kind);
/// Throws std::invalid_argument for an unknown name.
DecisionKind decisionKindFromString(const std::string& name);

/// A proposal's rectangle on the canonical slice grid (the whole slice when it covers it).
using CropBox = weaksight::CropBox;

struct CaseRegistration {
    std::string caseKey; ///< e.g. "case_00110"
    std::string imagingPath;
    std::string labelsPath;
    std::string imagingFingerprint; ///< SHA-256 of the file bytes, hex
    std::string labelsFingerprint;
    std::array<int, 3> shape{0, 0, 0}; ///< canonical [axial, rows, cols]
};

struct ModelRecord {
    std::string contentHash;
    std::string architecture;
    std::string filePath;
    std::string preprocessingJson = "{}";
};

struct CamSettingsRecord {
    std::string method;
    std::string layer;
    std::string target = "lesion";
    std::string normalisation = "minmax";
    std::string parametersJson = "{}";
};

/// The heatmap a proposal was thresholded from: the raw map at the target layer's resolution and
/// the normalisation the labeller saw (shown value = (bilinear upsample to the crop - low) /
/// (high - low); low 0 and high 1 for raw values).
struct ProposalHeatmap {
    int rows = 0;
    int cols = 0;
    std::vector<float> raw;
    double low = 0;
    double high = 1;
};

struct ProposalInput {
    int64_t caseId = 0;
    int slice = 0;
    CropBox crop;
    std::optional<int64_t> modelId;
    std::optional<int64_t> camSettingsId;
    double threshold = 0;
    BinaryMask mask; ///< on the crop grid (crop.rows x crop.cols)
    std::optional<ProposalHeatmap> heatmap = std::nullopt;
};

/// A standing accepted or corrected decision whose proposal kept its heatmap and was the map
/// thresholded ({map > t}; refined proposals follow other rules, so they teach no threshold).
struct HeatmapDecision {
    std::string method;
    int cropRows = 0, cropCols = 0;
    int rows = 0, cols = 0;
    std::vector<float> raw;
    double low = 0, high = 1;
    BinaryMask finalMask;
};

struct DecisionInput {
    int64_t proposalId = 0;
    std::string annotator;
    DecisionKind kind = DecisionKind::Skip;
    /// Accept: may be omitted (the proposal is the final mask). Correct: required.
    /// Reject/skip: must be empty. On the proposal's crop box, or on finalBox when given.
    std::optional<BinaryMask> finalMask = std::nullopt;
    /// Ground-truth lesion mask on the final mask's box (finalBox, else the crop), when the case
    /// has labels.
    std::optional<BinaryMask> groundTruth = std::nullopt;
    int64_t timeSpentMs = 0;
    std::string comment = {};
    /// What the final mask is: labels::Tumour or labels::Cyst (the review's active label); unset:
    /// a lesion of either kind (the export writes ExportOptions::label).
    std::optional<uint8_t> label = std::nullopt;
    /// Where the final mask lies when the labeller painted outside the crop: a box on the slice
    /// holding the proposal's crop box (the crop box when unset).
    std::optional<CropBox> finalBox = std::nullopt;
};

/// The IoU/Dice record stored with every decision (NULL where not applicable).
struct OverlapRecord {
    std::optional<double> proposalGtIou, proposalGtDice;
    std::optional<double> proposalFinalIou, proposalFinalDice;
    std::optional<double> finalGtIou, finalGtDice;
    std::optional<int64_t> voxelsAdded, voxelsRemoved;
};

struct DecisionResult {
    int64_t decisionId = 0;
    OverlapRecord overlap;
};

struct CaseProgress {
    std::string caseKey;
    int64_t proposals = 0;
    int64_t decided = 0; ///< proposals with a standing (not undone) decision
    int64_t accepted = 0, corrected = 0, rejected = 0, skipped = 0;
    /// The case's slices with a lesion (by its labels or the classifier's scan; unknown until the
    /// review recorded them) and how many of them have a standing decision.
    std::optional<int64_t> lesionSlices;
    int64_t decidedLesionSlices = 0;
    std::string lesionSlicesSource; ///< "labels" or "classifier"
    /// "not started"; "done" once every lesion slice has a decision; else "in progress".
    std::string status() const;
};

/// Slice indices as the store keeps them: "3-7,12" (sorted, each once); and back (invalid_argument
/// for anything else).
std::string formatSliceList(const std::vector<int>& slices);
std::vector<int> parseSliceList(const std::string& text);

struct AnnotatorProgress {
    std::string annotator;
    int64_t decisions = 0;
    int64_t timeSpentMs = 0;
};

struct MethodThresholdIou {
    std::string method;
    /// The proposal rule (core/proposals' names: "raw" = {map > t}, "anatomy", "grow",
    /// "watershed"), from the CAM settings the review stored; "raw" for older stores.
    std::string proposal = "raw";
    double threshold = 0;
    int64_t decisions = 0;
    std::optional<double> meanProposalGtIou;
    std::optional<double> meanProposalFinalIou;
    std::optional<double> meanFinalGtIou;
    double meanVoxelsChanged = 0;
};

/// "scorecam" for a raw proposal, "scorecam + grow" for a refinement: how the dashboard and
/// `stats` name what a labeller was shown.
std::string proposalLabel(const std::string& method, const std::string& proposal);

struct AnnotatorIou {
    std::string annotator;
    int64_t decisions = 0;
    std::optional<double> meanProposalGtIou;
    std::optional<double> meanProposalFinalIou;
    std::optional<double> meanFinalGtIou;
};

struct StoredDecision {
    int64_t id = 0;
    int64_t proposalId = 0;
    std::string caseKey;
    int slice = 0;
    CropBox crop;
    DecisionKind kind = DecisionKind::Skip;
    std::string annotator;
    std::string method; ///< empty when the proposal had no CAM settings
    std::string proposal = "raw"; ///< the proposal rule shown (MethodThresholdIou::proposal)
    std::string modelHash;
    double threshold = 0;
    std::optional<BinaryMask> finalMask; ///< on finalBox
    /// The final mask's box: the crop, or a larger box holding it (DecisionInput::finalBox).
    CropBox finalBox;
    OverlapRecord overlap;
    int64_t timeSpentMs = 0;
    std::string createdAt;
    bool undone = false;
    std::optional<uint8_t> label; ///< DecisionInput::label
};

/// The annotation store: every labeller decision, its masks and IoU records, in one SQLite file
/// (see docs/architecture.md and the README for the schema). Each decision is one transaction;
/// the audit log is append-only (triggers refuse UPDATE and DELETE on it).
class AnnotationStore {
public:
    static constexpr int kSchemaVersion = 6;
    /// PRAGMA application_id of Weaksight stores ("WkSt").
    static constexpr int kApplicationId = 0x576b5374;
    /// The schema history; migrations()[i] moves version i to i + 1.
    static const std::vector<Migration>& migrations();

    /// Opens or creates the store. A file without write permission opens read-only.
    explicit AnnotationStore(const std::filesystem::path& file,
                             Database::Mode mode = Database::Mode::ReadWrite);

    Database& database() { return m_db; }
    const std::filesystem::path& file() const { return m_file; }

    int64_t registerDataset(const std::string& rootPath, const std::string& layout);
    /// Inserts or updates (by dataset and case key) and returns the case id.
    int64_t registerCase(int64_t datasetId, const CaseRegistration& c);
    std::optional<int64_t> findCase(const std::string& caseKey) const;
    CaseRegistration caseRegistration(int64_t caseId) const;
    int64_t annotatorId(const std::string& name);
    int64_t registerModel(const ModelRecord& model);
    int64_t registerCamSettings(const CamSettingsRecord& settings);
    int64_t addProposal(const ProposalInput& proposal);
    BinaryMask proposalMask(int64_t proposalId) const;

    /// Stores a decision, its overlap record and an audit entry in one transaction.
    DecisionResult recordDecision(const DecisionInput& decision);
    /// The review's write: a new proposal and the decision on it (with the overlap record and both
    /// audit entries) in one transaction, so that a killed process leaves both or neither.
    /// `decision.proposalId` is ignored. Returns the decision; `proposalId` receives the proposal's id.
    DecisionResult recordProposalDecision(const ProposalInput& proposal, DecisionInput decision,
                                          int64_t* proposalId = nullptr);
    /// Marks a decision undone (it stays in the store and the audit log records both).
    void undoDecision(int64_t decisionId, const std::string& annotator);

    std::vector<CaseProgress> caseProgress() const;
    /// Where the labeller placed a side's crop on a case (replaced if placed before; audited), and
    /// every placement of the case (none: the automatic centres).
    void setCropPlacement(int64_t caseId, const CropPlacement& placement, const std::string& annotator);
    void clearCropPlacements(int64_t caseId, const std::string& annotator);
    std::vector<CropPlacement> cropPlacements(int64_t caseId) const;
    /// Records which slices of a case show a lesion ("labels" or "classifier"); writes only a change.
    void setLesionSlices(int64_t caseId, const std::vector<int>& slices, const std::string& source);
    std::vector<AnnotatorProgress> annotatorProgress() const;
    std::vector<MethodThresholdIou> iouByMethodAndThreshold() const;
    /// Mean IoUs of each annotator's standing decisions (a report query: it scans them).
    std::vector<AnnotatorIou> iouByAnnotator() const;
    /// Decisions on one slice of one case, newest first.
    std::vector<StoredDecision> decisionsForSlice(int64_t caseId, int slice) const;
    /// Where a case's standing decisions were made and their kind, newest first: one indexed query
    /// over the triggers' proposal_state (no masks read), for the review order and status.
    struct StandingCrop {
        int slice = 0;
        CropBox crop;
        DecisionKind kind = DecisionKind::Accept;
    };
    std::vector<StandingCrop> standingCrops(int64_t caseId) const;
    /// Standing (not undone) decisions of the given kinds, oldest first; all cases when caseKey is empty.
    std::vector<StoredDecision> standingDecisions(const std::vector<DecisionKind>& kinds,
                                                  const std::string& caseKey = {}) const;
    /// Standing accepted / corrected decisions with their proposal's heatmap (for the learned threshold).
    std::vector<HeatmapDecision> heatmapDecisions() const;
    int64_t auditCount() const;

    /// PRAGMA integrity_check == "ok".
    bool integrityOk() const;

private:
    /// Checks a proposal against its case (throws std::invalid_argument).
    void checkProposal(const ProposalInput& p) const;
    /// Inserts a checked proposal and its audit entry; the caller holds the transaction.
    int64_t insertProposal(const ProposalInput& p);
    /// The final mask and overlap record of a decision on `proposal` (throws on a wrong kind/mask).
    std::pair<std::optional<BinaryMask>, OverlapRecord>
    evaluateDecision(const DecisionInput& d, const BinaryMask& proposal, const CropBox& crop) const;
    /// Inserts a decision, its overlap record and audit entry; the caller holds the transaction.
    int64_t insertDecision(const DecisionInput& d, const std::optional<BinaryMask>& finalMask,
                           const OverlapRecord& o);
    void audit(const std::string& annotator, const std::string& action, const std::string& entity,
               int64_t entityId, const std::string& detailsJson);

    std::filesystem::path m_file;
    Database m_db;
};

/// The mask blob of a store row whose crop box is rows x cols, as a damaged or crafted store may
/// hold them: the box must be positive and at most 8192 x 8192 pixels and the blob must declare
/// it, all checked before decoding allocates. Throws DatabaseError ("damaged <what> mask in row <id>").
BinaryMask decodeStoredMask(const std::vector<uint8_t>& blob, int64_t rows, int64_t cols,
                            const std::string& what, int64_t id);

/// SHA-256 of a file's bytes as lowercase hex (content fingerprints of imaging and labels); of a
/// folder (a DICOM series), of its files' names and bytes in name order.
std::string fileFingerprint(const std::filesystem::path& file);

} // namespace weaksight::storage
