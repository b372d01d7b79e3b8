// Proposals beyond {map > t} (issue 16) on hand-made crops with known answers: the derived kidney
// region, the anatomy refinement, seeded region growing, the marker watershed, the name table and
// the edge cases (empty maps, no seeds, organ given or not, non-square crops).
#include "ProposalCrops.h"
#include "core/masks/BinaryMask.h"
#include "core/proposals/Proposals.h"

#include <algorithm>
#include <array>
#include <gtest/gtest.h>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace weaksight;
using namespace weaksight::proposals;
using weaksight::test::KidneyCropLayout;
using weaksight::test::kidneyWithTumour;
using weaksight::test::SyntheticCrop;

namespace {

double iou(const BinaryMask& a, const BinaryMask& b)
{
    return overlap(a, b).iou;
}

/// Every pixel of `inner` is in `outer`.
bool inside(const BinaryMask& inner, const BinaryMask& outer)
{
    for (size_t i = 0; i < inner.size(); ++i)
        if (inner.pixels[i] && !outer.pixels[i])
            return false;
    return true;
}

/// The crop of the main tests: the tumour near the kidney's upper-right edge, CT noise of 10 HU,
/// and a CAM blob centred 8 pixels outward from the tumour, so it spills over the cortex and out
/// of the kidney into the fat, as a coarse CAM does.
SyntheticCrop offsetBlobCrop(BinaryMask& kidney, BinaryMask& tumour)
{
    const KidneyCropLayout layout;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.addNoise(10, 16);
    crop.addBlob(layout.tumourRow - 5, layout.tumourCol + 6, 9);
    return crop;
}

} // namespace

// ---- The derived kidney region ----------------------------------------------------------------

TEST(KidneyRegion, FindsTheDiscAndIgnoresASeparateBrightBlob)
{
    const KidneyCropLayout layout;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    const BinaryMask vessel = crop.disc(8, 88, 5); // enhancing vessel at the crop's corner, apart
    crop.paint(vessel, 200);
    crop.addNoise(10, 1);

    const BinaryMask region = deriveKidneyRegion(crop.view());
    EXPECT_GT(iou(region, kidney), 0.9); // measured 1.000
    EXPECT_TRUE(inside(tumour, region)); // the lesion (70 HU) is part of the organ
    EXPECT_EQ(overlap(region, vessel).intersection, 0);
}

TEST(KidneyRegion, PrefersTheComponentAtTheCentreToALargerOneAtTheEdge)
{
    // A smaller kidney in the middle and, not touching it, a larger liver-like organ (110 HU)
    // filling the crop's right side: the kidney is the one at the centre, not the largest.
    KidneyCropLayout layout;
    layout.kidneyRadius = 20;
    layout.tumourRow = 40;
    layout.tumourCol = 44;
    layout.tumourRadius = 6;
    BinaryMask kidney;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney);
    BinaryMask liver(crop.rows, crop.cols);
    for (int r = 0; r < crop.rows; ++r)
        for (int c = 74; c < crop.cols; ++c)
            liver.at(r, c) = 1;
    crop.paint(liver, 110);
    crop.addNoise(10, 2);
    ASSERT_GT(liver.count(), kidney.count());

    const BinaryMask region = deriveKidneyRegion(crop.view());
    EXPECT_GT(iou(region, kidney), 0.9); // measured 1.000
    EXPECT_EQ(overlap(region, liver).intersection, 0);
}

TEST(KidneyRegion, ChoosesTheRingAroundASinusAtTheCentreAndFillsIt)
{
    // Sinus fat at the crop's centre (outside the HU band), opening to the perirenal fat through a
    // hilum notch 3 pixels wide: the nearest component is the kidney, the closing shuts the notch
    // and filling holes takes the sinus in.
    const KidneyCropLayout layout;
    BinaryMask kidney;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney);
    BinaryMask sinus = crop.disc(layout.kidneyRow, layout.kidneyCol, 9);
    for (int r = 46; r <= 48; ++r)
        for (int c = 0; c < 48; ++c)
            sinus.at(r, c) = 1;
    crop.paint(sinus, -100);

    const BinaryMask region = deriveKidneyRegion(crop.view());
    EXPECT_GT(iou(region, kidney), 0.9); // measured 0.998
    EXPECT_EQ(region.at(47, 47), 1);     // the sinus is inside
}

