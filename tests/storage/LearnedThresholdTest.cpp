// The learned threshold: from proposals stored with their heatmaps (schema 3) and the labellers'
// final masks, the t that needs the fewest pixel corrections, against a hand-computed case.
#include "storage/LearnedThreshold.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

using namespace weaksight;
using namespace weaksight::storage;
namespace fs = std::filesystem;

namespace {

/// A 4 x 4 crop whose raw map is already at the crop's resolution (upsampling is the identity):
/// pixel i has value i / 15.
ProposalHeatmap ramp()
{
    ProposalHeatmap h;
    h.rows = h.cols = 4;
    for (int i = 0; i < 16; ++i)
        h.raw.push_back(static_cast<float>(i) / 15.0f);
    return h;
}

BinaryMask above(const ProposalHeatmap& h, int firstSet)
{
    BinaryMask m(4, 4);
    for (int i = firstSet; i < 16; ++i)
        m.pixels[static_cast<size_t>(i)] = 1;
    (void)h;
    return m;
}

} // namespace

TEST(LearnedThreshold, TheThresholdNeedingTheLeastCorrectionFromTheStore)
{
    const fs::path dir = fs::temp_directory_path() / ("weaksight-learned-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    {
        AnnotationStore store(dir / "a.sqlite");
        EXPECT_GE(store.database().schemaVersion(), 3); // heatmaps are stored since schema 3
        const auto dataset = store.registerDataset("/data/learn", "kits23");
        const auto caseId = store.registerCase(dataset, {"case_l", "", "", "", "", {4, 16, 16}});
        const auto gradcam = store.registerCamSettings({"gradcam", "layer4", "lesion", "crop", "{}"});
        const auto scorecam = store.registerCamSettings({"scorecam", "layer4", "lesion", "crop", "{}"});
        const auto decide = [&](int64_t settings, const ProposalHeatmap& heatmap, const BinaryMask& final,
                                DecisionKind kind) {
            ProposalInput p;
            p.caseId = caseId;
            p.slice = 1;
            p.crop = {2, 3, 4, 4};
            p.camSettingsId = settings;
            p.threshold = 0.5;
            p.mask = final; // what was proposed does not matter here
            p.heatmap = heatmap;
            DecisionInput d;
            d.proposalId = store.addProposal(p);
            d.annotator = "ana";
            d.kind = kind;
            if (kind == DecisionKind::Correct || kind == DecisionKind::Accept)
                d.finalMask = final;
            store.recordDecision(d);
        };
        // Grad-CAM: the labeller kept the pixels >= 8/15 = 0.533: any t in [0.467, 0.533) is exact,
        // so with steps of 0.05 t = 0.50 needs no correction, 0.45 and 0.55 one pixel each.
        decide(gradcam, ramp(), above(ramp(), 8), DecisionKind::Correct);
        // Score-CAM: two decisions that keep the pixels from 11 and from 5 on: no t suits both.
        decide(scorecam, ramp(), above(ramp(), 11), DecisionKind::Accept);
        decide(scorecam, ramp(), above(ramp(), 5), DecisionKind::Correct);
        // A rejected proposal and one without a heatmap do not count.
        decide(gradcam, ramp(), BinaryMask(4, 4), DecisionKind::Reject);
    }
    const AnnotationStore store(dir / "a.sqlite", Database::Mode::ReadOnly);
    const auto learned = learnedThresholds(store, 0.05);
    ASSERT_EQ(learned.size(), 2u);
    const auto& grad = learned[0].method == "gradcam" ? learned[0] : learned[1];
    const auto& score = learned[0].method == "gradcam" ? learned[1] : learned[0];
    EXPECT_EQ(grad.decisions, 1);
    EXPECT_NEAR(grad.threshold, 0.50, 1e-9);
    EXPECT_DOUBLE_EQ(grad.meanCorrection, 0.0);
    ASSERT_EQ(grad.curve.size(), 21u);
    EXPECT_DOUBLE_EQ(grad.curve[9].second, 1.0);  // t = 0.45: pixel 7 (0.467) wrongly in
    EXPECT_DOUBLE_EQ(grad.curve[11].second, 1.0); // t = 0.55: pixel 8 (0.533) wrongly out
    // Score-CAM by hand: at t the proposal is the pixels i with i/15 > t, from first(t) on; the
    // corrections are |first(t) - 11| + |first(t) - 5|, 6 for every first(t) in [5, 11] and more
    // outside. first(t) >= 5 needs t >= 4/15 = 0.267, so t = 0.30 is the lowest step that costs
    // 6 pixels (3 per decision); t = 0.25 lets pixel 4 in (8 pixels).
    EXPECT_EQ(score.decisions, 2);
    EXPECT_NEAR(score.threshold, 0.30, 1e-9);
    EXPECT_DOUBLE_EQ(score.meanCorrection, 3.0);
    EXPECT_DOUBLE_EQ(score.curve[5].second, 4.0);
    fs::remove_all(dir);
}
