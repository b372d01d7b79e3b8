#include "storage/AnnotationStore.h"

#include "core/cases/CaseKey.h"
#include "storage/Statement.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <set>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace weaksight::storage {

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Version 1: the tables. Version 2: indexes for the dashboard and report queries, and the
// append-only guard on the audit log. Never edit a released migration; add a new one.
const char* kSchemaV1 = R"SQL(
CREATE TABLE datasets(
    id INTEGER PRIMARY KEY,
    root_path TEXT NOT NULL UNIQUE,
    layout TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TABLE cases(
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    case_key TEXT NOT NULL,
    imaging_path TEXT NOT NULL DEFAULT '',
    labels_path TEXT NOT NULL DEFAULT '',
    imaging_fingerprint TEXT NOT NULL DEFAULT '',
    labels_fingerprint TEXT NOT NULL DEFAULT '',
    slices INTEGER NOT NULL, rows INTEGER NOT NULL, cols INTEGER NOT NULL,
    UNIQUE(dataset_id, case_key));
CREATE TABLE annotators(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) > 0));
CREATE TABLE models(
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    architecture TEXT NOT NULL,
    file_path TEXT NOT NULL DEFAULT '',
    preprocessing TEXT NOT NULL DEFAULT '{}');
CREATE TABLE cam_settings(
    id INTEGER PRIMARY KEY,
    method TEXT NOT NULL,
    layer TEXT NOT NULL,
    target TEXT NOT NULL,
    normalisation TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}',
    UNIQUE(method, layer, target, normalisation, parameters));
CREATE TABLE proposals(
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    slice INTEGER NOT NULL CHECK (slice >= 0),
    crop_row INTEGER NOT NULL, crop_col INTEGER NOT NULL,
    crop_rows INTEGER NOT NULL CHECK (crop_rows > 0), crop_cols INTEGER NOT NULL CHECK (crop_cols > 0),
    model_id INTEGER REFERENCES models(id),
    cam_settings_id INTEGER REFERENCES cam_settings(id),
    threshold REAL NOT NULL,
    mask BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TABLE decisions(
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    kind TEXT NOT NULL CHECK (kind IN ('accept', 'correct', 'reject', 'skip')),
    final_mask BLOB,
    time_spent_ms INTEGER NOT NULL DEFAULT 0 CHECK (time_spent_ms >= 0),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    undone INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind IN ('accept', 'correct')) = (final_mask IS NOT NULL)));
CREATE TABLE overlap_records(
    decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
    proposal_gt_iou REAL, proposal_gt_dice REAL,
    proposal_final_iou REAL, proposal_final_dice REAL,
    final_gt_iou REAL, final_gt_dice REAL,
    voxels_added INTEGER, voxels_removed INTEGER);
CREATE TABLE audit_log(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    annotator TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}');
)SQL";

const char* kSchemaV2 = R"SQL(
CREATE INDEX proposals_by_case_slice ON proposals(case_id, slice);
CREATE INDEX decisions_by_proposal ON decisions(proposal_id, undone);
CREATE INDEX decisions_by_annotator ON decisions(annotator_id, undone, time_spent_ms);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The standing decision kind of every proposal (NULL: undecided), kept by triggers so that
-- progress per case is an index scan, not a search for the newest decision of each proposal.
CREATE TABLE proposal_state(
    proposal_id INTEGER PRIMARY KEY REFERENCES proposals(id),
    case_id INTEGER NOT NULL,
    kind TEXT);
CREATE INDEX proposal_state_by_case ON proposal_state(case_id, kind);
INSERT INTO proposal_state(proposal_id, case_id, kind)
    SELECT p.id, p.case_id, (SELECT d.kind FROM decisions d WHERE d.proposal_id = p.id AND d.undone = 0
                             ORDER BY d.id DESC LIMIT 1) FROM proposals p;
-- Counts per case, kept from proposal_state: the case list reads one row per case.
CREATE TABLE case_summary(
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    proposals INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0, corrected INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0);
INSERT INTO case_summary(case_id, proposals, accepted, corrected, rejected, skipped)
    SELECT case_id, count(*), sum(kind IS 'accept'), sum(kind IS 'correct'), sum(kind IS 'reject'),
           sum(kind IS 'skip') FROM proposal_state GROUP BY case_id;
CREATE TRIGGER case_summary_new AFTER INSERT ON proposal_state
BEGIN
    INSERT OR IGNORE INTO case_summary(case_id) VALUES (NEW.case_id);
    UPDATE case_summary SET proposals = proposals + 1, accepted = accepted + (NEW.kind IS 'accept'),
        corrected = corrected + (NEW.kind IS 'correct'), rejected = rejected + (NEW.kind IS 'reject'),
        skipped = skipped + (NEW.kind IS 'skip')
    WHERE case_id = NEW.case_id;
END;
CREATE TRIGGER case_summary_kind AFTER UPDATE OF kind ON proposal_state
BEGIN
    UPDATE case_summary SET
        accepted = accepted - (OLD.kind IS 'accept') + (NEW.kind IS 'accept'),
        corrected = corrected - (OLD.kind IS 'correct') + (NEW.kind IS 'correct'),
        rejected = rejected - (OLD.kind IS 'reject') + (NEW.kind IS 'reject'),
        skipped = skipped - (OLD.kind IS 'skip') + (NEW.kind IS 'skip')
    WHERE case_id = NEW.case_id;
END;
-- Standing decisions and time per annotator, for the progress panel.
CREATE TABLE annotator_summary(
    annotator_id INTEGER PRIMARY KEY REFERENCES annotators(id),
    decisions INTEGER NOT NULL DEFAULT 0,
    time_spent_ms INTEGER NOT NULL DEFAULT 0);
INSERT INTO annotator_summary(annotator_id, decisions, time_spent_ms)
    SELECT annotator_id, count(*), sum(time_spent_ms) FROM decisions WHERE undone = 0 GROUP BY annotator_id;
CREATE TRIGGER annotator_summary_add AFTER INSERT ON decisions WHEN NEW.undone = 0
BEGIN
    INSERT OR IGNORE INTO annotator_summary(annotator_id) VALUES (NEW.annotator_id);
    UPDATE annotator_summary SET decisions = decisions + 1, time_spent_ms = time_spent_ms + NEW.time_spent_ms
    WHERE annotator_id = NEW.annotator_id;
END;
CREATE TRIGGER annotator_summary_undo AFTER UPDATE OF undone ON decisions WHEN OLD.undone = 0 AND NEW.undone = 1
BEGIN
    UPDATE annotator_summary SET decisions = decisions - 1, time_spent_ms = time_spent_ms - NEW.time_spent_ms
    WHERE annotator_id = NEW.annotator_id;
