#include "storage/StoreTools.h"

#include "core/cases/CaseKey.h"
#include "core/cases/KitsCase.h"
#include "core/common/Text.h"
#include "core/io/VolumeIo.h"
#include "core/masks/BinaryMask.h"
#include "storage/Statement.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <unordered_map>

namespace fs = std::filesystem;

namespace weaksight::storage {

CaseRegistration caseRegistration(const CaseFiles& c)
{
    CaseRegistration r;
    r.caseKey = c.caseId;
    const fs::path gridSource = c.segmentation ? *c.segmentation : *c.imaging;
    // A DICOM series folder has no one header: its grid is the series' as read.
    std::error_code ec;
    r.shape = fs::is_directory(gridSource, ec) ? readCtVolume(gridSource).shape
                                               : readVolumeHeader(gridSource).geometry.canonicalShape();
    if (c.imaging) {
        r.imagingPath = fs::absolute(*c.imaging).string();
        r.imagingFingerprint = fileFingerprint(*c.imaging);
    }
    if (c.segmentation) {
        r.labelsPath = fs::absolute(*c.segmentation).string();
        r.labelsFingerprint = fileFingerprint(*c.segmentation);
    }
    return r;
}

int64_t registerCaseFiles(AnnotationStore& store, int64_t datasetId, const CaseFiles& c)
{
    return store.registerCase(datasetId, caseRegistration(c));
}

ImportReport importDataset(AnnotationStore& store, const fs::path& root)
{
    const auto cases = scanDataset(root);
    ImportReport report;
    report.datasetId =
        store.registerDataset(fs::absolute(root).lexically_normal().string(), toString(cases.front().layout));
    for (const auto& c : cases) {
        registerCaseFiles(store, report.datasetId, c);
        report.withLabels += c.segmentation.has_value();
        ++report.cases;
    }
    return report;
}

std::vector<AgreementRow> annotatorAgreement(const AnnotationStore& store)
{
    // Latest standing final mask (on its box) per annotator, case, slice and crop.
    using Key = std::tuple<std::string, int, int, int, int, int>;
    std::map<Key, std::map<std::string, std::pair<CropBox, BinaryMask>>> masks;
    for (auto& d : store.standingDecisions({DecisionKind::Accept, DecisionKind::Correct}))
        masks[{d.caseKey, d.slice, d.crop.row0, d.crop.col0, d.crop.rows, d.crop.cols}][d.annotator] = {
            d.finalBox, *d.finalMask};
    std::map<std::pair<std::string, std::string>, std::pair<int, double>> pairs;
    for (const auto& [key, byAnnotator] : masks)
        for (auto a = byAnnotator.begin(); a != byAnnotator.end(); ++a)
            for (auto b = std::next(a); b != byAnnotator.end(); ++b) {
                auto& [count, sum] = pairs[{a->first, b->first}];
                ++count;
                // Compared on one box: either may reach outside the crop.
                const auto& [boxA, maskA] = a->second;
                const auto& [boxB, maskB] = b->second;
                const CropBox both = unionOf(boxA, boxB);
                sum += overlap(placeMask(maskA, boxA, both), placeMask(maskB, boxB, both)).iou;
            }
    std::vector<AgreementRow> rows;
    for (const auto& [names, stats] : pairs)
        rows.push_back({names.first, names.second, stats.first, stats.second / stats.first});
    return rows;
}

namespace {

/// A merge source, checked before the target is made or touched: a store of ours at a version this
/// program knows (application id, or none with our tables; not damaged; not newer), case keys that
/// are one file name, every mask blob of its crop box's size. The source is opened read-only
/// (`mode=ro`) and never written, migrated or switched to WAL: a source of an older schema is merged
/// from a migrated copy in a private temporary folder, removed afterwards.
/// A private folder (mkdtemp: mode 0700, unpredictable name) removed with everything in it.
class PrivateFolder {
public:
    PrivateFolder() = default;
    PrivateFolder(const PrivateFolder&) = delete;
    PrivateFolder& operator=(const PrivateFolder&) = delete;
    ~PrivateFolder()
    {
        std::error_code ec;
        if (!m_path.empty())
            fs::remove_all(m_path, ec);
    }
    const fs::path& create(const std::string& what)
    {
        std::string pattern = (fs::temp_directory_path() / "weaksight-merge-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            throw DatabaseError("cannot make a temporary folder for " + what + ": " + std::strerror(errno));
        m_path = pattern;
        return m_path;
    }

private:
    fs::path m_path;
};

class MergeSource {
public:
    MergeSource(const fs::path& source, const fs::path& target)
        : m_source(source)
    {
        std::error_code ec;
        if (fs::exists(target, ec) && fs::equivalent(source, target, ec))
            throw DatabaseError(source.string() + ": is the merge's target itself; not merged");
        Database inspected(source, AnnotationStore::migrations(), Database::Mode::Inspect,
                           AnnotationStore::kApplicationId);
        m_readable = source;
        m_attachQuery = inspected.immutable() ? "mode=ro&immutable=1" : "mode=ro";
        if (inspected.schemaVersion() < AnnotationStore::kSchemaVersion)
            migratedCopy(inspected);
        checkContents();
    }
    MergeSource(const MergeSource&) = delete;
    MergeSource& operator=(const MergeSource&) = delete;

