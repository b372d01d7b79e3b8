#include "storage/AnnotationStore.h"
#include "storage/Statement.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace weaksight;
using namespace weaksight::storage;
namespace fs = std::filesystem;

weaksight::BinaryMask expectedMask(int i); // StoreWriterMask.cpp, shared with the writer process

namespace {

struct TempDb {
    fs::path dir = fs::temp_directory_path() / ("weaksight-store-" + std::to_string(std::random_device{}()));
    fs::path path = dir / "annotations.sqlite";
    TempDb() { fs::create_directories(dir); }
    ~TempDb()
    {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, ec);
        fs::remove_all(dir, ec);
    }
};

BinaryMask maskFrom(const std::vector<std::string>& rows)
{
    BinaryMask m(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()));
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c)
            m.at(r, c) = rows[static_cast<size_t>(r)][static_cast<size_t>(c)] == '#';
    return m;
}

struct Fixture {
    TempDb db;
    AnnotationStore store{db.path};
    int64_t caseId = 0;
    int64_t gradCam = 0, scoreCam = 0, model = 0;
    Fixture()
    {
        const auto dataset = store.registerDataset("/data/kits23", "kits23");
        caseId = store.registerCase(dataset, {"case_00001", "/data/kits23/case_00001/imaging.nii.gz",
                                              "/data/kits23/case_00001/segmentation.nii.gz", "aa", "bb", {10, 8, 8}});
        model = store.registerModel({"hash-resnet18", "resnet18", "/models/r18.pt", R"({"window":[-200,300]})"});
        gradCam = store.registerCamSettings({"gradcam", "layer4", "lesion", "minmax", "{}"});
        scoreCam = store.registerCamSettings({"scorecam", "layer4", "lesion", "minmax", "{}"});
    }
    int64_t propose(int slice, const BinaryMask& mask, int64_t settings, double threshold = 0.2)
    {
        ProposalInput p;
        p.caseId = caseId;
        p.slice = slice;
        p.crop = {2, 2, mask.rows, mask.cols};
        p.modelId = model;
        p.camSettingsId = settings;
        p.threshold = threshold;
        p.mask = mask;
        return store.addProposal(p);
    }
};

// 4 x 4 masks: proposal 4 pixels, ground truth 3 pixels, overlap 2.
const BinaryMask kProposal = maskFrom({"##..", "##..", "....", "...."});
const BinaryMask kTruth = maskFrom({".#..", ".##.", "....", "...."});
const BinaryMask kCorrected = maskFrom({".#..", ".##.", "..#.", "...."});

} // namespace

TEST(AnnotationStore, CreatesTheCurrentSchema)
{
    Fixture f;
    EXPECT_EQ(f.store.database().schemaVersion(), AnnotationStore::kSchemaVersion);
    Statement s(f.store.database().handle(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                             "name = 'proposals_by_case_slice'");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.int64(0), 1);
    EXPECT_TRUE(f.store.integrityOk());
}

TEST(AnnotationStore, MigratesAVersionOneFileKeepingItsData)
{
    TempDb db;
    {
        Database v1(db.path, {AnnotationStore::migrations()[0]});
        EXPECT_EQ(v1.schemaVersion(), 1);
        v1.execute("INSERT INTO datasets(root_path, layout) VALUES ('/old', 'kits19')");
        v1.execute("INSERT INTO audit_log(action, entity) VALUES ('register', 'dataset')");
    }
    AnnotationStore store(db.path);
    EXPECT_EQ(store.database().schemaVersion(), AnnotationStore::kSchemaVersion); // 1 -> 2 -> 3 in one go
    Statement s(store.database().handle(), "SELECT root_path FROM datasets");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "/old");
    // Version 2 made the audit log append-only.
    EXPECT_THROW(store.database().execute("DELETE FROM audit_log"), DatabaseError);
}

TEST(AnnotationStore, ReadersMigrateAnOlderWritableStoreInsteadOfRefusingIt)
{
    // A store of an earlier Weaksight (schema 2) opened by a reader: the case list, dashboard,
    // export and stats open read-only and must see its data.
    TempDb db;
    {
        Database v2(db.path, {AnnotationStore::migrations()[0], AnnotationStore::migrations()[1]},
                    Database::Mode::ReadWrite, AnnotationStore::kApplicationId);
        v2.execute("INSERT INTO datasets(root_path, layout) VALUES ('/old', 'kits19')");
        v2.execute("INSERT INTO cases(dataset_id, case_key, imaging_path, slices, rows, cols) "
                   "VALUES (1, 'case_00007', '/old/img.nii.gz', 10, 64, 64)");
    }
    EXPECT_EQ(Database::schemaVersionOf(db.path), 2);
    {
        const AnnotationStore reader(db.path, Database::Mode::ReadOnly);
        EXPECT_TRUE(reader.findCase("case_00007").has_value());
        EXPECT_EQ(reader.caseProgress().size(), 1u);
    }
    EXPECT_EQ(Database::schemaVersionOf(db.path), AnnotationStore::kSchemaVersion);
    EXPECT_FALSE(Database::schemaVersionOf(db.path.string() + ".missing").has_value());
}

