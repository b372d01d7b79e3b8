#include "render/SliceScene.h"

#include <vtkActor.h>

#include <vtkCamera.h>
#include <vtkDiscreteFlyingEdges2D.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkShortArray.h>
#include <vtkUnsignedCharArray.h>

#include <algorithm>
#include <iterator>
#include <cmath>
#include <cstring>

namespace weaksight::render {

namespace {
// Contours sit slightly in front of the image (the camera looks along +z).
constexpr double kContourDepth = -0.5;
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

SliceScene::SliceScene()
    : m_renderer(vtkSmartPointer<vtkRenderer>::New())
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

    auto* camera = m_renderer->GetActiveCamera();
    camera->ParallelProjectionOn();
    setWindowLevel(m_windowLevel);
}

SliceScene::~SliceScene() = default;

vtkRenderer* SliceScene::renderer() const { return m_renderer; }

int SliceScene::sliceCount() const
{
    if (m_imaging)
        return m_imaging->slices();
    return m_labels ? m_labels->slices() : 0;
}

std::array<int, 2> SliceScene::sliceDims() const
{
    if (m_imaging)
        return {m_imaging->cols(), m_imaging->rows()};
    if (m_labels)
        return {m_labels->cols(), m_labels->rows()};
    return {0, 0};
}

std::array<double, 2> SliceScene::sliceSpacing() const
{
    if (m_imaging)
        return {m_imaging->spacing[2], m_imaging->spacing[1]};
    if (m_labels)
        return {m_labels->spacing[2], m_labels->spacing[1]};
    return {1, 1};
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
            const VoxelBox box = bounds->grown(1, m_labels->shape);
            r0 = box.first[Row], r1 = box.last[Row];
            c0 = box.first[Column], c1 = box.last[Column];
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
    // Canonical slices are contiguous rows of columns: exactly VTK's x-fastest point order.
    if (m_imaging && hasData) {
        std::memcpy(m_ctSlice->GetScalarPointer(), m_imaging->slice(m_slice), m_imaging->sliceSize() * sizeof(int16_t));
        m_ctSlice->Modified();
    }
    m_ctActor->SetVisibility(m_imaging != nullptr && hasData);
    if (m_labels && hasData) {
        const auto [r0, r1, c0, c1] = m_labelBox;
        auto* out = static_cast<uint8_t*>(m_labelSlice->GetScalarPointer());
        for (int r = r0; r <= r1; ++r, out += c1 - c0 + 1)
            std::memcpy(out, m_labels->slice(m_slice) + static_cast<size_t>(r) * m_labels->cols() + c0,
                        static_cast<size_t>(c1 - c0 + 1));
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
    return g->physicalPoint(m_slice, 0, 0)[2];
}

} // namespace weaksight::render
