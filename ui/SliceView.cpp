#include "ui/SliceView.h"

#include <algorithm>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <cmath>

namespace weaksight::ui {

SliceView::SliceView(QWidget* parent, review::ViewPlane plane)
    : VtkViewport(parent)
    , m_scene(plane)
{
    renderWindow()->AddRenderer(m_scene.renderer());
    m_heatmaps.addTo(m_scene.renderer());
    m_mask.addTo(m_scene.renderer());
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    // A resize (a toolbar appearing, the window growing) keeps the user's zoom and pan.
    connect(this, &VtkViewport::viewportResized, this, [this](int w, int h) {
        m_scene.setViewportAspect(h > 0 ? double(w) / h : 1.0);
    });
}

SliceView::~SliceView() = default;

void SliceView::setVolumes(const CtVolume* imaging, const LabelVolume* labels)
{
    m_scene.setVolumes(imaging, labels);
    const auto* grid = imaging ? static_cast<const StorageGeometry*>(&imaging->geometry)
                               : (labels ? &labels->geometry : nullptr);
    if (grid) {
        const review::PlaneGrid plane = m_scene.grid();
        m_heatmaps.setSliceGeometry(plane.rows, plane.cols, plane.rowSpacing, plane.colSpacing);
        m_mask.setSliceSpacing(plane.rowSpacing, plane.colSpacing);
    } else {
        m_heatmaps.clear();
    }
    m_mask.clear();
    resetView();
    Q_EMIT sliceChanged(m_scene.slice());
}

void SliceView::setSlice(int slice)
{
    const int before = m_scene.slice();
    if (m_scene.setSlice(slice) != before) {
        requestRender();
        Q_EMIT sliceChanged(m_scene.slice());
    }
}

void SliceView::setWindowLevel(render::WindowLevel wl)
{
    m_scene.setWindowLevel(wl);
    requestRender();
    Q_EMIT windowLevelChanged(m_scene.windowLevel().window, m_scene.windowLevel().level);
}

void SliceView::setLabelContoursVisible(bool visible)
{
    m_scene.setLabelContoursVisible(visible);
    requestRender();
}

void SliceView::resetView()
{
    const double dpr = devicePixelRatioF();
    const double w = width() * dpr, h = height() * dpr;
    m_scene.resetCamera(h > 0 ? w / h : 1.0);
    requestRender();
    Q_EMIT cameraChanged();
}

void SliceView::fitBox(const CropBox& box)
{
    const double dpr = devicePixelRatioF();
    const double w = width() * dpr, h = height() * dpr;
    m_scene.fitBox(box, h > 0 ? w / h : 1.0);
    requestRender();
    Q_EMIT cameraChanged();
}

void SliceView::centreOn(const CropBox& box)
{
    m_scene.centreOn(box);
    requestRender();
    Q_EMIT cameraChanged();
}

void SliceView::copyCameraFrom(const SliceView& other)
{
    auto* from = other.m_scene.renderer()->GetActiveCamera();
    auto* to = m_scene.renderer()->GetActiveCamera();
    to->SetFocalPoint(from->GetFocalPoint());
    to->SetPosition(from->GetPosition());
    to->SetViewUp(from->GetViewUp());
    to->SetParallelScale(from->GetParallelScale());
    to->SetClippingRange(from->GetClippingRange());
    requestRender();
}

void SliceView::setBrushMode(bool on)
{
    m_brushMode = on;
    m_brushing = false;
    if (!on)
        m_mask.setCursor(0, 0, 0, false);
    requestRender();
}

void SliceView::setBrushRadiusMm(double radius)
{
    m_brushRadiusMm = std::clamp(radius, 0.5, 50.0);
    Q_EMIT brushRadiusChanged(m_brushRadiusMm);
}

double SliceView::brushRadiusPixels() const
{
    return m_scene.sliceCount() > 0 ? m_brushRadiusMm / m_scene.grid().colSpacing : m_brushRadiusMm;
}

std::optional<std::array<double, 2>> SliceView::pixelAt(const QPointF& position) const
{
    if (m_scene.sliceCount() == 0)
        return std::nullopt;
    const review::PlaneGrid grid = m_scene.grid();
    const auto world = widgetToWorld(position, m_scene.renderer());
    return std::array<double, 2>{world[1] / grid.rowSpacing, world[0] / grid.colSpacing};
}

void SliceView::updateBrushCursor(const QPointF& position)
{
    if (const auto p = pixelAt(position)) {
        m_mask.setCursor((*p)[0], (*p)[1], brushRadiusPixels(), true);
        requestRender();
    }
}

void SliceView::wheelEvent(QWheelEvent* event)
{
    if (m_brushMode && (event->modifiers() & Qt::ShiftModifier)) {
        // Shift+wheel: brush size (Qt may report a horizontal delta with Shift).
        const int delta = event->angleDelta().y() != 0 ? event->angleDelta().y() : event->angleDelta().x();
        setBrushRadiusMm(m_brushRadiusMm * std::pow(1.15, delta / 120.0));
        updateBrushCursor(event->position());
        event->accept();
        return;
    }
    if (event->modifiers() & Qt::ControlModifier) {
        const auto world = widgetToWorld(event->position(), m_scene.renderer());
        m_scene.zoomAbout(std::pow(1.2, event->angleDelta().y() / 120.0), world[0], world[1]);
        requestRender();
        Q_EMIT cameraChanged();
        event->accept();
        return;
    }
    // One notch (120 units) = one slice; touchpads send smaller steps that add up.
    m_wheelRemainder += event->angleDelta().y();
    const int steps = m_wheelRemainder / 120;
    m_wheelRemainder -= steps * 120;
    if (steps != 0)
        setSlice(m_scene.slice() + steps);
    reportCursor(event->position());
    event->accept();
}

void SliceView::mousePressEvent(QMouseEvent* event)
{
    if (m_brushMode && m_polygonMode && event->button() == Qt::LeftButton) {
        if (const auto p = pixelAt(event->position()))
            Q_EMIT polygonPoint((*p)[0], (*p)[1]);
        event->accept();
        return;
    }
    if (m_brushMode && event->button() == Qt::LeftButton) {
        if (const auto p = pixelAt(event->position())) {
            m_brushing = true;
            Q_EMIT brushPressed((*p)[0], (*p)[1], !(event->modifiers() & Qt::ShiftModifier));
        }
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ControlModifier) &&
        (event->modifiers() & Qt::ShiftModifier) && plane() == review::ViewPlane::Axial) {
        m_drag = Drag::CropResize;
        if (const auto p = pixelAt(event->position()))
            Q_EMIT cropResizing((*p)[0], (*p)[1]);
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ControlModifier) &&
        plane() == review::ViewPlane::Axial) {
        if (const auto p = pixelAt(event->position()))
            Q_EMIT cropPlacementClicked((*p)[0], (*p)[1]);
        event->accept();
        return;
    }
    const Drag drag = event->button() == Qt::LeftButton    ? Drag::WindowLevel
                      : event->button() == Qt::RightButton ? Drag::Zoom
                      : event->button() == Qt::MiddleButton ? Drag::Pan
                                                            : Drag::None;
    if (drag != Drag::None) {
        m_drag = drag;
        m_dragStart = event->position();
        m_zoomAnchor = widgetToWorld(event->position(), m_scene.renderer());
        m_clickCandidate = drag == Drag::WindowLevel;
        m_dragStartWindowLevel = m_scene.windowLevel();
        event->accept();
        return;
    }
    VtkViewport::mousePressEvent(event);
}