TEST(AnnotationStore, ReadersOpeningAnOlderStoreAtOnceMigrateItOnce)
{
    // The case list and the dashboard open a dataset's store on two workers at the same moment.
    for (int round = 0; round < 5; ++round) {
        TempDb db;
        {
            Database v2(db.path, {AnnotationStore::migrations()[0], AnnotationStore::migrations()[1]},
                        Database::Mode::ReadWrite, AnnotationStore::kApplicationId);
        }
        std::atomic<int> opened{0};
        std::vector<std::string> errors(4);
        std::vector<std::thread> readers;
        for (size_t i = 0; i < errors.size(); ++i)
            readers.emplace_back([&, i] {
                try {
                    const AnnotationStore reader(db.path, Database::Mode::ReadOnly);
                    reader.caseProgress();
                    ++opened;
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
            });
        for (auto& t : readers)
            t.join();
        for (const auto& e : errors)
            EXPECT_EQ(e, "");
        EXPECT_EQ(opened, 4);
        EXPECT_EQ(Database::schemaVersionOf(db.path), AnnotationStore::kSchemaVersion);
    }
}

TEST(AnnotationStore, RefusesANewerSchema)
{
    TempDb db;
    auto future = AnnotationStore::migrations();
    future.push_back({AnnotationStore::kSchemaVersion + 1, "CREATE TABLE from_the_future(x)"});
    { Database newer(db.path, future); }
    try {
        AnnotationStore store(db.path);
        FAIL() << "a newer schema must be refused";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("newer than this program"), std::string::npos) << e.what();
    }
}

TEST(AnnotationStore, EveryDecisionKindWithItsOverlapRecord)
{
    Fixture f;
    // Accept: the proposal becomes the final mask.
    const auto acceptProposal = f.propose(3, kProposal, f.gradCam);
    const auto accept = f.store.recordDecision({acceptProposal, "ana", DecisionKind::Accept, {}, kTruth, 1500, ""});
    EXPECT_DOUBLE_EQ(*accept.overlap.proposalGtIou, 2.0 / 5.0);
    EXPECT_DOUBLE_EQ(*accept.overlap.proposalGtDice, 4.0 / 7.0);
    EXPECT_DOUBLE_EQ(*accept.overlap.proposalFinalIou, 1.0);
    EXPECT_DOUBLE_EQ(*accept.overlap.finalGtIou, 2.0 / 5.0);
    EXPECT_EQ(*accept.overlap.voxelsAdded, 0);
    EXPECT_EQ(*accept.overlap.voxelsRemoved, 0);

    // Correct: final = 4 pixels; vs proposal overlap 2 of union 6; vs truth overlap 3 of union 4.
    const auto correctProposal = f.propose(4, kProposal, f.scoreCam, 0.15);
    const auto correct =
        f.store.recordDecision({correctProposal, "ana", DecisionKind::Correct, kCorrected, kTruth, 9000, "fixed"});
    EXPECT_DOUBLE_EQ(*correct.overlap.proposalFinalIou, 2.0 / 6.0);
    EXPECT_DOUBLE_EQ(*correct.overlap.proposalFinalDice, 4.0 / 8.0);
    EXPECT_DOUBLE_EQ(*correct.overlap.finalGtIou, 3.0 / 4.0);
    EXPECT_DOUBLE_EQ(*correct.overlap.finalGtDice, 6.0 / 7.0);
    EXPECT_EQ(*correct.overlap.voxelsAdded, 2);
    EXPECT_EQ(*correct.overlap.voxelsRemoved, 2);

    // Reject and skip: no final mask; without ground truth no proposal-vs-truth either.
    const auto reject = f.store.recordDecision({f.propose(5, kProposal, f.gradCam), "ben", DecisionKind::Reject,
                                                {}, kTruth, 400, "not a lesion"});
    EXPECT_TRUE(reject.overlap.proposalGtIou.has_value());
    EXPECT_FALSE(reject.overlap.proposalFinalIou.has_value());
    const auto skip =
        f.store.recordDecision({f.propose(6, kProposal, f.gradCam), "ben", DecisionKind::Skip, {}, {}, 100, ""});
    EXPECT_FALSE(skip.overlap.proposalGtIou.has_value());

    // Invalid combinations are refused before anything is written.
    const auto before = f.store.auditCount();
    EXPECT_THROW(f.store.recordDecision({acceptProposal, "ana", DecisionKind::Correct, {}, {}, 0, ""}),
                 std::invalid_argument);
    EXPECT_THROW(f.store.recordDecision({acceptProposal, "ana", DecisionKind::Reject, kTruth, {}, 0, ""}),
                 std::invalid_argument);
    EXPECT_THROW(
        f.store.recordDecision({acceptProposal, "ana", DecisionKind::Accept, {}, BinaryMask(5, 5), 0, ""}),
        std::invalid_argument);
    EXPECT_EQ(f.store.auditCount(), before);

    // Stored exactly as decided.
    const auto onSlice = f.store.decisionsForSlice(f.caseId, 4);
    ASSERT_EQ(onSlice.size(), 1u);
    EXPECT_EQ(onSlice[0].kind, DecisionKind::Correct);
    EXPECT_EQ(onSlice[0].method, "scorecam");
    EXPECT_EQ(onSlice[0].modelHash, "hash-resnet18");
    EXPECT_DOUBLE_EQ(onSlice[0].threshold, 0.15);
    ASSERT_TRUE(onSlice[0].finalMask.has_value());
    EXPECT_EQ(*onSlice[0].finalMask, kCorrected);
    EXPECT_EQ(onSlice[0].crop.row0, 2);
    EXPECT_EQ(onSlice[0].timeSpentMs, 9000);
}

