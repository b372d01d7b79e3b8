// The review's logic without a window, a store or LibTorch: proposals and their IoU, the review
// order, the mapping of edits onto their crop, the heatmap memory and the crops of a slice.

#include "core/cases/KitsCase.h"
#include "core/dataset/KidneyCrops.h"
#include "core/review/CamSettings.h"
#include "core/review/EditSession.h"
#include "core/review/HeatmapMemory.h"
#include "core/review/ReviewOrder.h"
#include "core/review/SliceHeatmaps.h"
#include "core/review/ViewPlane.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace weaksight;
using namespace weaksight::review;

namespace {

LabelVolume labelVolume(int slices, int rows, int cols)
{
    return LabelVolume(StorageGeometry::canonical({slices, rows, cols}, {2.0, 0.8, 0.8}));
}

/// A crop heatmap whose shown value at (r, c) is f(r, c).
template <typename F> CropHeatmap heatmap(CropBox box, F f, bool degenerate = false)
{
    CropHeatmap h;
    h.box = box;
    h.degenerate = degenerate;
    for (int r = 0; r < box.rows; ++r)
        for (int c = 0; c < box.cols; ++c)
            h.values.push_back(static_cast<float>(f(r, c)));
    return h;
}

} // namespace

TEST(CropBox, ComparesWholeAndKnowsItsSlice)
{
    const CropBox a{2, 3, 4, 5};
    EXPECT_EQ(a, (CropBox{2, 3, 4, 5}));
    EXPECT_NE(a, (CropBox{2, 3, 4, 6}));
    EXPECT_EQ(a.pixelCount(), 20u);
    EXPECT_TRUE(a.liesWithin(6, 8));
    EXPECT_FALSE(a.liesWithin(5, 8));
    EXPECT_FALSE((CropBox{-1, 0, 2, 2}).liesWithin(10, 10));
    EXPECT_TRUE(a.contains(5, 7));
    EXPECT_FALSE(a.contains(6, 7));
}

TEST(Proposal, IsTheMapAboveTheThresholdAndNothingForADegenerateMap)
{
    const auto h = heatmap({10, 20, 3, 4}, [](int r, int c) { return 0.1 * (r * 4 + c); });
    const BinaryMask p = proposal(h, 0.5);
    ASSERT_EQ(p.rows, 3);
    ASSERT_EQ(p.cols, 4);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            EXPECT_EQ(p.at(r, c), 0.1 * (r * 4 + c) > 0.5 + 1e-9 ? 1 : 0) << r << "," << c;
    // Exactly at t is not proposed (strictly greater), as in the pipeline.
    EXPECT_EQ(proposal(heatmap({0, 0, 1, 1}, [](int, int) { return 0.5; }), 0.5).count(), 0);
    EXPECT_EQ(proposal(heatmap(
                           {0, 0, 2, 2}, [](int, int) { return 1.0; }, true),
                       0.1)
                  .count(),
              0);
}

TEST(Proposal, PaintedOnAnotherBoxKeepsSlicePositions)
{
    // Two crops on a 20 x 20 slice; the whole-slice proposal is their union at their places.
    SliceHeatmaps maps;
    maps.crops.push_back(heatmap({2, 3, 4, 4}, [](int r, int c) { return r == 1 && c == 2 ? 1.0 : 0.0; }));
    maps.crops.push_back(
        heatmap({-2, 15, 4, 8}, [](int, int) { return 1.0; })); // past the top and right edges
    const BinaryMask whole = proposalOn(maps, {0, 0, 20, 20}, 0.5);
    EXPECT_EQ(whole.at(3, 5), 1);
    EXPECT_EQ(whole.count(), 1 + 2 * 5); // rows 0-1, columns 15-19 of the second crop
    EXPECT_EQ(whole.at(0, 15), 1);
    EXPECT_EQ(whole.at(1, 19), 1);
    EXPECT_EQ(whole.at(2, 15), 0);
    // One crop on a box that holds only part of it.
    const BinaryMask part = proposalOn(maps.crops[0], {3, 4, 2, 2}, 0.5);
    EXPECT_EQ(part.count(), 1);
    EXPECT_EQ(part.at(0, 1), 1);
}

