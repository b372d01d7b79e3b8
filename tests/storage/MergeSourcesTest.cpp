// Issue 14: a merge only reads its sources, refuses files that are not stores of ours, and commits
// in transactions short enough for a labeller writing to the target at the same time; a store in a
// read-only folder can be read.

#include "core/masks/BinaryMask.h"
#include "storage/AnnotationStore.h"
#include "storage/Statement.h"
#include "storage/StoreTools.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>
#include <random>
#include <set>
#include <sqlite3.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace weaksight;
using namespace weaksight::storage;

namespace {

struct TempFolder {
    fs::path path =
        fs::temp_directory_path() / ("weaksight-merge-test-" + std::to_string(std::random_device{}()));
    TempFolder() { fs::create_directories(path); }
    ~TempFolder()
    {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, ec);
        fs::remove_all(path, ec);
    }
};

void sql(sqlite3* db, const std::string& text)
{
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, text.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << "\n"
        << text;
}

/// A raw connection for setting a file up the way another program or an older Weaksight left it.
struct RawDb {
    sqlite3* db = nullptr;
    explicit RawDb(const fs::path& file) { sqlite3_open(file.c_str(), &db); }
    ~RawDb() { sqlite3_close(db); }
};

/// A store of schema version 3 (before issue 14's version 4), written as that version's Weaksight
/// did, with one accepted decision, left in rollback-journal mode.
void writeVersion3Store(const fs::path& file, bool damagedMask = false)
{
    const auto& all = AnnotationStore::migrations();
    {
        Database v3(file, {all[0], all[1], all[2]}, Database::Mode::ReadWrite,
                    AnnotationStore::kApplicationId);
        Statement(v3.handle(), "INSERT INTO datasets(root_path, layout) VALUES ('/data/kits', 'kits23')")
            .run();
        Statement(v3.handle(), "INSERT INTO annotators(name) VALUES ('ana')").run();
        Statement(
            v3.handle(),
            "INSERT INTO cases(dataset_id, case_key, imaging_path, labels_path, imaging_fingerprint, "
            "labels_fingerprint, slices, rows, cols) VALUES (1, 'case_00001', '', '', 'i', 'l', 4, 16, 16)")
            .run();
        BinaryMask mask(8, 8);
        mask.at(3, 3) = 1;
        Statement proposal(v3.handle(),
                           "INSERT INTO proposals(case_id, slice, crop_row, crop_col, crop_rows, crop_cols, "
                           "threshold, mask) VALUES (1, 2, 0, 0, 8, 8, 0.5, ?)");
        proposal.bind(1, encodeMask(mask)).run();
        Statement decision(v3.handle(), "INSERT INTO decisions(proposal_id, annotator_id, kind, final_mask) "
                                        "VALUES (1, 1, 'accept', ?)");
        decision.bind(1, encodeMask(mask)).run();
        if (damagedMask)
            Statement(v3.handle(), "UPDATE proposals SET mask = x'01100001' WHERE id = 1").run();
    }
    RawDb raw(file);
    sql(raw.db, "PRAGMA journal_mode = DELETE");
}

int64_t countOf(const fs::path& store, const std::string& table)
{
    AnnotationStore s(store, Database::Mode::ReadOnly);
    Statement count(s.database().handle(), "SELECT count(*) FROM " + table);
    count.step();
    return count.int64(0);
}

/// An 8 x 8 proposal on a new 4 x 16 x 16 case of dataset /data/kits.
ProposalInput proposalOnNewCase(AnnotationStore& store, const std::string& caseKey)
{
    ProposalInput p;
    p.caseId = store.registerCase(store.registerDataset("/data/kits", "kits23"),
                                  {caseKey, "", "", "i-" + caseKey, "l-" + caseKey, {4, 16, 16}});
    p.crop = {0, 0, 8, 8};
    p.mask = BinaryMask(8, 8);
    return p;
}

/// The merge's temporary folders now present.
/// The merge's private copies in `folder` (its temporary folder while the test runs: other tests'
/// merges, run beside it by ctest, make theirs in the shared /tmp).
std::set<std::string> mergeCopies(const fs::path& folder)
{
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.path().filename().string().rfind("weaksight-merge-", 0) == 0)
            names.insert(entry.path().filename().string());
    return names;
}

} // namespace