TEST(AnnotationStore, ProgressAndIouQueries)
{
    Fixture f;
    f.store.recordDecision({f.propose(1, kProposal, f.gradCam), "ana", DecisionKind::Accept, {}, kTruth, 1000, ""});
    f.store.recordDecision(
        {f.propose(2, kProposal, f.gradCam), "ana", DecisionKind::Correct, kCorrected, kTruth, 3000, ""});
    f.propose(3, kProposal, f.gradCam); // undecided

    const auto cases = f.store.caseProgress();
    ASSERT_EQ(cases.size(), 1u);
    EXPECT_EQ(cases[0].proposals, 3);
    EXPECT_EQ(cases[0].decided, 2);
    EXPECT_EQ(cases[0].accepted, 1);
    EXPECT_EQ(cases[0].corrected, 1);
    EXPECT_EQ(cases[0].status(), "in progress");
    EXPECT_FALSE(cases[0].lesionSlices.has_value()) << "unknown until the review records them";
    // The status counts the case's lesion slices: every one needs a decision to be done.
    f.store.setLesionSlices(f.caseId, {1, 2, 5, 6, 7}, "labels");
    auto withSlices = f.store.caseProgress()[0];
    EXPECT_EQ(withSlices.lesionSlices, 5);
    EXPECT_EQ(withSlices.decidedLesionSlices, 2);
    EXPECT_EQ(withSlices.lesionSlicesSource, "labels");
    EXPECT_EQ(withSlices.status(), "in progress");
    f.store.setLesionSlices(f.caseId, {1, 2}, "classifier");
    withSlices = f.store.caseProgress()[0];
    EXPECT_EQ(withSlices.status(), "done") << "both lesion slices decided; slice 3 is not a lesion slice";
    EXPECT_EQ(withSlices.lesionSlicesSource, "classifier");
    EXPECT_EQ(storage::formatSliceList({7, 1, 2, 3, 5, 2}), "1-3,5,7");
    EXPECT_EQ(storage::parseSliceList("1-3,5,7"), (std::vector<int>{1, 2, 3, 5, 7}));
    EXPECT_THROW(storage::parseSliceList("3-1"), std::invalid_argument);
    EXPECT_THROW(storage::parseSliceList("a"), std::invalid_argument);

    // Crops placed by a labeller: one per side, replaced when placed again, forgotten together;
    // every change in the audit log.
    EXPECT_TRUE(f.store.cropPlacements(f.caseId).empty());
    f.store.setCropPlacement(f.caseId, {"left", 40.5, 120.25}, "ana");
    f.store.setCropPlacement(f.caseId, {"right", 41, 30}, "ana");
    f.store.setCropPlacement(f.caseId, {"left", 42, 118}, "ben");
    const auto placements = f.store.cropPlacements(f.caseId);
    ASSERT_EQ(placements.size(), 2u);
    EXPECT_EQ(placements[0], (CropPlacement{"right", 41, 30}));
    EXPECT_EQ(placements[1], (CropPlacement{"left", 42, 118}));
    EXPECT_THROW(f.store.setCropPlacement(f.caseId, {"middle", 0, 0}, "ana"), std::invalid_argument);
    f.store.clearCropPlacements(f.caseId, "ana");
    EXPECT_TRUE(f.store.cropPlacements(f.caseId).empty());
    Statement placedAudit(
        f.store.database().handle(),
        "SELECT count(*) FROM audit_log WHERE entity = 'case' AND action IN ('place', 'unplace')");
    ASSERT_TRUE(placedAudit.step());
    EXPECT_EQ(placedAudit.int64(0), 4);

    const auto annotators = f.store.annotatorProgress();
    ASSERT_EQ(annotators.size(), 1u);
    EXPECT_EQ(annotators[0].decisions, 2);
    EXPECT_EQ(annotators[0].timeSpentMs, 4000);

    const auto iou = f.store.iouByMethodAndThreshold();
    ASSERT_EQ(iou.size(), 1u);
    EXPECT_EQ(iou[0].method, "gradcam");
    EXPECT_EQ(iou[0].decisions, 2);
    EXPECT_DOUBLE_EQ(*iou[0].meanProposalGtIou, 2.0 / 5.0);
    EXPECT_DOUBLE_EQ(*iou[0].meanProposalFinalIou, (1.0 + 2.0 / 6.0) / 2);
    EXPECT_DOUBLE_EQ(iou[0].meanVoxelsChanged, 2.0);

    const auto perAnnotator = f.store.iouByAnnotator();
    ASSERT_EQ(perAnnotator.size(), 1u);
    EXPECT_EQ(perAnnotator[0].annotator, "ana");
    EXPECT_DOUBLE_EQ(*perAnnotator[0].meanFinalGtIou, (2.0 / 5.0 + 3.0 / 4.0) / 2);

    // The running sums follow an undo: only the accepted decision stands.
    const auto standing = f.store.standingDecisions({DecisionKind::Correct});
    ASSERT_EQ(standing.size(), 1u);
    f.store.undoDecision(standing[0].id, "ana");
    const auto after = f.store.iouByMethodAndThreshold();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].decisions, 1);
    EXPECT_DOUBLE_EQ(*after[0].meanProposalFinalIou, 1.0);
    EXPECT_DOUBLE_EQ(after[0].meanVoxelsChanged, 0.0);
    EXPECT_EQ(f.store.caseProgress()[0].decided, 1);
}