TEST(ProposalIou, CountsInsideTheCropBoxesOnly)
{
    LabelVolume truth = labelVolume(3, 16, 16);
    // Lesion: a 2 x 2 square inside the box and one pixel outside every box.
    truth.at(1, 4, 4) = truth.at(1, 4, 5) = truth.at(1, 5, 4) = truth.at(1, 5, 5) = labels::Tumour;
    truth.at(1, 14, 14) = labels::Cyst;
    SliceHeatmaps maps;
    maps.slice = 1;
    // Proposes rows 4-5, columns 4-6 of the slice (box at 2,2).
    maps.crops.push_back(
        heatmap({2, 2, 6, 6}, [](int r, int c) { return r >= 2 && r <= 3 && c >= 2 && c <= 4; }));
    const auto iou = proposalIouAgainstTruth(maps, truth, 1, 0.5);
    ASSERT_TRUE(iou.has_value());
    EXPECT_DOUBLE_EQ(*iou, 4.0 / 6.0); // the cyst pixel outside the box does not count
    EXPECT_FALSE(proposalIouAgainstTruth(maps, truth, 3, 0.5).has_value());
    EXPECT_FALSE(proposalIouAgainstTruth(SliceHeatmaps{}, truth, 1, 0.5).has_value());
    // Nothing proposed and nothing there: agreement on "nothing".
    EXPECT_DOUBLE_EQ(*proposalIouAgainstTruth(maps, truth, 0, 0.5), 0.0);
    EXPECT_DOUBLE_EQ(*proposalIouAgainstTruth(maps, truth, 2, 2.0), 1.0);
}

TEST(LesionMask, ClipsABoxThatExtendsPastTheSlice)
{
    LabelVolume truth = labelVolume(2, 8, 8);
    truth.at(0, 0, 0) = labels::Tumour;
    truth.at(0, 7, 7) = labels::Kidney;
    const BinaryMask m = lesionMask(truth, 0, {-2, -2, 4, 4});
    EXPECT_EQ(m.count(), 1);
    EXPECT_EQ(m.at(2, 2), 1);
    EXPECT_EQ(lesionMask(truth, 5, {0, 0, 8, 8}).count(), 0); // a slice outside the volume
}

TEST(ReviewOrder, SlicesWithAnUndecidedCropInSliceOrderUntilEverySliceIsScanned)
{
    ReviewOrderInput input;
    input.sliceCount = 6;
    // Slices 1-4 have two crops; slice 2 has both decided, slice 3 one of them.
    input.boxesToDecide = [](int k) {
        return k >= 1 && k <= 4 ? std::vector<CropBox>{{0, 0, 4, 4}, {0, 10, 4, 4}} : std::vector<CropBox>{};
    };
    input.decided = {{2, {0, 0, 4, 4}}, {2, {0, 10, 4, 4}}, {3, {0, 10, 4, 4}}, {4, {0, 10, 4, 5}}};
    EXPECT_EQ(reviewOrder(input), (std::vector<int>{1, 3, 4}));
    EXPECT_FALSE(ordersByProbability(input));
    // A partial scan keeps slice order.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    input.probabilities = {0.1f, 0.2f, 0.9f, nan, 0.5f, 0.0f};
    EXPECT_EQ(reviewOrder(input), (std::vector<int>{1, 3, 4}));
    // A finished scan: most probable first (ties keep slice order).
    input.probabilities = {0.1f, 0.2f, 0.9f, 0.6f, 0.6f, 0.0f};
    EXPECT_TRUE(ordersByProbability(input));
    EXPECT_EQ(reviewOrder(input), (std::vector<int>{3, 4, 1}));
}

