#pragma once

// The 3D view of a case: smoothed surfaces of the ground-truth labels (kidney translucent, tumour
// and cyst opaque) and of the labeller's curated lesion masks, in the canonical frame in mm
// (x = column, y = row, z = slice; seen from the front, patient's left on the screen's right).
// Surfaces are built by buildLabelSurfaces() on a worker thread and handed to the scene.

#include "core/io/Volume.h"

#include <vtkSmartPointer.h>

#include <array>
#include <cstdint>
#include <vector>

class vtkActor;
class vtkPlaneSource;
class vtkPolyData;
class vtkRenderWindow;
class vtkRenderer;

namespace weaksight::render {

struct LabelSurface {
    uint8_t label = 0;
    bool curated = false; ///< from the store's accepted / corrected masks, not the ground truth
    vtkSmartPointer<vtkPolyData> mesh;
};

/// One smoothed surface per label value present in `labels` (only inside the labels' bounding
/// box, so a 512 x 512 x 100 case takes well under a second). Touches no renderer: thread-safe.
std::vector<LabelSurface> buildLabelSurfaces(const LabelVolume& labels, const std::vector<uint8_t>& values,
                                             bool curated, int smoothingIterations = 15);

class SurfaceScene {
public:
    SurfaceScene();
    ~SurfaceScene();
    SurfaceScene(const SurfaceScene&) = delete;
    SurfaceScene& operator=(const SurfaceScene&) = delete;

    vtkRenderer* renderer() const;
    /// Replaces the surfaces (of one kind: ground truth or curated) and keeps the other kind.
    void setSurfaces(const std::vector<LabelSurface>& surfaces, bool curated);
    void clear();
    void setCuratedVisible(bool visible);
    void setTruthVisible(bool visible);
    size_t surfaceCount() const { return m_actors.size(); }
    /// The colour a label's surface has (curated masks: magenta).
    static std::array<double, 3> surfaceColour(uint8_t label, bool curated);
    /// Front view (anterior), superior up, everything in view.
    void resetCamera();

    /// The orientation marker: a cube lettered R/L, A/P, S/I in the lower left corner, turned with
    /// the camera (synchronised before every render). Its renderer sits on layer 1 of the window.
    vtkRenderer* markerRenderer() const;
    /// Both renderers into a window (the marker's on layer 1).
    void addTo(vtkRenderWindow* window);
    /// The axial slice on screen in the slice view, as a translucent plane across the volume
    /// (`shape` and `spacing` of the case, [axial, row, col]); hidden until set.
    void setSlicePlane(int slice, const std::array<int, 3>& shape, const std::array<double, 3>& spacing);
    void setSlicePlaneVisible(bool visible);
    vtkActor* slicePlane() const;

private:
    struct Actor {
        uint8_t label;
        bool curated;
        vtkSmartPointer<vtkActor> actor;
    };
    void syncMarker();

    vtkSmartPointer<vtkRenderer> m_renderer, m_markerRenderer;
    unsigned long m_markerObserver = 0;
    vtkSmartPointer<vtkActor> m_slicePlane;
    vtkSmartPointer<vtkPlaneSource> m_planeSource;
    std::vector<Actor> m_actors;
    bool m_truthVisible = true, m_curatedVisible = true;
};

} // namespace weaksight::render