TEST(AnnotationStore, IouAndDecisionsAreKeptApartPerProposalKind)
{
    // Issue 16: the review stores which proposal the labeller saw (a refinement's kind in the CAM
    // settings' parameters). The IoU per method and threshold, the decisions and the provenance
    // keep raw and refined proposals of one method apart; learned thresholds ({map > t}) use the raw
    // ones only.
    Fixture f;
    const auto grown = f.store.registerCamSettings(
        {"gradcam", "layer4", "lesion", "minmax", R"({"key": "gradcam@layer4", "proposal": "grow"})"});
    const auto notJson = f.store.registerCamSettings({"gradcam", "layer4", "lesion", "minmax", "not json"});
    ProposalHeatmap heatmap;
    heatmap.rows = heatmap.cols = 4;
    heatmap.raw.assign(16, 0.5f);
    const auto proposeWithMap = [&](int slice, int64_t settings) {
        ProposalInput p;
        p.caseId = f.caseId;
        p.slice = slice;
        p.crop = {2, 2, 4, 4};
        p.modelId = f.model;
        p.camSettingsId = settings;
        p.threshold = 0.2;
        p.mask = kProposal;
        p.heatmap = heatmap;
        return f.store.addProposal(p);
    };
    f.store.recordDecision({proposeWithMap(1, f.gradCam), "ana", DecisionKind::Accept, {}, kTruth, 1000, ""});
    f.store.recordDecision(
        {proposeWithMap(2, grown), "ana", DecisionKind::Correct, kCorrected, kTruth, 2000, ""});
    f.store.recordDecision({proposeWithMap(3, notJson), "ana", DecisionKind::Accept, {}, kTruth, 1000, ""});

    const auto iou = f.store.iouByMethodAndThreshold();
    ASSERT_EQ(iou.size(), 3u) << "one row per CAM settings and threshold";
    int raw = 0, grow = 0;
    for (const auto& row : iou) {
        EXPECT_EQ(row.method, "gradcam");
        raw += row.proposal == "raw";
        grow += row.proposal == "grow";
        if (row.proposal == "grow") {
            EXPECT_DOUBLE_EQ(*row.meanProposalFinalIou, 2.0 / 6.0);
        }
    }
    EXPECT_EQ(raw, 2) << "no proposal named, or parameters that are not JSON: raw";
    EXPECT_EQ(grow, 1);
    EXPECT_EQ(proposalLabel("gradcam", "grow"), "gradcam + grow");
    EXPECT_EQ(proposalLabel("gradcam", "raw"), "gradcam");

    const auto onSlice = f.store.decisionsForSlice(f.caseId, 2);
    ASSERT_EQ(onSlice.size(), 1u);
    EXPECT_EQ(onSlice[0].proposal, "grow");
    EXPECT_EQ(f.store.decisionsForSlice(f.caseId, 1)[0].proposal, "raw");
    EXPECT_EQ(f.store.heatmapDecisions().size(), 2u) << "the grown proposal teaches no threshold";
}

TEST(AnnotationStore, UndoKeepsBothInTheAuditLog)
{
    Fixture f;
    const auto proposal = f.propose(1, kProposal, f.gradCam);
    const auto decision = f.store.recordDecision({proposal, "ana", DecisionKind::Accept, {}, {}, 0, ""});
    const auto auditBefore = f.store.auditCount();
    f.store.undoDecision(decision.decisionId, "ana");
    EXPECT_EQ(f.store.auditCount(), auditBefore + 1);
    EXPECT_THROW(f.store.undoDecision(decision.decisionId, "ana"), std::invalid_argument);
    EXPECT_EQ(f.store.caseProgress()[0].decided, 0);
    EXPECT_TRUE(f.store.standingDecisions({DecisionKind::Accept}).empty());
    const auto all = f.store.decisionsForSlice(f.caseId, 1);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_TRUE(all[0].undone);
    // The audit log cannot be rewritten.
    EXPECT_THROW(f.store.database().execute("UPDATE audit_log SET action = 'nothing'"), DatabaseError);
}

