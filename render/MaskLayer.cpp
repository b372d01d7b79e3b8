#include "render/MaskLayer.h"

#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkDiscreteFlyingEdges2D.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkLookupTable.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace weaksight::render {

namespace {
// In front of the heatmap (-0.2) and behind the lines (-0.6); the ring in front of everything.
constexpr double kFillDepth = -0.4;
constexpr double kLineDepth = -0.7;
constexpr int kRingSegments = 48;
} // namespace

MaskLayer::MaskLayer()
    : m_image(vtkSmartPointer<vtkImageData>::New())
    , m_table(vtkSmartPointer<vtkLookupTable>::New())
    , m_fill(vtkSmartPointer<vtkImageSlice>::New())
    , m_contour(vtkSmartPointer<vtkDiscreteFlyingEdges2D>::New())
    , m_outline(vtkSmartPointer<vtkActor>::New())
    , m_ring(vtkSmartPointer<vtkPolyData>::New())
    , m_ringActor(vtkSmartPointer<vtkActor>::New())
    , m_polygon(vtkSmartPointer<vtkPolyData>::New())
    , m_polygonActor(vtkSmartPointer<vtkActor>::New())
{
    auto polygonMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    polygonMapper->SetInputData(m_polygon);
    m_polygonActor->SetMapper(polygonMapper);
    m_polygonActor->GetProperty()->SetColor(0.3, 1.0, 1.0);
    m_polygonActor->GetProperty()->LightingOff();
    m_polygonActor->SetPosition(0, 0, kLineDepth - 0.1);
    m_polygonActor->VisibilityOff();
    m_image->SetDimensions(1, 1, 1);
    m_image->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
    m_table->SetNumberOfTableValues(2);
    m_table->SetTableRange(0, 1);
    m_table->SetTableValue(0, 0, 0, 0, 0); // background: transparent
    m_table->Build();
    setColour(1.0, 0.55, 0.0); // orange: the labeller's mask
    auto mapper = vtkSmartPointer<vtkImageSliceMapper>::New();
    mapper->SetInputData(m_image);
    m_fill->SetMapper(mapper);
    m_fill->GetProperty()->SetLookupTable(m_table);
    m_fill->GetProperty()->UseLookupTableScalarRangeOn();
    m_fill->GetProperty()->SetInterpolationTypeToNearest();
    m_fill->GetProperty()->SetOpacity(0.35);
    m_fill->SetPosition(0, 0, kFillDepth);

    m_contour->SetInputData(m_image);
    m_contour->SetValue(0, 1);
    m_contour->ComputeScalarsOff();
    auto outlineMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    outlineMapper->SetInputConnection(m_contour->GetOutputPort());
    outlineMapper->ScalarVisibilityOff();
    m_outline->SetMapper(outlineMapper);
    m_outline->GetProperty()->LightingOff();
    m_outline->SetPosition(0, 0, kLineDepth);

    auto ringMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    ringMapper->SetInputData(m_ring);
    m_ringActor->SetMapper(ringMapper);
    m_ringActor->GetProperty()->SetColor(1, 1, 1);
    m_ringActor->GetProperty()->LightingOff();
    m_ringActor->SetPosition(0, 0, kLineDepth - 0.1);
    updateVisibility();
}

MaskLayer::~MaskLayer() = default;

void MaskLayer::addTo(vtkRenderer* renderer)
{
    renderer->AddViewProp(m_fill);
    renderer->AddActor(m_outline);
    renderer->AddActor(m_ringActor);
    renderer->AddActor(m_polygonActor);
}

void MaskLayer::setPolygon(const std::vector<std::array<double, 2>>& points)
{
    auto vertices = vtkSmartPointer<vtkPoints>::New();
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    if (points.size() >= 2) {
        lines->InsertNextCell(static_cast<vtkIdType>(points.size()));
        for (const auto& p : points)
            lines->InsertCellPoint(vertices->InsertNextPoint(p[1] * m_colSpacing, p[0] * m_rowSpacing, 0));
    }
    m_polygon->SetPoints(vertices);
    m_polygon->SetLines(lines);
    m_polygon->Modified();
    m_polygonActor->SetVisibility(points.size() >= 2);
}

void MaskLayer::setSliceSpacing(double rowSpacing, double colSpacing)
{
    m_rowSpacing = rowSpacing;
    m_colSpacing = colSpacing;
}

void MaskLayer::setColour(double r, double g, double b)
{
    m_table->SetTableValue(1, r, g, b, 1.0);
    m_table->Modified();
    m_outline->GetProperty()->SetColor(r, g, b);
}

void MaskLayer::setMask(int row0, int col0, const BinaryMask& mask)
{
    // Extent from 0 and the box's corner as origin (discrete flying edges ignores extent starts).
    int dims[3];
    m_image->GetDimensions(dims);
    if (dims[0] != mask.cols || dims[1] != mask.rows) {
        m_image->SetDimensions(std::max(1, mask.cols), std::max(1, mask.rows), 1);
        m_image->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
    }
    m_image->SetSpacing(m_colSpacing, m_rowSpacing, 1);
    m_image->SetOrigin(col0 * m_colSpacing, row0 * m_rowSpacing, 0);
    if (!mask.pixels.empty())
        std::memcpy(m_image->GetScalarPointer(), mask.pixels.data(), mask.pixels.size());
    m_image->Modified();
    m_hasMask = true;
    updateVisibility();
}

void MaskLayer::clear()
{
    m_hasMask = false;
    updateVisibility();
}

void MaskLayer::setCursor(double row, double col, double radius, bool visible)
{
    m_cursorVisible = visible;
    if (visible) {
        auto points = vtkSmartPointer<vtkPoints>::New();
        auto lines = vtkSmartPointer<vtkCellArray>::New();
        lines->InsertNextCell(kRingSegments + 1);
        for (int i = 0; i <= kRingSegments; ++i) {
            const double a = 2 * M_PI * i / kRingSegments;
            lines->InsertCellPoint(points->InsertNextPoint((col + radius * std::cos(a)) * m_colSpacing,
                                                           (row + radius * std::sin(a)) * m_rowSpacing, 0));
        }
        m_ring->SetPoints(points);
        m_ring->SetLines(lines);
        m_ring->Modified();
    }
    updateVisibility();
}

void MaskLayer::updateVisibility()
{
    m_fill->SetVisibility(m_hasMask);
    m_outline->SetVisibility(m_hasMask);
    m_ringActor->SetVisibility(m_cursorVisible);
}

} // namespace weaksight::render