TEST(KidneyRegion, NothingInTheBandGivesAnEmptyRegion)
{
    SyntheticCrop fat(64, 64, -100);
    EXPECT_TRUE(deriveKidneyRegion(fat.view()).empty());
}

// ---- The refinements on the offset-blob crop --------------------------------------------------

TEST(ProposalRefinement, AnatomyRecoversTheTumourWhereTheRawThresholdSpills)
{
    BinaryMask kidney, tumour;
    const SyntheticCrop crop = offsetBlobCrop(kidney, tumour);
    // Measured IoU at t = 0.2 / 0.3: raw 0.353 / 0.380 (its best anywhere on 0.2..0.5: 0.380),
    // anatomy 0.931 / 0.798 (derived region and organ label alike).
    for (double t : {0.2, 0.3}) {
        const BinaryMask raw = propose(ProposalKind::Raw, crop.view(), t);
        const BinaryMask derived = refineWithAnatomy(crop.view(), t);
        const BinaryMask organ = refineWithAnatomy(crop.view(true), t);
        EXPECT_LT(iou(raw, tumour), 0.45) << t;
        EXPECT_GT(iou(derived, tumour), t < 0.25 ? 0.88 : 0.75) << t;
        EXPECT_EQ(derived, organ) << t;            // the derived region is the disc here
        EXPECT_FALSE(inside(raw, kidney)) << t;    // the map spills into the fat...
        EXPECT_TRUE(inside(derived, tumour)) << t; // ...the refinement keeps neither fat nor cortex
    }
}

TEST(ProposalRefinement, GrowAndWatershedRecoverTheTumourFromASeedBlobInsideIt)
{
    const KidneyCropLayout layout;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.addNoise(10, 7);
    // >= 0.8 within 5.3 px of the blob's centre (inside the tumour), <= 0.2 beyond 14.3 px (outside).
    crop.addBlob(layout.tumourRow + 1, layout.tumourCol - 1, 8);

    for (bool withOrgan : {false, true}) { // measured: grow 0.943, watershed 0.943 (either region)
        const BinaryMask grown = growFromSeeds(crop.view(withOrgan));
        const BinaryMask basin = watershedFromMarkers(crop.view(withOrgan));
        EXPECT_GT(iou(grown, tumour), 0.85);
        EXPECT_GT(iou(basin, tumour), 0.85);
    }
}

TEST(ProposalRefinement, GrowAndWatershedRecoverTheTumourFromTheSpillingBlob)
{
    // Seeds and foreground markers on the cortex or in the fat are refused (HU band, region), so
    // the part of the blob over the tumour seeds the whole tumour, at every level of the grid.
    BinaryMask kidney, tumour;
    const SyntheticCrop crop = offsetBlobCrop(kidney, tumour);
    // Measured at every level: grow 0.969, watershed 0.889 (the blob's tail <= 0.2 reaches the
    // tumour's far edge there: those pixels are background markers).
    for (double level : {0.5, 0.7, 0.8, 0.9}) {
        const double grown = iou(propose(ProposalKind::Grow, crop.view(), level), tumour);
        const double basin = iou(propose(ProposalKind::Watershed, crop.view(), level), tumour);
        EXPECT_GT(grown, 0.9) << level;
        EXPECT_GT(basin, 0.83) << level;
    }
}

TEST(ProposalRefinement, GrowingStopsAtTheOrgansEdge)
{
    // An exophytic tumour touching a muscle of the same HU outside the kidney (a psoas at 65 HU):
    // region growing passes into it, the organ label cuts it off.
    KidneyCropLayout layout;
    layout.tumourRow = 22;
    layout.tumourCol = 70;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    const BinaryMask muscle = crop.disc(8, 84, 14);
    BinaryMask outside = muscle;
    for (size_t i = 0; i < outside.size(); ++i)
        outside.pixels[i] = muscle.pixels[i] && !kidney.pixels[i];
    crop.paint(outside, 65);
    crop.addNoise(10, 5);
    crop.addBlob(layout.tumourRow + 1, layout.tumourCol - 1, 8);
    ASSERT_GT(overlap(muscle, tumour).intersection, 0); // they touch
    ASSERT_FALSE(
        inside(tumour, crop.disc(layout.kidneyRow, layout.kidneyCol, layout.kidneyRadius))); // exophytic

    const BinaryMask grown = growFromSeeds(crop.view(true));
    EXPECT_TRUE(inside(grown, kidney));
    EXPECT_GT(iou(grown, tumour), 0.85); // measured 0.956 (0.397 when the region does not cut)
}