TEST(AnnotationStore, ProposalsOutsideTheCaseAreRefused)
{
    Fixture f;
    EXPECT_THROW(f.propose(10, kProposal, f.gradCam), std::invalid_argument); // 10 slices: 0..9
    ProposalInput p;
    p.caseId = f.caseId;
    p.crop = {6, 6, 4, 4}; // reaches row 10 of an 8-row slice
    p.mask = kProposal;
    EXPECT_THROW(f.store.addProposal(p), std::invalid_argument);
}

TEST(AnnotationStore, DamagedAndForeignFilesAreRefusedUntouched)
{
    TempDb db;
    {
        Fixture f; // fill a real store, then damage a copy of it
        for (int i = 0; i < 200; ++i)
            f.store.recordDecision({f.propose(i % 10, kProposal, f.gradCam), "ana", DecisionKind::Accept, {}, {}, 0, ""});
        f.store.database().execute("PRAGMA wal_checkpoint(TRUNCATE)");
        fs::copy_file(f.db.path, db.path);
    }
    const auto size = fs::file_size(db.path);
    fs::resize_file(db.path, size / 2);
    EXPECT_THROW(AnnotationStore store(db.path), DatabaseError);
    EXPECT_EQ(fs::file_size(db.path), size / 2);

    const fs::path foreign = db.dir / "notes.sqlite";
    std::ofstream(foreign) << "labeller's notes, not a database";
    EXPECT_THROW(AnnotationStore store(foreign), DatabaseError);
    std::ifstream in(foreign);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "labeller's notes, not a database");
}

TEST(AnnotationStore, AnotherProgramsDatabaseIsRefusedUntouched)
{
    TempDb db;
    {
        sqlite3* other = nullptr;
        sqlite3_open(db.path.c_str(), &other);
        sqlite3_exec(other, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount REAL); "
                            "INSERT INTO invoices(amount) VALUES (12.5)", nullptr, nullptr, nullptr);
        sqlite3_close(other);
    }
    std::ifstream before(db.path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(before)), std::istreambuf_iterator<char>());
    try {
        AnnotationStore store(db.path);
        FAIL() << "expected a refusal";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("another program"), std::string::npos) << e.what();
    }
    std::ifstream after(db.path, std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(after)), std::istreambuf_iterator<char>()), bytes);

    // A store of ours carries the application id.
    TempDb ours;
    AnnotationStore store(ours.path);
    Statement s(store.database().handle(), "PRAGMA application_id");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.int64(0), AnnotationStore::kApplicationId);
}