void SliceView::keyPressEvent(QKeyEvent* event)
{
    const int slices = m_scene.sliceCount();
    switch (event->key()) {
    case Qt::Key_Up:
        setSlice(slice() + 1);
        break;
    case Qt::Key_Down:
        setSlice(slice() - 1);
        break;
    case Qt::Key_PageUp:
        setSlice(slice() + 10);
        break;
    case Qt::Key_PageDown:
        setSlice(slice() - 10);
        break;
    case Qt::Key_Home:
        setSlice(0);
        break;
    case Qt::Key_End:
        setSlice(slices - 1);
        break;
    default:
        VtkViewport::keyPressEvent(event);
        return;
    }
    event->accept();
}

void SliceView::mouseMoveEvent(QMouseEvent* event)
{
    if (m_brushMode) {
        updateBrushCursor(event->position());
        if (m_brushing)
            if (const auto p = pixelAt(event->position()))
                Q_EMIT brushMoved((*p)[0], (*p)[1]);
        if (m_brushing || m_drag == Drag::WindowLevel) {
            reportCursor(event->position());
            return;
        }
    }
    if (m_drag == Drag::CropResize) {
        if (const auto p = pixelAt(event->position()))
            Q_EMIT cropResizing((*p)[0], (*p)[1]);
    } else if (m_drag == Drag::Zoom || m_drag == Drag::Pan) {
        const auto before = widgetToWorld(m_dragStart, m_scene.renderer());
        const auto now = widgetToWorld(event->position(), m_scene.renderer());
        if (m_drag == Drag::Zoom) // drag up: magnify, about the point where the drag began
            m_scene.zoomAbout(std::pow(1.01, m_dragStart.y() - event->position().y()), m_zoomAnchor[0],
                              m_zoomAnchor[1]);
        else
            m_scene.pan(before[0] - now[0], before[1] - now[1]); // the point under the cursor follows it
        m_dragStart = event->position();
        requestRender();
        Q_EMIT cameraChanged();
    } else if (m_drag == Drag::WindowLevel) {
        // Scale so a drag across the view spans about 1000 HU of window.
        const QPointF delta = event->position() - m_dragStart;
        if (m_clickCandidate && delta.manhattanLength() < 4) // a click's jitter changes nothing
            return;
        m_clickCandidate = false;
        const double perPixel = 1000.0 / std::max(1, width());
        render::WindowLevel wl = m_dragStartWindowLevel;
        wl.window = std::max(1.0, wl.window + delta.x() * perPixel * 2);
        wl.level = wl.level - delta.y() * perPixel;
        setWindowLevel(wl);
    }
    reportCursor(event->position());
}

