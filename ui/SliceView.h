#pragma once

#include "render/HeatmapLayer.h"
#include "render/SliceScene.h"
#include "ui/VtkViewport.h"

#include <QPoint>

namespace weaksight::ui {

/// The 2D axial viewer: a VtkViewport showing a render::SliceScene.
/// Mouse wheel or Up/Down arrows browse slices (Page Up/Down: 10, Home/End: first/last),
/// left-drag adjusts window (horizontal) and level (vertical), right-drag or Ctrl+wheel zooms,
/// middle-drag pans (Navigate > Reset view, R, fits the slice again); moving the mouse reports the voxel and HU under the cursor.
class SliceView : public VtkViewport {
    Q_OBJECT
public:
    explicit SliceView(QWidget* parent = nullptr);
    ~SliceView() override;

    render::SliceScene& scene() { return m_scene; }
    const render::SliceScene& scene() const { return m_scene; }
    /// The CAM overlay drawn over the slice (patches placed by the caller for the slice shown).
    render::HeatmapLayer& heatmapLayer() { return m_heatmaps; }

    /// Shows new volumes (owned by the caller) and fits them into the view.
    void setVolumes(const CtVolume* imaging, const LabelVolume* labels);
    void setSlice(int slice);
    int slice() const { return m_scene.slice(); }
    void setWindowLevel(render::WindowLevel wl);
    void setLabelContoursVisible(bool visible);
    void resetView();
    /// Shows the same part of the slice as another view (linked panes).
    void copyCameraFrom(const SliceView& other);

Q_SIGNALS:
    void sliceChanged(int slice);
    void windowLevelChanged(double window, double level);
    /// Voxel under the cursor; hu is meaningful only when hasImaging.
    void cursorVoxel(int slice, int row, int col, int hu, int label, bool hasImaging);
    void cursorLeftSlice();
    /// Zoom or pan changed (by the user or resetView()).
    void cameraChanged();

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
    enum class Drag { None, WindowLevel, Zoom, Pan };
    Drag m_drag = Drag::None;
    QPointF m_dragStart;
    render::WindowLevel m_dragStartWindowLevel;
    int m_wheelRemainder = 0;
};

} // namespace weaksight::ui