TEST(ReviewOrder, NextSliceWrapsAndSkipsDecidedOnes)
{
    const std::vector<int> bySlice{1, 3, 4};
    EXPECT_EQ(nextInReviewOrder(bySlice, 1, +1, false), 3);
    EXPECT_EQ(nextInReviewOrder(bySlice, 4, +1, false), 1); // wraps
    EXPECT_EQ(nextInReviewOrder(bySlice, 1, -1, false), 4);
    // From a decided slice: the nearest undecided one in that direction, wrapping.
    EXPECT_EQ(nextInReviewOrder(bySlice, 2, +1, false), 3);
    EXPECT_EQ(nextInReviewOrder(bySlice, 2, -1, false), 1);
    EXPECT_EQ(nextInReviewOrder(bySlice, 5, +1, false), 1);
    EXPECT_EQ(nextInReviewOrder(bySlice, 0, -1, false), 4);
    // By probability, from a decided slice: the most probable forward, the least backward.
    const std::vector<int> byProbability{3, 4, 1};
    EXPECT_EQ(nextInReviewOrder(byProbability, 2, +1, true), 3);
    EXPECT_EQ(nextInReviewOrder(byProbability, 2, -1, true), 1);
    EXPECT_EQ(nextInReviewOrder(byProbability, 4, +1, true), 1);
    EXPECT_EQ(nextInReviewOrder({3}, 3, +1, false), std::nullopt); // only the current slice is left
    EXPECT_EQ(nextInReviewOrder({}, 3, +1, false), std::nullopt);
}

TEST(ReviewOrder, LesionSlicesAndTheStartSlice)
{
    LabelVolume truth = labelVolume(10, 4, 4);
    truth.at(3, 1, 1) = labels::Tumour;
    truth.at(7, 0, 0) = truth.at(7, 0, 1) = labels::Cyst;
    truth.at(5, 2, 2) = labels::Kidney;
    EXPECT_EQ(nextLesionSlice(truth, 0, +1), 3);
    EXPECT_EQ(nextLesionSlice(truth, 3, +1), 7);
    EXPECT_EQ(nextLesionSlice(truth, 7, +1), std::nullopt);
    EXPECT_EQ(nextLesionSlice(truth, 7, -1), 3);
    EXPECT_EQ(startSlice(10, &truth), 7); // the most lesion voxels
    EXPECT_EQ(startSlice(10, nullptr), 5);
    const LabelVolume none = labelVolume(10, 4, 4);
    EXPECT_EQ(startSlice(10, &none), 5);
}

TEST(EditSession, BrushAndPolygonInSlicePixelsLandOnTheCrop)
{
    const CropBox box{100, 200, 20, 30};
    EditSession edit(box, BinaryMask(20, 30));
    // A dab of radius 1.5 at slice (105, 210) is crop pixel (5, 10) and its neighbours.
    edit.beginStroke(105, 210, 1.5, true);
    edit.strokeTo(105, 220, 1.5); // a gap-free line to crop (5, 20)
    edit.endStroke();
    EXPECT_EQ(edit.mask().at(5, 10), 1);
    EXPECT_EQ(edit.mask().at(5, 15), 1);
    EXPECT_EQ(edit.mask().at(5, 20), 1);
    EXPECT_EQ(edit.mask().at(0, 0), 0);
    EXPECT_TRUE(edit.editor().undo());
    EXPECT_EQ(edit.mask().count(), 0); // one stroke, one undo step
    // Polygon: a square of slice pixels (110..114, 205..209) = crop rows 10-14, columns 5-9.
    edit.startPolygon(false);
    for (const auto& [r, c] : {std::pair{109.5, 204.5}, {109.5, 209.5}, {114.5, 209.5}, {114.5, 204.5}})
        edit.addPolygonCorner(r, c);
    EXPECT_EQ(edit.closedPolygon().size(), 5u);
    EXPECT_TRUE(edit.applyPolygon());
    EXPECT_FALSE(edit.drawingPolygon());
    EXPECT_EQ(edit.mask().count(), 25);
    EXPECT_EQ(edit.mask().at(10, 5), 1);
    EXPECT_EQ(edit.mask().at(14, 9), 1);
    EXPECT_EQ(edit.mask().at(15, 9), 0);
    // Subtract two of its rows.
    edit.startPolygon(true);
    for (const auto& [r, c] : {std::pair{109.5, 200.0}, {109.5, 230.0}, {111.5, 230.0}, {111.5, 200.0}})
        edit.addPolygonCorner(r, c);
    EXPECT_TRUE(edit.applyPolygon());
    EXPECT_EQ(edit.mask().count(), 15);
    // Fewer than three corners change nothing.
    edit.startPolygon(false);
    edit.addPolygonCorner(100, 200);
    EXPECT_FALSE(edit.applyPolygon());
    EXPECT_EQ(edit.mask().count(), 15);
}