TEST(MergeSources, AreOnlyReadWhateverTheirSchemaVersion)
{
    // The finding: a writable source of an older schema was migrated (and switched to WAL) by the
    // merge's check; sources were attached read-write.
    TempFolder folder;
    const fs::path old = folder.path / "old.sqlite", current = folder.path / "current.sqlite";
    writeVersion3Store(old);
    {
        AnnotationStore store(current);
        ProposalInput p = proposalOnNewCase(store, "case_00002");
        p.heatmap = ProposalHeatmap{2, 2, {0.f, 0.5f, 0.75f, 1.f}, 0, 1};
        store.recordProposalDecision(p, {0, "ben", DecisionKind::Accept, {}, {}, 10, ""});
    }
    const auto oldBytes = fileFingerprint(old), currentBytes = fileFingerprint(current);

    const fs::path target = folder.path / "merged.sqlite";
    const fs::path temporary = folder.path / "tmp";
    fs::create_directories(temporary);
    const std::string previousTmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
    setenv("TMPDIR", temporary.c_str(), 1); // fs::temp_directory_path() reads it
    const auto copiesBefore = mergeCopies(temporary);
    const auto report = mergeStores(target, {old, current});
    EXPECT_EQ(report.decisionsCopied, 2);
    EXPECT_EQ(fileFingerprint(old), oldBytes) << "the older source was changed";
    EXPECT_EQ(fileFingerprint(current), currentBytes) << "the current source was changed";
    EXPECT_EQ(Database::schemaVersionOf(old), 3);
    EXPECT_FALSE(fs::exists(old.string() + "-wal")) << "the older source was switched to WAL";
    EXPECT_EQ(mergeCopies(temporary), copiesBefore)
        << "the migrated copy of the older source was left behind";

    // An older source refused after it was copied (a damaged mask) leaves no copy behind either.
    const fs::path damaged = folder.path / "damaged.sqlite";
    writeVersion3Store(damaged, true);
    EXPECT_THROW(mergeStores(folder.path / "other.sqlite", {damaged}), DatabaseError);
    EXPECT_EQ(mergeCopies(temporary), copiesBefore) << "a refused source's copy was left behind";
    if (previousTmpdir.empty())
        unsetenv("TMPDIR");
    else
        setenv("TMPDIR", previousTmpdir.c_str(), 1);
    EXPECT_FALSE(fs::exists(folder.path / "other.sqlite"));

    AnnotationStore merged(target, Database::Mode::ReadOnly);
    EXPECT_EQ(merged.standingDecisions({DecisionKind::Accept}).size(), 2u);
    ASSERT_EQ(merged.heatmapDecisions().size(), 1u) << "the current source's heatmap travels";
    EXPECT_EQ(merged.heatmapDecisions()[0].raw[2], 0.75f);
    EXPECT_TRUE(merged.integrityOk());
}

TEST(MergeSources, AForeignFileThatOnlySetsAVersionIsRefusedBeforeAnythingIsWritten)
{
    // The finding: an SQLite file of another program with user_version 3 and no application id
    // passed the checks, was switched to WAL and written into (its audit log 127 -> 255 rows).
    TempFolder folder;
    const fs::path foreign = folder.path / "foreign.sqlite", target = folder.path / "merged.sqlite";
    {
        RawDb raw(foreign);
        sql(raw.db, "CREATE TABLE audit_log(id INTEGER PRIMARY KEY, note TEXT); "
                    "INSERT INTO audit_log(note) VALUES ('a'), ('b'), ('c'); PRAGMA user_version = 3;");
    }
    const auto bytes = fileFingerprint(foreign);
    try {
        mergeStores(target, {foreign});
        FAIL() << "a foreign file must be refused";
    } catch (const DatabaseError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(foreign.string()), std::string::npos) << message;
        EXPECT_NE(message.find("not a store of this program"), std::string::npos) << message;
    }
    EXPECT_EQ(fileFingerprint(foreign), bytes);
    EXPECT_FALSE(fs::exists(target)) << "the target was made although its source was refused";
    // The same file opened as a store directly is refused too, and left as it was.
    EXPECT_THROW(AnnotationStore{foreign}, DatabaseError);
    EXPECT_EQ(fileFingerprint(foreign), bytes);
}

