#pragma once

// The mask being reviewed or edited on the axial view: a translucent fill and its outline over a
// box of the slice (a crop), and the brush's cursor ring. Owns its VTK pipeline; a SliceScene's
// renderer shows it.

#include "core/masks/BinaryMask.h"

#include <vtkSmartPointer.h>

#include <array>
#include <vector>

class vtkActor;
class vtkDiscreteFlyingEdges2D;
class vtkImageData;
class vtkImageSlice;
class vtkLookupTable;
class vtkPolyData;
class vtkRenderer;

namespace weaksight::render {

class MaskLayer {
public:
    MaskLayer();
    ~MaskLayer();
    MaskLayer(const MaskLayer&) = delete;
    MaskLayer& operator=(const MaskLayer&) = delete;

    void addTo(vtkRenderer* renderer);
    void setSliceSpacing(double rowSpacing, double colSpacing);
    /// Shows `mask` over the slice box starting at (row0, col0). Cheap enough to call for every
    /// brush dab: a copy of the box's pixels; the outline is traced when the frame renders.
    void setMask(int row0, int col0, const BinaryMask& mask);
    void clear();
    void setColour(double r, double g, double b);
    /// The brush ring: centre in slice pixels (row, col), radius in pixels.
    void setCursor(double row, double col, double radius, bool visible);
    /// The polygon being drawn (slice pixels: row, col), open; empty hides it.
    void setPolygon(const std::vector<std::array<double, 2>>& points);

private:
    void updateVisibility();

    double m_rowSpacing = 1, m_colSpacing = 1;
    bool m_hasMask = false, m_cursorVisible = false;
    vtkSmartPointer<vtkImageData> m_image;
    vtkSmartPointer<vtkLookupTable> m_table;
    vtkSmartPointer<vtkImageSlice> m_fill;
    vtkSmartPointer<vtkDiscreteFlyingEdges2D> m_contour;
    vtkSmartPointer<vtkActor> m_outline;
    vtkSmartPointer<vtkPolyData> m_ring;
    vtkSmartPointer<vtkActor> m_ringActor;
    vtkSmartPointer<vtkPolyData> m_polygon;
    vtkSmartPointer<vtkActor> m_polygonActor;
};

} // namespace weaksight::render