END;
CREATE TRIGGER proposal_state_new AFTER INSERT ON proposals
    BEGIN INSERT INTO proposal_state(proposal_id, case_id, kind) VALUES (NEW.id, NEW.case_id, NULL); END;
CREATE TRIGGER proposal_state_decided AFTER INSERT ON decisions WHEN NEW.undone = 0
    BEGIN UPDATE proposal_state SET kind = NEW.kind WHERE proposal_id = NEW.proposal_id; END;
CREATE TRIGGER proposal_state_undone AFTER UPDATE OF undone ON decisions
    BEGIN UPDATE proposal_state SET kind = (SELECT d.kind FROM decisions d WHERE d.proposal_id = NEW.proposal_id
                                            AND d.undone = 0 ORDER BY d.id DESC LIMIT 1)
          WHERE proposal_id = NEW.proposal_id; END;

-- Running sums of the overlap records per CAM settings (0 = none) and threshold, over standing
-- decisions: the IoU dashboard reads a few rows instead of aggregating every decision.
CREATE TABLE iou_summary(
    settings_key INTEGER NOT NULL,
    threshold REAL NOT NULL,
    decisions INTEGER NOT NULL DEFAULT 0,
    pg_sum REAL NOT NULL DEFAULT 0, pg_n INTEGER NOT NULL DEFAULT 0,
    pf_sum REAL NOT NULL DEFAULT 0, pf_n INTEGER NOT NULL DEFAULT 0,
    fg_sum REAL NOT NULL DEFAULT 0, fg_n INTEGER NOT NULL DEFAULT 0,
    changed_sum REAL NOT NULL DEFAULT 0,
    PRIMARY KEY(settings_key, threshold));
CREATE TRIGGER iou_summary_add AFTER INSERT ON overlap_records
    WHEN (SELECT undone FROM decisions WHERE id = NEW.decision_id) = 0
BEGIN
    INSERT OR IGNORE INTO iou_summary(settings_key, threshold)
        SELECT coalesce(p.cam_settings_id, 0), p.threshold
        FROM decisions d JOIN proposals p ON p.id = d.proposal_id WHERE d.id = NEW.decision_id;
    UPDATE iou_summary SET decisions = decisions + 1,
        pg_sum = pg_sum + coalesce(NEW.proposal_gt_iou, 0), pg_n = pg_n + (NEW.proposal_gt_iou IS NOT NULL),
        pf_sum = pf_sum + coalesce(NEW.proposal_final_iou, 0), pf_n = pf_n + (NEW.proposal_final_iou IS NOT NULL),
        fg_sum = fg_sum + coalesce(NEW.final_gt_iou, 0), fg_n = fg_n + (NEW.final_gt_iou IS NOT NULL),
        changed_sum = changed_sum + coalesce(NEW.voxels_added, 0) + coalesce(NEW.voxels_removed, 0)
    FROM decisions d JOIN proposals p ON p.id = d.proposal_id
    WHERE d.id = NEW.decision_id AND iou_summary.settings_key = coalesce(p.cam_settings_id, 0)
      AND iou_summary.threshold = p.threshold;
END;
CREATE TRIGGER iou_summary_undo AFTER UPDATE OF undone ON decisions WHEN OLD.undone = 0 AND NEW.undone = 1
BEGIN
    UPDATE iou_summary SET decisions = decisions - 1,
        pg_sum = pg_sum - coalesce(o.proposal_gt_iou, 0), pg_n = pg_n - (o.proposal_gt_iou IS NOT NULL),
        pf_sum = pf_sum - coalesce(o.proposal_final_iou, 0), pf_n = pf_n - (o.proposal_final_iou IS NOT NULL),
        fg_sum = fg_sum - coalesce(o.final_gt_iou, 0), fg_n = fg_n - (o.final_gt_iou IS NOT NULL),
        changed_sum = changed_sum - coalesce(o.voxels_added, 0) - coalesce(o.voxels_removed, 0)
    FROM overlap_records o JOIN proposals p ON p.id = NEW.proposal_id
    WHERE o.decision_id = NEW.id AND iou_summary.settings_key = coalesce(p.cam_settings_id, 0)
      AND iou_summary.threshold = p.threshold;
END;
INSERT INTO iou_summary(settings_key, threshold, decisions, pg_sum, pg_n, pf_sum, pf_n, fg_sum, fg_n, changed_sum)
    SELECT coalesce(p.cam_settings_id, 0), p.threshold, count(*),
           coalesce(sum(o.proposal_gt_iou), 0), count(o.proposal_gt_iou),
           coalesce(sum(o.proposal_final_iou), 0), count(o.proposal_final_iou),
           coalesce(sum(o.final_gt_iou), 0), count(o.final_gt_iou),
           coalesce(sum(coalesce(o.voxels_added, 0) + coalesce(o.voxels_removed, 0)), 0)
    FROM decisions d JOIN proposals p ON p.id = d.proposal_id JOIN overlap_records o ON o.decision_id = d.id
    WHERE d.undone = 0 GROUP BY coalesce(p.cam_settings_id, 0), p.threshold;
)SQL";

/// A store that exists but cannot be written: the file, or its folder (where SQLite keeps the
/// write-ahead log and its index), is not writable.
bool fileIsReadOnly(const fs::path& file)
{
    std::error_code ec;
    const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
    return fs::exists(file, ec) && (::access(file.c_str(), W_OK) != 0 || ::access(folder.c_str(), W_OK) != 0);
}

Database::Mode effectiveMode(const fs::path& file, Database::Mode requested)
{
    if (fileIsReadOnly(file))
        return Database::Mode::ReadOnly;
    // A reader (case list, dashboard, export, stats) of a writable store written by an older
    // Weaksight migrates it first — the one transaction any writer would run — instead of refusing
    // it until something writes. A write-protected old store is still refused, with that reason.
    if (requested == Database::Mode::ReadOnly) {
        const auto version = Database::schemaVersionOf(file);
        if (version && *version > 0 && *version < AnnotationStore::kSchemaVersion) {
            spdlog::info("{}: schema version {} is older than {}; migrating before reading", file.string(),
                         *version, AnnotationStore::kSchemaVersion);
            Database migrated(file, AnnotationStore::migrations(), Database::Mode::ReadWrite,
                              AnnotationStore::kApplicationId);
        }
    }
    return requested;
}

int64_t lastInsertId(Database& db)
{
    return sqlite3_last_insert_rowid(db.handle());
}