TEST(EditSession, KeepsTheHuRangeOfItsOwnCrop)
{
    CtVolume ct(StorageGeometry::canonical({2, 10, 10}, {2.0, 1.0, 1.0}));
    for (int r = 0; r < 10; ++r)
        for (int c = 0; c < 10; ++c)
            ct.at(1, r, c) = static_cast<int16_t>(10 * c); // HU grows with the column
    BinaryMask full(4, 4);
    std::fill(full.pixels.begin(), full.pixels.end(), uint8_t{1});
    EditSession edit({3, 2, 4, 4}, full);         // columns 2-5 of the slice: 20, 30, 40, 50 HU
    EXPECT_TRUE(edit.keepHuRange(ct, 1, 45, 25)); // either order
    EXPECT_EQ(edit.mask().count(), 8);
    EXPECT_EQ(edit.mask().at(0, 0), 0);
    EXPECT_EQ(edit.mask().at(0, 1), 1);
    EXPECT_EQ(edit.mask().at(3, 2), 1);
    EXPECT_EQ(edit.mask().at(3, 3), 0);
}

TEST(HeatmapMemory, ShowsEachNormalisationAndEvictsTheLeastRecentlyUsed)
{
    HeatmapMemory memory;
    RawSliceMaps raw;
    raw.slice = 4;
    CropHeatmap crop = heatmap({0, 0, 2, 2}, [](int r, int c) { return 2.0 + r * 2 + c; }); // 2, 3, 4, 5
    crop.low = 2.f;
    crop.high = 5.f;
    raw.crops.push_back(crop);
    memory.remember("a", raw);
    const SliceHeatmaps* perCrop = memory.shown("a", compute::MapNormalisation::PerCrop);
    ASSERT_NE(perCrop, nullptr);
    EXPECT_FLOAT_EQ(perCrop->crops[0].values[0], 0.f);
    EXPECT_FLOAT_EQ(perCrop->crops[0].values[3], 1.f);
    EXPECT_EQ(memory.shown("a", compute::MapNormalisation::PerCrop), perCrop); // made once
    const SliceHeatmaps* perVolume = memory.shown("a", compute::MapNormalisation::PerCase, {0.f, 10.f});
    EXPECT_FLOAT_EQ(perVolume->crops[0].values[3], 0.5f);
    EXPECT_FLOAT_EQ(perVolume->crops[0].low, 0.f);
    EXPECT_FLOAT_EQ(perVolume->crops[0].high, 10.f);
    const SliceHeatmaps* rawValues = memory.shown("a", compute::MapNormalisation::None);
    EXPECT_FLOAT_EQ(rawValues->crops[0].values[3], 5.f);
    EXPECT_FLOAT_EQ(rawValues->crops[0].high, 1.f);
    // A budget for about one slice: the least recently used goes.
    const size_t one = memory.bytes();
    memory.setBudget(one + raw.bytes() / 2);
    memory.remember("b", raw);
    EXPECT_FALSE(memory.contains("a"));
    EXPECT_TRUE(memory.contains("b"));
    EXPECT_EQ(memory.shown("a", compute::MapNormalisation::PerCrop), nullptr);
    EXPECT_LE(memory.bytes(), one + raw.bytes() / 2);
    memory.clear();
    EXPECT_EQ(memory.bytes(), 0u);
}

TEST(KidneyCrops, WithoutLabelsEachHalfOfTheSliceHasACentredCrop)
{
    const auto crops = cropsOnSlice(nullptr, 3, 100, 200, 40, 60);
    ASSERT_EQ(crops.size(), 2u);
    EXPECT_EQ(crops[0].side, "right");
    EXPECT_EQ(crops[0].box, (CropBox{30, 20, 40, 60}));
    EXPECT_EQ(crops[1].box, (CropBox{30, 120, 40, 60}));
    EXPECT_FALSE(crops[0].kidneyOnSlice);
}