TEST(AnnotationStore, ReadOnlyStoreRefusesWrites)
{
    Fixture f;
    f.store.recordDecision({f.propose(1, kProposal, f.gradCam), "ana", DecisionKind::Accept, {}, {}, 0, ""});
    AnnotationStore reader(f.db.path, Database::Mode::ReadOnly);
    EXPECT_TRUE(reader.database().readOnly());
    EXPECT_EQ(reader.caseProgress()[0].decided, 1);
    EXPECT_THROW(reader.registerDataset("/x", "kits19"), DatabaseError);
    // A file its user cannot write opens read-only, and a refused write names the file. Root ignores
    // permissions, so the check runs in a child that drops to nobody; the folder stays writable.
    fs::permissions(f.db.path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(f.db.dir, fs::perms::all);
    const pid_t child = fork();
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            _exit(3);
        try {
            AnnotationStore byPermission(f.db.path);
            if (!byPermission.database().readOnly() || byPermission.caseProgress()[0].decided != 1)
                _exit(1);
            byPermission.registerDataset("/x", "kits19");
            _exit(1);
        } catch (const DatabaseError& e) {
            _exit(std::string(e.what()).find(f.db.path.string()) != std::string::npos ? 0 : 2);
        } catch (...) {
            _exit(4);
        }
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: opened writable or read wrong, 2: the error omits the file, "
                                         "3: could not drop privileges, 4: another exception";
}

// ---- Processes -------------------------------------------------------------------------

namespace {

struct Child {
    pid_t pid = -1;
    FILE* out = nullptr;
};

Child startWriter(const fs::path& db, const std::string& annotator, int count)
{
    int fds[2];
    if (pipe(fds) != 0)
        return {};
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(WEAKSIGHT_STORE_WRITER, WEAKSIGHT_STORE_WRITER, db.c_str(), annotator.c_str(),
              std::to_string(count).c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(fds[1]);
    return {pid, fdopen(fds[0], "r")};
}

/// Reads "decisionId index" lines until EOF.
std::map<int64_t, int> readReports(FILE* out)
{
    std::map<int64_t, int> reported;
    long long id = 0;
    int index = 0;
    while (std::fscanf(out, "%lld %d", &id, &index) == 2)
        reported[id] = index;
    return reported;
}

int64_t prepareCrashCase(const fs::path& db)
{
    AnnotationStore store(db);
    const auto dataset = store.registerDataset("/data/crash", "kits23");
    return store.registerCase(dataset, {"case_crash", "", "", "", "", {8, 64, 64}});
}

} // namespace

TEST(AnnotationStoreProcesses, CommittedDecisionsSurviveSigkill)
{
    TempDb db;
    prepareCrashCase(db.path);
    std::mt19937 rng(20261129);
    std::map<int64_t, int> reported;
    // 20 kills in the suite; the bench_store_kills entry runs 100 (WEAKSIGHT_KILL_ROUNDS).
    const char* roundsSetting = std::getenv("WEAKSIGHT_KILL_ROUNDS");
    const int rounds = roundsSetting && std::atoi(roundsSetting) > 0 ? std::atoi(roundsSetting) : 20;
    for (int round = 0; round < rounds; ++round) {
        Child child = startWriter(db.path, "writer", 100000);
        ASSERT_GT(child.pid, 0);
        // Wait for its first commit (start-up is slow on a loaded machine), let it commit for a
        // random while, then kill it without warning.
        long long firstId = 0;
        int firstIndex = 0;
        if (std::fscanf(child.out, "%lld %d", &firstId, &firstIndex) == 2)
            reported[firstId] = firstIndex;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
        kill(child.pid, SIGKILL);
        int status = 0;
        waitpid(child.pid, &status, 0);
        EXPECT_TRUE(WIFSIGNALED(status));
        for (const auto& [id, index] : readReports(child.out))
            reported[id] = index;
        fclose(child.out);
    }
    ASSERT_GT(reported.size(), 20u) << "the writer committed too little to test anything";

    AnnotationStore store(db.path);
    EXPECT_TRUE(store.integrityOk());
    std::map<int64_t, StoredDecision> stored;
    for (auto& d : store.standingDecisions({DecisionKind::Correct}))
        stored[d.id] = d;
    for (const auto& [id, index] : reported) {
        ASSERT_TRUE(stored.count(id)) << "committed decision " << id << " lost";
        ASSERT_TRUE(stored[id].finalMask.has_value());
        EXPECT_EQ(*stored[id].finalMask, expectedMask(index + 1)) << "decision " << id << " damaged";
        EXPECT_EQ(store.proposalMask(stored[id].proposalId), expectedMask(index));
    }
    // Proposal, decision, overlap record and both audit entries commit together: no kill leaves a
    // proposal without its decision (a case "in progress" for ever) or an entry without its audit.
    const auto count = [&](const char* sql) {
        Statement q(store.database().handle(), sql);
        q.step();
        return q.int64(0);
    };
    EXPECT_EQ(count("SELECT count(*) FROM proposals p WHERE NOT EXISTS "
                    "(SELECT 1 FROM decisions d WHERE d.proposal_id = p.id)"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM decisions d WHERE NOT EXISTS "
                    "(SELECT 1 FROM overlap_records o WHERE o.decision_id = d.id)"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM proposals p WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
                    "WHERE a.entity = 'proposal' AND a.entity_id = p.id)"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
                    "WHERE a.entity = 'decision' AND a.entity_id = d.id)"), 0);
    const auto progress = store.caseProgress();
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0].decided, progress[0].proposals) << "the crash case is done, not in progress";
    // The summary tables the dashboard reads agree with the rows they summarise.
    EXPECT_EQ(progress[0].proposals, count("SELECT count(*) FROM proposals"));
    EXPECT_EQ(progress[0].corrected, count("SELECT count(*) FROM decisions WHERE undone = 0"));
    const auto annotators = store.annotatorProgress();
    ASSERT_EQ(annotators.size(), 1u);
    EXPECT_EQ(annotators[0].decisions, count("SELECT count(*) FROM decisions WHERE undone = 0"));
    std::printf("%d kills: %zu committed decisions reported, all kept\n", rounds, reported.size());
}

