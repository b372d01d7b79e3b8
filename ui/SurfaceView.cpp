#include "ui/SurfaceView.h"

#include "core/cases/KitsCase.h"
#include "storage/Exporter.h"
#include "ui/StoreOwner.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QMouseEvent>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <spdlog/spdlog.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkRenderer.h>

namespace weaksight::ui {

SurfaceView::SurfaceView(QWidget* parent)
    : VtkViewport(parent)
{
    m_scene.addTo(renderWindow());
    connect(&m_watcher, &QFutureWatcher<Built>::finished, this, [this] {
        const Built built = m_watcher.result();
        if (built.generation != m_generation)
            return; // another case was asked for meanwhile
        m_scene.setSurfaces(built.truth, false);
        m_scene.setSurfaces(built.curated, true);
        m_scene.resetCamera();
        requestRender();
        Q_EMIT surfacesReady(static_cast<int>(built.truth.size()), static_cast<int>(built.curated.size()));
    });
}

SurfaceView::~SurfaceView()
{
    m_watcher.waitForFinished();
}

void SurfaceView::setSlice(int slice)
{
    m_slice = slice;
    if (m_shape[0] > 0) {
        m_scene.setSlicePlane(slice, m_shape, m_spacing);
        requestRender();
    }
}

void SurfaceView::showCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store)
{
    const int generation = ++m_generation;
    if (!loaded || !loaded->labels) {
        m_scene.clear();
        m_scene.setSlicePlaneVisible(false);
        m_shape = {0, 0, 0};
        requestRender();
        return;
    }
    m_shape = loaded->labels->shape;
    m_spacing = loaded->labels->spacing;
    m_scene.setSlicePlane(std::clamp(m_slice, 0, m_shape[0] - 1), m_shape, m_spacing);
    // The curated masks are painted on the store's reading thread; both surfaces are built here.
    QFuture<StoreReply<LabelVolume>> curated;
    if (store && store->exists())
        curated = store->read<LabelVolume>([loaded](const storage::AnnotationStore& annotations,
                                                    const StoreProgress&) {
            return storage::curatedLesionMask(annotations, loaded->files.caseId, loaded->labels->geometry);
        });
    m_watcher.setFuture(QtConcurrent::run([loaded, curated, generation]() mutable {
        Built built;
        built.generation = generation;
        built.truth = render::buildLabelSurfaces(*loaded->labels,
                                                 {labels::Kidney, labels::Tumour, labels::Cyst}, false);
        if (curated.isValid()) {
            const auto reply = curated.result();
            if (reply.ok())
                built.curated = render::buildLabelSurfaces(*reply.value, {2}, true);
            else if (!reply.error.isEmpty())
                spdlog::warn("3D view: curated masks unavailable: {}", reply.error.toStdString());
        }
        return built;
    }));
}

void SurfaceView::resetView()
{
    m_scene.resetCamera();
    requestRender();
}

void SurfaceView::mousePressEvent(QMouseEvent* event)
{
    m_last = event->position();
}

void SurfaceView::mouseMoveEvent(QMouseEvent* event)
{
    if (!(event->buttons() & Qt::LeftButton))
        return;
    const QPointF delta = event->position() - m_last;
    m_last = event->position();
    auto* camera = m_scene.renderer()->GetActiveCamera();
    camera->Azimuth(-delta.x() * 0.5);
    camera->Elevation(delta.y() * 0.5);
    camera->OrthogonalizeViewUp();
    m_scene.renderer()->ResetCameraClippingRange();
    requestRender();
}

void SurfaceView::wheelEvent(QWheelEvent* event)
{
    m_scene.renderer()->GetActiveCamera()->Dolly(event->angleDelta().y() > 0 ? 1.15 : 1 / 1.15);
    m_scene.renderer()->ResetCameraClippingRange();
    requestRender();
}

SurfacePanel::SurfacePanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_view = new SurfaceView(this);
    m_view->setMinimumSize(260, 260);
    auto* toggles = new QHBoxLayout;
    auto* showTruth = new QCheckBox(tr("Ground truth"), this);
    auto* showCurated = new QCheckBox(tr("Curated masks"), this);
    showTruth->setChecked(true);
    showCurated->setChecked(true);
    showCurated->setToolTip(tr("Accepted and corrected masks from the annotation store (magenta)"));
    toggles->addWidget(showTruth);
    toggles->addWidget(showCurated);
    layout->addWidget(m_view, 1);
    layout->addLayout(toggles);
    connect(showTruth, &QCheckBox::toggled, this, [this](bool on) {
        m_view->scene().setTruthVisible(on);
        m_view->requestRender();
    });
    connect(showCurated, &QCheckBox::toggled, this, [this](bool on) {
        m_view->scene().setCuratedVisible(on);
        m_view->requestRender();
    });
}

void SurfacePanel::setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store)
{
    m_case = std::move(loaded);
    m_store = store;
    showPendingCase();
}

void SurfacePanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    showPendingCase();
}

void SurfacePanel::showPendingCase()
{
    if (!isVisible() || m_case == m_shown)
        return;
    m_shown = m_case;
    m_view->showCase(m_case, m_store);
}

SurfaceDock::SurfaceDock(QWidget* parent)
    : QDockWidget(tr("3D view"), parent)
{
    setObjectName("surfaceDock");
    m_panel = new SurfacePanel(this);
    setWidget(m_panel);
}

} // namespace weaksight::ui