TEST(KidneyCrops, APlacedCropIsCentredWhereTheLabellerPutItOnEverySlice)
{
    // A Ctrl+click at slice pixel (70, 150) of a 100 x 200 slice of 0.5 x 0.8 mm pixels: the left
    // half (the patient's left), centred there in mm.
    const CropPlacement left = placementAt(70, 150, 200, 0.5, 0.8);
    EXPECT_EQ(left.side, "left");
    EXPECT_DOUBLE_EQ(left.rowMm, 35.0);
    EXPECT_DOUBLE_EQ(left.colMm, 120.0);
    EXPECT_EQ(placementAt(10, 20, 200, 0.5, 0.8).side, "right");
    const PlacedCrops placed{{left}, 0.5, 0.8};
    for (const int slice : {0, 3, 40}) {
        const auto crops = cropsOnSlice(nullptr, slice, 100, 200, 40, 60, placed);
        ASSERT_EQ(crops.size(), 2u);
        EXPECT_EQ(crops[0].box, (CropBox{30, 20, 40, 60})) << "the right side stays automatic (the half)";
        EXPECT_EQ(crops[1].side, "left");
        EXPECT_EQ(crops[1].box, (CropBox{50, 120, 40, 60})) << "centred on (70, 150), inside the slice";
        EXPECT_TRUE(crops[1].kidneyOnSlice);
    }
    // Near the edge the box is shifted inside the slice, as the automatic boxes are.
    const PlacedCrops edge{{placementAt(95, 195, 200, 0.5, 0.8)}, 0.5, 0.8};
    EXPECT_EQ(cropsOnSlice(nullptr, 0, 100, 200, 40, 60, edge)[1].box, (CropBox{60, 140, 40, 60}));
}

TEST(CamSettings, OnlyMapSettingsNeedNewMaps)
{
    CamSettings a;
    CamSettings b = a;
    b.setThreshold(0.3);
    EXPECT_TRUE(a.sameMaps(b));
    EXPECT_DOUBLE_EQ(b.threshold(), 0.3);
    EXPECT_DOUBLE_EQ(b.thresholdOf(compute::CamMethod::ScoreCam), 0.5);
    b.cropSize = 64;
    EXPECT_FALSE(a.sameMaps(b));
}

TEST(Proposal, ARefinementRuleReadsTheSlicesCtAndKeepsSlicePositions)
{
    // A kidney (180 HU) with a tumour (70 HU) on slice 1 of a 60 x 80 CT; the crop's map is a wide
    // blob over both. Map > t takes cortex too; the anatomy refinement keeps the tumour.
    CtVolume ct(StorageGeometry::canonical({3, 60, 80}, {3.0, 0.8, 0.8}));
    std::fill(ct.voxels.begin(), ct.voxels.end(), int16_t{-100});
    const auto inside = [](int r, int c, double row, double col, double radius) {
        return (r - row) * (r - row) + (c - col) * (c - col) <= radius * radius;
    };
    for (int r = 0; r < 60; ++r)
        for (int c = 0; c < 80; ++c)
            ct.at(1, r, c) = inside(r, c, 30, 40, 18) ? (inside(r, c, 30, 44, 6) ? 70 : 180) : -100;
    const CropBox box{10, 20, 40, 40}; // slice rows 10-49, columns 20-59
    const CropHeatmap h = heatmap(box, [](int r, int c) {
        return std::exp(-((r - 20.0) * (r - 20.0) + (c - 24.0) * (c - 24.0)) / (2 * 10.0 * 10.0));
    });
    const ProposalRule anatomy{proposals::ProposalKind::Anatomy, &ct, 1};
    const BinaryMask refined = proposal(h, 0.3, anatomy);
    const BinaryMask raw = proposal(h, 0.3);
    EXPECT_EQ(proposal(h, 0.3, ProposalRule{}), raw) << "the default rule is map > t";
    EXPECT_EQ(proposal(h, 0.3, ProposalRule{proposals::ProposalKind::Anatomy, nullptr, 1}), raw)
        << "no CT: map > t";
    // Exactly core/proposals' refinement of this crop (CT cut at the box, the shown values).
    std::vector<int16_t> hu;
    for (int r = 0; r < box.rows; ++r)
        for (int c = 0; c < box.cols; ++c)
            hu.push_back(ct.at(1, box.row0 + r, box.col0 + c));
    const proposals::CropView view{box.rows, box.cols, hu.data(), h.values.data(), nullptr, 0.8};
    EXPECT_EQ(refined, proposals::propose(proposals::ProposalKind::Anatomy, view, 0.3));
    BinaryMask tumour(box.rows, box.cols);
    for (int r = 0; r < box.rows; ++r)
        for (int c = 0; c < box.cols; ++c)
            tumour.at(r, c) = inside(box.row0 + r, box.col0 + c, 30, 44, 6) ? 1 : 0;
    EXPECT_GT(overlap(refined, tumour).iou, 0.8);
    EXPECT_LT(overlap(raw, tumour).iou, 0.5);
    // Painted on the whole slice it stays where it was, and the IoU against truth follows the rule.
    const BinaryMask onSlice = proposalOn(h, {0, 0, 60, 80}, 0.3, anatomy);
    for (int r = 0; r < box.rows; ++r)
        for (int c = 0; c < box.cols; ++c)
            ASSERT_EQ(onSlice.at(box.row0 + r, box.col0 + c), refined.at(r, c));
    EXPECT_EQ(onSlice.count(), refined.count());
    LabelVolume labels = labelVolume(3, 60, 80);
    for (int r = 0; r < 60; ++r)
        for (int c = 0; c < 80; ++c)
            labels.at(1, r, c) = inside(r, c, 30, 44, 6) ? labels::Tumour : 0;
    SliceHeatmaps maps;
    maps.slice = 1;
    maps.crops = {h};
    EXPECT_NEAR(*proposalIouAgainstTruth(maps, labels, 1, 0.3, anatomy), overlap(refined, tumour).iou, 1e-12);
}

