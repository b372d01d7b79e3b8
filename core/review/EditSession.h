#pragma once

// A correction in progress: the mask being edited on its canvas (the whole slice in the
// workstation, holding the proposal's crop box), with the brush, eraser, polygon and whole-mask
// operations. Every input is in slice pixel coordinates (fractional, as the view reports the
// cursor); this class maps them onto the canvas, so the editing logic is tested without a window
// (ITK-SNAP's PaintbrushModel / PolygonDrawingModel split).

#include "core/io/Volume.h"
#include "core/masks/CropBox.h"
#include "core/masks/MaskEditing.h"

#include <array>
#include <functional>
#include <vector>

namespace weaksight::review {

/// A mask and the box of the slice it lies on.
struct PlacedMask {
    CropBox box;
    BinaryMask mask;
};

class EditSession {
public:
    /// Starts from `start` (the proposal, or a journalled mask) on `box`: the crop and the canvas.
    EditSession(const CropBox& box, BinaryMask start);
    /// Edits on `canvas` (which must hold `crop`, the proposal's box), starting from `start` (the
    /// proposal on the crop, or a mask on any box: its part on the canvas).
    EditSession(const CropBox& crop, const PlacedMask& start, const CropBox& canvas);

    /// The canvas: where the mask lies and strokes land.
    const CropBox& box() const { return m_box; }
    /// The proposal's crop box, which the decision is about.
    const CropBox& crop() const { return m_crop; }
    /// The mask as a decision keeps it: on the crop when nothing lies outside it, else on the
    /// smallest box holding the crop and every pixel painted outside it.
    PlacedMask finalMask() const;
    const BinaryMask& mask() const { return m_editor.mask(); }
    MaskEditor& editor() { return m_editor; }
    const MaskEditor& editor() const { return m_editor; }

    /// Brush (paint) or eraser: a disc of `radius` crop pixels at a slice position; moves draw
    /// gap-free lines; one stroke is one undo step.
    void beginStroke(double sliceRow, double sliceCol, double radius, bool paint);
    void strokeTo(double sliceRow, double sliceCol, double radius);
    void endStroke();

    /// Polygon drawing: corners in slice pixels, then applied as one step (add or subtract).
    void startPolygon(bool subtract);
    bool drawingPolygon() const { return m_drawingPolygon; }
    bool polygonSubtracts() const { return m_polygonSubtract; }
    void addPolygonCorner(double sliceRow, double sliceCol);
    /// The corners so far, closed (first corner repeated), in slice pixels (row, col); for drawing.
    std::vector<std::array<double, 2>> closedPolygon() const;
    /// Fills (or clears) the polygon on the mask and ends drawing; false with fewer than 3 corners.
    bool applyPolygon();
    void cancelPolygon();

    /// Keeps the mask's pixels whose HU on `slice` lies in [low, high] (either order).
    bool keepHuRange(const CtVolume& ct, int slice, int low, int high);
    /// A whole-mask operation (fill holes, keep the largest component, …) as one undo step.
    bool apply(const std::function<BinaryMask(const BinaryMask&)>& operation);

private:
    CropBox m_crop;
    CropBox m_box;
    MaskEditor m_editor;
    std::vector<std::array<double, 2>> m_polygon; ///< slice pixels (row, col)
    bool m_drawingPolygon = false;
    bool m_polygonSubtract = false;
};

} // namespace weaksight::review