void SliceView::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_brushing && event->button() == Qt::LeftButton) {
        m_brushing = false;
        Q_EMIT brushReleased();
    }
    if (m_drag == Drag::CropResize && event->button() == Qt::LeftButton)
        if (const auto p = pixelAt(event->position()))
            Q_EMIT cropResized((*p)[0], (*p)[1]);
    if (m_clickCandidate && event->button() == Qt::LeftButton) {
        m_clickCandidate = false;
        if (const auto p = pixelAt(event->position())) {
            const int row = static_cast<int>(std::lround((*p)[0])),
                      col = static_cast<int>(std::lround((*p)[1]));
            const review::PlaneGrid grid = m_scene.grid();
            if (row >= 0 && col >= 0 && row < grid.rows && col < grid.cols) {
                const auto voxel = m_scene.voxelAt(row, col);
                Q_EMIT pointClicked(voxel[0], voxel[1], voxel[2]);
            }
        }
    }
    m_drag = Drag::None;
    VtkViewport::mouseReleaseEvent(event);
}

void SliceView::reportCursor(const QPointF& position)
{
    const auto world = widgetToWorld(position, m_scene.renderer());
    const auto voxel = m_scene.voxelAtWorld(world[0], world[1]);
    if (!voxel || m_scene.sliceCount() == 0) {
        Q_EMIT cursorLeftSlice();
        return;
    }
    const auto [k, r, c] = m_scene.voxelAt((*voxel)[0], (*voxel)[1]);
    const auto* ct = m_scene.imaging();
    const auto* labels = m_scene.labels();
    Q_EMIT cursorVoxel(k, r, c, ct ? ct->at(k, r, c) : 0, labels ? labels->at(k, r, c) : 0, ct != nullptr);
}

} // namespace weaksight::ui