TEST(ViewPlane, PlanesMapPixelsToVoxelsBothWays)
{
    const std::array<int, 3> shape{5, 7, 9};
    const std::array<double, 3> spacing{2.5, 0.8, 0.7};
    const PlaneGrid coronal = planeGrid(ViewPlane::Coronal, shape, spacing);
    EXPECT_EQ(coronal.rows, 5);
    EXPECT_EQ(coronal.cols, 9);
    EXPECT_EQ(coronal.depth, 7);
    EXPECT_DOUBLE_EQ(coronal.rowSpacing, 2.5);
    EXPECT_DOUBLE_EQ(coronal.colSpacing, 0.7);
    const PlaneGrid sagittal = planeGrid(ViewPlane::Sagittal, shape, spacing);
    EXPECT_EQ(sagittal.rows, 5);
    EXPECT_EQ(sagittal.cols, 7);
    EXPECT_EQ(sagittal.depth, 9);
    // Superior at the top: plane row 0 is the last (most superior) axial slice.
    EXPECT_EQ(voxelOf(ViewPlane::Coronal, shape, 3, 0, 4), (std::array<int, 3>{4, 3, 4}));
    EXPECT_EQ(voxelOf(ViewPlane::Sagittal, shape, 6, 4, 2), (std::array<int, 3>{0, 2, 6}));
    EXPECT_EQ(voxelOf(ViewPlane::Axial, shape, 1, 2, 3), (std::array<int, 3>{1, 2, 3}));
    for (ViewPlane plane : {ViewPlane::Axial, ViewPlane::Coronal, ViewPlane::Sagittal})
        for (int k = 0; k < shape[0]; ++k)
            for (int r = 0; r < shape[1]; ++r)
                for (int c = 0; c < shape[2]; ++c) {
                    const auto p = planePointOf(plane, shape, {k, r, c});
                    ASSERT_EQ(voxelOf(plane, shape, p[0], p[1], p[2]), (std::array<int, 3>{k, r, c}))
                        << toString(plane);
                }
}

