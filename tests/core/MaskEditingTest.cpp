// Mask editing: brush and eraser strokes, the whole-mask operations against hand-made masks, and
// undo / redo through compact deltas.
#include "core/masks/MaskEditing.h"

#include <gtest/gtest.h>

#include <random>

using namespace weaksight;

namespace {

BinaryMask fromRows(const std::vector<std::string>& rows)
{
    BinaryMask m(static_cast<int>(rows.size()), static_cast<int>(rows.front().size()));
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c)
            m.at(r, c) = rows[static_cast<size_t>(r)][static_cast<size_t>(c)] == '#';
    return m;
}

} // namespace

TEST(MaskEditing, DeltasAreRunsOfFlippedPixelsAndTheirOwnInverse)
{
    std::mt19937 rng(3);
    BinaryMask a(40, 50), b(40, 50);
    for (size_t i = 0; i < a.size(); ++i) {
        a.pixels[i] = rng() % 2;
        b.pixels[i] = rng() % 5 == 0 ? !a.pixels[i] : a.pixels[i];
    }
    const MaskDelta delta = maskDelta(a, b);
    long long flipped = 0;
    for (size_t i = 0; i < a.size(); ++i)
        flipped += a.pixels[i] != b.pixels[i];
    EXPECT_EQ(delta.pixels(), flipped);
    BinaryMask c = a;
    applyDelta(c, delta);
    EXPECT_EQ(c, b);
    applyDelta(c, delta);
    EXPECT_EQ(c, a);
    EXPECT_TRUE(maskDelta(a, a).empty());
    EXPECT_THROW(maskDelta(a, BinaryMask(4, 4)), std::invalid_argument);
}

TEST(MaskEditing, BrushAndEraserPaintDiscsAndStrokesLeaveNoGaps)
{
    MaskEditor editor(BinaryMask(60, 60));
    editor.beginStroke(true);
    editor.dab(30, 30, 3.0);
    editor.endStroke();
    // A disc of radius 3 about a pixel centre: 29 pixels (|d|^2 <= 9).
    EXPECT_EQ(editor.mask().count(), 29);
    EXPECT_EQ(editor.mask().at(30, 33), 1);
    EXPECT_EQ(editor.mask().at(32, 33), 0);
    // A fast move: dabTo fills the segment between two far points.
    editor.beginStroke(true);
    editor.dab(10, 5, 2.0);
    editor.dabTo(10, 50, 2.0);
    editor.endStroke();
    for (int c = 5; c <= 50; ++c)
        EXPECT_EQ(editor.mask().at(10, c), 1) << c;
    // The eraser clears.
    editor.beginStroke(false);
    editor.dab(30, 30, 1.5);
    editor.endStroke();
    EXPECT_EQ(editor.mask().at(30, 30), 0);
    EXPECT_EQ(editor.mask().at(30, 33), 1);
    EXPECT_EQ(editor.undoSteps(), 3u);
}

TEST(MaskEditing, WholeMaskOperationsMatchHandMadeResults)
{
    const BinaryMask ring = fromRows({
        "........",
        ".#####..",
        ".#...#..",
        ".#.#.#..",
        ".#####.#",
        "........",
    });
    EXPECT_EQ(fillHoles(ring), fromRows({
                                   "........",
                                   ".#####..",
                                   ".#####..",
                                   ".#####..",
                                   ".#####.#",
                                   "........",
                               }));
    // The lone pixel at the right edge is an island of 1; the centre pixel touches the ring
    // diagonally (8-connected) and stays.
    EXPECT_EQ(removeSmallIslands(ring, 2), fromRows({
                                              "........",
                                              ".#####..",
                                              ".#...#..",
                                              ".#.#.#..",
                                              ".#####..",
                                              "........",
                                          }));
    EXPECT_EQ(keepLargestComponent(ring), removeSmallIslands(ring, 2));
    // A triangle of pixel centres (even-odd rule), added and subtracted.
    const BinaryMask empty(6, 8);
    const BinaryMask triangle = fillPolygon(empty, {{{0.5, 0.5}, {6.5, 0.5}, {0.5, 4.5}}}, true);
    EXPECT_EQ(triangle, fromRows({
                            "........",
                            ".#####..",
                            ".####...",
                            ".##.....",
                            ".#......",
                            "........",
                        }));
    EXPECT_TRUE(fillPolygon(triangle, {{{0, 0}, {7.9, 0}, {7.9, 5.9}, {0, 5.9}}}, false).empty());
    // Threshold within: keep the mask's pixels in the HU range.
    std::vector<int16_t> hu(ring.size(), 40);
    hu[1 * 8 + 1] = 300;
    const BinaryMask kept = thresholdWithin(ring, hu, 0, 100);
    EXPECT_EQ(kept.at(1, 1), 0);
    EXPECT_EQ(kept.count(), ring.count() - 1);
}

TEST(MaskEditing, UndoAndRedoEveryStepWithCompactHistory)
{
    const int size = 512;
    BinaryMask proposal(size, size);
    for (int r = 200; r < 260; ++r)
        for (int c = 220; c < 300; ++c)
            proposal.at(r, c) = 1;
    MaskEditor editor(BinaryMask(size, size));
    std::vector<BinaryMask> states{editor.mask()};
    EXPECT_TRUE(editor.apply(proposal)); // "apply proposal" is one step
    states.push_back(editor.mask());
    std::mt19937 rng(5);
    for (int s = 0; s < 120; ++s) {
        editor.beginStroke(s % 3 != 0);
        double row = 150 + rng() % 200, col = 150 + rng() % 200;
        editor.dab(row, col, 6);
        for (int m = 0; m < 10; ++m) {
            row += static_cast<int>(rng() % 9) - 4;
            col += static_cast<int>(rng() % 9) - 4;
            editor.dabTo(row, col, 6);
        }
        editor.endStroke();
        states.push_back(editor.mask());
    }
    EXPECT_EQ(editor.apply(fillHoles(editor.mask())), fillHoles(states.back()) != states.back());
    states.push_back(editor.mask());
    // Deltas, not copies: the whole history is far smaller than one 512 x 512 mask per step.
    EXPECT_LT(editor.historyBytes(), states.size() * proposal.size() / 20);
    // Undo walks back through every state, redo forward again.
    for (size_t i = states.size() - 1; i > 0; --i) {
        if (states[i] == states[i - 1])
            continue; // a step that changed nothing was not recorded
        ASSERT_TRUE(editor.undo());
        ASSERT_EQ(editor.mask(), states[i - 1]) << i;
    }
    EXPECT_FALSE(editor.undo());
    EXPECT_FALSE(editor.modified());
    while (editor.redo()) {
    }
    EXPECT_EQ(editor.mask(), states.back());
    EXPECT_TRUE(editor.modified());
    // A new edit after an undo drops the redo branch.
    editor.undo();
    editor.beginStroke(true);
    editor.dab(5, 5, 2);
    editor.endStroke();
    EXPECT_FALSE(editor.canRedo());
}
