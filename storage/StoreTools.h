#pragma once

#include "core/cases/KitsCase.h"
#include "storage/AnnotationStore.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace weaksight::storage {

struct ImportReport {
    int64_t datasetId = 0;
    int cases = 0;
    int withLabels = 0;
};

/// Registers a KiTS dataset's cases as ground-truth references: paths, shapes and SHA-256
/// fingerprints of imaging and labels (the files are not copied).
ImportReport importDataset(AnnotationStore& store, const std::filesystem::path& root);
/// What a case's registration holds: paths, shape (from the header) and SHA-256 fingerprints. The
/// slow part (hashing a CT file costs about a second per 100 MB): the workstation makes it on a
/// worker thread when a case loads.
CaseRegistration caseRegistration(const CaseFiles& files);
/// Registers (or updates) one case of a dataset: paths, shape and fingerprints; returns its id.
int64_t registerCaseFiles(AnnotationStore& store, int64_t datasetId, const CaseFiles& files);

struct AgreementRow {
    std::string annotatorA, annotatorB;
    int slices = 0; ///< case slices (and crops) both decided with a final mask
    double meanIou = 0;
};

struct MergeReport {
    int sources = 0;
    int decisionsCopied = 0;
    int duplicatesSkipped = 0; ///< the same decision found in more than one source
    int transactions = 0;      ///< commits into the target
    std::vector<AgreementRow> agreement;
};

struct MergeOptions {
    /// About how long one transaction into the target may hold its write lock (the store's busy
    /// timeout is 10 s).
    std::chrono::milliseconds transactionBudget{200};
    /// The lock is left free this long before a transaction once it was held for half a budget since
    /// the last pause. A writer that waits for the lock polls
    /// it at most every 100 ms (SQLite's busy handler), so a longer pause lets it in every time
    /// instead of the merge taking the lock back first: a labeller waits at most about
    /// transactionBudget + 100 ms. The merge takes about (1 + pause / budget) times as long.
    std::chrono::milliseconds pauseBetweenTransactions{110};
};

/// Merges annotators' stores into `target` (created if missing), keeping provenance: cases,
/// models and CAM settings are matched by their natural keys (a case whose fingerprint differs
/// between stores is refused), proposals and decisions are copied with their masks, times and
/// IoU records, and every source's audit log is appended with the file it came from. Then
/// reports agreement: the IoU between different annotators' final masks on the same slice and crop.
/// Every source is checked before the target is made; sources are only read (see MergeSource in
/// StoreTools.cpp). The copy commits in short transactions (MergeOptions): a merge stopped midway
/// keeps what it committed, and running it again copies the rest.
MergeReport mergeStores(const std::filesystem::path& target,
                        const std::vector<std::filesystem::path>& sources, const MergeOptions& options = {});

/// Agreement between annotators in one store (see MergeReport::agreement).
std::vector<AgreementRow> annotatorAgreement(const AnnotationStore& store);

} // namespace weaksight::storage
