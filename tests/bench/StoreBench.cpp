// Annotation store benchmark: N decisions with masks (default 100,000), one transaction each,
// then the latency of the queries the dashboard and reports run.
// Usage: weaksight_bench_store [N] [DB]   (prints medians; CTest label "bench")
#include "storage/AnnotationStore.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace weaksight;
using namespace weaksight::storage;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * (v.size() - 1))];
}

BinaryMask disc(int size, int cr, int cc, int radius)
{
    BinaryMask m(size, size);
    for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c)
            m.at(r, c) = (r - cr) * (r - cr) + (c - cc) * (c - cc) <= radius * radius;
    return m;
}

void query(const char* name, int repeats, const std::function<size_t()>& run)
{
    std::vector<double> times;
    size_t rows = 0;
    for (int i = 0; i < repeats; ++i) {
        const auto start = Clock::now();
        rows = run();
        times.push_back(ms(Clock::now() - start));
    }
    std::printf("query %-28s median %8.2f ms   p95 %8.2f ms   (%zu rows)\n", name, percentile(times, 0.5),
                percentile(times, 0.95), rows);
}

} // namespace

int main(int argc, char** argv)
{
    const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    const fs::path db = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / "weaksight-bench-store.sqlite";
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::remove(db.string() + suffix);

    AnnotationStore store(db);
    const auto dataset = store.registerDataset("/bench/kits", "kits23");
    constexpr int kCases = 100, kSlices = 100, kCrop = 150;
    std::vector<int64_t> cases;
    for (int i = 0; i < kCases; ++i)
        cases.push_back(store.registerCase(dataset, {"case_" + std::to_string(10000 + i), "", "", "", "", {kSlices, 512, 512}}));
    const auto model = store.registerModel({"bench-model", "resnet18", "", "{}"});
    std::vector<int64_t> methods;
    for (const char* m : {"cam", "gradcam", "gradcam++", "smoothgradcam++", "scorecam"})
        methods.push_back(store.registerCamSettings({m, "layer4", "lesion", "minmax", "{}"}));

    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pos(30, 120), radius(5, 40);
    std::vector<BinaryMask> masks;
    for (int i = 0; i < 64; ++i)
        masks.push_back(disc(kCrop, pos(rng), pos(rng), radius(rng)));
    size_t maskBytes = 0;
    for (const auto& m : masks)
        maskBytes += encodeMask(m).size();
    const char* annotators[] = {"ana", "ben", "chen", "dara"};
    const DecisionKind kinds[] = {DecisionKind::Accept, DecisionKind::Correct, DecisionKind::Correct,
                                  DecisionKind::Reject, DecisionKind::Skip};

    std::vector<double> commit;
    commit.reserve(static_cast<size_t>(n));
    const auto start = Clock::now();
    constexpr int kBatch = 1000; // proposals arrive in batches from the CAM engine
    for (int base = 0; base < n; base += kBatch) {
        std::vector<int64_t> proposals;
        store.database().transaction([&] {
            for (int i = base; i < std::min(n, base + kBatch); ++i) {
                ProposalInput p;
                p.caseId = cases[static_cast<size_t>(i % kCases)];
                p.slice = (i / kCases) % kSlices;
                p.crop = {(i % 2) * 300, (i % 2) * 300, kCrop, kCrop};
                p.modelId = model;
                p.camSettingsId = methods[static_cast<size_t>(i % 5)];
                p.threshold = 0.05 * (i % 11);
                p.mask = masks[static_cast<size_t>(i % 64)];
                proposals.push_back(store.addProposal(p));
            }
        });
        for (size_t j = 0; j < proposals.size(); ++j) {
            const int i = base + static_cast<int>(j);
            DecisionInput d;
            d.proposalId = proposals[j];
            d.annotator = annotators[i % 4];
            d.kind = kinds[i % 5];
            if (d.kind == DecisionKind::Correct)
                d.finalMask = masks[static_cast<size_t>((i + 7) % 64)];
            d.groundTruth = masks[static_cast<size_t>((i + 3) % 64)];
            d.timeSpentMs = 1000 + i % 7000;
            const auto t0 = Clock::now();
            store.recordDecision(d);
            commit.push_back(ms(Clock::now() - t0));
        }
    }
    const double total = ms(Clock::now() - start) / 1000.0;
    std::printf("store %s: %d decisions with %dx%d masks (mean encoded mask %.0f bytes)\n", db.c_str(), n, kCrop,
                kCrop, double(maskBytes) / masks.size());
    std::printf("insert: %.1f decisions/s overall (proposals batched per 1000, one transaction per decision)\n",
                n / total);
    std::printf("decision commit: median %.2f ms   p95 %.2f ms   max %.2f ms   (target: median <= 10 ms)\n",
                percentile(commit, 0.5), percentile(commit, 0.95), *std::max_element(commit.begin(), commit.end()));
    std::printf("file size: %.1f MB\n", double(fs::file_size(db)) / 1e6);

    query("case progress", 10, [&] { return store.caseProgress().size(); });
    query("annotator progress", 10, [&] { return store.annotatorProgress().size(); });
    query("IoU per method and threshold", 10, [&] { return store.iouByMethodAndThreshold().size(); });
    query("decisions on one slice", 50, [&] { return store.decisionsForSlice(cases[7], 42).size(); });
    std::printf("(target: each dashboard query <= 50 ms at 100,000 decisions)\n");
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::remove(db.string() + suffix);
    return 0;
}