    const fs::path& source() const { return m_source; }
    /// What ATTACH opens: the source itself, read-only, or its migrated copy.
    std::string attachUri() const { return Database::uri(m_readable, m_attachQuery); }

private:
    void migratedCopy(Database& inspected)
    {
        const fs::path copy = m_copyFolder.create("a copy of " + m_source.string()) / "source.sqlite";
        sqlite3* out = nullptr;
        int rc = sqlite3_open_v2(Database::uri(copy, "mode=rwc").c_str(), &out,
                                 SQLITE_OPEN_URI | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        if (rc == SQLITE_OK) {
            sqlite3_backup* backup = sqlite3_backup_init(out, "main", inspected.handle(), "main");
            rc = backup ? sqlite3_backup_step(backup, -1) : sqlite3_errcode(out);
            if (backup)
                sqlite3_backup_finish(backup);
        }
        const std::string problem = out ? sqlite3_errmsg(out) : "out of memory";
        sqlite3_close(out);
        if (rc != SQLITE_DONE)
            throw DatabaseError(m_source.string() + ": cannot copy it to migrate the copy (" + problem +
                                "); not merged");
        spdlog::info("{}: schema version {} is older than {}: merging from a migrated copy (the source is "
                     "not changed)",
                     m_source.string(), inspected.schemaVersion(), AnnotationStore::kSchemaVersion);
        AnnotationStore migrated(copy);
        m_readable = copy;
        m_attachQuery = "mode=ro";
    }

    void checkContents() const
    {
        Database db(m_readable, AnnotationStore::migrations(), Database::Mode::Inspect,
                    AnnotationStore::kApplicationId);
        Statement keys(db.handle(), "SELECT case_key FROM main.cases");
        while (keys.step())
            checkCaseKey(keys.text(0), m_source.string());
        Statement masks(db.handle(), R"SQL(
            SELECT 'proposal', p.id, p.crop_rows, p.crop_cols, p.mask FROM main.proposals p
            UNION ALL
            SELECT 'final', d.id, coalesce(d.final_rows, p.crop_rows), coalesce(d.final_cols, p.crop_cols), d.final_mask
            FROM main.decisions d JOIN main.proposals p ON p.id = d.proposal_id WHERE d.final_mask IS NOT NULL)SQL");
        while (masks.step()) {
            try {
                decodeStoredMask(masks.blob(4), masks.int64(2), masks.int64(3), masks.text(0),
                                 masks.int64(1));
            } catch (const DatabaseError& e) {
                throw DatabaseError(m_source.string() + ": " + e.what() + "; not merged");
            }
        }
    }

    PrivateFolder m_copyFolder; // first member: removed also when the constructor throws
    fs::path m_source, m_readable;
    std::string m_attachQuery;
};

/// Copies one attached source (`src`) into the target's `main`, in transactions of at most about
/// `budget` each, so that a labeller writing to the target meanwhile never waits long.
class SourceCopy {
public:
    SourceCopy(Database& target, const std::string& sourceName, const MergeOptions& options,
               MergeReport& report)
        : m_target(target)
        , m_db(target.handle())
        , m_sourceName(sourceName)
        , m_options(options)
        , m_report(report)
    {
    }