TEST(ViewPlane, CopiedPlanesHoldTheVoxelsOfTheirPixels)
{
    LabelVolume v = labelVolume(6, 5, 4);
    for (size_t i = 0; i < v.voxels.size(); ++i)
        v.voxels[i] = static_cast<uint8_t>(i * 7 % 251);
    for (ViewPlane plane : {ViewPlane::Axial, ViewPlane::Coronal, ViewPlane::Sagittal}) {
        const PlaneGrid grid = planeGrid(plane, v.shape, v.spacing);
        for (int index = 0; index < grid.depth; ++index) {
            std::vector<uint8_t> out(static_cast<size_t>(grid.rows) * grid.cols);
            copyPlane(v, plane, index, out.data());
            for (int r = 0; r < grid.rows; ++r)
                for (int c = 0; c < grid.cols; ++c) {
                    const auto voxel = voxelOf(plane, v.shape, index, r, c);
                    ASSERT_EQ(out[static_cast<size_t>(r) * grid.cols + c], v.at(voxel[0], voxel[1], voxel[2]))
                        << toString(plane) << " " << index << " " << r << " " << c;
                }
            // A region: rows 1..2, columns 1..2 of the same plane.
            std::vector<uint8_t> region(4);
            copyPlaneRegion(v, plane, index, 1, 2, 1, 2, region.data());
            EXPECT_EQ(region[3], out[static_cast<size_t>(2) * grid.cols + 2]);
        }
    }
}

TEST(ViewPlane, StackedHeatmapsCutEverySlicesCropsAlongThePlane)
{
    const std::array<int, 3> shape{4, 10, 12};
    // Slice 1: one crop rows 2..5, columns 3..8 with value = 10 * row + col on the slice grid;
    // slice 2: a degenerate crop (drawn as nothing); slice 3: no maps yet; slice 0: a crop that
    // misses row 7.
    std::vector<SliceHeatmaps> slices(3);
    slices[0].crops.push_back(heatmap(CropBox{0, 0, 3, 4}, [](int, int) { return 0.9; }));
    slices[1].crops.push_back(
        heatmap(CropBox{2, 3, 4, 6}, [](int r, int c) { return (10 * (r + 2) + c + 3) / 100.0; }));
    slices[2].crops.push_back(heatmap(
        CropBox{2, 3, 4, 6}, [](int, int) { return 0.7; }, true));
    const auto mapsOf = [&](int k) -> const SliceHeatmaps* {
        return k < 3 ? &slices[static_cast<size_t>(k)] : nullptr;
    };

    const StackedHeatmap coronal = stackedHeatmap(ViewPlane::Coronal, 4, shape, mapsOf, -1.f);
    EXPECT_EQ(coronal.slicesWithMaps, 1);
    EXPECT_EQ(coronal.heatmap.box, (CropBox{0, 0, 4, 12}));
    // Slice 1 is plane row 4 - 1 - 1 = 2; row 4 of it, columns 3..8.
    for (int c = 0; c < 12; ++c)
        EXPECT_FLOAT_EQ(coronal.heatmap.valueAt(2, c), c >= 3 && c <= 8 ? (40 + c) / 100.f : -1.f) << c;
    for (int row : {0, 1, 3})
        for (int c = 0; c < 12; ++c)
            EXPECT_FLOAT_EQ(coronal.heatmap.valueAt(row, c), -1.f);

    const StackedHeatmap sagittal = stackedHeatmap(ViewPlane::Sagittal, 2, shape, mapsOf, -1.f);
    EXPECT_EQ(sagittal.slicesWithMaps, 1); // slice 0's crop reaches column 2, slice 1's does not
    EXPECT_FLOAT_EQ(sagittal.heatmap.valueAt(3, 1), 0.9f); // slice 0, row 1
    EXPECT_FLOAT_EQ(sagittal.heatmap.valueAt(3, 5), -1.f);
    EXPECT_THROW(stackedHeatmap(ViewPlane::Axial, 0, shape, mapsOf, -1.f), std::invalid_argument);
}

