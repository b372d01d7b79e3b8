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

/// The 3D view and its switches (ground truth, curated masks), in the dock and in the linked
/// views' 2 x 2 layout. Surfaces cost a second or so: they are built only while the panel is
/// shown, once per case.
class SurfacePanel : public QWidget {
    Q_OBJECT
public:
    explicit SurfacePanel(QWidget* parent = nullptr);

    SurfaceView* view() const { return m_view; }
    /// The case on screen and its store: shown now when the panel is visible, else when it shows.
    void setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void showPendingCase();

    SurfaceView* m_view = nullptr;
    std::shared_ptr<const LoadedCase> m_case, m_shown;
    StoreOwner* m_store = nullptr;
};

/// The 3D view's dock (View > 3D view).
class SurfaceDock : public QDockWidget {
    Q_OBJECT
public:
    explicit SurfaceDock(QWidget* parent = nullptr);

    SurfaceView* view() const { return m_panel->view(); }
    SurfacePanel* panel() const { return m_panel; }
    void setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store)
    {
        m_panel->setCase(std::move(loaded), store);
    }

private:
    SurfacePanel* m_panel = nullptr;
};

} // namespace weaksight::ui