/// Most pixels a stored crop box or heatmap may have (8192 x 8192): a damaged or crafted store can
/// hold any size, and decoding allocates it.
constexpr int64_t kMaxStoredPixels = int64_t(1) << 26;

/// Refuses a grid size read from a row that is not positive or larger than kMaxStoredPixels.
void checkStoredGrid(int64_t rows, int64_t cols, const char* what, int64_t id)
{
    if (rows <= 0 || cols <= 0 || rows > kMaxStoredPixels || cols > kMaxStoredPixels ||
        rows * cols > kMaxStoredPixels)
        throw DatabaseError(std::string("damaged ") + what + " in row " + std::to_string(id) + ": a " +
                            std::to_string(rows) + "x" + std::to_string(cols) + " grid");
}

void readOverlap(const Statement& s, int first, OverlapRecord& o)
{
    o.proposalGtIou = s.optionalReal(first);
    o.proposalGtDice = s.optionalReal(first + 1);
    o.proposalFinalIou = s.optionalReal(first + 2);
    o.proposalFinalDice = s.optionalReal(first + 3);
    o.finalGtIou = s.optionalReal(first + 4);
    o.finalGtDice = s.optionalReal(first + 5);
    if (!s.isNull(first + 6))
        o.voxelsAdded = s.int64(first + 6);
    if (!s.isNull(first + 7))
        o.voxelsRemoved = s.int64(first + 7);
}

} // namespace

std::string toString(DecisionKind kind)
{
    switch (kind) {
    case DecisionKind::Accept:
        return "accept";
    case DecisionKind::Correct:
        return "correct";
    case DecisionKind::Reject:
        return "reject";
    case DecisionKind::Skip:
        return "skip";
    }
    return "skip";
}

DecisionKind decisionKindFromString(const std::string& name)
{
    for (auto kind : {DecisionKind::Accept, DecisionKind::Correct, DecisionKind::Reject, DecisionKind::Skip})
        if (toString(kind) == name)
            return kind;
    // Plural spellings as used on the command line (--status accepted,corrected).
    if (name == "accepted")
        return DecisionKind::Accept;
    if (name == "corrected")
        return DecisionKind::Correct;
    if (name == "rejected")
        return DecisionKind::Reject;
    if (name == "skipped")
        return DecisionKind::Skip;
    throw std::invalid_argument("unknown decision kind '" + name + "' (accept, correct, reject or skip)");
}

std::string CaseProgress::status() const
{
    if (decided == 0)
        return "not started";
    // Done only when every lesion slice has a decision: without knowing them, never.
    return lesionSlices && decidedLesionSlices >= *lesionSlices ? "done" : "in progress";
}

std::string formatSliceList(const std::vector<int>& slices)
{
    std::vector<int> sorted = slices;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string text;
    for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1)
            ++j;
        text += (text.empty() ? "" : ",") + std::to_string(sorted[i]) +
                (j > i ? "-" + std::to_string(sorted[j]) : std::string());
        i = j + 1;
    }
    return text;
}

std::vector<int> parseSliceList(const std::string& text)
{
    std::vector<int> slices;
    std::istringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part.empty())
            continue;
        const auto dash = part.find('-');
        try {
            const int first = std::stoi(part.substr(0, dash));
            const int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
            if (first < 0 || last < first || last - first > 100000)
                throw std::invalid_argument(part);
            for (int k = first; k <= last; ++k)
                slices.push_back(k);
        } catch (const std::exception&) {
            throw std::invalid_argument("not a slice list: '" + text + "'");
        }
    }
    return slices;
}

// Version 3: the heatmap each proposal was cut from (raw, at the target layer's resolution, plus the
// normalisation the labeller saw), so the threshold that would have needed the least correction can
// be learned from the store alone.
const char* kSchemaV3 = R"SQL(
ALTER TABLE proposals ADD COLUMN heatmap_rows INTEGER;
ALTER TABLE proposals ADD COLUMN heatmap_cols INTEGER;
ALTER TABLE proposals ADD COLUMN heatmap BLOB;      -- float32, little-endian, row-major raw map
ALTER TABLE proposals ADD COLUMN heatmap_low REAL;  -- shown value = (upsampled - low) / (high - low)
ALTER TABLE proposals ADD COLUMN heatmap_high REAL;
)SQL";

// Version 4: the review writes a proposal and its decision in one transaction. Earlier versions
// committed the proposal first, so a process killed in between left a proposal without a decision
// (its case "in progress" for ever) or without its audit entry. This repairs such stores once:
// orphan proposals are removed (the audit log records each removal), missing audit entries added.
const char* kSchemaV4 = R"SQL(
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id);
CREATE TEMP TABLE orphan_proposals AS
    SELECT p.id, p.case_id FROM proposals p WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.proposal_id = p.id);
INSERT INTO audit_log(annotator, action, entity, entity_id, details)
    SELECT '', 'repair', 'proposal', o.id,
           json_object('removed', 'a proposal without a decision, left by an interrupted write (schema 4 repair)',
                       'case_id', o.case_id, 'slice', p.slice, 'created_at', p.created_at)
    FROM temp.orphan_proposals o JOIN proposals p ON p.id = o.id;
UPDATE case_summary SET proposals = proposals -
        (SELECT count(*) FROM temp.orphan_proposals o WHERE o.case_id = case_summary.case_id)
    WHERE case_id IN (SELECT case_id FROM temp.orphan_proposals);
DELETE FROM proposal_state WHERE proposal_id IN (SELECT id FROM temp.orphan_proposals);
DELETE FROM proposals WHERE id IN (SELECT id FROM temp.orphan_proposals);
DROP TABLE temp.orphan_proposals;
INSERT INTO audit_log(annotator, action, entity, entity_id, details)
    SELECT '', 'propose', 'proposal', p.id, '{"repaired": "audit entry missing after an interrupted write"}'
    FROM proposals p
    WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'proposal' AND a.entity_id = p.id);
INSERT INTO audit_log(annotator, action, entity, entity_id, details)
    SELECT an.name, d.kind, 'decision', d.id, '{"repaired": "audit entry missing after an interrupted write"}'
    FROM decisions d JOIN annotators an ON an.id = d.annotator_id
    WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'decision' AND a.entity_id = d.id);
)SQL";