TEST(AnnotationStore, SchemaFourRepairsWhatInterruptedWritesOfOlderVersionsLeft)
{
    // A schema-3 store as older versions left it after kills: a proposal committed without its
    // decision, and a decided proposal whose audit entries are missing.
    TempDb db;
    {
        std::vector<Migration> upToThree(AnnotationStore::migrations().begin(), AnnotationStore::migrations().begin() + 3);
        Database v3(db.path, upToThree, Database::Mode::ReadWrite, AnnotationStore::kApplicationId);
        v3.execute(R"SQL(
            INSERT INTO datasets(root_path, layout) VALUES ('/old', 'kits23');
            INSERT INTO cases(dataset_id, case_key, imaging_path, slices, rows, cols) VALUES (1, 'case_00001', '', 4, 8, 8);
            INSERT INTO annotators(name) VALUES ('ana');
            INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, threshold, mask)
                VALUES (1, 0, 0, 0, 8, 8, 0.5, X'00');
            INSERT INTO audit_log(action, entity, entity_id) VALUES ('propose', 'proposal', 1);
            INSERT INTO decisions(proposal_id, annotator_id, kind) VALUES (1, 1, 'reject');
            INSERT INTO audit_log(annotator, action, entity, entity_id) VALUES ('ana', 'reject', 'decision', 1);
            INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, threshold, mask)
                VALUES (1, 1, 0, 0, 8, 8, 0.5, X'00');
            INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, threshold, mask)
                VALUES (1, 2, 0, 0, 8, 8, 0.5, X'00');
            INSERT INTO decisions(proposal_id, annotator_id, kind) VALUES (3, 1, 'skip');)SQL");
    }
    {
        const AnnotationStore old(db.path, Database::Mode::ReadOnly); // readers migrate a writable store
    }
    AnnotationStore store(db.path);
    EXPECT_EQ(store.database().schemaVersion(), AnnotationStore::kSchemaVersion);
    EXPECT_TRUE(store.integrityOk());
    const auto count = [&](const std::string& sql) {
        Statement q(store.database().handle(), sql);
        q.step();
        return q.int64(0);
    };
    EXPECT_EQ(count("SELECT count(*) FROM proposals"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM proposals WHERE id = 2"), 0) << "the orphan is removed";
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'repair' AND entity = 'proposal' AND entity_id = 2"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE entity = 'proposal' AND entity_id = 3"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE entity = 'decision' AND entity_id = 2 AND annotator = 'ana' "
                    "AND action = 'skip'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE entity = 'decision' AND entity_id = 1"), 1) << "no duplicates";
    const auto progress = store.caseProgress();
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0].proposals, 2);
    EXPECT_EQ(progress[0].decided, 2);
    // Opening again repairs nothing more.
    const auto audits = store.auditCount();
    AnnotationStore again(db.path);
    EXPECT_EQ(again.auditCount(), audits);
}

namespace {

/// A store's one 4 x 16 x 16 case and an 8 x 8 proposal on it, ready for recordProposalDecision.
ProposalInput proposalOnANewCase(AnnotationStore& store)
{
    const auto dataset = store.registerDataset("/data/x", "kits23");
    ProposalInput p;
    p.caseId = store.registerCase(dataset, {"case_x", "", "", "", "", {4, 16, 16}});
    p.crop = {0, 0, 8, 8};
    p.mask = BinaryMask(8, 8);
    return p;
}

} // namespace

TEST(AnnotationStore, AProposalAndItsDecisionCommitTogetherOrNotAtAll)
{
    TempDb db;
    AnnotationStore store(db.path);
    ProposalInput p = proposalOnANewCase(store);
    p.mask.at(2, 2) = 1;
    DecisionInput d;
    d.annotator = "ana";
    d.kind = DecisionKind::Accept;
    int64_t proposalId = 0;
    const auto result = store.recordProposalDecision(p, d, &proposalId);
    EXPECT_GT(result.decisionId, 0);
    EXPECT_EQ(store.proposalMask(proposalId), p.mask);
    ASSERT_TRUE(result.overlap.proposalFinalIou.has_value());
    EXPECT_DOUBLE_EQ(*result.overlap.proposalFinalIou, 1.0);
    const auto audits = store.auditCount();
    // A decision that cannot be stored takes its proposal with it.
    d.kind = DecisionKind::Correct; // without the corrected mask
    EXPECT_THROW(store.recordProposalDecision(p, d), std::invalid_argument);
    p.crop = {10, 10, 8, 8}; // outside the 16 x 16 slice
    d.kind = DecisionKind::Reject;
    EXPECT_THROW(store.recordProposalDecision(p, d), std::invalid_argument);
    EXPECT_EQ(store.auditCount(), audits);
    EXPECT_EQ(store.caseProgress()[0].proposals, 1);
}

TEST(AnnotationStoreProcesses, TwoConcurrentWritersLoseNothing)
{
    TempDb db;
    prepareCrashCase(db.path);
    Child a = startWriter(db.path, "annotator-a", 150);
    Child b = startWriter(db.path, "annotator-b", 150);
    const auto fromA = readReports(a.out);
    const auto fromB = readReports(b.out);
    int statusA = 0, statusB = 0;
    waitpid(a.pid, &statusA, 0);
    waitpid(b.pid, &statusB, 0);
    fclose(a.out);
    fclose(b.out);
    EXPECT_TRUE(WIFEXITED(statusA) && WEXITSTATUS(statusA) == 0);
    EXPECT_TRUE(WIFEXITED(statusB) && WEXITSTATUS(statusB) == 0);
    EXPECT_EQ(fromA.size(), 150u);
    EXPECT_EQ(fromB.size(), 150u);
    AnnotationStore store(db.path);
    EXPECT_EQ(store.standingDecisions({DecisionKind::Correct}).size(), 300u);
    const auto annotators = store.annotatorProgress();
    ASSERT_EQ(annotators.size(), 2u);
    EXPECT_EQ(annotators[0].decisions, 150);
    EXPECT_EQ(annotators[1].decisions, 150);
    EXPECT_TRUE(store.integrityOk());
}

