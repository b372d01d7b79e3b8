#pragma once

#include "core/io/Volume.h"
#include "core/masks/CropBox.h"
#include "core/review/ViewPlane.h"

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

/// The VTK pipeline of one 2D view of a plane (axial, coronal or sagittal; review::ViewPlane): the
/// CT plane with window/level, the ground-truth label contours and the crosshair of the linked
/// views. It owns no window: a viewport (Qt widget or an offscreen vtkRenderWindow in tests) adds
/// renderer() to its render window.
///
/// World coordinates are millimetres in the plane: x = plane column * column spacing, y = plane
/// row * row spacing, where plane pixels are review::voxelOf's (axial: the canonical slice, row 0
/// anterior, columns towards the patient's left; coronal and sagittal: row 0 the most superior
/// slice). The camera looks along +z with view-up -y, so plane row 0 is at the top and the
/// patient's left is on the right of the screen (radiological convention). "Slice" below means the
/// plane's number along its normal (an axial slice, a canonical row or a column).
class SliceScene {
public:
    explicit SliceScene(review::ViewPlane plane = review::ViewPlane::Axial);
    ~SliceScene();
    SliceScene(const SliceScene&) = delete;
    SliceScene& operator=(const SliceScene&) = delete;

    vtkRenderer* renderer() const;

    /// The volumes stay owned by the caller and must outlive the scene or the next call.
    /// Either may be null; a label volume must have the image's canonical shape.
    void setVolumes(const CtVolume* imaging, const LabelVolume* labels);
    const CtVolume* imaging() const { return m_imaging; }
    const LabelVolume* labels() const { return m_labels; }

    review::ViewPlane plane() const { return m_plane; }
    /// The plane's pixel grid for the volumes shown (zero without volumes).
    review::PlaneGrid grid() const;
    /// The canonical voxel {slice, row, col} at a pixel (row, col) of the plane shown.
    std::array<int, 3> voxelAt(int planeRow, int planeCol) const;

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
    /// Which contours are on and their opacities, as one value (linked views copy the main view's).
    struct ContourStyle {
        bool all = true;
        std::array<bool, 3> visible{true, true, true};
        std::array<double, 3> opacity{1, 1, 1};
        bool operator==(const ContourStyle& o) const
        {
            return all == o.all && visible == o.visible && opacity == o.opacity;
        }
        bool operator!=(const ContourStyle& o) const { return !(*this == o); }
    };
    ContourStyle contourStyle() const;
    void setContourStyle(const ContourStyle& style);

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
    /// Zooms keeping the world point (x, y) (mm; the one under the cursor) where it is on screen.
    void zoomAbout(double factor, double x, double y);
    void pan(double dx, double dy);
    /// Magnification relative to resetCamera() (1 = the whole slice fits).
    double zoomFactor() const;

    /// Voxel (row, col) under a world point on the slice plane, if inside the slice.
    std::optional<std::array<int, 2>> voxelAtWorld(double x, double y) const;

    /// RGB colour (0..1) used for a label's contour.
    static std::array<double, 3> labelColour(int label);

    /// The current slice's contour of one label (updated on demand); for tests and exports.
    vtkPolyData* labelContour(int label);

    /// Position of the current plane in mm along its normal (LPS z of an axial slice's centre; LPS
    /// y of a coronal, x of a sagittal plane).
    double slicePositionMm() const;

    /// The linked views' crosshair through a canonical voxel {slice, row, col}: a vertical and a
    /// horizontal line through its pixel on this plane (nullopt: none).
    void setCrosshair(const std::optional<std::array<int, 3>>& voxel);
    std::optional<std::array<int, 3>> crosshair() const { return m_crosshair; }
    void setCrosshairVisible(bool visible);
    bool crosshairShown() const;
    /// The crosshair's two lines (world mm), for tests.
    vtkPolyData* crosshairLines() const;
    /// Magenta: apart from every label and edited mask (orange, violet), the proposal (white), the
    /// boxes (yellow) and the review's crop (cyan).
    static constexpr std::array<double, 3> kCrosshairColour{1.0, 0.35, 0.85};

private:
    void updateSliceData();
    void updateCrosshair();
    /// The canonical shape of the volumes shown (zeros without any).
    std::array<int, 3> volumeShape() const;
    std::array<int, 2> sliceDims() const;
    std::array<double, 2> sliceSpacing() const;

    review::ViewPlane m_plane;
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
    std::optional<std::array<int, 3>> m_crosshair;
    bool m_crosshairVisible = true;
    vtkSmartPointer<vtkPolyData> m_crosshairLines;
    vtkSmartPointer<vtkActor> m_crosshairActor;
};

} // namespace weaksight::render
