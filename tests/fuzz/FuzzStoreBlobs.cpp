// The annotation store's blob decoding (storage/AnnotationStore.cpp): a store holds a proposal and
// an accepted decision; each input overwrites their crop box, masks and heatmap with hostile values
// (as a damaged or crafted store would hold them) and reads them back through every query that
// decodes blobs. Each read either returns masks of their crop box's size or throws DatabaseError.
// Input: u16 crop rows, u16 crop cols, i16 heatmap rows, i16 heatmap cols, u16 mask blob length,
// the mask blob (used for the proposal and the final mask), the rest is the heatmap blob.

#include "FuzzSupport.h"
#include "storage/AnnotationStore.h"

#include <cstdlib>
#include <memory>
#include <sqlite3.h>

namespace fs = std::filesystem;
using namespace weaksight;
using namespace weaksight::storage;

namespace {

std::unique_ptr<AnnotationStore> g_store;
int64_t g_proposal = 0;

void makeStore()
{
    const fs::path file = fuzz::scratchFolder() / "store.sqlite";
    fs::remove(file);
    g_store = std::make_unique<AnnotationStore>(file);
    const auto dataset = g_store->registerDataset("/fuzz", "kits23");
    CaseRegistration c;
    c.caseKey = "case_00000";
    c.shape = {4, 64, 64};
    const auto caseId = g_store->registerCase(dataset, c);
    const auto model = g_store->registerModel({"fuzz-model", "resnet18", "/fuzz/model.pt", "{}"});
    const auto settings = g_store->registerCamSettings({"gradcam", "layer4", "lesion", "minmax", "{}"});
    ProposalInput p;
    p.caseId = caseId;
    p.slice = 1;
    p.crop = {8, 8, 32, 32};
    p.modelId = model;
    p.camSettingsId = settings;
    p.threshold = 0.5;
    p.mask = BinaryMask(32, 32);
    p.heatmap = ProposalHeatmap{4, 4, std::vector<float>(16, 0.25f), 0, 1};
    DecisionInput d;
    d.annotator = "fuzz";
    d.kind = DecisionKind::Accept;
    g_store->recordProposalDecision(p, d, &g_proposal);
}

void bindBlob(sqlite3_stmt* s, int index, const uint8_t* data, size_t size)
{
    static const uint8_t none = 0; // a zero-length blob, not NULL
    sqlite3_bind_blob(s, index, size ? data : &none, static_cast<int>(size), SQLITE_TRANSIENT);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::quietLogging();
    makeStore();
    // A crafted file need not hold to the schema's CHECK constraints (crop boxes of 0 or negative size).
    sqlite3_exec(g_store->database().handle(), "PRAGMA ignore_check_constraints = ON", nullptr, nullptr,
                 nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::InputReader in(data, size);
    const int cropRows = in.take<uint16_t>();
    const int cropCols = in.take<uint16_t>();
    const int heatmapRows = static_cast<int16_t>(in.take<uint16_t>());
    const int heatmapCols = static_cast<int16_t>(in.take<uint16_t>());
    const size_t maskBytes = std::min<size_t>(in.take<uint16_t>(), in.restSize());
    const uint8_t* mask = in.rest();
    const uint8_t* heatmap = mask + maskBytes;
    const size_t heatmapBytes = in.restSize() - maskBytes;

    sqlite3* db = g_store->database().handle();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* proposal = nullptr;
    sqlite3_prepare_v2(db,
                       "UPDATE proposals SET crop_rows = ?, crop_cols = ?, mask = ?, heatmap_rows = ?, "
                       "heatmap_cols = ?, heatmap = ? WHERE id = ?",
                       -1, &proposal, nullptr);
    sqlite3_bind_int(proposal, 1, cropRows);
    sqlite3_bind_int(proposal, 2, cropCols);
    bindBlob(proposal, 3, mask, maskBytes);
    sqlite3_bind_int(proposal, 4, heatmapRows);
    sqlite3_bind_int(proposal, 5, heatmapCols);
    bindBlob(proposal, 6, heatmap, heatmapBytes);
    sqlite3_bind_int64(proposal, 7, g_proposal);
    const bool stored = sqlite3_step(proposal) == SQLITE_DONE; // NOT NULL columns refuse some values
    sqlite3_finalize(proposal);
    if (!stored) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return 0;
    }
    sqlite3_stmt* decision = nullptr;
    sqlite3_prepare_v2(db, "UPDATE decisions SET final_mask = ? WHERE proposal_id = ?", -1, &decision,
                       nullptr);
    bindBlob(decision, 1, mask, maskBytes);
    sqlite3_bind_int64(decision, 2, g_proposal);
    if (sqlite3_step(decision) != SQLITE_DONE)
        std::abort();
    sqlite3_finalize(decision);

    const auto sized = [&](const BinaryMask& m) {
        if (m.rows != cropRows || m.cols != cropCols || m.size() != static_cast<size_t>(cropRows) * cropCols)
            std::abort();
    };
    try {
        sized(g_store->proposalMask(g_proposal));
    } catch (const DatabaseError&) {
    }
    try {
        for (const auto& d : g_store->standingDecisions({DecisionKind::Accept, DecisionKind::Correct}))
            if (d.finalMask)
                sized(*d.finalMask);
    } catch (const DatabaseError&) {
    }
    try {
        for (const auto& h : g_store->heatmapDecisions()) {
            sized(h.finalMask);
            if (h.rows <= 0 || h.cols <= 0 || h.raw.size() != static_cast<size_t>(h.rows) * h.cols)
                std::abort();
        }
    } catch (const DatabaseError&) {
    }
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return 0;
}
