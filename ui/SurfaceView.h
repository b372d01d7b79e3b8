#pragma once

#include "render/SurfaceScene.h"
#include "ui/VtkViewport.h"

#include <QDockWidget>
#include <QFutureWatcher>
#include <QPointF>
#include <array>
#include <memory>

namespace weaksight {
struct LoadedCase;
}

namespace weaksight::ui {

class StoreOwner;

/// The 3D view: ground-truth label surfaces and the store's curated lesion masks of the case,
/// built on a worker thread. Left-drag rotates, the wheel zooms, resetView() returns to the front.
class SurfaceView : public VtkViewport {
    Q_OBJECT
public:
    explicit SurfaceView(QWidget* parent = nullptr);
    ~SurfaceView() override;

    render::SurfaceScene& scene() { return m_scene; }
    /// Builds the surfaces of `loaded` (ground truth) and of its curated masks in `store` (when
    /// there is one) in the background; surfacesReady follows.
    void showCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store);
    void resetView();
    bool busy() const { return m_watcher.isRunning(); }
    /// The slice view's axial slice, drawn as a plane through the scan.
    void setSlice(int slice);

Q_SIGNALS:
    void surfacesReady(int truthSurfaces, int curatedSurfaces);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    struct Built {
        std::vector<render::LabelSurface> truth, curated;
        int generation = 0;
    };
    render::SurfaceScene m_scene;
    QFutureWatcher<Built> m_watcher;
    int m_generation = 0;
    QPointF m_last;
    int m_slice = 0;
    std::array<int, 3> m_shape{0, 0, 0};
    std::array<double, 3> m_spacing{1, 1, 1};
};

/// The 3D view's dock: the view and its switches (ground truth, curated masks). Surfaces cost a
/// second or so: they are built only while the dock is shown, once per case.
class SurfaceDock : public QDockWidget {
    Q_OBJECT
public:
    explicit SurfaceDock(QWidget* parent = nullptr);

    SurfaceView* view() const { return m_view; }
    /// The case on screen and its store: shown now when the dock is visible, else when it opens.
    void setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store);

private:
    void showPendingCase();

    SurfaceView* m_view = nullptr;
    std::shared_ptr<const LoadedCase> m_case, m_shown;
    StoreOwner* m_store = nullptr;
};

} // namespace weaksight::ui
