#pragma once

// Editing a lesion mask: brush and eraser strokes, fill holes, remove small islands, keep the
// largest component, polygon add / subtract, threshold within the mask (an HU range), and applying
// a proposal. Every stroke and action is one undoable step stored as a compact delta (runs of
// flipped pixels), never as a copy of the mask. Pure functions and one class; no I/O, no Qt.

#include "core/masks/BinaryMask.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace weaksight {

/// Pixels that flipped between two masks, as runs [start, start + length) of row-major indices:
/// applying it twice is the identity, so one delta serves undo and redo.
struct MaskDelta {
    std::vector<std::pair<uint32_t, uint32_t>> runs; ///< (start, length), ascending
    bool empty() const { return runs.empty(); }
    long long pixels() const;
    size_t bytes() const { return runs.size() * sizeof(runs.front()); }
};

MaskDelta maskDelta(const BinaryMask& before, const BinaryMask& after);
void applyDelta(BinaryMask& mask, const MaskDelta& delta);

// ---- Whole-mask operations (each returns the new mask) ----------------------------------
/// Sets every background region that does not touch the border (4-connected).
BinaryMask fillHoles(const BinaryMask& mask);
/// Removes 8-connected components smaller than `minPixels`.
BinaryMask removeSmallIslands(const BinaryMask& mask, long long minPixels);
/// Keeps only the largest 8-connected component (the first in row-major order on a tie).
BinaryMask keepLargestComponent(const BinaryMask& mask);
/// Fills the polygon (vertices in pixel coordinates: x = column, y = row; a pixel is inside when
/// its centre is, even-odd rule) with 1 (add) or 0 (subtract).
BinaryMask fillPolygon(const BinaryMask& mask, const std::vector<std::array<double, 2>>& vertices, bool add);
/// Keeps the mask's pixels whose HU lies in [low, high] (`hu` on the mask's grid, row-major).
BinaryMask thresholdWithin(const BinaryMask& mask, const std::vector<int16_t>& hu, int low, int high);

/// A mask being edited, with undo and redo.
class MaskEditor {
public:
    explicit MaskEditor(BinaryMask start = {}, size_t maxSteps = 1000);

    const BinaryMask& mask() const { return m_mask; }
    /// Brush (value 1) or eraser (value 0): a disc of `radius` pixels (may be fractional) at
    /// (row, col). Dabs between beginStroke() and endStroke() form one undo step; the mask is
    /// updated at once. Returns the pixels this dab changed.
    void beginStroke(bool paint);
    long long dab(double row, double col, double radius);
    /// A line of dabs from the previous dab (so fast mouse moves leave no gaps).
    long long dabTo(double row, double col, double radius);
    void endStroke();
    bool inStroke() const { return m_inStroke; }

    /// Replaces the mask as one undo step (fill holes, islands, polygon, proposal, ...). Returns
    /// whether anything changed.
    bool apply(const BinaryMask& next);

    bool canUndo() const { return !m_undo.empty(); }
    bool canRedo() const { return !m_redo.empty(); }
    bool undo();
    bool redo();
    size_t undoSteps() const { return m_undo.size(); }
    /// Memory the history takes (deltas only).
    size_t historyBytes() const;
    /// Pixels changed since the start (for "unsaved edits").
    bool modified() const { return m_mask != m_start; }
    const BinaryMask& start() const { return m_start; }

private:
    void push(MaskDelta delta);

    BinaryMask m_mask, m_start, m_strokeBefore;
    std::vector<MaskDelta> m_undo, m_redo;
    size_t m_maxSteps;
    bool m_inStroke = false;
    bool m_paint = true;
    bool m_hasLast = false;
    double m_lastRow = 0, m_lastCol = 0;
};

} // namespace weaksight