// ---- Edge cases -------------------------------------------------------------------------------

TEST(ProposalEdgeCases, AnEmptyMapProposesNothing)
{
    BinaryMask kidney, tumour;
    const SyntheticCrop crop = kidneyWithTumour(KidneyCropLayout{}, &kidney, &tumour); // map all 0
    for (ProposalKind kind : allProposalKinds())
        for (bool withOrgan : {false, true}) {
            const BinaryMask proposal = propose(kind, crop.view(withOrgan), 0.5);
            EXPECT_EQ(proposal.rows, crop.rows);
            EXPECT_EQ(proposal.cols, crop.cols);
            EXPECT_TRUE(proposal.empty()) << toString(kind);
        }
}

TEST(ProposalEdgeCases, NoSeedNoMarkerGivesAnEmptyMask)
{
    const KidneyCropLayout layout;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.addBlob(layout.tumourRow, layout.tumourCol, 6);
    for (auto& v : crop.map)
        v *= 0.6f; // peak 0.6: below the seed level 0.8 and the foreground level 0.7
    EXPECT_TRUE(growFromSeeds(crop.view()).empty());
    EXPECT_TRUE(watershedFromMarkers(crop.view()).empty());
    // The same map lifted to peak 1 has seeds and markers: the two lines above can fail.
    for (auto& v : crop.map)
        v /= 0.6f;
    EXPECT_GT(iou(growFromSeeds(crop.view()), tumour), 0.9);
    EXPECT_GT(iou(watershedFromMarkers(crop.view()), tumour), 0.9);

    // Seeds only where the HU is no lesion's (the blob on the cortex): none survive.
    SyntheticCrop cortexBlob = kidneyWithTumour(layout);
    cortexBlob.addBlob(layout.kidneyRow + 15, layout.kidneyCol - 15, 4);
    EXPECT_TRUE(growFromSeeds(cortexBlob.view()).empty());
    EXPECT_TRUE(watershedFromMarkers(cortexBlob.view()).empty());
}

TEST(ProposalEdgeCases, TheOrganWhenGivenIsUsedInsteadOfTheDerivedRegion)
{
    // The organ label covers the kidney's left half only, the tumour (upper right) lies outside it:
    // with the organ nothing is proposed, with the derived region (nullptr organ, or the organ
    // declined) the tumour is.
    const KidneyCropLayout layout;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.addBlob(layout.tumourRow, layout.tumourCol, 8);
    std::fill(crop.organ.begin(), crop.organ.end(), 0);
    for (int r = 0; r < crop.rows; ++r)
        for (int c = 0; c < 40; ++c)
            crop.organ[static_cast<size_t>(r) * crop.cols + c] = kidney.at(r, c);

    // Each kind at a level that covers the tumour (the blob is >= 0.2 within 14 px, >= 0.8 within 5).
    const std::pair<ProposalKind, double> levels[] = {
        {ProposalKind::Anatomy, 0.2}, {ProposalKind::Grow, 0.8}, {ProposalKind::Watershed, 0.7}};
    ProposalOptions options;
    for (const auto& [kind, level] : levels) {
        EXPECT_TRUE(propose(kind, crop.view(true), level, options).empty()) << toString(kind);
        // measured: anatomy 0.987, grow 0.987, watershed 0.943
        EXPECT_GT(iou(propose(kind, crop.view(false), level, options), tumour), 0.9) << toString(kind);
    }
    options.anatomy.region.useOrganWhenGiven = false;
    options.grow.region.useOrganWhenGiven = false;
    options.watershed.region.useOrganWhenGiven = false;
    for (const auto& [kind, level] : levels)
        EXPECT_GT(iou(propose(kind, crop.view(true), level, options), tumour), 0.9) << toString(kind);

    RegionOptions region;
    EXPECT_EQ(searchRegion(crop.view(false), region), deriveKidneyRegion(crop.view()));
    const BinaryMask organ = searchRegion(crop.view(true), region);
    EXPECT_EQ(overlap(organ, kidney).intersection, organ.count());
    EXPECT_LT(organ.count(), kidney.count() / 2);
}

