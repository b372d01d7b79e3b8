#include "ui/VtkViewport.h"

#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QOpenGLFunctions>
#include <QScopedValueRollback>
#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

namespace weaksight::ui {

VtkViewport::VtkViewport(QWidget* parent)
    : QOpenGLWidget(parent)
    , m_renderWindow(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New())
{
    // VTK must not swap or blit on its own: this widget blits VTK's display framebuffer
    // into Qt's framebuffer in paintGL().
    m_renderWindow->SetReadyForRendering(false);
    m_renderWindow->SetFrameBlitModeToNoBlit();
    m_renderWindow->SetUseOffScreenBuffers(false);
    m_renderWindow->SetMultiSamples(0);
    for (unsigned long event : {vtkCommand::WindowMakeCurrentEvent, vtkCommand::WindowIsCurrentEvent,
                                vtkCommand::WindowFrameEvent})
        m_observerIds.push_back(m_renderWindow->AddObserver(event, this, &VtkViewport::onRenderWindowEvent));
    setMinimumSize(64, 64);
}

VtkViewport::~VtkViewport()
{
    // The context may be destroyed after us; without this disconnect Qt calls into a dead object.
    if (context())
        disconnect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &VtkViewport::cleanupContext);
    makeCurrent();
    cleanupContext();
    doneCurrent();
    for (unsigned long id : m_observerIds)
        m_renderWindow->RemoveObserver(id);
}

vtkGenericOpenGLRenderWindow* VtkViewport::renderWindow() const { return m_renderWindow; }

void VtkViewport::initializeGL()
{
    // Re-parenting recreates the context: always start from a clean VTK state.
    cleanupContext();
    m_renderWindow->SetForceMaximumHardwareLineWidth(1); // core profiles reject wider lines
    m_renderWindow->SetReadyForRendering(true);
    m_renderWindow->SetOwnContext(0);
    m_renderWindow->OpenGLInitContext();
    m_contextReady = true;
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &VtkViewport::cleanupContext,
            Qt::UniqueConnection);
}

void VtkViewport::cleanupContext()
{
    if (!m_contextReady)
        return;
    m_renderWindow->Finalize();
    m_renderWindow->SetReadyForRendering(false);
    m_contextReady = false;
}

void VtkViewport::resizeGL(int width, int height)
{
    const double dpr = devicePixelRatioF();
    const int w = static_cast<int>(width * dpr);
    const int h = static_cast<int>(height * dpr);
    m_renderWindow->SetSize(w, h);
    Q_EMIT viewportResized(w, h);
}

void VtkViewport::paintGL()
{
    if (!m_contextReady || m_inPaint)
        return;
    QScopedValueRollback<bool> guard(m_inPaint, true);
    Q_EMIT frameStarting();
    auto* state = m_renderWindow->GetState();
    state->Reset();
    state->Push();
    state->vtkglDepthFunc(GL_LEQUAL);
    m_renderWindow->Render();
    ++m_renderCount;
    // Rendering may have switched the current surface; rebind Qt's before blitting into it.
    makeCurrent();
    blitToWidget();
    state->Pop();
}

void VtkViewport::renderImmediately()
{
    makeCurrent();
    paintGL();
    context()->functions()->glFinish();
    doneCurrent();
}

void VtkViewport::blitToWidget()
{
    QOpenGLExtraFunctions* f = context()->extraFunctions();
    f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    const GLenum drawBuffer = GL_COLOR_ATTACHMENT0;
    f->glDrawBuffers(1, &drawBuffer);
    m_renderWindow->GetState()->vtkglDisable(GL_SCISSOR_TEST);
    f->glDisable(GL_SCISSOR_TEST);

    const int* size = m_renderWindow->GetSize();
    m_renderWindow->BlitDisplayFramebuffer(0, 0, 0, size[0], size[1], 0, 0, size[0], size[1],
                                           GL_COLOR_BUFFER_BIT, GL_NEAREST);

    // VTK leaves alpha 0 where it cleared; Qt composes premultiplied alpha, which would
    // show a black (or see-through) view. Force alpha to 1.
    GLboolean mask[4];
    f->glGetBooleanv(GL_COLOR_WRITEMASK, mask);
    GLfloat clear[4];
    f->glGetFloatv(GL_COLOR_CLEAR_VALUE, clear);
    f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
    f->glClearColor(0, 0, 0, 1);
    f->glClear(GL_COLOR_BUFFER_BIT);
    f->glColorMask(mask[0], mask[1], mask[2], mask[3]);
    f->glClearColor(clear[0], clear[1], clear[2], clear[3]);
}

void VtkViewport::onRenderWindowEvent(vtkObject*, unsigned long eventId, void* callData)
{
    switch (eventId) {
    case vtkCommand::WindowMakeCurrentEvent:
        // Not QOpenGLWidget::makeCurrent(): that would rebind the widget's framebuffer
        // while VTK is setting up its own (gives a black view).
        if (context())
            context()->makeCurrent(context()->surface());
        break;
    case vtkCommand::WindowIsCurrentEvent: {
        auto* current = QOpenGLContext::currentContext();
        *static_cast<bool*>(callData) = current && current == context() && current->surface() == context()->surface();
        break;
    }
    case vtkCommand::WindowFrameEvent:
        if (!m_inPaint)
            update();
        break;
    default: break;
    }
}

std::array<double, 3> VtkViewport::widgetToWorld(const QPointF& position, vtkRenderer* renderer) const
{
    const double dpr = devicePixelRatioF();
    const double x = position.x() * dpr;
    const double y = (height() - position.y()) * dpr - 1.0;
    renderer->SetDisplayPoint(x, y, 0);
    renderer->DisplayToWorld();
    double world[4];
    renderer->GetWorldPoint(world);
    if (world[3] != 0.0)
        for (int i = 0; i < 3; ++i)
            world[i] /= world[3];
    return {world[0], world[1], 0.0};
}

} // namespace weaksight::ui