// Version 5: which slices of a case show a lesion (by its labels, or by the classifier's scan of a
// case without labels), so its status counts the slices that need a decision, not the proposals
// made so far ("done 1/1" after one decision on a 38-slice case); and what each decision's mask is
// (tumour or cyst, kept apart from the review to the export; NULL: a lesion of either kind, as
// every decision before).
const char* kSchemaV5 = R"SQL(
ALTER TABLE cases ADD COLUMN lesion_slices TEXT;        -- "12-20,25": canonical slice indices
ALTER TABLE cases ADD COLUMN lesion_slices_source TEXT; -- 'labels' or 'classifier'
ALTER TABLE decisions ADD COLUMN label INTEGER CHECK (label IS NULL OR label BETWEEN 1 AND 255);
-- Where the labeller placed a side's crop on a case (its centre in mm on the axial plane, from the
-- centre of canonical voxel (row 0, column 0)); it replaces the automatic centres on every slice.
CREATE TABLE crop_placements(
    case_id INTEGER NOT NULL REFERENCES cases(id),
    side TEXT NOT NULL CHECK (side IN ('right', 'left')),
    row_mm REAL NOT NULL,
    col_mm REAL NOT NULL,
    placed_by TEXT NOT NULL DEFAULT '',
    placed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (case_id, side));
)SQL";

// A final mask that reaches outside its proposal's crop (the labeller painted beyond it) lies on a
// larger box of the slice holding the crop: its corner and size; NULL: the crop box.
const char* kSchemaV6 = R"SQL(
ALTER TABLE decisions ADD COLUMN final_row0 INTEGER;
ALTER TABLE decisions ADD COLUMN final_col0 INTEGER;
ALTER TABLE decisions ADD COLUMN final_rows INTEGER CHECK (final_rows IS NULL OR final_rows > 0);
ALTER TABLE decisions ADD COLUMN final_cols INTEGER CHECK (final_cols IS NULL OR final_cols > 0);
)SQL";

const std::vector<Migration>& AnnotationStore::migrations()
{
    static const std::vector<Migration> all = {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3},
                                               {4, kSchemaV4}, {5, kSchemaV5}, {6, kSchemaV6}};
    return all;
}

AnnotationStore::AnnotationStore(const fs::path& file, Database::Mode mode)
    : m_file(file)
    , m_db(file, migrations(), effectiveMode(file, mode), kApplicationId)
{
}