TEST(ProposalEdgeCases, AMapOfAllOnesStaysInsideTheOrgan)
{
    // A second lesion-like disc (60 HU) in the fat outside the kidney: the map covers it too.
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(KidneyCropLayout{}, &kidney, &tumour);
    const BinaryMask outsider = crop.disc(85, 10, 6);
    crop.paint(outsider, 60);
    std::fill(crop.map.begin(), crop.map.end(), 1.f);
    for (bool withOrgan : {true, false}) {
        for (ProposalKind kind : {ProposalKind::Anatomy, ProposalKind::Grow, ProposalKind::Watershed}) {
            const BinaryMask proposal = propose(kind, crop.view(withOrgan), 0.5);
            EXPECT_FALSE(proposal.empty()) << toString(kind);
            EXPECT_TRUE(inside(proposal, kidney)) << toString(kind) << " organ " << withOrgan;
        }
        // Anatomy and growing keep to the lesion's HU; the watershed, with no background marker
        // inside the organ, floods all of it.
        const double anatomy = iou(propose(ProposalKind::Anatomy, crop.view(withOrgan), 0.5), tumour);
        const double grown = iou(propose(ProposalKind::Grow, crop.view(withOrgan), 0.5), tumour);
        const double flooded = iou(propose(ProposalKind::Watershed, crop.view(withOrgan), 0.5), kidney);
        EXPECT_GT(anatomy, 0.95); // measured 0.987, grow 0.987, watershed against the kidney 1.000
        EXPECT_GT(grown, 0.95);
        EXPECT_GT(flooded, 0.95);
    }
    EXPECT_EQ(propose(ProposalKind::Raw, crop.view(true), 0.5).count(), crop.rows * crop.cols);
}

TEST(ProposalEdgeCases, NonSquareCropsKeepRowsAndColumnsApart)
{
    // 64 rows x 112 columns, the kidney a disc at the centre, the tumour below and left of its middle:
    // swapping ITK's x and y anywhere would miss it.
    KidneyCropLayout layout;
    layout.rows = 64;
    layout.cols = 112;
    layout.kidneyRow = 31.5;
    layout.kidneyCol = 55.5;
    layout.kidneyRadius = 28;
    layout.tumourRow = 44;
    layout.tumourCol = 42;
    layout.tumourRadius = 8;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.addNoise(10, 3);
    crop.addBlob(layout.tumourRow - 2, layout.tumourCol - 3, 8);

    const BinaryMask region = deriveKidneyRegion(crop.view());
    EXPECT_EQ(region.rows, 64);
    EXPECT_EQ(region.cols, 112);
    EXPECT_GT(iou(region, kidney), 0.9); // measured 1.000
    // measured: anatomy 0.975, grow 0.975, watershed 0.915
    for (ProposalKind kind : {ProposalKind::Anatomy, ProposalKind::Grow, ProposalKind::Watershed}) {
        const BinaryMask proposal = propose(kind, crop.view(), 0.3);
        EXPECT_EQ(proposal.rows, 64);
        EXPECT_EQ(proposal.cols, 112);
        EXPECT_GT(iou(proposal, tumour), 0.8) << toString(kind);
    }
}

TEST(ProposalEdgeCases, IslandsBelowTheMinimumAreaGoInMillimetresWhenTheSpacingIsKnown)
{
    // A 5 x 5 lesion (25 pixels) under the map: 25 mm^2 at 1 mm (kept), 6.25 mm^2 at 0.5 mm
    // (removed), and 25 pixels < 30 without a spacing (removed).
    SyntheticCrop crop(40, 40, 180);
    std::fill(crop.organ.begin(), crop.organ.end(), 1);
    for (int r = 18; r < 23; ++r)
        for (int c = 18; c < 23; ++c)
            crop.hu[static_cast<size_t>(r) * crop.cols + c] = 60;
    crop.addBlob(20, 20, 3);
    AnatomyOptions options;
    options.medianRadius = 0; // the lesion's corners would go to a median: keep exactly 25 pixels

    crop.pixelSpacingMm = 1.0;
    EXPECT_EQ(refineWithAnatomy(crop.view(true), 0.1, options).count(), 25);
    crop.pixelSpacingMm = 0.5;
    EXPECT_TRUE(refineWithAnatomy(crop.view(true), 0.1, options).empty());
    crop.pixelSpacingMm = 0;
    EXPECT_TRUE(refineWithAnatomy(crop.view(true), 0.1, options).empty());

    EXPECT_EQ(minimumIslandPixels(CleanupOptions{}, 0.78), 33); // ceil(20 / 0.6084)
    EXPECT_EQ(minimumIslandPixels(CleanupOptions{}, 0), 30);
}