TEST(Fingerprint, Sha256OfFileBytes)
{
    TempDb db;
    const auto file = db.dir / "abc.txt";
    std::ofstream(file) << "abc";
    EXPECT_EQ(fileFingerprint(file), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_THROW(fileFingerprint(db.dir / "missing"), std::invalid_argument);
}

TEST(AnnotationStore, AMaskBlobDeclaringAnotherSizeThanItsCropIsRefusedWithoutDecoding)
{
    // The finding: 13 bytes declaring a 16,384 x 16,384 mask made stats, merge and export take 8-12 GB.
    TempDb db;
    AnnotationStore store(db.path);
    const ProposalInput p = proposalOnANewCase(store);
    DecisionInput d;
    d.annotator = "ana";
    d.kind = DecisionKind::Correct;
    d.finalMask = BinaryMask(8, 8);
    const auto decision = store.recordProposalDecision(p, d).decisionId;
    // Version 1, rows 16384, cols 16384, no zlib, one run of 2^28 zeros: 13 bytes.
    const std::vector<uint8_t> bomb{0x01, 0x80, 0x80, 0x01, 0x80, 0x80, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x01};
    ASSERT_EQ(decodeMask(bomb).rows, 16384) << "the blob is valid on its own";
    Statement update(store.database().handle(), "UPDATE decisions SET final_mask = ? WHERE id = ?");
    update.bind(1, bomb).bind(2, decision).run();

    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    try {
        store.standingDecisions({DecisionKind::Correct});
        FAIL() << "expected the damaged mask to be refused";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("declares a 16384x16384 mask for a 8x8 crop box"), std::string::npos)
            << e.what();
    }
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "KB of peak memory grown while refusing it";
}

TEST(AnnotationStore, CropBoxesAndHeatmapsOfImpossibleSizesAreRefusedAsDamage)
{
    // Found by fuzz_store_blobs: a crafted store (CHECK constraints need not hold in a file someone
    // edited) with a 0 x 0 heatmap made the reader copy from a null pointer, and a -1 x -4 heatmap
    // whose product matched its 16 bytes was handed on with negative rows. A crop box of 0 or of
    // more than 8192 x 8192 pixels is damage too, found before decoding allocates.
    TempDb db;
    AnnotationStore store(db.path);
    ProposalInput p = proposalOnANewCase(store);
    p.heatmap = ProposalHeatmap{2, 2, {0.f, 0.25f, 0.5f, 1.f}, 0, 1};
    DecisionInput d;
    d.annotator = "ana";
    d.kind = DecisionKind::Accept;
    int64_t proposal = 0;
    store.recordProposalDecision(p, d, &proposal);
    ASSERT_EQ(store.heatmapDecisions().size(), 1u);
    sqlite3* handle = store.database().handle();
    ASSERT_EQ(sqlite3_exec(handle, "PRAGMA ignore_check_constraints = ON", nullptr, nullptr, nullptr), SQLITE_OK);
    const auto expectDamage = [&](const char* what, const std::string& expected) {
        try {
            store.heatmapDecisions();
            ADD_FAILURE() << what << ": expected a DatabaseError";
        } catch (const DatabaseError& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << what << ": " << e.what();
        }
    };
    const std::vector<uint8_t> sixteenBytes(16, 0);
    Statement empty(handle, "UPDATE proposals SET heatmap_rows = 0, heatmap_cols = 0, heatmap = x'' WHERE id = ?");
    empty.bind(1, proposal).run();
    expectDamage("0 x 0 heatmap", "damaged heatmap in row");
    Statement heatmap(handle, "UPDATE proposals SET heatmap_rows = ?, heatmap_cols = ?, heatmap = ? WHERE id = ?");
    heatmap.bind(1, -1).bind(2, -4).bind(3, sixteenBytes).bind(4, proposal).run();
    heatmap.reset();
    expectDamage("-1 x -4 heatmap", "a -1x-4 grid");
    heatmap.bind(1, 2).bind(2, 2).bind(3, sixteenBytes).bind(4, proposal).run();
    ASSERT_EQ(store.heatmapDecisions().size(), 1u) << "a 2 x 2 heatmap of 16 bytes is whole again";

    Statement crop(handle, "UPDATE proposals SET crop_rows = ?, crop_cols = ? WHERE id = ?");
    for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{0, 8}, {8, -3}, {16384, 16384}}) {
        crop.bind(1, rows).bind(2, cols).bind(3, proposal).run();
        crop.reset();
        EXPECT_THROW(store.proposalMask(proposal), DatabaseError) << rows << " x " << cols;
        EXPECT_THROW(store.standingDecisions({DecisionKind::Accept}), DatabaseError) << rows << " x " << cols;
        expectDamage("crop box", "damaged crop box in row");
    }
}