void AnnotationStore::audit(const std::string& annotator, const std::string& action,
                            const std::string& entity, int64_t entityId, const std::string& detailsJson)
{
    Statement s(
        m_db.handle(),
        "INSERT INTO audit_log(annotator, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, annotator).bind(2, action).bind(3, entity).bind(4, entityId).bind(5, detailsJson).run();
}

int64_t AnnotationStore::registerDataset(const std::string& rootPath, const std::string& layout)
{
    int64_t id = 0;
    m_db.transaction([&] {
        Statement find(m_db.handle(), "SELECT id FROM datasets WHERE root_path = ?");
        find.bind(1, rootPath);
        if (find.step()) {
            id = find.int64(0);
            return;
        }
        Statement insert(m_db.handle(), "INSERT INTO datasets(root_path, layout) VALUES (?, ?)");
        insert.bind(1, rootPath).bind(2, layout).run();
        id = lastInsertId(m_db);
        audit("", "register", "dataset", id, nlohmann::json{{"root", rootPath}, {"layout", layout}}.dump());
    });
    return id;
}

int64_t AnnotationStore::registerCase(int64_t datasetId, const CaseRegistration& c)
{
    checkCaseKey(c.caseKey, m_file.string());
    int64_t id = 0;
    m_db.transaction([&] {
        Statement upsert(m_db.handle(), R"SQL(
            INSERT INTO cases(dataset_id, case_key, imaging_path, labels_path, imaging_fingerprint,
                              labels_fingerprint, slices, rows, cols)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(dataset_id, case_key) DO UPDATE SET
                imaging_path = excluded.imaging_path, labels_path = excluded.labels_path,
                imaging_fingerprint = excluded.imaging_fingerprint,
                labels_fingerprint = excluded.labels_fingerprint,
                slices = excluded.slices, rows = excluded.rows, cols = excluded.cols)SQL");
        upsert.bind(1, datasetId).bind(2, c.caseKey).bind(3, c.imagingPath).bind(4, c.labelsPath);
        upsert.bind(5, c.imagingFingerprint).bind(6, c.labelsFingerprint);
        upsert.bind(7, c.shape[0]).bind(8, c.shape[1]).bind(9, c.shape[2]).run();
        Statement find(m_db.handle(), "SELECT id FROM cases WHERE dataset_id = ? AND case_key = ?");
        find.bind(1, datasetId).bind(2, c.caseKey);
        find.step();
        id = find.int64(0);
        audit("", "register", "case", id,
              nlohmann::json{{"case", c.caseKey}, {"labels_fingerprint", c.labelsFingerprint}}.dump());
    });
    return id;
}

std::optional<int64_t> AnnotationStore::findCase(const std::string& caseKey) const
{
    Statement s(m_db.handle(), "SELECT id FROM cases WHERE case_key = ? ORDER BY id LIMIT 1");
    s.bind(1, caseKey);
    if (s.step())
        return s.int64(0);
    return std::nullopt;
}

CaseRegistration AnnotationStore::caseRegistration(int64_t caseId) const
{
    Statement s(m_db.handle(),
                "SELECT case_key, imaging_path, labels_path, imaging_fingerprint, labels_fingerprint, "
                "slices, rows, cols FROM cases WHERE id = ?");
    s.bind(1, caseId);
    if (!s.step())
        throw DatabaseError(m_file.string() + ": no case with id " + std::to_string(caseId));
    return {s.text(0), s.text(1), s.text(2),
            s.text(3), s.text(4), {s.integer(5), s.integer(6), s.integer(7)}};
}

int64_t AnnotationStore::annotatorId(const std::string& name)
{
    if (name.empty())
        throw std::invalid_argument("the annotator needs a name");
    Statement find(m_db.handle(), "SELECT id FROM annotators WHERE name = ?");
    find.bind(1, name);
    if (find.step())
        return find.int64(0);
    Statement insert(m_db.handle(), "INSERT OR IGNORE INTO annotators(name) VALUES (?)");
    insert.bind(1, name).run();
    find.reset();
    find.bind(1, name);
    find.step();
    return find.int64(0);
}

int64_t AnnotationStore::registerModel(const ModelRecord& model)
{
    Statement insert(m_db.handle(), "INSERT OR IGNORE INTO models(content_hash, architecture, file_path, "
                                    "preprocessing) VALUES (?, ?, ?, ?)");
    insert.bind(1, model.contentHash).bind(2, model.architecture).bind(3, model.filePath);
    insert.bind(4, model.preprocessingJson).run();
    Statement find(m_db.handle(), "SELECT id FROM models WHERE content_hash = ?");
    find.bind(1, model.contentHash);
    find.step();
    return find.int64(0);
}

int64_t AnnotationStore::registerCamSettings(const CamSettingsRecord& c)
{
    // The settings are their own key: the same five fields find the row they inserted.
    const auto bindFields = [&c](Statement& s) {
        s.bind(1, c.method).bind(2, c.layer).bind(3, c.target).bind(4, c.normalisation).bind(5, c.parametersJson);
    };
    Statement insert(m_db.handle(),
                     "INSERT OR IGNORE INTO cam_settings(method, layer, target, normalisation, "
                     "parameters) VALUES (?, ?, ?, ?, ?)");
    bindFields(insert);
    insert.run();
    Statement find(m_db.handle(),
                   "SELECT id FROM cam_settings WHERE method = ? AND layer = ? AND target = ? AND "
                   "normalisation = ? AND parameters = ?");
    bindFields(find);
    find.step();
    return find.int64(0);
}

void AnnotationStore::checkProposal(const ProposalInput& p) const
{
    if (p.mask.rows != p.crop.rows || p.mask.cols != p.crop.cols)
        throw std::invalid_argument("proposal mask is " + std::to_string(p.mask.rows) + "x" +
                                    std::to_string(p.mask.cols) + " but its crop box is " +
                                    std::to_string(p.crop.rows) + "x" + std::to_string(p.crop.cols));
    try { // the reader's bounds (checkStoredGrid), so that nothing is written that cannot be read
        checkStoredGrid(p.crop.rows, p.crop.cols, "crop box", 0);
        if (p.heatmap)
            checkStoredGrid(p.heatmap->rows, p.heatmap->cols, "heatmap", 0);
    } catch (const DatabaseError&) {
        throw std::invalid_argument("proposal crop box or heatmap of an impossible size");
    }
    const auto registration = caseRegistration(p.caseId);
    if (p.slice < 0 || p.slice >= registration.shape[0] || p.crop.row0 < 0 || p.crop.col0 < 0 ||
        p.crop.row0 + p.crop.rows > registration.shape[1] ||
        p.crop.col0 + p.crop.cols > registration.shape[2])
        throw std::invalid_argument("proposal slice or crop box lies outside case " + registration.caseKey);
    if (p.heatmap && p.heatmap->raw.size() != static_cast<size_t>(p.heatmap->rows) * p.heatmap->cols)
        throw std::invalid_argument("proposal heatmap values do not match its size");
}

int64_t AnnotationStore::insertProposal(const ProposalInput& p)
{
    Statement insert(m_db.handle(),
                     "INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, "
                     "model_id, cam_settings_id, threshold, mask, heatmap_rows, heatmap_cols, heatmap, "
                     "heatmap_low, heatmap_high) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    insert.bind(1, p.caseId).bind(2, p.slice).bind(3, p.crop.row0).bind(4, p.crop.col0).bind(5, p.crop.rows);
    insert.bind(6, p.crop.cols).bind(7, p.modelId).bind(8, p.camSettingsId).bind(9, p.threshold);
    insert.bind(10, encodeMask(p.mask));
    if (p.heatmap) {
        std::vector<uint8_t> bytes(p.heatmap->raw.size() * sizeof(float));
        std::memcpy(bytes.data(), p.heatmap->raw.data(), bytes.size()); // x86-64 and ARM64: little-endian
        insert.bind(11, p.heatmap->rows).bind(12, p.heatmap->cols).bind(13, bytes);
        insert.bind(14, p.heatmap->low).bind(15, p.heatmap->high);
    } else {
        insert.bindNull(11).bindNull(12).bindNull(13).bindNull(14).bindNull(15);
    }
    insert.run();
    const int64_t id = lastInsertId(m_db);
    audit("", "propose", "proposal", id,
          nlohmann::json{
              {"case", caseRegistration(p.caseId).caseKey}, {"slice", p.slice}, {"threshold", p.threshold}}
              .dump());
    return id;
}

int64_t AnnotationStore::addProposal(const ProposalInput& p)
{
    checkProposal(p);
    int64_t id = 0;
    m_db.transaction([&] { id = insertProposal(p); }); // the proposal with its audit entry
    return id;
}

BinaryMask AnnotationStore::proposalMask(int64_t proposalId) const
{
    Statement s(m_db.handle(), "SELECT mask, crop_rows, crop_cols FROM proposals WHERE id = ?");
    s.bind(1, proposalId);
    if (!s.step())
        throw std::invalid_argument("no proposal with id " + std::to_string(proposalId));
    return decodeStoredMask(s.blob(0), s.int64(1), s.int64(2), "proposal", proposalId);
}

std::pair<std::optional<BinaryMask>, OverlapRecord>
AnnotationStore::evaluateDecision(const DecisionInput& d, const BinaryMask& proposalOnCrop,
                                  const CropBox& crop) const
{
    // Every mask of the decision on its final box: the crop, or a larger box holding it.
    const CropBox box = d.finalBox.value_or(crop);
    if (!holds(box, crop))
        throw std::invalid_argument("a decision's final box must hold its proposal's crop box");
    if (d.finalBox && d.kind != DecisionKind::Accept && d.kind != DecisionKind::Correct)
        throw std::invalid_argument("a " + toString(d.kind) + " decision has no final mask or box");
    const BinaryMask proposal = box == crop ? proposalOnCrop : placeMask(proposalOnCrop, crop, box);
    std::optional<BinaryMask> finalMask;
    switch (d.kind) {
    case DecisionKind::Accept:
        finalMask = d.finalMask ? *d.finalMask : proposal;
        break;
    case DecisionKind::Correct:
        if (!d.finalMask)
            throw std::invalid_argument("a correction needs the corrected mask");
        finalMask = d.finalMask;
        break;
    case DecisionKind::Reject:
    case DecisionKind::Skip:
        if (d.finalMask)
            throw std::invalid_argument("a " + toString(d.kind) + " decision has no final mask");
        break;
    }
    OverlapRecord o;
    if (d.groundTruth) {
        if (d.groundTruth->rows != box.rows || d.groundTruth->cols != box.cols)
            throw std::invalid_argument("the ground truth is not on the decision's box");
        // The proposal is scored on its own crop, as every proposal is; the final mask on its box.
        const auto s =
            overlap(proposalOnCrop, box == crop ? *d.groundTruth : placeMask(*d.groundTruth, box, crop));
        o.proposalGtIou = s.iou;
        o.proposalGtDice = s.dice;
    }
    if (finalMask) {
        if (finalMask->rows != box.rows || finalMask->cols != box.cols)
            throw std::invalid_argument("the final mask is not the size of its box");
        const auto pf = overlap(proposal, *finalMask);
        o.proposalFinalIou = pf.iou;
        o.proposalFinalDice = pf.dice;
        const auto edits = editCounts(proposal, *finalMask);
        o.voxelsAdded = edits.added;
        o.voxelsRemoved = edits.removed;
        if (d.groundTruth) {
            const auto fg = overlap(*finalMask, *d.groundTruth);
            o.finalGtIou = fg.iou;
            o.finalGtDice = fg.dice;
        }
    }
    return {std::move(finalMask), o};
}

int64_t AnnotationStore::insertDecision(const DecisionInput& d, const std::optional<BinaryMask>& finalMask,
                                        const OverlapRecord& o)
{
    const int64_t annotator = annotatorId(d.annotator);
    Statement insert(
        m_db.handle(),
        "INSERT INTO decisions(proposal_id, annotator_id, kind, final_mask, time_spent_ms, comment, "
        "label, final_row0, final_col0, final_rows, final_cols) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, d.proposalId).bind(2, annotator).bind(3, toString(d.kind));
    if (finalMask)
        insert.bind(4, encodeMask(*finalMask));
    else
        insert.bindNull(4);
    insert.bind(5, d.timeSpentMs).bind(6, d.comment);
    if (d.label)
        insert.bind(7, static_cast<int64_t>(*d.label));
    else
        insert.bindNull(7);
    if (d.finalBox) {
        insert.bind(8, int64_t{d.finalBox->row0}).bind(9, int64_t{d.finalBox->col0});
        insert.bind(10, int64_t{d.finalBox->rows}).bind(11, int64_t{d.finalBox->cols});
    } else {
        for (int i = 8; i <= 11; ++i)
            insert.bindNull(i);
    }
    insert.run();
    const int64_t id = lastInsertId(m_db);
    Statement record(m_db.handle(), "INSERT INTO overlap_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    record.bind(1, id).bind(2, o.proposalGtIou).bind(3, o.proposalGtDice);
    record.bind(4, o.proposalFinalIou)
        .bind(5, o.proposalFinalDice)
        .bind(6, o.finalGtIou)
        .bind(7, o.finalGtDice);
    record.bind(8, o.voxelsAdded).bind(9, o.voxelsRemoved).run();
    audit(d.annotator, toString(d.kind), "decision", id,
          nlohmann::json{{"proposal", d.proposalId}, {"time_spent_ms", d.timeSpentMs}}.dump());
    return id;
}

DecisionResult AnnotationStore::recordDecision(const DecisionInput& d)
{
    const BinaryMask proposal = proposalMask(d.proposalId);
    Statement crop(m_db.handle(),
                   "SELECT crop_row, crop_col, crop_rows, crop_cols FROM proposals WHERE id = ?");
    crop.bind(1, d.proposalId);
    crop.step();
    DecisionResult result;
    const auto evaluated =
        evaluateDecision(d, proposal, {crop.integer(0), crop.integer(1), crop.integer(2), crop.integer(3)});
    result.overlap = evaluated.second;
    m_db.transaction([&] { result.decisionId = insertDecision(d, evaluated.first, result.overlap); });
    return result;
}

DecisionResult AnnotationStore::recordProposalDecision(const ProposalInput& proposal, DecisionInput decision,
                                                       int64_t* proposalId)
{
    checkProposal(proposal);
    DecisionResult result;
    const auto evaluated =
        evaluateDecision(decision, proposal.mask, proposal.crop); // final mask, overlap record
    result.overlap = evaluated.second;
    m_db.transaction([&] {
        decision.proposalId = insertProposal(proposal);
        result.decisionId = insertDecision(decision, evaluated.first, result.overlap);
    });
    if (proposalId)
        *proposalId = decision.proposalId;
    return result;
}

void AnnotationStore::undoDecision(int64_t decisionId, const std::string& annotator)
{
    m_db.transaction([&] {
        Statement s(m_db.handle(), "UPDATE decisions SET undone = 1 WHERE id = ? AND undone = 0");
        s.bind(1, decisionId).run();
        if (sqlite3_changes(m_db.handle()) != 1)
            throw std::invalid_argument("decision " + std::to_string(decisionId) +
                                        " does not exist or is already undone");
        audit(annotator, "undo", "decision", decisionId, "{}");
    });
}

std::vector<CaseProgress> AnnotationStore::caseProgress() const
{
    Statement s(m_db.handle(), R"SQL(
        SELECT c.case_key, coalesce(s.proposals, 0),
               coalesce(s.accepted + s.corrected + s.rejected + s.skipped, 0),
               coalesce(s.accepted, 0), coalesce(s.corrected, 0), coalesce(s.rejected, 0), coalesce(s.skipped, 0),
               c.id, c.lesion_slices, coalesce(c.lesion_slices_source, '')
        FROM cases c LEFT JOIN case_summary s ON s.case_id = c.id
        ORDER BY c.case_key)SQL");
    std::vector<CaseProgress> out;
    std::map<int64_t, std::pair<size_t, std::set<int>>> lesionSlicesOf; // case id -> row, its lesion slices
    while (s.step()) {
        CaseProgress c;
        c.caseKey = s.text(0);
        c.proposals = s.int64(1);
        c.decided = s.int64(2);
        c.accepted = s.int64(3);
        c.corrected = s.int64(4);
        c.rejected = s.int64(5);
        c.skipped = s.int64(6);
        if (!s.isNull(8)) {
            const auto slices = parseSliceList(s.text(8));
            c.lesionSlices = static_cast<int64_t>(slices.size());
            c.lesionSlicesSource = s.text(9);
            lesionSlicesOf[s.int64(7)] = {out.size(), std::set<int>(slices.begin(), slices.end())};
        }
        out.push_back(std::move(c));
    }
    if (lesionSlicesOf.empty())
        return out;
    // The lesion slices with a standing decision (one indexed pass over the decided proposals).
    Statement decided(m_db.handle(), R"SQL(
        SELECT DISTINCT ps.case_id, p.slice FROM proposal_state ps JOIN proposals p ON p.id = ps.proposal_id
        WHERE ps.kind IS NOT NULL)SQL");
    while (decided.step())
        if (const auto it = lesionSlicesOf.find(decided.int64(0));
            it != lesionSlicesOf.end() && it->second.second.count(static_cast<int>(decided.int64(1))))
            ++out[it->second.first].decidedLesionSlices;
    return out;
}

void AnnotationStore::setCropPlacement(int64_t caseId, const CropPlacement& placement,
                                       const std::string& annotator)
{
    if (placement.side != "right" && placement.side != "left")
        throw std::invalid_argument("a crop placement's side is right or left, not '" + placement.side + "'");
    m_db.transaction([&] {
        Statement s(m_db.handle(),
                    "INSERT OR REPLACE INTO crop_placements(case_id, side, row_mm, col_mm, placed_by) "
                    "VALUES (?, ?, ?, ?, ?)");
        s.bind(1, caseId)
            .bind(2, placement.side)
            .bind(3, placement.rowMm)
            .bind(4, placement.colMm)
            .bind(5, annotator);
        s.run();
        audit(
            annotator, "place", "case", caseId,
            nlohmann::json{{"side", placement.side}, {"row_mm", placement.rowMm}, {"col_mm", placement.colMm}}
                .dump());
    });
}

void AnnotationStore::clearCropPlacements(int64_t caseId, const std::string& annotator)
{
    m_db.transaction([&] {
        Statement s(m_db.handle(), "DELETE FROM crop_placements WHERE case_id = ?");
        s.bind(1, caseId).run();
        audit(annotator, "unplace", "case", caseId, "{}");
    });
}

std::vector<CropPlacement> AnnotationStore::cropPlacements(int64_t caseId) const
{
    Statement s(m_db.handle(),
                "SELECT side, row_mm, col_mm FROM crop_placements WHERE case_id = ? ORDER BY side DESC");
    s.bind(1, caseId);
    std::vector<CropPlacement> out;
    while (s.step())
        out.push_back({s.text(0), s.real(1), s.real(2)});
    return out;
}

void AnnotationStore::setLesionSlices(int64_t caseId, const std::vector<int>& slices,
                                      const std::string& source)
{
    Statement s(m_db.handle(),
                "UPDATE cases SET lesion_slices = ?, lesion_slices_source = ? WHERE id = ? AND "
                "(lesion_slices IS NOT ? OR lesion_slices_source IS NOT ?)");
    const std::string list = formatSliceList(slices);
    s.bind(1, list);
    s.bind(2, source);
    s.bind(3, caseId);
    s.bind(4, list);
    s.bind(5, source);
    s.run();
}

std::vector<AnnotatorProgress> AnnotationStore::annotatorProgress() const
{
    Statement s(m_db.handle(), R"SQL(
        SELECT a.name, coalesce(s.decisions, 0), coalesce(s.time_spent_ms, 0)
        FROM annotators a LEFT JOIN annotator_summary s ON s.annotator_id = a.id
        ORDER BY a.name)SQL");
    std::vector<AnnotatorProgress> out;
    while (s.step())
        out.push_back({s.text(0), s.int64(1), s.int64(2)});
    return out;
}

namespace {
/// The proposal rule of a `cam_settings cs` row: its parameters' "proposal" (ReviewController
/// writes it for refinements), else "raw". Parameters that are not JSON (never written by us) count
/// as raw rather than failing the query.
constexpr const char* kProposalRuleSql = "coalesce(CASE WHEN json_valid(cs.parameters) THEN "
                                         "json_extract(cs.parameters, '$.proposal') END, 'raw')";
} // namespace

std::string proposalLabel(const std::string& method, const std::string& proposal)
{
    return proposal.empty() || proposal == "raw" ? method : method + " + " + proposal;
}

std::vector<MethodThresholdIou> AnnotationStore::iouByMethodAndThreshold() const
{
    Statement s(m_db.handle(), std::string(R"SQL(
        SELECT coalesce(cs.method, ''), )SQL") +
                                   kProposalRuleSql + R"SQL(, s.threshold, s.decisions,
               CASE WHEN s.pg_n > 0 THEN s.pg_sum / s.pg_n END,
               CASE WHEN s.pf_n > 0 THEN s.pf_sum / s.pf_n END,
               CASE WHEN s.fg_n > 0 THEN s.fg_sum / s.fg_n END,
               s.changed_sum / s.decisions
        FROM iou_summary s LEFT JOIN cam_settings cs ON cs.id = s.settings_key
        WHERE s.decisions > 0
        ORDER BY cs.method, 2, s.threshold)SQL");
    std::vector<MethodThresholdIou> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.real(2), s.int64(3), s.optionalReal(4), s.optionalReal(5),
                       s.optionalReal(6), s.real(7)});
    return out;
}

std::vector<AnnotatorIou> AnnotationStore::iouByAnnotator() const
{
    Statement s(m_db.handle(), R"SQL(
        SELECT a.name, count(d.id), avg(o.proposal_gt_iou), avg(o.proposal_final_iou), avg(o.final_gt_iou)
        FROM decisions d JOIN annotators a ON a.id = d.annotator_id
        JOIN overlap_records o ON o.decision_id = d.id
        WHERE d.undone = 0
        GROUP BY a.id ORDER BY a.name)SQL");
    std::vector<AnnotatorIou> out;
    while (s.step())
        out.push_back({s.text(0), s.int64(1), s.optionalReal(2), s.optionalReal(3), s.optionalReal(4)});
    return out;
}

namespace {
const std::string kDecisionSelect = std::string(R"SQL(
    SELECT d.id, d.proposal_id, c.case_key, p.slice, p.crop_row, p.crop_col, p.crop_rows, p.crop_cols,
           d.kind, a.name, coalesce(cs.method, ''), coalesce(m.content_hash, ''), p.threshold, d.final_mask,
           o.proposal_gt_iou, o.proposal_gt_dice, o.proposal_final_iou, o.proposal_final_dice,
           o.final_gt_iou, o.final_gt_dice, o.voxels_added, o.voxels_removed,
           d.time_spent_ms, d.created_at, d.undone, d.label, )SQL") +
                                    kProposalRuleSql + R"SQL(,
           coalesce(d.final_row0, p.crop_row), coalesce(d.final_col0, p.crop_col),
           coalesce(d.final_rows, p.crop_rows), coalesce(d.final_cols, p.crop_cols)
    FROM decisions d
    JOIN proposals p ON p.id = d.proposal_id
    JOIN cases c ON c.id = p.case_id
    JOIN annotators a ON a.id = d.annotator_id
    LEFT JOIN cam_settings cs ON cs.id = p.cam_settings_id
    LEFT JOIN models m ON m.id = p.model_id
    LEFT JOIN overlap_records o ON o.decision_id = d.id
)SQL";

StoredDecision readDecision(const Statement& s)
{
    StoredDecision d;
    d.id = s.int64(0);
    d.proposalId = s.int64(1);
    d.caseKey = s.text(2);
    d.slice = s.integer(3);
    d.crop = {s.integer(4), s.integer(5), s.integer(6), s.integer(7)};
    d.kind = decisionKindFromString(s.text(8));
    d.annotator = s.text(9);
    d.method = s.text(10);
    d.modelHash = s.text(11);
    d.threshold = s.real(12);
    d.finalBox = {s.integer(27), s.integer(28), s.integer(29), s.integer(30)};
    if (!s.isNull(13))
        d.finalMask = decodeStoredMask(s.blob(13), d.finalBox.rows, d.finalBox.cols, "final", d.id);
    readOverlap(s, 14, d.overlap);
    d.timeSpentMs = s.int64(22);
    d.createdAt = s.text(23);
    d.undone = s.int64(24) != 0;
    if (!s.isNull(25))
        d.label = static_cast<uint8_t>(s.int64(25));
    d.proposal = s.text(26);
    return d;
}
} // namespace

std::vector<StoredDecision> AnnotationStore::decisionsForSlice(int64_t caseId, int slice) const
{
    Statement s(m_db.handle(),
                std::string(kDecisionSelect) + " WHERE p.case_id = ? AND p.slice = ? ORDER BY d.id DESC");
    s.bind(1, caseId).bind(2, slice);
    std::vector<StoredDecision> out;
    while (s.step())
        out.push_back(readDecision(s));
    return out;
}

std::vector<AnnotationStore::StandingCrop> AnnotationStore::standingCrops(int64_t caseId) const
{
    Statement s(m_db.handle(), R"SQL(
        SELECT p.slice, p.crop_row, p.crop_col, p.crop_rows, p.crop_cols, ps.kind
        FROM proposal_state ps JOIN proposals p ON p.id = ps.proposal_id
        WHERE ps.case_id = ? AND ps.kind IS NOT NULL ORDER BY ps.proposal_id DESC)SQL");
    s.bind(1, caseId);
    std::vector<StandingCrop> out;
    while (s.step())
        out.push_back({s.integer(0),
                       {s.integer(1), s.integer(2), s.integer(3), s.integer(4)},
                       decisionKindFromString(s.text(5))});
    return out;
}

std::vector<StoredDecision> AnnotationStore::standingDecisions(const std::vector<DecisionKind>& kinds,
                                                               const std::string& caseKey) const
{
    Statement s(m_db.handle(), std::string(kDecisionSelect) +
                                   " WHERE d.undone = 0 AND (?1 = '' OR c.case_key = ?1) ORDER BY d.id");
    s.bind(1, caseKey);
    std::vector<StoredDecision> out;
    while (s.step()) {
        const auto kind = decisionKindFromString(s.text(8));
        if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end())
            out.push_back(readDecision(s));
    }
    return out;
}

