#include "render/SliceScene.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkDiscreteFlyingEdges2D.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkShortArray.h>
#include <vtkUnsignedCharArray.h>

namespace weaksight::render {

namespace {
// Contours sit slightly in front of the image (the camera looks along +z).
constexpr double kContourDepth = -0.5;
constexpr double kCrosshairDepth = -0.8; // above contours, heatmaps and masks
constexpr int kMaxContourLabel = 3;
} // namespace

std::array<double, 3> SliceScene::labelColour(int label)
{
    switch (label) {
    case labels::Kidney: return {0.20, 0.85, 0.25}; // green
    case labels::Tumour: return {1.00, 0.20, 0.20}; // red
    case labels::Cyst: return {0.15, 0.70, 1.00};   // sky blue
    default: return {1.0, 1.0, 0.0};
    }
}

SliceScene::SliceScene(review::ViewPlane plane)
    : m_plane(plane)
    , m_renderer(vtkSmartPointer<vtkRenderer>::New())
    , m_ctSlice(vtkSmartPointer<vtkImageData>::New())
    , m_ctMapper(vtkSmartPointer<vtkImageSliceMapper>::New())
    , m_ctActor(vtkSmartPointer<vtkImageSlice>::New())
    , m_labelSlice(vtkSmartPointer<vtkImageData>::New())
{
    m_renderer->SetBackground(0, 0, 0);

    m_ctMapper->SetInputData(m_ctSlice);
    m_ctActor->SetMapper(m_ctMapper);
    m_ctActor->GetProperty()->SetInterpolationTypeToNearest();
    m_ctActor->VisibilityOff();
    m_renderer->AddViewProp(m_ctActor);

    // Discrete flying edges traces the boundary of one label value between pixel centres.
    for (int i = 0; i < kMaxContourLabel; ++i) {
        auto& contour = m_contours[static_cast<size_t>(i)];
        contour.filter = vtkSmartPointer<vtkDiscreteFlyingEdges2D>::New();
        contour.filter->SetValue(0, i + 1);
        contour.filter->ComputeScalarsOff();
        contour.filter->SetInputData(m_labelSlice);
        auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
        mapper->SetInputConnection(contour.filter->GetOutputPort());
        mapper->ScalarVisibilityOff();
        contour.actor = vtkSmartPointer<vtkActor>::New();
        contour.actor->SetMapper(mapper);
        const auto rgb = labelColour(i + 1);
        contour.actor->GetProperty()->SetColor(rgb[0], rgb[1], rgb[2]);
        contour.actor->GetProperty()->SetLineWidth(1.0); // Qt's core profile rejects wider lines
        contour.actor->GetProperty()->LightingOff();
        contour.actor->SetPosition(0, 0, kContourDepth);
        contour.actor->VisibilityOff();
        m_renderer->AddActor(contour.actor);
    }

    m_crosshairLines = vtkSmartPointer<vtkPolyData>::New();
    auto crosshairMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    crosshairMapper->SetInputData(m_crosshairLines);
    crosshairMapper->ScalarVisibilityOff();
    m_crosshairActor = vtkSmartPointer<vtkActor>::New();
    m_crosshairActor->SetMapper(crosshairMapper);
    m_crosshairActor->GetProperty()->SetColor(kCrosshairColour[0], kCrosshairColour[1], kCrosshairColour[2]);
    // Opaque: a translucent line would send every frame through VTK's translucent-geometry passes
    // (about 1.4 ms a 400 x 400 view in Mesa's software GL, measured by bench gui).
    m_crosshairActor->GetProperty()->LightingOff();
    m_crosshairActor->SetPosition(0, 0, kCrosshairDepth);
    m_crosshairActor->VisibilityOff();
    m_renderer->AddActor(m_crosshairActor);

    auto* camera = m_renderer->GetActiveCamera();
    camera->ParallelProjectionOn();
    setWindowLevel(m_windowLevel);
}

SliceScene::~SliceScene() = default;

vtkRenderer* SliceScene::renderer() const { return m_renderer; }

review::PlaneGrid SliceScene::grid() const
{
    if (m_imaging)
        return review::planeGrid(m_plane, m_imaging->shape, m_imaging->spacing);
    if (m_labels)
        return review::planeGrid(m_plane, m_labels->shape, m_labels->spacing);
    return {};
}

std::array<int, 3> SliceScene::volumeShape() const
{
    return m_imaging ? m_imaging->shape : m_labels ? m_labels->shape : std::array<int, 3>{0, 0, 0};
}

std::array<int, 3> SliceScene::voxelAt(int planeRow, int planeCol) const
{
    return review::voxelOf(m_plane, volumeShape(), m_slice, planeRow, planeCol);
}

int SliceScene::sliceCount() const
{
    return grid().depth;
}

std::array<int, 2> SliceScene::sliceDims() const
{
    const review::PlaneGrid g = grid();
    return {g.cols, g.rows};
}

std::array<double, 2> SliceScene::sliceSpacing() const
{
    const review::PlaneGrid g = grid();
    return {g.colSpacing, g.rowSpacing};
}

void SliceScene::setVolumes(const CtVolume* imaging, const LabelVolume* labelVolume)
{
    m_imaging = imaging;
    m_labels = labelVolume;
    if (m_imaging && m_labels && m_imaging->shape != m_labels->shape)
        m_labels = nullptr; // callers check grids; never draw labels on the wrong grid
    const auto dims = sliceDims();
    const auto spacing = sliceSpacing();
    m_ctSlice->SetDimensions(dims[0], dims[1], 1);
    m_ctSlice->SetSpacing(spacing[0], spacing[1], 1);
    m_ctSlice->SetOrigin(0, 0, 0);
    m_ctSlice->AllocateScalars(VTK_SHORT, 1);
    // Contours are traced only inside the in-plane box that holds every label of the volume (one
    // pass here), padded by a pixel so a boundary at the box's edge still closes: a slice change
    // then traces a fraction of the slice.
    int r0 = 0, r1 = 0, c0 = 0, c1 = 0;
    if (m_labels) {
        if (const auto bounds = labelBounds(*m_labels)) {
            // The box's corners on this plane (coronal and sagittal rows run superior -> inferior).
            const VoxelBox box = bounds->grown(1, m_labels->shape);
            const auto a = review::planePointOf(m_plane, m_labels->shape, box.first);
            const auto b = review::planePointOf(m_plane, m_labels->shape, box.last);
            r0 = std::min(a[1], b[1]), r1 = std::max(a[1], b[1]);
            c0 = std::min(a[2], b[2]), c1 = std::max(a[2], b[2]);
        }
    }
    m_labelBox = {r0, r1, c0, c1};
    // Extent from 0 with the box's corner as origin: vtkDiscreteFlyingEdges2D ignores a
    // non-zero extent start when placing its points.
    m_labelSlice->SetExtent(0, c1 - c0, 0, r1 - r0, 0, 0);
    m_labelSlice->SetSpacing(spacing[0], spacing[1], 1);
    m_labelSlice->SetOrigin(c0 * spacing[0], r0 * spacing[1], 0);
    m_labelSlice->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
    m_slice = std::clamp(m_slice, 0, std::max(0, sliceCount() - 1));
    updateSliceData();
    updateCrosshair();
}

int SliceScene::setSlice(int slice)
{
    const int clamped = std::clamp(slice, 0, std::max(0, sliceCount() - 1));
    if (clamped != m_slice) {
        m_slice = clamped;
        updateSliceData();
    }
    return m_slice;
}

void SliceScene::updateSliceData()
{
    const bool hasData = sliceCount() > 0;
    // Planes are written row-major, columns fastest: exactly VTK's x-fastest point order.
    if (m_imaging && hasData) {
        review::copyPlane(*m_imaging, m_plane, m_slice, static_cast<int16_t*>(m_ctSlice->GetScalarPointer()));
        m_ctSlice->Modified();
    }
    m_ctActor->SetVisibility(m_imaging != nullptr && hasData);
    if (m_labels && hasData) {
        const auto [r0, r1, c0, c1] = m_labelBox;
        review::copyPlaneRegion(*m_labels, m_plane, m_slice, r0, r1 - r0 + 1, c0, c1 - c0 + 1,
                                static_cast<uint8_t*>(m_labelSlice->GetScalarPointer()));
        m_labelSlice->Modified();
    }
    for (size_t i = 0; i < m_contours.size(); ++i)
        m_contours[i].actor->SetVisibility(m_labels != nullptr && hasData && m_contoursVisible && m_labelVisible[i]);
}

void SliceScene::setWindowLevel(WindowLevel wl)
{
    m_windowLevel = wl;
    m_windowLevel.window = std::max(1.0, wl.window);
    m_ctActor->GetProperty()->SetColorWindow(m_windowLevel.window);
    m_ctActor->GetProperty()->SetColorLevel(m_windowLevel.level);
}

void SliceScene::setLabelContoursVisible(bool visible)
{
    m_contoursVisible = visible;
    for (size_t i = 0; i < m_contours.size(); ++i)
        m_contours[i].actor->SetVisibility(m_labels != nullptr && sliceCount() > 0 && m_contoursVisible &&
                                           m_labelVisible[i]);
}

void SliceScene::setLabelContourVisible(int label, bool visible)
{
    if (label < 1 || label > static_cast<int>(m_contours.size()))
        return;
    m_labelVisible[static_cast<size_t>(label - 1)] = visible;
    setLabelContoursVisible(m_contoursVisible);
}

void SliceScene::setLabelContourOpacity(int label, double opacity)
{
    if (label >= 1 && label <= static_cast<int>(m_contours.size()))
        m_contours[static_cast<size_t>(label - 1)].actor->GetProperty()->SetOpacity(std::clamp(opacity, 0.0, 1.0));
}

SliceScene::ContourStyle SliceScene::contourStyle() const
{
    ContourStyle style;
    style.all = m_contoursVisible;
    style.visible = m_labelVisible;
    for (size_t i = 0; i < m_contours.size(); ++i)
        style.opacity[i] = m_contours[i].actor->GetProperty()->GetOpacity();
    return style;
}

void SliceScene::setContourStyle(const ContourStyle& style)
{
    m_labelVisible = style.visible;
    for (size_t i = 0; i < m_contours.size(); ++i)
        setLabelContourOpacity(static_cast<int>(i) + 1, style.opacity[i]);
    setLabelContoursVisible(style.all);
}

bool SliceScene::labelContourShown(int label) const
{
    return label >= 1 && label <= static_cast<int>(m_contours.size()) &&
           m_contours[static_cast<size_t>(label - 1)].actor->GetVisibility();
}

void SliceScene::resetCamera(double viewportAspect)
{
    const auto dims = sliceDims();
    const auto spacing = sliceSpacing();
    if (dims[0] == 0)
        return;
    // Extent of the pixels' footprints, not just their centres.
    const double width = dims[0] * spacing[0];
    const double height = dims[1] * spacing[1];
    const double cx = (dims[0] - 1) * spacing[0] / 2.0;
    const double cy = (dims[1] - 1) * spacing[1] / 2.0;
    auto* camera = m_renderer->GetActiveCamera();
    const double distance = 1000.0;
    camera->SetFocalPoint(cx, cy, 0);
    camera->SetPosition(cx, cy, -distance);
    camera->SetViewUp(0, -1, 0);
    const double aspect = viewportAspect > 0 ? viewportAspect : 1.0;
    m_fitScale = std::max(height / 2.0, width / 2.0 / aspect);
    camera->SetParallelScale(m_fitScale);
    camera->SetClippingRange(distance - 10, distance + 10);
}

void SliceScene::fitBox(const CropBox& box, double viewportAspect, double margin)
{
    const auto spacing = sliceSpacing();
    if (box.empty() || sliceDims()[0] == 0)
        return;
    resetCamera(viewportAspect); // m_fitScale for this aspect
    const double cx = (box.col0 + (box.cols - 1) / 2.0) * spacing[0];
    const double cy = (box.row0 + (box.rows - 1) / 2.0) * spacing[1];
    const double aspect = viewportAspect > 0 ? viewportAspect : 1.0;
    const double scale = std::max(box.rows * spacing[1] / 2.0, box.cols * spacing[0] / 2.0 / aspect) * margin;
    auto* camera = m_renderer->GetActiveCamera();
    double focal[3], position[3];
    camera->GetFocalPoint(focal);
    camera->GetPosition(position);
    camera->SetFocalPoint(cx, cy, focal[2]);
    camera->SetPosition(cx, cy, position[2]);
    // Never smaller than the whole slice: a box larger than the slice shows the slice.
    camera->SetParallelScale(std::clamp(scale, m_fitScale / 64, m_fitScale));
}

void SliceScene::centreOn(const CropBox& box)
{
    const auto spacing = sliceSpacing();
    double focal[3];
    m_renderer->GetActiveCamera()->GetFocalPoint(focal);
    pan((box.col0 + (box.cols - 1) / 2.0) * spacing[0] - focal[0],
        (box.row0 + (box.rows - 1) / 2.0) * spacing[1] - focal[1]);
}

void SliceScene::setViewportAspect(double viewportAspect)
{
    auto* camera = m_renderer->GetActiveCamera();
    const double zoom = zoomFactor();
    double focal[3], position[3];
    camera->GetFocalPoint(focal);
    camera->GetPosition(position);
    resetCamera(viewportAspect); // the fit scale for the new aspect
    if (sliceDims()[0] == 0)
        return;
    camera->SetFocalPoint(focal);
    camera->SetPosition(position);
    camera->SetParallelScale(m_fitScale / zoom);
}

void SliceScene::zoom(double factor)
{
    if (factor <= 0)
        return;
    auto* camera = m_renderer->GetActiveCamera();
    // Between the whole slice at 1/4 size and 64x magnification.
    const double scale = std::clamp(camera->GetParallelScale() / factor, m_fitScale / 64, m_fitScale * 4);
    camera->SetParallelScale(scale);
}

void SliceScene::zoomAbout(double factor, double x, double y)
{
    if (factor <= 0)
        return;
    auto* camera = m_renderer->GetActiveCamera();
    const double before = camera->GetParallelScale();
    zoom(factor);
    // The point keeps its place on screen: its offset from the focal point scales with the zoom.
    const double ratio = camera->GetParallelScale() / before;
    double focal[3];
    camera->GetFocalPoint(focal);
    pan((x - focal[0]) * (1 - ratio), (y - focal[1]) * (1 - ratio));
}

void SliceScene::pan(double dx, double dy)
{
    auto* camera = m_renderer->GetActiveCamera();
    double focal[3], position[3];
    camera->GetFocalPoint(focal);
    camera->GetPosition(position);
    camera->SetFocalPoint(focal[0] + dx, focal[1] + dy, focal[2]);
    camera->SetPosition(position[0] + dx, position[1] + dy, position[2]);
}

double SliceScene::zoomFactor() const
{
    return m_fitScale / m_renderer->GetActiveCamera()->GetParallelScale();
}

std::optional<std::array<int, 2>> SliceScene::voxelAtWorld(double x, double y) const
{
    const auto dims = sliceDims();
    const auto spacing = sliceSpacing();
    const int col = static_cast<int>(std::lround(x / spacing[0]));
    const int row = static_cast<int>(std::lround(y / spacing[1]));
    if (col < 0 || row < 0 || col >= dims[0] || row >= dims[1])
        return std::nullopt;
    return std::array<int, 2>{row, col};
}

vtkPolyData* SliceScene::labelContour(int label)
{
    auto& filter = m_contours.at(static_cast<size_t>(label - 1)).filter;
    filter->Update();
    return filter->GetOutput();
}

double SliceScene::slicePositionMm() const
{
    const StorageGeometry* g = m_imaging ? &m_imaging->geometry : (m_labels ? &m_labels->geometry : nullptr);
    if (!g || sliceCount() == 0)
        return 0;
    const auto voxel = voxelAt(0, 0);
    const auto point = g->physicalPoint(voxel[0], voxel[1], voxel[2]);
    switch (m_plane) {
    case review::ViewPlane::Coronal:
        return point[1];
    case review::ViewPlane::Sagittal:
        return point[0];
    case review::ViewPlane::Axial:
        break;
    }
    return point[2];
}

void SliceScene::setCrosshair(const std::optional<std::array<int, 3>>& voxel)
{
    m_crosshair = voxel;
    updateCrosshair();
}

void SliceScene::setCrosshairVisible(bool visible)
{
    m_crosshairVisible = visible;
    updateCrosshair();
}

bool SliceScene::crosshairShown() const
{
    return m_crosshairActor->GetVisibility() != 0;
}

vtkPolyData* SliceScene::crosshairLines() const
{
    return m_crosshairLines;
}

void SliceScene::updateCrosshair()
{
    const review::PlaneGrid g = grid();
    const bool shown = m_crosshairVisible && m_crosshair && g.depth > 0;
    m_crosshairActor->SetVisibility(shown);
    if (!shown)
        return;
    const auto point = review::planePointOf(m_plane, volumeShape(), *m_crosshair);
    // Across the whole plane, edge to edge of its pixels' footprints.
    const double x = point[2] * g.colSpacing, y = point[1] * g.rowSpacing;
    const double x0 = -0.5 * g.colSpacing, x1 = (g.cols - 0.5) * g.colSpacing;
    const double y0 = -0.5 * g.rowSpacing, y1 = (g.rows - 0.5) * g.rowSpacing;
    auto points = vtkSmartPointer<vtkPoints>::New();
    points->InsertNextPoint(x, y0, 0);
    points->InsertNextPoint(x, y1, 0);
    points->InsertNextPoint(x0, y, 0);
    points->InsertNextPoint(x1, y, 0);
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    const vtkIdType vertical[2] = {0, 1}, horizontal[2] = {2, 3};
    lines->InsertNextCell(2, vertical);
    lines->InsertNextCell(2, horizontal);
    m_crosshairLines->SetPoints(points);
    m_crosshairLines->SetLines(lines);
    m_crosshairLines->Modified();
}

} // namespace weaksight::render
