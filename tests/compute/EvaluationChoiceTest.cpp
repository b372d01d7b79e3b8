// The evaluation protocol's threshold choice on hand-computed overlaps: the best mean validation
// IoU is chosen and reported on test; a subset with too few validation crops gets no threshold and
// no numbers (n/a), never a confident 0.000.
#include "core/compute/Evaluation.h"
#include "core/compute/PhysicalScale.h"

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

// ---- Statistics that cannot mislead (issue 18), on hand-computed crops -------------------

namespace {

/// A crop's overlap from its pixel counts: |X n Y| = i, |X u Y| = u, |X| + |Y| = u + i.
Overlap counted(long long i, long long u)
{
    return {static_cast<double>(i) / static_cast<double>(u), 2.0 * static_cast<double>(i) / static_cast<double>(u + i),
            i, u};
}

} // namespace

TEST(EvaluationStatistics, OracleThresholdIsTheBestOnTestAndShowsWhatTheChoiceCosts)
{
    const auto validation = overlaps({{0.6, 0.2, 0.0}, {0.4, 0.2, 0.0}}); // validation prefers t = 0
    const auto test = overlaps({{0.1, 0.7, 0.0}, {0.3, 0.5, 0.0}});       // test prefers t = 0.5
    const auto r = chooseSetting(validation, {0, 1}, test, {0, 1}, kThresholds, "t = %.2f", 2);
    EXPECT_EQ(r.setting, "t = 0.00");
    EXPECT_NEAR(r.testIou, 0.2, 1e-12);
    ASSERT_TRUE(r.oracleThreshold);
    EXPECT_DOUBLE_EQ(*r.oracleThreshold, 0.5);
    EXPECT_EQ(r.oracleSetting, "t = 0.50");
    EXPECT_NEAR(*r.oracleTestIou, 0.6, 1e-12); // choosing on validation costs 0.4 here
    // One candidate (nothing to tune) has no oracle; neither has a subset without test crops.
    EXPECT_FALSE(chooseSetting(validation, {0, 1}, test, {0, 1}, {0.0}, "-", 2).oracleThreshold);
    EXPECT_FALSE(chooseSetting(validation, {0, 1}, test, {}, kThresholds, "t = %.2f", 2).oracleThreshold);
}

TEST(EvaluationStatistics, PooledPerPatientAndBootstrapIntervalsFollowTheirDefinitions)
{
    // One setting; test crops of patients A (IoU 0.2 and 0.4) and B (0.9).
    const std::vector<std::vector<Overlap>> validation{{counted(1, 2)}, {counted(1, 2)}, {counted(1, 2)}};
    const std::vector<std::vector<Overlap>> test{{counted(2, 10)}, {counted(4, 10)}, {counted(9, 10)}};
    const std::vector<std::string> testPatients{"A", "A", "B"};
    const auto r = chooseSetting(validation, {0, 1, 2}, test, {0, 1, 2}, {0.5}, "t = %.2f", 3,
                                 {"C", "C", "C"}, testPatients);
    ASSERT_TRUE(r.chosen());
    EXPECT_NEAR(r.testIou, 0.5, 1e-12);                          // crop mean (0.2 + 0.4 + 0.9) / 3
    EXPECT_EQ(r.testStatistics.patients, 2);
    EXPECT_NEAR(r.testStatistics.patientMeanIou, 0.6, 1e-12);    // (0.3 + 0.9) / 2
    EXPECT_NEAR(r.testStatistics.pooledIou, 15.0 / 30.0, 1e-12); // sum i / sum u
    EXPECT_NEAR(r.testStatistics.pooledDice, 30.0 / 45.0, 1e-12); // 2 sum i / sum (u + i)
    // Resampling two patients: AA (crop mean 0.3, p = 1/4), AB or BA (0.5), BB (0.9, p = 1/4):
    // the 2.5th percentile is 0.3 and the 97.5th 0.9 exactly.
    ASSERT_TRUE(r.testStatistics.iouInterval);
    EXPECT_NEAR(r.testStatistics.iouInterval->low, 0.3, 1e-12);
    EXPECT_NEAR(r.testStatistics.iouInterval->high, 0.9, 1e-12);
    ASSERT_TRUE(r.testStatistics.diceInterval);
    EXPECT_LT(r.testStatistics.diceInterval->low, r.testDice);
    EXPECT_GT(r.testStatistics.diceInterval->high, r.testDice);
    // One validation patient: no interval (a bootstrap over one patient says nothing).
    EXPECT_EQ(r.validationStatistics.patients, 1);
    EXPECT_FALSE(r.validationStatistics.iouInterval);
    // The same report every run: the resampling is seeded.
    const auto again = chooseSetting(validation, {0, 1, 2}, test, {0, 1, 2}, {0.5}, "t = %.2f", 3, {"C", "C", "C"},
                                     testPatients);
    EXPECT_EQ(again.testStatistics.diceInterval->low, r.testStatistics.diceInterval->low);
}

TEST(EvaluationStatistics, ConstantAnswersAreTheBaselinesAClassifierMustBeat)
{
    ClassificationMetrics m; // 10 lesion crops of 40
    m.truePositives = 8;
    m.falseNegatives = 2;
    m.trueNegatives = 20;
    m.falsePositives = 10;
    EXPECT_NEAR(m.alwaysLesionF1(), 2.0 * 10 / (10 + 40), 1e-12); // precision 0.25, recall 1
    EXPECT_NEAR(m.alwaysNoLesionAccuracy(), 0.75, 1e-12);
    // F1 16/28 = 0.571 > 0.4, but accuracy 0.7 < 0.75: it does not beat "always no lesion".
    EXPECT_FALSE(m.beatsConstantAnswers());
    m.falsePositives = 2;
    m.trueNegatives = 28; // accuracy 0.9, F1 0.8
    EXPECT_TRUE(m.beatsConstantAnswers());
}

TEST(PhysicalScale, TheModelsSpacingTravelsInItsDescriptionAndIsComparedWithTheScans)
{
    ModelDescription model;
    EXPECT_EQ(model.serialise().find("pixel_spacing_mm"), std::string::npos) << "unrecorded: older hashes stay";
    // No recorded spacing: always said, with what a crop covers here (64 px of 3 mm = 192 mm).
    const auto unknown = physicalScaleNote(model, 64, 64, 3.0, 3.0);
    EXPECT_NE(unknown.find("records no pixel spacing"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("192 mm"), std::string::npos) << unknown;
    EXPECT_FALSE(needsResampling(model, 3.0, 3.0));

    model.pixelSpacingMm = 0.78;
    EXPECT_EQ(ModelDescription::parse(model.serialise()).pixelSpacingMm, 0.78);
    EXPECT_TRUE(physicalScaleNote(model, 150, 150, 0.8, 0.8).empty()); // within 5 %
    EXPECT_FALSE(needsResampling(model, 0.8, 0.8));
    EXPECT_TRUE(needsResampling(model, 3.0, 3.0));
    const auto coarse = physicalScaleNote(model, 150, 150, 3.0, 3.0);
    EXPECT_NE(coarse.find("450 mm instead of 117 mm"), std::string::npos) << coarse;
}