    void run()
    {
        transaction([&] { copyNaturalKeys(); });
        copyDecisions();
        copyAuditLog();
    }

private:
    /// One transaction into the target, after a pause that lets waiting writers in once the lock has
    /// been held for half a budget since the last pause (short set-up transactions need none).
    void transaction(const std::function<void()>& work)
    {
        if (m_heldSincePause * 2 >= m_options.transactionBudget) {
            std::this_thread::sleep_for(m_options.pauseBetweenTransactions);
            m_heldSincePause = {};
        }
        const auto start = std::chrono::steady_clock::now();
        m_target.transaction(work);
        m_heldSincePause += std::chrono::steady_clock::now() - start;
        ++m_report.transactions;
    }

    bool overBudget(std::chrono::steady_clock::time_point start) const
    {
        return std::chrono::steady_clock::now() - start > m_options.transactionBudget;
    }

    void copyNaturalKeys()
    {
        // Natural keys: datasets by root, cases by (root, key), the rest by their unique columns.
        m_target.execute(R"SQL(
            INSERT OR IGNORE INTO main.datasets(root_path, layout, created_at)
                SELECT root_path, layout, created_at FROM src.datasets;
            INSERT OR IGNORE INTO main.annotators(name) SELECT name FROM src.annotators;
            INSERT OR IGNORE INTO main.models(content_hash, architecture, file_path, preprocessing)
                SELECT content_hash, architecture, file_path, preprocessing FROM src.models;
            INSERT OR IGNORE INTO main.cam_settings(method, layer, target, normalisation, parameters)
                SELECT method, layer, target, normalisation, parameters FROM src.cam_settings;)SQL");
        Statement conflicts(m_db, R"SQL(
            SELECT sc.case_key FROM src.cases sc JOIN src.datasets sd ON sd.id = sc.dataset_id
            JOIN main.datasets d ON d.root_path = sd.root_path
            JOIN main.cases c ON c.dataset_id = d.id AND c.case_key = sc.case_key
            WHERE c.labels_fingerprint != sc.labels_fingerprint
               OR c.imaging_fingerprint != sc.imaging_fingerprint)SQL");
        if (conflicts.step())
            throw DatabaseError(m_sourceName + ": case " + printable(conflicts.text(0)) +
                                " has other file fingerprints than in " + m_target.file().string() +
                                " (different data under the same name); not merged");
        m_target.execute(R"SQL(
            INSERT OR IGNORE INTO main.cases(dataset_id, case_key, imaging_path, labels_path,
                                             imaging_fingerprint, labels_fingerprint, slices, rows, cols,
                                             lesion_slices, lesion_slices_source)
                SELECT d.id, sc.case_key, sc.imaging_path, sc.labels_path, sc.imaging_fingerprint,
                       sc.labels_fingerprint, sc.slices, sc.rows, sc.cols, sc.lesion_slices,
                       sc.lesion_slices_source
                FROM src.cases sc JOIN src.datasets sd ON sd.id = sc.dataset_id
                JOIN main.datasets d ON d.root_path = sd.root_path;
            -- The crops labellers placed, where the target has none for that side.
            INSERT OR IGNORE INTO main.crop_placements(case_id, side, row_mm, col_mm, placed_by, placed_at)
                SELECT c.id, sp.side, sp.row_mm, sp.col_mm, sp.placed_by, sp.placed_at
                FROM src.crop_placements sp JOIN src.cases sc ON sc.id = sp.case_id
                JOIN src.datasets sd ON sd.id = sc.dataset_id
                JOIN main.datasets d ON d.root_path = sd.root_path
                JOIN main.cases c ON c.dataset_id = d.id AND c.case_key = sc.case_key;
            -- A case the target knew without its lesion slices takes the source's.
            UPDATE main.cases SET
                lesion_slices = (SELECT sc.lesion_slices FROM src.cases sc JOIN src.datasets sd ON sd.id = sc.dataset_id
                                 JOIN main.datasets d ON d.root_path = sd.root_path
                                 WHERE d.id = main.cases.dataset_id AND sc.case_key = main.cases.case_key),
                lesion_slices_source = (SELECT sc.lesion_slices_source FROM src.cases sc
                                        JOIN src.datasets sd ON sd.id = sc.dataset_id
                                        JOIN main.datasets d ON d.root_path = sd.root_path
                                        WHERE d.id = main.cases.dataset_id AND sc.case_key = main.cases.case_key)
                WHERE lesion_slices IS NULL;)SQL");
    }

