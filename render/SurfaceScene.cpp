#include "render/SurfaceScene.h"

#include "render/SliceScene.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vtkActor.h>
#include <vtkAnnotatedCubeActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkDiscreteFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkLight.h>
#include <vtkPlaneSource.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkWindowedSincPolyDataFilter.h>

namespace weaksight::render {

std::vector<LabelSurface> buildLabelSurfaces(const LabelVolume& labels, const std::vector<uint8_t>& values,
                                             bool curated, int smoothingIterations)
{
    // Bounding box of the wanted labels, padded by one voxel so every surface closes. Background
    // (0) has no surface; an empty list finds nothing (labelBounds would take it as every label).
    std::vector<uint8_t> wanted;
    std::copy_if(values.begin(), values.end(), std::back_inserter(wanted), [](uint8_t v) { return v != 0; });
    const auto bounds = wanted.empty() ? std::nullopt : labelBounds(labels, wanted);
    if (!bounds)
        return {};
    const VoxelBox box = bounds->grown(1, labels.shape);
    const int k0 = box.first[Axial], r0 = box.first[Row], c0 = box.first[Column];
    const int k1 = box.last[Axial], r1 = box.last[Row], c1 = box.last[Column];
    // The box as a VTK image (x = column, y = row, z = slice), origin at its first voxel.
    auto image = vtkSmartPointer<vtkImageData>::New();
    image->SetDimensions(c1 - c0 + 1, r1 - r0 + 1, k1 - k0 + 1);
    image->SetSpacing(labels.spacing[2], labels.spacing[1], labels.spacing[0]);
    image->SetOrigin(c0 * labels.spacing[2], r0 * labels.spacing[1], k0 * labels.spacing[0]);
    image->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
    auto* out = static_cast<uint8_t*>(image->GetScalarPointer());
    for (int k = k0; k <= k1; ++k)
        for (int r = r0; r <= r1; ++r, out += c1 - c0 + 1)
            std::memcpy(out, labels.slice(k) + static_cast<size_t>(r) * labels.cols() + c0,
                        static_cast<size_t>(c1 - c0 + 1));

    std::vector<LabelSurface> surfaces;
    for (uint8_t value : values) {
        auto contour = vtkSmartPointer<vtkDiscreteFlyingEdges3D>::New();
        contour->SetInputData(image);
        contour->SetValue(0, value);
        contour->ComputeScalarsOff();
        contour->ComputeNormalsOff();
        contour->Update();
        if (contour->GetOutput()->GetNumberOfPoints() == 0)
            continue;
        // Windowed-sinc smoothing takes the voxel steps off without shrinking the shape.
        auto smooth = vtkSmartPointer<vtkWindowedSincPolyDataFilter>::New();
        smooth->SetInputConnection(contour->GetOutputPort());
        smooth->SetNumberOfIterations(smoothingIterations);
        smooth->SetPassBand(0.1);
        smooth->NormalizeCoordinatesOn();
        smooth->BoundarySmoothingOff();
        auto normals = vtkSmartPointer<vtkPolyDataNormals>::New();
        normals->SetInputConnection(smooth->GetOutputPort());
        normals->SplittingOff();
        normals->Update();
        auto mesh = vtkSmartPointer<vtkPolyData>::New();
        mesh->ShallowCopy(normals->GetOutput());
        surfaces.push_back({value, curated, mesh});
    }
    return surfaces;
}

SurfaceScene::SurfaceScene()
    : m_renderer(vtkSmartPointer<vtkRenderer>::New())
    , m_markerRenderer(vtkSmartPointer<vtkRenderer>::New())
    , m_slicePlane(vtkSmartPointer<vtkActor>::New())
    , m_planeSource(vtkSmartPointer<vtkPlaneSource>::New())
{
    m_renderer->SetBackground(0.08, 0.08, 0.1);
    m_renderer->SetBackground2(0.25, 0.25, 0.3);
    m_renderer->GradientBackgroundOn();

    // The marker: canonical x runs from the patient's right to left, y from anterior to posterior,
    // z from inferior to superior.
    auto cube = vtkSmartPointer<vtkAnnotatedCubeActor>::New();
    cube->SetXPlusFaceText("L");
    cube->SetXMinusFaceText("R");
    cube->SetYPlusFaceText("P");
    cube->SetYMinusFaceText("A");
    cube->SetZPlusFaceText("S");
    cube->SetZMinusFaceText("I");
    cube->SetFaceTextScale(0.65);
    cube->GetCubeProperty()->SetColor(0.35, 0.4, 0.5);
    cube->GetTextEdgesProperty()->SetColor(0.9, 0.9, 0.9);
    m_markerRenderer->AddActor(cube);
    m_markerRenderer->SetViewport(0.0, 0.0, 0.18, 0.18);
    m_markerRenderer->SetLayer(1);
    m_markerRenderer->InteractiveOff();
    auto sync = vtkSmartPointer<vtkCallbackCommand>::New();
    sync->SetClientData(this);
    sync->SetCallback([](vtkObject*, unsigned long, void* scene, void*) {
        static_cast<SurfaceScene*>(scene)->syncMarker();
    });
    m_markerObserver = m_renderer->AddObserver(vtkCommand::StartEvent, sync);

    auto planeMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    planeMapper->SetInputConnection(m_planeSource->GetOutputPort());
    m_slicePlane->SetMapper(planeMapper);
    m_slicePlane->GetProperty()->SetColor(1.0, 0.85, 0.3);
    m_slicePlane->GetProperty()->SetOpacity(0.25);
    m_slicePlane->GetProperty()->LightingOff();
    m_slicePlane->SetVisibility(false);
    m_slicePlane->PickableOff();
    m_renderer->AddActor(m_slicePlane);
}

vtkRenderer* SurfaceScene::markerRenderer() const
{
    return m_markerRenderer;
}

vtkActor* SurfaceScene::slicePlane() const
{
    return m_slicePlane;
}

void SurfaceScene::addTo(vtkRenderWindow* window)
{
    window->SetNumberOfLayers(2);
    window->AddRenderer(m_renderer);
    window->AddRenderer(m_markerRenderer);
}

void SurfaceScene::syncMarker()
{
    // The marker's camera looks from the same direction as the scene's, at a fixed distance.
    auto* camera = m_renderer->GetActiveCamera();
    auto* marker = m_markerRenderer->GetActiveCamera();
    double direction[3];
    camera->GetDirectionOfProjection(direction);
    marker->SetFocalPoint(0, 0, 0);
    marker->SetPosition(-3.5 * direction[0], -3.5 * direction[1], -3.5 * direction[2]);
    marker->SetViewUp(camera->GetViewUp());
    m_markerRenderer->ResetCameraClippingRange();
}

void SurfaceScene::setSlicePlane(int slice, const std::array<int, 3>& shape,
                                 const std::array<double, 3>& spacing)
{
    const double z = slice * spacing[0];
    const double width = (shape[2] - 1) * spacing[2], height = (shape[1] - 1) * spacing[1];
    m_planeSource->SetOrigin(0, 0, z);
    m_planeSource->SetPoint1(width, 0, z);
    m_planeSource->SetPoint2(0, height, z);
    m_slicePlane->SetVisibility(true);
}

void SurfaceScene::setSlicePlaneVisible(bool visible)
{
    m_slicePlane->SetVisibility(visible);
}

SurfaceScene::~SurfaceScene()
{
    // The window may keep the renderer; its callback must not reach this scene any more.
    m_renderer->RemoveObserver(m_markerObserver);
}

vtkRenderer* SurfaceScene::renderer() const { return m_renderer; }

std::array<double, 3> SurfaceScene::surfaceColour(uint8_t label, bool curated)
{
    if (curated)
        return {0.95, 0.25, 0.95}; // magenta: what the labellers accepted or corrected
    return SliceScene::labelColour(label);
}

void SurfaceScene::setSurfaces(const std::vector<LabelSurface>& surfaces, bool curated)
{
    for (auto it = m_actors.begin(); it != m_actors.end();) {
        if (it->curated == curated) {
            m_renderer->RemoveActor(it->actor);
            it = m_actors.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& s : surfaces) {
        auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
        mapper->SetInputData(s.mesh);
        mapper->ScalarVisibilityOff();
        auto actor = vtkSmartPointer<vtkActor>::New();
        actor->SetMapper(mapper);
        const auto rgb = surfaceColour(s.label, s.curated);
        actor->GetProperty()->SetColor(rgb[0], rgb[1], rgb[2]);
        // The kidney is see-through, so lesions inside it show.
        actor->GetProperty()->SetOpacity(!s.curated && s.label == labels::Kidney ? 0.3 : 1.0);
        actor->GetProperty()->SetSpecular(0.2);
        actor->SetVisibility(s.curated ? m_curatedVisible : m_truthVisible);
        m_renderer->AddActor(actor);
        m_actors.push_back({s.label, s.curated, actor});
    }
}

void SurfaceScene::clear()
{
    for (const auto& a : m_actors)
        m_renderer->RemoveActor(a.actor);
    m_actors.clear();
}

void SurfaceScene::setCuratedVisible(bool visible)
{
    m_curatedVisible = visible;
    for (const auto& a : m_actors)
        if (a.curated)
            a.actor->SetVisibility(visible);
}

void SurfaceScene::setTruthVisible(bool visible)
{
    m_truthVisible = visible;
    for (const auto& a : m_actors)
        if (!a.curated)
            a.actor->SetVisibility(visible);
}

void SurfaceScene::resetCamera()
{
    auto* camera = m_renderer->GetActiveCamera();
    // From the front (anterior is row 0, so the camera sits at -y), superior (+z) up; the slice
    // plane spans the whole scan, so the fit leaves it out and frames the surfaces.
    camera->SetFocalPoint(0, 0, 0);
    camera->SetPosition(0, -1, 0);
    camera->SetViewUp(0, 0, 1);
    const bool plane = m_slicePlane->GetVisibility() != 0;
    if (plane && !m_actors.empty())
        m_slicePlane->SetVisibility(false);
    m_renderer->ResetCamera();
    m_slicePlane->SetVisibility(plane);
}

} // namespace weaksight::render
