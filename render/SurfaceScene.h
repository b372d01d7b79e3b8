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
class vtkPolyData;
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

private:
    struct Actor {
        uint8_t label;
        bool curated;
        vtkSmartPointer<vtkActor> actor;
    };
    vtkSmartPointer<vtkRenderer> m_renderer;
    std::vector<Actor> m_actors;
    bool m_truthVisible = true, m_curatedVisible = true;
};

} // namespace weaksight::render