std::vector<HeatmapDecision> AnnotationStore::heatmapDecisions() const
{
    Statement s(m_db.handle(), R"SQL(
        SELECT coalesce(cs.method, ''), p.crop_rows, p.crop_cols, p.heatmap_rows, p.heatmap_cols, p.heatmap,
               p.heatmap_low, p.heatmap_high, d.final_mask, d.kind, d.id, p.crop_row, p.crop_col,
               coalesce(d.final_row0, p.crop_row), coalesce(d.final_col0, p.crop_col),
               coalesce(d.final_rows, p.crop_rows), coalesce(d.final_cols, p.crop_cols)
        FROM decisions d
        JOIN proposals p ON p.id = d.proposal_id
        LEFT JOIN cam_settings cs ON cs.id = p.cam_settings_id
        WHERE d.undone = 0 AND d.kind IN ('accept', 'correct') AND p.heatmap IS NOT NULL
          AND )SQL" + std::string(kProposalRuleSql) +
                                   R"SQL( = 'raw'
        ORDER BY d.id)SQL");
    std::vector<HeatmapDecision> out;
    while (s.step()) {
        HeatmapDecision h;
        h.method = s.text(0);
        h.cropRows = static_cast<int>(s.int64(1));
        h.cropCols = static_cast<int>(s.int64(2));
        h.rows = static_cast<int>(s.int64(3));
        h.cols = static_cast<int>(s.int64(4));
        checkStoredGrid(s.int64(3), s.int64(4), "heatmap", s.int64(10));
        const auto bytes = s.blob(5);
        if (bytes.size() != static_cast<size_t>(h.rows) * h.cols * sizeof(float))
            throw DatabaseError("damaged heatmap of decision " + std::to_string(s.int64(10)));
        h.raw.resize(static_cast<size_t>(h.rows) * h.cols);
        std::memcpy(h.raw.data(), bytes.data(), bytes.size());
        h.low = s.real(6);
        h.high = s.real(7);
        // The part on the crop: outside it no threshold of the map proposes anything, so pixels
        // painted there count the same for every threshold.
        const CropBox crop{s.integer(11), s.integer(12), h.cropRows, h.cropCols};
        const CropBox finalBox{s.integer(13), s.integer(14), s.integer(15), s.integer(16)};
        h.finalMask =
            placeMask(decodeStoredMask(s.blob(8), finalBox.rows, finalBox.cols, "decision", s.int64(10)),
                      finalBox, crop);
        out.push_back(std::move(h));
    }
    return out;
}