TEST(ProposalEdgeCases, RawIsExactlyTheMapAboveTheLevel)
{
    SyntheticCrop crop(3, 4, 0);
    crop.map = {0.f, 0.25f, 0.5f, 0.75f, 1.f, 0.5f, 0.50001f, 0.49999f, 0.f, 0.f, 1.f, 0.5f};
    crop.hu.assign(12, 180);
    const BinaryMask raw = propose(ProposalKind::Raw, crop.view(true), 0.5);
    const std::vector<uint8_t> expected = {0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0};
    EXPECT_EQ(raw.pixels, expected);
    EXPECT_EQ(raw.rows, 3);
    EXPECT_EQ(raw.cols, 4);
}

TEST(ProposalEdgeCases, EmptyAndInvalidCrops)
{
    const CropView none{0, 0, nullptr, nullptr};
    for (ProposalKind kind : allProposalKinds()) {
        const BinaryMask proposal = propose(kind, none, 0.5);
        EXPECT_EQ(proposal.rows, 0);
        EXPECT_EQ(proposal.size(), 0u);
    }
    SyntheticCrop crop(8, 8, 0);
    CropView noHu = crop.view();
    noHu.hu = nullptr;
    CropView noMap = crop.view();
    noMap.map = nullptr;
    EXPECT_THROW(propose(ProposalKind::Raw, noHu, 0.5), std::invalid_argument);
    EXPECT_THROW(refineWithAnatomy(noMap, 0.5), std::invalid_argument);
    EXPECT_THROW(deriveKidneyRegion(CropView{-1, 4, crop.hu.data(), crop.map.data()}), std::invalid_argument);
    WatershedOptions unsmoothed;
    unsmoothed.smoothingSigma = 0;
    EXPECT_THROW(watershedFromMarkers(crop.view(), unsmoothed), std::invalid_argument);
    // A crop under 4 pixels on a side: the watershed has no edges to follow and keeps its markers.
    SyntheticCrop thin(3, 40, 60);
    std::fill(thin.organ.begin(), thin.organ.end(), 1);
    std::fill(thin.map.begin(), thin.map.begin() + 60, 1.f);
    EXPECT_EQ(watershedFromMarkers(thin.view(true)).count(), 60);
}

TEST(ProposalEdgeCases, ASingleSeedGrowsWithItsFirstStatistics)
{
    // One pixel at the map's peak in a 70 HU lesion: the lesion grows from its 3 x 3 statistics.
    const KidneyCropLayout layout;
    BinaryMask kidney, tumour;
    SyntheticCrop crop = kidneyWithTumour(layout, &kidney, &tumour);
    crop.map[static_cast<size_t>(layout.tumourRow) * crop.cols + static_cast<size_t>(layout.tumourCol)] = 1.f;
    EXPECT_GT(iou(growFromSeeds(crop.view(true)), tumour), 0.95);
    EXPECT_GT(iou(growFromSeeds(crop.view(false)), tumour), 0.95);
}

// ---- The name table ---------------------------------------------------------------------------

TEST(ProposalKinds, NamesRoundTripAndUnknownNamesAreRefused)
{
    const std::vector<std::string> names = {"raw", "anatomy", "grow", "watershed"};
    const std::vector<ProposalKind> kinds = allProposalKinds();
    ASSERT_EQ(kinds.size(), names.size());
    for (size_t i = 0; i < kinds.size(); ++i) {
        EXPECT_EQ(toString(kinds[i]), names[i]);
        EXPECT_EQ(proposalKindFromString(names[i]), kinds[i]);
    }
    EXPECT_THROW(proposalKindFromString("Raw"), std::invalid_argument);
    EXPECT_THROW(proposalKindFromString(""), std::invalid_argument);
    try {
        proposalKindFromString("snake");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("snake"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("raw, anatomy, grow, watershed"), std::string::npos);
    }
}