    void copyDecisions()
    {
        // Proposals and decisions get new ids; a decision already present (same annotator, time,
        // case, slice, crop and kind) is a duplicate, e.g. a store merged twice or a merge resumed.
        Statement decisions(m_db, R"SQL(
            SELECT sd.id, sp.id, sds.root_path, sc.case_key, sp.slice, sp.crop_row, sp.crop_col,
                   sp.crop_rows, sp.crop_cols, sm.content_hash, scs.method, scs.layer, scs.target,
                   scs.normalisation, scs.parameters, sp.threshold, sp.mask, sp.created_at,
                   sa.name, sd.kind, sd.final_mask, sd.time_spent_ms, sd.comment, sd.created_at, sd.undone,
                   sd.label
            FROM src.decisions sd
            JOIN src.proposals sp ON sp.id = sd.proposal_id
            JOIN src.cases sc ON sc.id = sp.case_id
            JOIN src.datasets sds ON sds.id = sc.dataset_id
            JOIN src.annotators sa ON sa.id = sd.annotator_id
            LEFT JOIN src.models sm ON sm.id = sp.model_id
            LEFT JOIN src.cam_settings scs ON scs.id = sp.cam_settings_id
            WHERE sd.id > ? ORDER BY sd.id)SQL");
        Statement caseId(m_db, "SELECT c.id FROM main.cases c JOIN main.datasets d ON d.id = c.dataset_id "
                               "WHERE d.root_path = ? AND c.case_key = ?");
        Statement duplicate(m_db, R"SQL(
            SELECT p.id FROM main.decisions d JOIN main.proposals p ON p.id = d.proposal_id
            JOIN main.annotators a ON a.id = d.annotator_id
            WHERE p.case_id = ? AND p.slice = ? AND p.crop_row = ? AND p.crop_col = ? AND a.name = ?
              AND d.created_at = ? AND d.kind = ?)SQL");
        Statement insertProposal(m_db, R"SQL(
            INSERT INTO main.proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, model_id,
                                       cam_settings_id, threshold, mask, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM main.models WHERE content_hash = ?7),
                    (SELECT id FROM main.cam_settings WHERE method = ?8 AND layer = ?9 AND target = ?10
                       AND normalisation = ?11 AND parameters = ?12), ?13, ?14, ?15))SQL");
        Statement insertDecision(m_db, R"SQL(
            INSERT INTO main.decisions(proposal_id, annotator_id, kind, final_mask, time_spent_ms, comment,
                                       created_at, undone, label)
            VALUES (?, (SELECT id FROM main.annotators WHERE name = ?), ?, ?, ?, ?, ?, ?, ?))SQL");
        Statement copyOverlap(m_db,
                              "INSERT INTO main.overlap_records SELECT ?, proposal_gt_iou, proposal_gt_dice, "
                              "proposal_final_iou, proposal_final_dice, final_gt_iou, final_gt_dice, "
                              "voxels_added, voxels_removed FROM src.overlap_records WHERE decision_id = ?");
        // The source is at the current schema (or a migrated copy): proposals carry their heatmaps.
        Statement copyHeatmap(m_db, R"SQL(
            UPDATE main.proposals SET (heatmap_rows, heatmap_cols, heatmap, heatmap_low, heatmap_high) =
                (SELECT heatmap_rows, heatmap_cols, heatmap, heatmap_low, heatmap_high
                 FROM src.proposals WHERE id = ?2) WHERE id = ?1)SQL");
        // A final mask painted outside its crop keeps its box.
        Statement copyFinalBox(m_db, R"SQL(
            UPDATE main.decisions SET (final_row0, final_col0, final_rows, final_cols) =
                (SELECT final_row0, final_col0, final_rows, final_cols FROM src.decisions WHERE id = ?2)
            WHERE id = ?1)SQL");
        std::unordered_map<int64_t, int64_t> proposalMap;
        int64_t after = 0;
        for (bool more = true; more;) {
            more = false;
            // Counted and remembered only once the chunk is committed (a failed chunk rolls back).
            int64_t chunkAfter = after;
            ChunkCounts counts;
            auto chunkMap = proposalMap;
            transaction([&] {
                const auto start = std::chrono::steady_clock::now();
                decisions.bind(1, after);
                while (decisions.step()) {
                    chunkAfter = decisions.int64(0);
                    copyDecision(decisions, caseId, duplicate, insertProposal, insertDecision, copyOverlap,
                                 copyHeatmap, copyFinalBox, chunkMap, counts);
                    if (overBudget(start)) {
                        more = true;
                        break;
                    }
                }
                decisions.reset();
            });
            after = chunkAfter;
            proposalMap = std::move(chunkMap);
            m_report.decisionsCopied += counts.copied;
            m_report.duplicatesSkipped += counts.duplicates;
        }
    }