int64_t AnnotationStore::auditCount() const
{
    Statement s(m_db.handle(), "SELECT count(*) FROM audit_log");
    s.step();
    return s.int64(0);
}

bool AnnotationStore::integrityOk() const
{
    Statement s(m_db.handle(), "PRAGMA integrity_check");
    return s.step() && s.text(0) == "ok";
}

BinaryMask decodeStoredMask(const std::vector<uint8_t>& blob, int64_t rows, int64_t cols,
                            const std::string& what, int64_t id)
{
    checkStoredGrid(rows, cols, "crop box", id);
    try {
        return decodeMask(blob, static_cast<int>(rows), static_cast<int>(cols));
    } catch (const std::invalid_argument& e) {
        throw DatabaseError("damaged " + what + " mask in row " + std::to_string(id) + ": " + e.what());
    }
}

std::string fileFingerprint(const fs::path& file)
{
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
    std::vector<char> buffer(1 << 20);
    const auto add = [&](const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            EVP_MD_CTX_free(context);
            throw std::invalid_argument(path.string() + ": cannot read file for its fingerprint");
        }
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            EVP_DigestUpdate(context, buffer.data(), static_cast<size_t>(in.gcount()));
        }
    };
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
        // A DICOM series folder: every file in name order, each preceded by its name.
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(file, ec))
            if (entry.is_regular_file())
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            const std::string name = f.filename().string() + '\0';
            EVP_DigestUpdate(context, name.data(), name.size());
            add(f);
        }
    } else {
        add(file);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context, digest, &length);
    EVP_MD_CTX_free(context);
    std::ostringstream hex;
    for (unsigned int i = 0; i < length; ++i)
        hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(digest[i]);
    return hex.str();
}

} // namespace weaksight::storage