// ---- Slice context ----------------------------------------------------------------------------

namespace {

/// A 20 x 20 map: 0.9 on the given discs (centre row, centre col, radius), 0.1 elsewhere.
std::vector<float> discsMap(std::initializer_list<std::array<int, 3>> discs)
{
    std::vector<float> map(400, 0.1f);
    for (const auto& [row, col, radius] : discs)
        for (int r = 0; r < 20; ++r)
            for (int c = 0; c < 20; ++c)
                if ((r - row) * (r - row) + (c - col) * (c - col) <= radius * radius)
                    map[static_cast<size_t>(r) * 20 + c] = 0.9f;
    return map;
}

int count(const BinaryMask& mask)
{
    return static_cast<int>(std::count(mask.pixels.begin(), mask.pixels.end(), uint8_t{1}));
}

} // namespace

TEST(SliceLinking, KeepsWhatContinuesOntoANeighbourAndDropsASpeckOfOneSlice)
{
    // The lesion at (6, 6) continues below (shifted a pixel); a speck at (15, 15) is on this slice only.
    const auto own = discsMap({{6, 6, 3}, {15, 15, 1}});
    const auto below = discsMap({{7, 6, 3}});
    const SliceStack stack{20, 20, below.data(), own.data(), nullptr};
    const BinaryMask linked = linkedAcrossSlices(stack, 0.5);
    const BinaryMask lesionOnly =
        linkedAcrossSlices({20, 20, nullptr, discsMap({{6, 6, 3}}).data(), nullptr}, 0.5);
    EXPECT_EQ(linked.pixels, lesionOnly.pixels) << "the speck is gone, the lesion whole";
    EXPECT_EQ(count(linked), count(lesionOnly));
    EXPECT_EQ(linked.pixels[15 * 20 + 15], 0);
    EXPECT_EQ(linked.pixels[6 * 20 + 6], 1);
    // A lesion pixel touching the neighbour only through its component is kept (3D connectivity):
    // the top row of the disc at (6, 6) has no neighbour voxel directly below it in the shifted disc.
    EXPECT_EQ(linked.pixels[3 * 20 + 6], 1);
    EXPECT_LT(below[3 * 20 + 6], 0.5f);

    // Where the neighbour's box does not reach (NaN), it links nothing; a neighbour that reaches no
    // pixel at all is no neighbour.
    std::vector<float> partly(below);
    std::fill(partly.begin(), partly.begin() + 200, std::numeric_limits<float>::quiet_NaN()); // rows 0-9
    EXPECT_EQ(linkedAcrossSlices({20, 20, partly.data(), own.data(), nullptr}, 0.5).pixels[6 * 20 + 6], 0)
        << "the lesion's neighbour lies where the box does not reach";
    std::vector<float> unreachable(400, std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(linkedAcrossSlices({20, 20, unreachable.data(), own.data(), nullptr}, 0.5).pixels,
              linkedAcrossSlices({20, 20, nullptr, own.data(), nullptr}, 0.5).pixels);
    // No neighbour at all: nothing to judge by, {own > level} unchanged.
    const BinaryMask alone = linkedAcrossSlices({20, 20, nullptr, own.data(), nullptr}, 0.5);
    EXPECT_EQ(count(alone), count(lesionOnly) + 5);
    // Above links as below does, through a face: the speck's pixel (15, 16) above keeps it; the pixel
    // (16, 16) above touches the speck only diagonally and keeps nothing.
    const auto faceAbove = discsMap({{15, 16, 0}}), diagonalAbove = discsMap({{16, 16, 0}});
    EXPECT_EQ(linkedAcrossSlices({20, 20, nullptr, own.data(), faceAbove.data()}, 0.5).pixels[15 * 20 + 15],
              1);
    EXPECT_EQ(
        linkedAcrossSlices({20, 20, nullptr, own.data(), diagonalAbove.data()}, 0.5).pixels[15 * 20 + 15], 0);
    EXPECT_THROW(linkedAcrossSlices({0, 20, nullptr, own.data(), nullptr}, 0.5), std::invalid_argument);
}
