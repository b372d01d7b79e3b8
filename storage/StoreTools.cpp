#include "storage/StoreTools.h"

#include "core/cases/CaseKey.h"
#include "core/cases/KitsCase.h"
#include "core/io/VolumeIo.h"
#include "core/masks/BinaryMask.h"
#include "storage/Statement.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <map>
#include <tuple>
#include <optional>
#include <unordered_map>

namespace fs = std::filesystem;

namespace weaksight::storage {

int64_t registerCaseFiles(AnnotationStore& store, int64_t datasetId, const CaseFiles& c)
{
    CaseRegistration r;
    r.caseKey = c.caseId;
    const fs::path gridSource = c.segmentation ? *c.segmentation : *c.imaging;
    r.shape = readVolumeHeader(gridSource).geometry.canonicalShape();
    if (c.imaging) {
        r.imagingPath = fs::absolute(*c.imaging).string();
        r.imagingFingerprint = fileFingerprint(*c.imaging);
    }
    if (c.segmentation) {
        r.labelsPath = fs::absolute(*c.segmentation).string();
        r.labelsFingerprint = fileFingerprint(*c.segmentation);
    }
    return store.registerCase(datasetId, r);
}

ImportReport importDataset(AnnotationStore& store, const fs::path& root)
{
    const auto cases = scanDataset(root);
    ImportReport report;
    report.datasetId = store.registerDataset(fs::absolute(root).lexically_normal().string(), toString(cases.front().layout));
    for (const auto& c : cases) {
        registerCaseFiles(store, report.datasetId, c);
        report.withLabels += c.segmentation.has_value();
        ++report.cases;
    }
    return report;
}

std::vector<AgreementRow> annotatorAgreement(const AnnotationStore& store)
{
    // Latest standing final mask per annotator, case, slice and crop.
    using Key = std::tuple<std::string, int, int, int, int, int>;
    std::map<Key, std::map<std::string, BinaryMask>> masks;
    for (auto& d : store.standingDecisions({DecisionKind::Accept, DecisionKind::Correct}))
        masks[{d.caseKey, d.slice, d.crop.row, d.crop.col, d.crop.rows, d.crop.cols}][d.annotator] = *d.finalMask;
    std::map<std::pair<std::string, std::string>, std::pair<int, double>> pairs;
    for (const auto& [key, byAnnotator] : masks)
        for (auto a = byAnnotator.begin(); a != byAnnotator.end(); ++a)
            for (auto b = std::next(a); b != byAnnotator.end(); ++b) {
                auto& [count, sum] = pairs[{a->first, b->first}];
                ++count;
                sum += overlap(a->second, b->second).iou;
            }
    std::vector<AgreementRow> rows;
    for (const auto& [names, stats] : pairs)
        rows.push_back({names.first, names.second, stats.first, stats.second / stats.first});
    return rows;
}

namespace {

/// Everything a merge copies from `source`, checked before the target is made or touched: a store
/// of ours (not foreign, not newer), case keys that are one file name, and every mask blob of the
/// size of its crop box (a damaged or hostile blob is refused, never copied).
void checkMergeSource(const fs::path& source, const fs::path& target)
{
    std::error_code ec;
    if (fs::exists(target, ec) && fs::equivalent(source, target, ec))
        throw DatabaseError(source.string() + ": is the merge's target itself; not merged");
    AnnotationStore check(source, Database::Mode::ReadOnly); // refuses foreign or newer files
    sqlite3* db = check.database().handle();
    Statement keys(db, "SELECT case_key FROM cases");
    while (keys.step())
        checkCaseKey(keys.text(0), source.string());
    Statement masks(db, R"SQL(
        SELECT 'proposal', p.id, p.crop_rows, p.crop_cols, p.mask FROM proposals p
        UNION ALL
        SELECT 'final', d.id, p.crop_rows, p.crop_cols, d.final_mask
        FROM decisions d JOIN proposals p ON p.id = d.proposal_id WHERE d.final_mask IS NOT NULL)SQL");
    while (masks.step()) {
        try {
            decodeStoredMask(masks.blob(4), masks.int64(2), masks.int64(3), masks.text(0), masks.int64(1));
        } catch (const DatabaseError& e) {
            throw DatabaseError(source.string() + ": " + e.what() + "; not merged");
        }
    }
}

} // namespace

MergeReport mergeStores(const fs::path& target, const std::vector<fs::path>& sources)
{
    // Every source passes before the target is created or changed.
    for (const auto& source : sources)
        checkMergeSource(source, target);
    MergeReport report;
    AnnotationStore out(target);
    sqlite3* db = out.database().handle();
    for (const auto& source : sources) {
        Statement attach(db, "ATTACH DATABASE ? AS src");
        attach.bind(1, source.string()).run();
        try {
            out.database().transaction([&] {
                // Natural keys first: datasets by root, cases by (root, key), the rest by their unique columns.
                out.database().execute(R"SQL(
                    INSERT OR IGNORE INTO datasets(root_path, layout, created_at)
                        SELECT root_path, layout, created_at FROM src.datasets;
                    INSERT OR IGNORE INTO annotators(name) SELECT name FROM src.annotators;
                    INSERT OR IGNORE INTO models(content_hash, architecture, file_path, preprocessing)
                        SELECT content_hash, architecture, file_path, preprocessing FROM src.models;
                    INSERT OR IGNORE INTO cam_settings(method, layer, target, normalisation, parameters)
                        SELECT method, layer, target, normalisation, parameters FROM src.cam_settings;)SQL");
                Statement conflicts(db, R"SQL(
                    SELECT sc.case_key FROM src.cases sc JOIN src.datasets sd ON sd.id = sc.dataset_id
                    JOIN datasets d ON d.root_path = sd.root_path
                    JOIN cases c ON c.dataset_id = d.id AND c.case_key = sc.case_key
                    WHERE c.labels_fingerprint != sc.labels_fingerprint
                       OR c.imaging_fingerprint != sc.imaging_fingerprint)SQL");
                if (conflicts.step())
                    throw DatabaseError(source.string() + ": case " + conflicts.text(0) +
                                        " has other file fingerprints than in " + target.string() +
                                        " (different data under the same name); not merged");
                out.database().execute(R"SQL(
                    INSERT OR IGNORE INTO cases(dataset_id, case_key, imaging_path, labels_path,
                                                imaging_fingerprint, labels_fingerprint, slices, rows, cols)
                        SELECT d.id, sc.case_key, sc.imaging_path, sc.labels_path, sc.imaging_fingerprint,
                               sc.labels_fingerprint, sc.slices, sc.rows, sc.cols
                        FROM src.cases sc JOIN src.datasets sd ON sd.id = sc.dataset_id
                        JOIN datasets d ON d.root_path = sd.root_path;)SQL");

                // Proposals and decisions get new ids; a decision already present (same annotator,
                // time, case, slice, crop and kind) is a duplicate, e.g. a store merged twice.
                Statement decisions(db, R"SQL(
                    SELECT sd.id, sp.id, sds.root_path, sc.case_key, sp.slice, sp.crop_row, sp.crop_col,
                           sp.crop_rows, sp.crop_cols, sm.content_hash, scs.method, scs.layer, scs.target,
                           scs.normalisation, scs.parameters, sp.threshold, sp.mask, sp.created_at,
                           sa.name, sd.kind, sd.final_mask, sd.time_spent_ms, sd.comment, sd.created_at, sd.undone
                    FROM src.decisions sd
                    JOIN src.proposals sp ON sp.id = sd.proposal_id
                    JOIN src.cases sc ON sc.id = sp.case_id
                    JOIN src.datasets sds ON sds.id = sc.dataset_id
                    JOIN src.annotators sa ON sa.id = sd.annotator_id
                    LEFT JOIN src.models sm ON sm.id = sp.model_id
                    LEFT JOIN src.cam_settings scs ON scs.id = sp.cam_settings_id
                    ORDER BY sd.id)SQL");
                Statement caseId(db, "SELECT c.id FROM cases c JOIN datasets d ON d.id = c.dataset_id "
                                     "WHERE d.root_path = ? AND c.case_key = ?");
                Statement duplicate(db, R"SQL(
                    SELECT 1 FROM decisions d JOIN proposals p ON p.id = d.proposal_id
                    JOIN annotators a ON a.id = d.annotator_id
                    WHERE p.case_id = ? AND p.slice = ? AND p.crop_row = ? AND p.crop_col = ? AND a.name = ?
                      AND d.created_at = ? AND d.kind = ?)SQL");
                Statement insertProposal(db, R"SQL(
                    INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, model_id,
                                          cam_settings_id, threshold, mask, created_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM models WHERE content_hash = ?7),
                            (SELECT id FROM cam_settings WHERE method = ?8 AND layer = ?9 AND target = ?10
                               AND normalisation = ?11 AND parameters = ?12), ?13, ?14, ?15))SQL");
                Statement insertDecision(db, R"SQL(
                    INSERT INTO decisions(proposal_id, annotator_id, kind, final_mask, time_spent_ms, comment,
                                          created_at, undone)
                    VALUES (?, (SELECT id FROM annotators WHERE name = ?), ?, ?, ?, ?, ?, ?))SQL");
                Statement copyOverlap(db, "INSERT INTO overlap_records SELECT ?, proposal_gt_iou, proposal_gt_dice, "
                                          "proposal_final_iou, proposal_final_dice, final_gt_iou, final_gt_dice, "
                                          "voxels_added, voxels_removed FROM src.overlap_records WHERE decision_id = ?");
                // Heatmaps travel too when the source has them (schema 3 and later).
                bool sourceHasHeatmaps = false;
                {
                    Statement columns(db, "SELECT name FROM pragma_table_info('proposals', 'src')");
                    while (columns.step())
                        sourceHasHeatmaps = sourceHasHeatmaps || columns.text(0) == "heatmap";
                }
                std::optional<Statement> copyHeatmap;
                if (sourceHasHeatmaps)
                    copyHeatmap.emplace(db, R"SQL(
                        UPDATE proposals SET (heatmap_rows, heatmap_cols, heatmap, heatmap_low, heatmap_high) =
                            (SELECT heatmap_rows, heatmap_cols, heatmap, heatmap_low, heatmap_high
                             FROM src.proposals WHERE id = ?2) WHERE id = ?1)SQL");
                std::unordered_map<int64_t, int64_t> proposalMap;
                while (decisions.step()) {
                    caseId.bind(1, decisions.text(2)).bind(2, decisions.text(3));
                    caseId.step();
                    const int64_t targetCase = caseId.int64(0);
                    caseId.reset();
                    duplicate.bind(1, targetCase).bind(2, decisions.integer(4)).bind(3, decisions.integer(5));
                    duplicate.bind(4, decisions.integer(6)).bind(5, decisions.text(18)).bind(6, decisions.text(23));
                    duplicate.bind(7, decisions.text(19));
                    const bool isDuplicate = duplicate.step();
                    duplicate.reset();
                    if (isDuplicate) {
                        ++report.duplicatesSkipped;
                        continue;
                    }
                    const int64_t sourceProposal = decisions.int64(1);
                    auto mapped = proposalMap.find(sourceProposal);
                    if (mapped == proposalMap.end()) {
                        insertProposal.bind(1, targetCase);
                        for (int i = 2; i <= 6; ++i)
                            insertProposal.bind(i, decisions.int64(i + 2));
                        for (int i = 7; i <= 12; ++i)
                            insertProposal.bind(i, decisions.text(i + 2));
                        insertProposal.bind(13, decisions.real(15)).bind(14, decisions.blob(16));
                        insertProposal.bind(15, decisions.text(17)).run();
                        mapped = proposalMap.emplace(sourceProposal, static_cast<int64_t>(sqlite3_last_insert_rowid(db))).first;
                        if (copyHeatmap)
                            copyHeatmap->bind(1, mapped->second).bind(2, sourceProposal).run();
                    }
                    insertDecision.bind(1, mapped->second).bind(2, decisions.text(18)).bind(3, decisions.text(19));
                    if (decisions.isNull(20))
                        insertDecision.bindNull(4);
                    else
                        insertDecision.bind(4, decisions.blob(20));
                    insertDecision.bind(5, decisions.int64(21)).bind(6, decisions.text(22));
                    insertDecision.bind(7, decisions.text(23)).bind(8, decisions.int64(24)).run();
                    copyOverlap.bind(1, static_cast<int64_t>(sqlite3_last_insert_rowid(db))).bind(2, decisions.int64(0)).run();
                    ++report.decisionsCopied;
                }
                // Entries already merged (the same source merged again) are not copied twice: an
                // entry is the same when all its fields but `merged_from` are.
                Statement auditCopy(db, R"SQL(
                    INSERT INTO audit_log(at, annotator, action, entity, entity_id, details)
                        SELECT s.at, s.annotator, s.action, s.entity, s.entity_id,
                               json_set(s.details, '$.merged_from', ?) FROM src.audit_log s
                        WHERE NOT EXISTS (
                            SELECT 1 FROM main.audit_log t
                            WHERE t.entity = s.entity AND t.entity_id IS s.entity_id AND t.at = s.at
                              AND t.annotator = s.annotator AND t.action = s.action
                              AND json_remove(t.details, '$.merged_from') = json_remove(s.details, '$.merged_from'))
                        ORDER BY s.id)SQL");
                auditCopy.bind(1, source.string()).run();
                Statement mergeEntry(db, "INSERT INTO audit_log(action, entity, details) VALUES ('merge', 'store', ?)");
                mergeEntry.bind(1, nlohmann::json{{"source", source.string()}}.dump()).run();
            });
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
