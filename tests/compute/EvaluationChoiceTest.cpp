// The evaluation protocol's threshold choice on hand-computed overlaps: the best mean validation
// IoU is chosen and reported on test; a subset with too few validation crops gets no threshold and
// no numbers (n/a), never a confident 0.000.
#include "core/compute/Evaluation.h"

#include <gtest/gtest.h>

using namespace weaksight::compute;

namespace {

// Three candidate thresholds; each crop's IoU (Dice = IoU + 0.1 here) at each of them.
std::vector<std::vector<Overlap>> overlaps(const std::vector<std::vector<double>>& iou)
{
    std::vector<std::vector<Overlap>> out;
    for (const auto& crop : iou) {
        std::vector<Overlap> row;
        for (double v : crop)
            row.push_back({v, v + 0.1});
        out.push_back(row);
    }
    return out;
}

const std::vector<double> kThresholds{0.0, 0.5, 1.0};

} // namespace

TEST(EvaluationChoice, TheBestMeanValidationIouIsChosenAndReportedOnTest)
{
    const auto validation = overlaps({{0.1, 0.6, 0.0}, {0.3, 0.4, 0.0}}); // means 0.2, 0.5, 0
    const auto test = overlaps({{0.2, 0.8, 0.0}, {0.4, 0.2, 0.0}, {0.0, 0.5, 0.3}});
    const auto r = chooseSetting(validation, {0, 1}, test, {0, 1, 2}, kThresholds, "t = %.2f", 2);
    ASSERT_TRUE(r.chosen());
    EXPECT_EQ(r.setting, "t = 0.50");
    EXPECT_DOUBLE_EQ(r.threshold, 0.5);
    EXPECT_NEAR(*r.validationFigure(r.validationIou), 0.5, 1e-12);
    EXPECT_NEAR(*r.validationFigure(r.validationDice), 0.6, 1e-12);
    EXPECT_NEAR(*r.testFigure(r.testIou), 0.5, 1e-12); // (0.8 + 0.2 + 0.5) / 3
    EXPECT_NEAR(*r.testFigure(r.testDice), 0.6, 1e-12);
    EXPECT_EQ(r.validationCrops, 2);
    EXPECT_EQ(r.testCrops, 3);

    // Subsets: the second validation crop alone (0.4 at t = 0.5 beats 0.3 at t = 0), the third test crop.
    const auto one = chooseSetting(validation, {1}, test, {2}, kThresholds, "t = %.2f", 1);
    EXPECT_EQ(one.setting, "t = 0.50");
    EXPECT_NEAR(one.testIou, 0.5, 1e-12);
}

TEST(EvaluationChoice, TooFewValidationCropsGiveNoThresholdAndNoNumbers)
{
    const auto validation = overlaps({{0.1, 0.6, 0.0}});
    const auto test = overlaps({{0.2, 0.8, 0.0}, {0.4, 0.2, 0.0}});
    const auto r = chooseSetting(validation, {0}, test, {0, 1}, kThresholds, "t = %.2f", 3);
    EXPECT_FALSE(r.chosen());
    EXPECT_EQ(r.setting, "n/a (1 val crop)");
    EXPECT_FALSE(r.validationFigure(r.validationIou).has_value());
    EXPECT_FALSE(r.testFigure(r.testIou).has_value());
    EXPECT_EQ(r.testCrops, 2) << "the counts are still reported";

    const auto none = chooseSetting(validation, {}, test, {0, 1}, kThresholds, "t = %.2f", 1);
    EXPECT_EQ(none.setting, "n/a (0 val crops)");
    EXPECT_FALSE(none.testFigure(none.testIou).has_value());

    // An empty test subset: the threshold is chosen, the test figures are n/a.
    const auto noTest = chooseSetting(validation, {0}, test, {}, kThresholds, "t = %.2f", 1);
    EXPECT_TRUE(noTest.chosen());
    EXPECT_TRUE(noTest.validationFigure(noTest.validationIou).has_value());
    EXPECT_FALSE(noTest.testFigure(noTest.testIou).has_value());
}

TEST(EvaluationChoice, ASingleCandidateNeedsNoValidationCrops)
{
    // The whole-crop baseline tunes nothing: its test figure stands without validation crops.
    const auto test = overlaps({{0.25}, {0.75}});
    const auto r = chooseSetting({}, {}, test, {0, 1}, {0.0}, "-", 3);
    EXPECT_TRUE(r.chosen());
    EXPECT_EQ(r.setting, "-");
    EXPECT_FALSE(r.validationFigure(r.validationIou).has_value());
    EXPECT_NEAR(*r.testFigure(r.testIou), 0.5, 1e-12);
}
