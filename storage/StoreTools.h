#pragma once

#include "core/cases/KitsCase.h"
#include "storage/AnnotationStore.h"

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
/// Registers (or updates) one case of a dataset: paths, shape and fingerprints; returns its id.
int64_t registerCaseFiles(AnnotationStore& store, int64_t datasetId, const CaseFiles& files);

struct AgreementRow {
    std::string annotatorA, annotatorB;
    int slices = 0;    ///< case slices (and crops) both decided with a final mask
    double meanIou = 0;
};

struct MergeReport {
    int sources = 0;
    int decisionsCopied = 0;
    int duplicatesSkipped = 0; ///< the same decision found in more than one source
    std::vector<AgreementRow> agreement;
};

/// Merges annotators' stores into `target` (created if missing), keeping provenance: cases,
/// models and CAM settings are matched by their natural keys (a case whose fingerprint differs
/// between stores is refused), proposals and decisions are copied with their masks, times and
/// IoU records, and every source's audit log is appended with the file it came from. Then
/// reports agreement: the IoU between different annotators' final masks on the same slice and crop.
MergeReport mergeStores(const std::filesystem::path& target, const std::vector<std::filesystem::path>& sources);

/// Agreement between annotators in one store (see MergeReport::agreement).
std::vector<AgreementRow> annotatorAgreement(const AnnotationStore& store);

} // namespace weaksight::storage
