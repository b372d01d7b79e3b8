#pragma once

#include <QOpenGLWidget>
#include <vtkSmartPointer.h>

#include <array>
#include <vector>

class vtkGenericOpenGLRenderWindow;
class vtkObject;
class vtkRenderer;

namespace weaksight::ui {

/// A QOpenGLWidget that hosts a vtkGenericOpenGLRenderWindow (Debian's VTK Qt module is
/// built for Qt 5, so Weaksight embeds VTK itself). VTK renders into its own framebuffer
/// inside paintGL() only, and the result is blitted into the widget's framebuffer.
/// Render requests become update() calls, so Qt coalesces them to one per frame.
class VtkViewport : public QOpenGLWidget {
    Q_OBJECT
public:
    explicit VtkViewport(QWidget* parent = nullptr);
    ~VtkViewport() override;

    vtkGenericOpenGLRenderWindow* renderWindow() const;

    /// Schedules a render for the next frame; several requests give one render.
    void requestRender()
    {
        update();
        Q_EMIT renderRequested();
    }

    /// World point (on the z = 0 plane of `renderer`) under a widget position.
    std::array<double, 3> widgetToWorld(const QPointF& position, vtkRenderer* renderer) const;

    /// Renders now and waits for OpenGL to finish (benchmarks: one frame's cost).
    void renderImmediately();

    /// Number of VTK renders done so far (tests and benchmarks check coalescing).
    int renderCount() const { return m_renderCount; }

Q_SIGNALS:
    /// Emitted after the GL context exists and after each resize (device pixels).
    void viewportResized(int width, int height);
    /// A frame is about to be rendered (linked views copy this view's overlay style then).
    void frameStarting();
    /// requestRender() was called (also while the widget is hidden and renders nothing).
    void renderRequested();

protected:
    void initializeGL() override;
    void resizeGL(int width, int height) override;
    void paintGL() override;

private:
    void cleanupContext();
    void onRenderWindowEvent(vtkObject* caller, unsigned long eventId, void* callData);
    void blitToWidget();

    vtkSmartPointer<vtkGenericOpenGLRenderWindow> m_renderWindow;
    std::vector<unsigned long> m_observerIds;
    bool m_contextReady = false;
    bool m_inPaint = false;
    int m_renderCount = 0;
};

} // namespace weaksight::ui