    struct ChunkCounts {
        int copied = 0;
        int duplicates = 0;
    };

    void copyDecision(Statement& decisions, Statement& caseId, Statement& duplicate,
                      Statement& insertProposal, Statement& insertDecision, Statement& copyOverlap,
                      Statement& copyHeatmap, Statement& copyFinalBox,
                      std::unordered_map<int64_t, int64_t>& proposalMap, ChunkCounts& counts)
    {
        caseId.bind(1, decisions.text(2)).bind(2, decisions.text(3));
        if (!caseId.step())
            throw DatabaseError(
                m_sourceName + ": case " + printable(decisions.text(3)) +
                " appeared while it was being merged (the source was written meanwhile); merge it "
                "again when no one writes to it");
        const int64_t targetCase = caseId.int64(0);
        caseId.reset();
        const int64_t sourceProposal = decisions.int64(1);
        duplicate.bind(1, targetCase).bind(2, decisions.integer(4)).bind(3, decisions.integer(5));
        duplicate.bind(4, decisions.integer(6)).bind(5, decisions.text(18)).bind(6, decisions.text(23));
        duplicate.bind(7, decisions.text(19));
        if (duplicate.step()) {
            // Already merged (a second merge, or one resumed): later decisions on the same source
            // proposal join the proposal it was merged into.
            proposalMap.emplace(sourceProposal, duplicate.int64(0));
            duplicate.reset();
            ++counts.duplicates;
            return;
        }
        duplicate.reset();
        auto mapped = proposalMap.find(sourceProposal);
        if (mapped == proposalMap.end()) {
            insertProposal.bind(1, targetCase);
            for (int i = 2; i <= 6; ++i)
                insertProposal.bind(i, decisions.int64(i + 2));
            for (int i = 7; i <= 12; ++i)
                insertProposal.bind(i, decisions.text(i + 2));
            insertProposal.bind(13, decisions.real(15)).bind(14, decisions.blob(16));
            insertProposal.bind(15, decisions.text(17)).run();
            mapped =
                proposalMap.emplace(sourceProposal, static_cast<int64_t>(sqlite3_last_insert_rowid(m_db)))
                    .first;
            copyHeatmap.bind(1, mapped->second).bind(2, sourceProposal).run();
        }
        insertDecision.bind(1, mapped->second).bind(2, decisions.text(18)).bind(3, decisions.text(19));
        if (decisions.isNull(20))
            insertDecision.bindNull(4);
        else
            insertDecision.bind(4, decisions.blob(20));
        insertDecision.bind(5, decisions.int64(21)).bind(6, decisions.text(22));
        insertDecision.bind(7, decisions.text(23)).bind(8, decisions.int64(24));
        if (decisions.isNull(25))
            insertDecision.bindNull(9);
        else
            insertDecision.bind(9, decisions.int64(25));
        insertDecision.run();
        const auto decisionId = static_cast<int64_t>(sqlite3_last_insert_rowid(m_db));
        copyOverlap.bind(1, decisionId).bind(2, decisions.int64(0)).run();
        copyFinalBox.bind(1, decisionId).bind(2, decisions.int64(0)).run();
        ++counts.copied;
    }