TEST(EditSession, StrokesLandAnywhereOnTheCanvasAndTheDecisionKeepsTheirBox)
{
    const CropBox crop{20, 30, 10, 10}, canvas{0, 0, 64, 64};
    BinaryMask proposal(10, 10);
    proposal.at(5, 5) = 1;
    EditSession session(crop, PlacedMask{crop, proposal}, canvas);
    EXPECT_EQ(session.box(), canvas);
    EXPECT_EQ(session.crop(), crop);
    EXPECT_EQ(session.mask().at(25, 35), 1) << "the proposal, placed on the canvas";
    // Nothing outside the crop: the decision's mask is the crop's.
    PlacedMask final = session.finalMask();
    EXPECT_EQ(final.box, crop);
    EXPECT_EQ(final.mask, proposal);
    // A dab 10 pixels right of the crop (slice pixels): the box grows to hold it, no further.
    session.beginStroke(24.0, 49.0, 1.0, true);
    session.endStroke();
    final = session.finalMask();
    EXPECT_EQ(final.box.row0, 20);
    EXPECT_EQ(final.box.col0, 30);
    EXPECT_EQ(final.box.rows, 10);
    EXPECT_EQ(final.box.cols, 51 - 30) << "to the dab's last column: radius 1 about column 49 reaches 50";
    EXPECT_EQ(final.mask.at(24 - 20, 49 - 30), 1);
    EXPECT_EQ(final.mask.at(5, 5), 1);
    // Undo: back to the crop.
    ASSERT_TRUE(session.editor().undo());
    EXPECT_EQ(session.finalMask().box, crop);
    // A canvas that does not hold the crop is refused.
    EXPECT_THROW(EditSession(CropBox{60, 60, 10, 10}, PlacedMask{crop, proposal}, canvas),
                 std::invalid_argument);
}

TEST(CropBox, UnionHoldsAndMasksMoveBetweenBoxes)
{
    const CropBox a{2, 3, 4, 5}, b{-1, 6, 2, 10};
    const CropBox both = unionOf(a, b);
    EXPECT_EQ(both, (CropBox{-1, 3, 7, 13}));
    EXPECT_TRUE(holds(both, a));
    EXPECT_TRUE(holds(both, b));
    EXPECT_FALSE(holds(a, both));
    EXPECT_EQ(unionOf(CropBox{}, a), a);
    BinaryMask m(4, 5);
    m.at(1, 2) = m.at(3, 4) = 1;
    const BinaryMask onBoth = placeMask(m, a, both);
    EXPECT_EQ(onBoth.count(), 2);
    EXPECT_EQ(onBoth.at(2 + 1 - (-1), 3 + 2 - 3), 1);
    EXPECT_EQ(placeMask(onBoth, both, a), m) << "and back";
    EXPECT_EQ(setPixelBounds(m, a), (CropBox{3, 5, 3, 3}));
    EXPECT_TRUE(setPixelBounds(BinaryMask(4, 5), a).empty());
    EXPECT_THROW(placeMask(m, both, a), std::invalid_argument) << "a mask not of its box's size";
}

TEST(CropSampling, ADraggedBoxSnapsToACropSizeTheModelReadsAtItsSpacing)
{
    CropSampling own; // a model without a recorded spacing: slice pixels are its pixels
    EXPECT_EQ(cropSizeCovering(own, 61, 41), 64);
    EXPECT_EQ(cropSizeCovering(own, 10, 10), 32) << "never below 32";
    EXPECT_EQ(cropSizeCovering(own, 900, 10), 512) << "nor above 512";
    // A model at 1.6 mm on a 0.8 mm scan: each model pixel is two slice pixels.
    CropSampling resampled;
    resampled.steps = std::make_pair(2.0, 2.0);
    resampled.cropSize = cropSizeCovering(resampled, 190, 150);
    EXPECT_EQ(resampled.cropSize, 96) << "190 slice pixels = 95 model pixels, to a multiple of 8";
    EXPECT_EQ(resampled.extent(), std::make_pair(192, 192));
}

TEST(HeatmapMemory, ReadingEverySliceForTheStackedViewsKeepsTheEvictionOrder)
{
    for (const bool markUsed : {false, true}) {
        HeatmapMemory memory;
        RawSliceMaps raw;
        raw.crops.push_back(heatmap({0, 0, 4, 4}, [](int r, int c) { return r + c; }));
        raw.crops[0].low = 0.f;
        raw.crops[0].high = 6.f;
        memory.remember("a", raw);
        memory.remember("b", raw); // b is the most recently used
        ASSERT_NE(memory.shown("a", compute::MapNormalisation::PerCrop, {0.f, 1.f}, markUsed), nullptr);
        memory.setBudget(memory.bytes()); // two raw slices and a's shown copy
        memory.remember("c", raw);
        // A stacked view's read leaves a the least recently used; a real look at it does not.
        EXPECT_EQ(memory.contains("a"), markUsed) << markUsed;
        EXPECT_EQ(memory.contains("b"), !markUsed) << markUsed;
        EXPECT_TRUE(memory.contains("c"));
    }
}
