#pragma once

// The linked views (ITK-SNAP's and 3D Slicer's default): the axial view the review works in, a
// coronal and a sagittal view of the same case and the 3D view, shown one at a time or 2 x 2. A
// crosshair through one voxel is shared by all of them: a click in one view moves the others to
// the planes through it. The coronal and sagittal views show the axial slices' heatmaps stacked
// (review::stackedHeatmap) with their proposal contour, and copy the axial view's overlay style,
// window and level.

#include "core/review/ViewPlane.h"

#include <QWidget>
#include <array>
#include <memory>
#include <optional>
#include <vector>

class QGridLayout;
class QLabel;

namespace weaksight {
struct LoadedCase;
}

namespace weaksight::ui {

class CamController;
class SliceView;
class StoreOwner;
class SurfacePanel;

class LinkedViews : public QWidget {
    Q_OBJECT
public:
    /// One view of a plane, or all four (axial, sagittal / coronal, 3D).
    enum class Layout { Axial, Coronal, Sagittal, Grid };

    explicit LinkedViews(CamController& cams, QWidget* parent = nullptr);

    SliceView* axial() const { return m_axial; }
    SliceView* coronal() const { return m_coronal; }
    SliceView* sagittal() const { return m_sagittal; }
    SliceView* view(review::ViewPlane plane) const;
    SurfacePanel* surfacePanel() const { return m_surface; }

    void setViewLayout(Layout layout);
    Layout viewLayout() const { return m_layout; }

    /// The case in the coronal, sagittal and 3D views (the caller gives the axial view its volumes
    /// and slice first): the crosshair goes to the middle of the axial slice shown.
    void setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store);
    /// Moves every view to the planes through a canonical voxel {slice, row, col}.
    void setCrosshair(const std::array<int, 3>& voxel);
    std::optional<std::array<int, 3>> crosshair() const { return m_cursor; }
    /// The crosshair lines (shown in the coronal and sagittal views and, in the 2 x 2 layout, in
    /// the axial view too).
    void setCrosshairVisible(bool visible);
    bool crosshairVisible() const { return m_crosshairVisible; }

    /// Stacks the axial slices' maps in the memory into the coronal and sagittal views again (new
    /// maps arrived, other settings, another plane).
    void refreshStackedHeatmaps();
    /// Axial slices with maps crossing the coronal or sagittal view's plane (0 when hidden).
    int stackedSlices(review::ViewPlane plane) const;

Q_SIGNALS:
    void viewLayoutChanged(Layout layout);

private:
    void onSliceChanged(review::ViewPlane plane, int index);
    void updateCrosshairs();
    void refreshStacked(SliceView& view, const std::vector<const review::SliceHeatmaps*>& maps);
    /// Stacks again the shown coronal / sagittal views whose plane moved since they were stacked.
    void refreshMovedStacks();
    void copyAxialStyle();
    bool shown(review::ViewPlane plane) const;
    void updateCaptions();

    CamController& m_cams;
    SliceView* m_axial = nullptr;
    SliceView* m_coronal = nullptr;
    SliceView* m_sagittal = nullptr;
    SurfacePanel* m_surface = nullptr;
    QWidget* m_cells[4] = {};
    QLabel* m_captions[4] = {};
    Layout m_layout = Layout::Axial;
    std::shared_ptr<const LoadedCase> m_case;
    std::optional<std::array<int, 3>> m_cursor;
    bool m_crosshairVisible = true;
    std::array<int, 2> m_stacked{0, 0};        ///< coronal, sagittal: slices with maps on the plane
    std::array<int, 2> m_stackedIndex{-1, -1}; ///< coronal, sagittal: the plane they were stacked on
};

} // namespace weaksight::ui