    void copyAuditLog()
    {
        // Entries already merged (the same source merged again) are not copied twice: an entry is
        // the same when all its fields but `merged_from` are. Copied in blocks of source ids.
        Statement blockEnd(
            m_db, "SELECT max(id) FROM (SELECT id FROM src.audit_log WHERE id > ? ORDER BY id LIMIT 2000)");
        Statement auditCopy(m_db, R"SQL(
            INSERT INTO main.audit_log(at, annotator, action, entity, entity_id, details)
                SELECT s.at, s.annotator, s.action, s.entity, s.entity_id,
                       json_set(s.details, '$.merged_from', ?1) FROM src.audit_log s
                WHERE s.id > ?2 AND s.id <= ?3 AND NOT EXISTS (
                    SELECT 1 FROM main.audit_log t
                    WHERE t.entity = s.entity AND t.entity_id IS s.entity_id AND t.at = s.at
                      AND t.annotator = s.annotator AND t.action = s.action
                      AND json_remove(t.details, '$.merged_from') = json_remove(s.details, '$.merged_from'))
                ORDER BY s.id)SQL");
        for (int64_t from = std::numeric_limits<int64_t>::min();;) {
            blockEnd.bind(1, from);
            const bool more = blockEnd.step() && !blockEnd.isNull(0);
            const int64_t to = more ? blockEnd.int64(0) : from;
            blockEnd.reset();
            if (!more)
                break;
            transaction([&] {
                auditCopy.bind(1, m_sourceName).bind(2, from).bind(3, to).run();
                auditCopy.reset();
            });
            from = to;
        }
        transaction([&] {
            Statement mergeEntry(
                m_db, "INSERT INTO main.audit_log(action, entity, details) VALUES ('merge', 'store', ?)");
            mergeEntry.bind(1, nlohmann::json{{"source", m_sourceName}}.dump()).run();
        });
    }

    Database& m_target;
    sqlite3* m_db;
    std::string m_sourceName;
    MergeOptions m_options;
    MergeReport& m_report;
    std::chrono::steady_clock::duration m_heldSincePause{};
};

} // namespace

MergeReport mergeStores(const fs::path& target, const std::vector<fs::path>& sources,
                        const MergeOptions& options)
{
    // Every source passes before the target is created or changed.
    std::vector<std::unique_ptr<MergeSource>> checked;
    for (const auto& source : sources)
        checked.push_back(std::make_unique<MergeSource>(source, target));
    MergeReport report;
    AnnotationStore out(target);
    sqlite3* db = out.database().handle();
    for (const auto& source : checked) {
        Statement attach(db, "ATTACH DATABASE ? AS src");
        attach.bind(1, source->attachUri()).run();
        try {
            const int before = report.decisionsCopied;
            try {
                SourceCopy(out.database(), source->source().string(), options, report).run();
            } catch (const std::exception& e) {
                if (report.decisionsCopied == before)
                    throw;
                // Earlier transactions are committed: say so, and that running it again finishes it.
                throw DatabaseError(
                    std::string(e.what()) + " (the merge of " + source->source().string() +
                    " stopped after " + std::to_string(report.decisionsCopied - before) +
                    " decisions were committed; merging it again copies the rest, skipping those)");
            }
        } catch (...) {
            sqlite3_exec(db, "DETACH DATABASE src", nullptr, nullptr, nullptr);
            throw;
        }
        out.database().execute("DETACH DATABASE src");
        ++report.sources;
    }
    report.agreement = annotatorAgreement(out);
    return report;
}

} // namespace weaksight::storage
