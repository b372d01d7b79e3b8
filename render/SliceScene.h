#pragma once

#include "core/io/Volume.h"
#include "core/masks/CropBox.h"

#include <array>
#include <optional>
#include <vtkSmartPointer.h>

class vtkPolyData;

class vtkRenderer;
class vtkImageData;
class vtkImageSlice;
class vtkImageSliceMapper;
class vtkActor;
class vtkPolyData;
class vtkDiscreteFlyingEdges2D;

namespace weaksight::render {

/// CT window (width / level in HU).
struct WindowLevel {
    double window = 350;
    double level = 40;
};

/// The VTK pipeline of one 2D axial view: the CT slice with window/level and the
/// ground-truth label contours. It owns no window: a viewport (Qt widget or an
/// offscreen vtkRenderWindow in tests) adds renderer() to its render window.
///
/// World coordinates are millimetres in the slice plane: x = column * column spacing
/// (towards the patient's left), y = row * row spacing (towards posterior). The camera
/// looks along +z with view-up -y, so row 0 (anterior) is at the top and the patient's
/// left is on the right of the screen (radiological convention).
class SliceScene {
public:
    SliceScene();
    ~SliceScene();
    SliceScene(const SliceScene&) = delete;
    SliceScene& operator=(const SliceScene&) = delete;

    vtkRenderer* renderer() const;

    /// The volumes stay owned by the caller and must outlive the scene or the next call.
    /// Either may be null; a label volume must have the image's canonical shape.
    void setVolumes(const CtVolume* imaging, const LabelVolume* labels);
    const CtVolume* imaging() const { return m_imaging; }
    const LabelVolume* labels() const { return m_labels; }

    int sliceCount() const;
    int slice() const { return m_slice; }
    /// Clamps to the valid range; returns the slice shown.
    int setSlice(int slice);

    void setWindowLevel(WindowLevel wl);
    WindowLevel windowLevel() const { return m_windowLevel; }

    void setLabelContoursVisible(bool visible);
    bool labelContoursVisible() const { return m_contoursVisible; }
    /// One label's contour (1 kidney, 2 tumour, 3 cyst) on or off, and its opacity (0..1).
    void setLabelContourVisible(int label, bool visible);
    void setLabelContourOpacity(int label, double opacity);
    bool labelContourShown(int label) const;

    /// Fits the whole slice into the renderer's viewport (aspect = width / height).
    void resetCamera(double viewportAspect);
    /// Centres `box` (slice pixels) and zooms so it fills the viewport with `margin` (1.25 = a
    /// quarter more around it), at least the whole slice's zoom and at most zoom()'s 64x.
    void fitBox(const CropBox& box, double viewportAspect, double margin = 1.25);
    /// Pans so `box` (slice pixels) is in the middle of the view, keeping the zoom.
    void centreOn(const CropBox& box);

    /// The viewport changed shape: refits the slice's size for the new aspect but keeps the user's
    /// zoom factor and the point at the view centre.
    void setViewportAspect(double viewportAspect);
    /// Zooms about the view centre (factor > 1 magnifies) and pans by a world offset (mm).
    void zoom(double factor);
    void pan(double dx, double dy);
    /// Magnification relative to resetCamera() (1 = the whole slice fits).
    double zoomFactor() const;

    /// Voxel (row, col) under a world point on the slice plane, if inside the slice.
    std::optional<std::array<int, 2>> voxelAtWorld(double x, double y) const;

    /// RGB colour (0..1) used for a label's contour.
    static std::array<double, 3> labelColour(int label);

    /// The current slice's contour of one label (updated on demand); for tests and exports.
    vtkPolyData* labelContour(int label);

    /// Axial position of the current slice in mm (LPS z of its centre).
    double slicePositionMm() const;

private:
    void updateSliceData();
    std::array<int, 2> sliceDims() const;
    std::array<double, 2> sliceSpacing() const;

    const CtVolume* m_imaging = nullptr;
    const LabelVolume* m_labels = nullptr;
    int m_slice = 0;
    WindowLevel m_windowLevel;
    double m_fitScale = 1.0; ///< parallel scale that fits the slice (resetCamera)
    bool m_contoursVisible = true;
    std::array<bool, 3> m_labelVisible{true, true, true};

    vtkSmartPointer<vtkRenderer> m_renderer;
    vtkSmartPointer<vtkImageData> m_ctSlice;
    vtkSmartPointer<vtkImageSliceMapper> m_ctMapper;
    vtkSmartPointer<vtkImageSlice> m_ctActor;
    vtkSmartPointer<vtkImageData> m_labelSlice;
    std::array<int, 4> m_labelBox{0, 0, 0, 0}; ///< rows r0..r1, columns c0..c1 holding every label
    /// One contour pipeline per label (kidney, tumour, cyst), each with a fixed colour.
    struct LabelContour {
        vtkSmartPointer<vtkDiscreteFlyingEdges2D> filter;
        vtkSmartPointer<vtkActor> actor;
    };
    std::array<LabelContour, 3> m_contours;
};

} // namespace weaksight::render
