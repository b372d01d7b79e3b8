#pragma once

#include "render/HeatmapLayer.h"
#include "render/MaskLayer.h"
#include "render/SliceScene.h"
#include "ui/VtkViewport.h"

#include <QPoint>

#include <array>
#include <optional>

namespace weaksight::ui {

/// A 2D viewer of one plane (axial by default; coronal and sagittal in the linked layout): a
/// VtkViewport showing a render::SliceScene.
/// Mouse wheel or Up/Down arrows browse slices (Page Up/Down: 10, Home/End: first/last),
/// left-drag adjusts window (horizontal) and level (vertical), a left click without dragging moves
/// the linked views' crosshair (pointClicked), right-drag or Ctrl+wheel zooms about the point under
/// the cursor, middle-drag pans (Navigate > Reset view, R, fits the slice again); moving the mouse
/// reports the voxel and HU under the cursor.
class SliceView : public VtkViewport {
    Q_OBJECT
public:
    explicit SliceView(QWidget* parent = nullptr, review::ViewPlane plane = review::ViewPlane::Axial);
    review::ViewPlane plane() const { return m_scene.plane(); }
    ~SliceView() override;

    render::SliceScene& scene() { return m_scene; }
    const render::SliceScene& scene() const { return m_scene; }
    /// The CAM overlay drawn over the slice (patches placed by the caller for the slice shown).
    render::HeatmapLayer& heatmapLayer() { return m_heatmaps; }
    /// The mask under review or being edited.
    render::MaskLayer& maskLayer() { return m_mask; }
    /// Brush mode (editing a mask): left-drag paints, Shift+left-drag erases, Shift+wheel changes
    /// the brush size; a ring shows the brush under the cursor. Window/level dragging is off then.
    void setBrushMode(bool on);
    /// Polygon mode (within brush mode): left clicks add vertices (polygonPoint) instead of painting.
    void setPolygonMode(bool on) { m_polygonMode = on; }
    bool polygonMode() const { return m_polygonMode; }
    bool brushMode() const { return m_brushMode; }
    void setBrushRadiusMm(double radius);
    double brushRadiusMm() const { return m_brushRadiusMm; }
    /// The brush radius in pixels of the slice (columns).
    double brushRadiusPixels() const;

    /// Shows new volumes (owned by the caller) and fits them into the view.
    void setVolumes(const CtVolume* imaging, const LabelVolume* labels);
    void setSlice(int slice);
    int slice() const { return m_scene.slice(); }
    void setWindowLevel(render::WindowLevel wl);
    void setLabelContoursVisible(bool visible);
    void resetView();
    /// Shows the same part of the slice as another view (linked panes).
    void copyCameraFrom(const SliceView& other);
    /// Zooms onto a box of slice pixels (a crop with some room around it); reports cameraChanged.
    void fitBox(const CropBox& box);
    /// Pans `box` into the middle of the view, keeping the zoom; reports cameraChanged.
    void centreOn(const CropBox& box);

Q_SIGNALS:
    void sliceChanged(int slice);
    void windowLevelChanged(double window, double level);
    /// Voxel under the cursor; hu is meaningful only when hasImaging.
    void cursorVoxel(int slice, int row, int col, int hu, int label, bool hasImaging);
    void cursorLeftSlice();
    /// Zoom or pan changed (by the user or resetView()).
    void cameraChanged();
    /// Brush mode: a stroke at fractional slice pixel (row, col); paint = false erases.
    void brushPressed(double row, double col, bool paint);
    void brushMoved(double row, double col);
    void brushReleased();
    void brushRadiusChanged(double radiusMm);
    void polygonPoint(double row, double col);
    /// Ctrl+left-click (outside brush mode, axial views): the labeller places a crop centred there.
    void cropPlacementClicked(double row, double col);
    /// Ctrl+Shift+left-drag (outside brush mode, axial views): the labeller resizes the crop under
    /// review; the cursor at fractional slice pixel (row, col), while dragging and at the release.
    void cropResizing(double row, double col);
    void cropResized(double row, double col);
    /// A left click without a drag (outside brush mode) on the canonical voxel {slice, row, col}.
    void pointClicked(int slice, int row, int col);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void reportCursor(const QPointF& position);

    render::SliceScene m_scene;
    render::HeatmapLayer m_heatmaps;
    render::MaskLayer m_mask;
    bool m_brushMode = false;
    bool m_polygonMode = false;
    bool m_brushing = false;
    double m_brushRadiusMm = 3.0;
    std::optional<std::array<double, 2>> pixelAt(const QPointF& position) const;
    void updateBrushCursor(const QPointF& position);
    enum class Drag { None, WindowLevel, Zoom, Pan, CropResize };
    Drag m_drag = Drag::None;
    QPointF m_dragStart;
    std::array<double, 3> m_zoomAnchor{0, 0, 0}; ///< world point where a zoom drag began
    bool m_clickCandidate = false;               ///< a left press that has not moved (yet): a click
    render::WindowLevel m_dragStartWindowLevel;
    int m_wheelRemainder = 0;
};

} // namespace weaksight::ui
