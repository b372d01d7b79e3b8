#pragma once

// The CAM overlay of one axial view: heatmap patches (one per kidney crop) colour-mapped with a
// perceptually uniform map and an opacity, the proposal contour {map > t} at the method's
// threshold, and the crop boxes. Owns its VTK pipeline; a SliceScene's renderer shows it.

#include "core/review/SliceHeatmaps.h"

#include <array>
#include <optional>
#include <string>
#include <vector>
#include <vtkSmartPointer.h>

class vtkActor;
class vtkFlyingEdges2D;
class vtkImageData;
class vtkImageSlice;
class vtkLookupTable;
class vtkPolyData;
class vtkRenderer;
class vtkScalarBarActor;
class vtkTextProperty;

namespace weaksight::render {

/// Sets `text` to a font with Cyrillic (and most other scripts) where the system has one: every
/// VTK text the workstation shows goes through it.
void useUnicodeFont(vtkTextProperty* text);

class HeatmapLayer {
public:
    HeatmapLayer();
    ~HeatmapLayer();
    HeatmapLayer(const HeatmapLayer&) = delete;
    HeatmapLayer& operator=(const HeatmapLayer&) = delete;

    void addTo(vtkRenderer* renderer);
    /// The slice grid (pixels and mm) the patches are placed on.
    void setSliceGeometry(int rows, int cols, double rowSpacing, double colSpacing);
    /// Replaces the patches: each crop's shown values on its box (which may extend past the slice),
    /// mapped from [low, high] to the colour map; a degenerate map is drawn as nothing (never as
    /// noise), its box in red. Overlapping patches: the later one wins.
    void setPatches(const std::vector<review::CropHeatmap>& patches, double low = 0.0, double high = 1.0);
    void clear();
    size_t patchCount() const { return m_patchCount; }

    void setColorMap(const std::string& name); ///< viridis, inferno, magma, cividis
    const std::string& colorMap() const { return m_colorMap; }
    void setOpacity(double opacity);
    /// The proposal is {map > threshold}; its contour is drawn in white.
    void setThreshold(double threshold);
    double threshold() const { return m_threshold; }
    void setHeatmapVisible(bool visible);
    void setProposalVisible(bool visible);
    void setBoxesVisible(bool visible);
    void setProposalOpacity(double opacity);
    void setBoxesOpacity(double opacity);
    /// The colour bar (right edge of the view) with the value range and a title, e.g. the method.
    void setColorBarTitle(const std::string& title);
    void setColorBarVisible(bool visible);
    vtkScalarBarActor* colorBar() const;

    std::array<double, 2> valueRange() const { return {m_low, m_high}; }
    /// RGBA (0..1) the layer shows for a value (alpha includes the opacity; 0 outside patches).
    std::array<double, 4> colourOf(double value) const;
    /// For tests and figures: the heatmap over the patches' bounding box (origin at its first
    /// pixel in mm, x = column, y = row; below `low` between patches),
    /// the proposal contour (world mm) and the box outlines.
    vtkImageData* heatmapImage() const;
    vtkPolyData* proposalContour();
    /// Box outlines, one line cell per patch, with RGB cell colours (yellow; red when degenerate;
    /// cyan for the highlighted box, with a cell of its own when it is no patch's box).
    vtkPolyData* boxes() const;
    /// The crop under review (or a box being resized), outlined in cyan (the other boxes stay
    /// yellow); nullopt: none.
    void setHighlightedBox(const std::optional<CropBox>& box);

    /// How the layer draws (not what): linked views copy the main view's style.
    struct Style {
        std::string colorMap = "viridis";
        double opacity = 0.5, threshold = 0.5, proposalOpacity = 1.0;
        bool heatmapVisible = true, proposalVisible = true;
        bool operator==(const Style& other) const
        {
            return colorMap == other.colorMap && opacity == other.opacity && threshold == other.threshold &&
                   proposalOpacity == other.proposalOpacity && heatmapVisible == other.heatmapVisible &&
                   proposalVisible == other.proposalVisible;
        }
        bool operator!=(const Style& other) const { return !(*this == other); }
    };
    Style style() const;
    void setStyle(const Style& style);

    static constexpr std::array<unsigned char, 3> kBoxColour{255, 217, 26};
    static constexpr std::array<unsigned char, 3> kDegenerateBoxColour{235, 60, 40};
    static constexpr std::array<unsigned char, 3> kHighlightedBoxColour{40, 230, 255};

private:
    void rebuildLookupTable();
    void updateVisibility();
    void rebuildBoxes();

    int m_rows = 0, m_cols = 0;
    double m_low = 0, m_high = 1, m_threshold = 0.5, m_opacity = 0.5, m_proposalOpacity = 1.0;
    std::string m_colorMap = "viridis";
    size_t m_patchCount = 0;
    std::vector<std::pair<CropBox, bool>> m_boxList; ///< each patch's box and whether it is degenerate
    std::optional<CropBox> m_highlighted;
    bool m_heatmapVisible = true, m_proposalVisible = true, m_boxesVisible = true, m_colorBarVisible = true;
    vtkSmartPointer<vtkImageData> m_image;
    vtkSmartPointer<vtkLookupTable> m_lookupTable;
    vtkSmartPointer<vtkImageSlice> m_heatmapActor;
    vtkSmartPointer<vtkFlyingEdges2D> m_contourFilter;
    vtkSmartPointer<vtkActor> m_contourActor;
    vtkSmartPointer<vtkPolyData> m_boxes;
    vtkSmartPointer<vtkActor> m_boxActor;
    vtkSmartPointer<vtkScalarBarActor> m_colorBar;
};

} // namespace weaksight::render