TEST(MergeSources, ALabellerWritingDuringALongMergeIsNeverLockedOut)
{
    // The finding: a 14-second merge held the target's write lock past the 10 s busy timeout, and
    // a labeller's decision failed with "database is locked". Scaled down: the labeller waits at
    // most 400 ms, the merge takes longer than that and commits every 80 ms.
    TempFolder folder;
    const fs::path source = folder.path / "source.sqlite", target = folder.path / "target.sqlite";
    const CaseRegistration theCase{"case_00003", "", "", "i3", "l3", {64, 32, 32}};
    {
        AnnotationStore store(source);
        sql(store.database().handle(),
            "PRAGMA synchronous = OFF"); // a fast set-up; the merge is what is measured
        const auto caseId = store.registerCase(store.registerDataset("/data/kits", "kits23"), theCase);
        for (int i = 0; i < 2000; ++i) {
            ProposalInput p{caseId, i % 64, {i % 16, 0, 16, 16}, {}, {}, 0.5, BinaryMask(16, 16), {}};
            p.mask.at(i % 16, (i / 16) % 16) = 1;
            store.recordProposalDecision(p, {0, "ana", DecisionKind::Accept, {}, {}, i, ""});
        }
    }
    double longestWrite = 0; // seconds
    const auto labellerWritesDuringMerge = [&](std::chrono::milliseconds budget, int& failures, int& writes,
                                               MergeReport& report, double& mergeSeconds) {
        fs::remove(target);
        AnnotationStore labeller(target);
        sqlite3_busy_timeout(labeller.database().handle(), 400);
        const auto caseId = labeller.registerCase(labeller.registerDataset("/data/kits", "kits23"), theCase);
        std::atomic<bool> done{false};
        std::thread merge([&] {
            const auto start = std::chrono::steady_clock::now();
            report = mergeStores(target, {source}, MergeOptions{budget, std::chrono::milliseconds(110)});
            mergeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            done = true;
        });
        failures = writes = 0;
        longestWrite = 0;
        while (!done) {
            const auto start = std::chrono::steady_clock::now();
            try {
                labeller.recordProposalDecision({caseId, 1, {0, 0, 4, 4}, {}, {}, 0.5, BinaryMask(4, 4), {}},
                                                {0, "lab", DecisionKind::Reject, {}, {}, 1, ""});
                ++writes;
            } catch (const DatabaseError&) {
                ++failures;
            }
            longestWrite =
                std::max(longestWrite,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        merge.join();
    };
    int failures = 0, writes = 0;
    MergeReport report;
    double seconds = 0;
    labellerWritesDuringMerge(std::chrono::milliseconds(80), failures, writes, report, seconds);
    EXPECT_EQ(report.decisionsCopied, 2000);
    EXPECT_GT(seconds, 0.4) << "the merge must outlast the labeller's busy timeout to mean anything";
    EXPECT_GT(report.transactions, 3);
    EXPECT_EQ(failures, 0) << writes << " writes succeeded during a " << seconds << " s merge";
    std::cout << "merge of 2000 decisions: " << seconds << " s in " << report.transactions
              << " transactions; " << writes << " labeller writes meanwhile, the longest "
              << longestWrite * 1000 << " ms\n";
    EXPECT_GT(writes, 0);
    EXPECT_EQ(countOf(target, "decisions"), 2000 + writes);

    // The control: the same merge in one transaction locks the labeller out.
    labellerWritesDuringMerge(std::chrono::milliseconds(600000), failures, writes, report, seconds);
    EXPECT_EQ(report.decisionsCopied, 2000);
    if (seconds > 1.0) {
        EXPECT_GT(failures, 0) << "a " << seconds
                               << " s merge in one transaction should lock the labeller out";
    }
}

TEST(AnnotationStore, AStoreInAReadOnlyFolderOpensReadOnlyAndImmutable)
{
    // The finding: a WAL store in a folder its reader cannot write could not even be read (SQLite
    // needs to create the -shm file). Root ignores permissions, so a child process drops to nobody.
    TempFolder folder;
    const fs::path file = folder.path / "annotations.sqlite";
    {
        AnnotationStore store(file);
        ProposalInput p = proposalOnNewCase(store, "case_00004");
        store.recordProposalDecision(p, {0, "ana", DecisionKind::Accept, {}, {}, 10, ""});
    }
    ASSERT_FALSE(fs::exists(file.string() + "-wal")) << "a cleanly closed store keeps no log";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    fs::permissions(folder.path, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    const pid_t child = fork();
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            _exit(3);
        try {
            AnnotationStore store(file); // asked for read-write, as the GUI does
            const bool right = store.database().readOnly() && store.database().immutable() &&
                               store.caseProgress().size() == 1 && store.caseProgress()[0].decided == 1 &&
                               store.standingDecisions({DecisionKind::Accept}).size() == 1;
            _exit(right ? 0 : 1);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            _exit(2);
        }
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "1: read wrong, 2: refused (see stderr), 3: could not drop privileges";
}

TEST(MergeSources, AMergeRunAgainAddsTheRestToTheSameProposals)
{
    // A merge stopped midway is finished by running it again: decisions already merged are skipped
    // and the rest join the proposals they belong to instead of copies of them.
    TempFolder folder;
    const fs::path early = folder.path / "early.sqlite", late = folder.path / "late.sqlite";
    int64_t proposal = 0;
    {
        AnnotationStore store(late);
        ProposalInput p = proposalOnNewCase(store, "case_00005");
        const auto first =
            store.recordProposalDecision(p, {0, "ana", DecisionKind::Accept, {}, {}, 10, ""}, &proposal);
        sql(store.database().handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
        fs::copy_file(late, early); // what a first, interrupted merge had copied
        store.undoDecision(first.decisionId, "ana");
        store.recordDecision({proposal, "ana", DecisionKind::Reject, {}, {}, 20, ""});
    }
    const fs::path target = folder.path / "merged.sqlite";
    EXPECT_EQ(mergeStores(target, {early}).decisionsCopied, 1);
    const auto again = mergeStores(target, {late});
    EXPECT_EQ(again.decisionsCopied, 1);
    EXPECT_EQ(again.duplicatesSkipped, 1);
    EXPECT_EQ(countOf(target, "proposals"), 1) << "the second decision got a copy of its proposal";
    EXPECT_EQ(countOf(target, "decisions"), 2);
}
