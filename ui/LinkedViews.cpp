#include "ui/LinkedViews.h"

#include "core/cases/KitsCase.h"
#include "ui/CamController.h"
#include "ui/SliceView.h"
#include "ui/SurfaceView.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace weaksight::ui {

namespace {
using review::ViewPlane;
constexpr float kAbsent = -1.f; // below every shown value: transparent
} // namespace

LinkedViews::LinkedViews(CamController& cams, QWidget* parent)
    : QWidget(parent)
    , m_cams(cams)
{
    setObjectName("linkedViews");
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(2);
    // ITK-SNAP's arrangement: axial and sagittal above, coronal and 3D below.
    const std::array<std::pair<int, int>, 4> places{{{0, 0}, {1, 0}, {0, 1}, {1, 1}}};
    for (int i = 0; i < 4; ++i) {
        m_cells[i] = new QWidget(this);
        auto* column = new QVBoxLayout(m_cells[i]);
        column->setContentsMargins(0, 0, 0, 0);
        column->setSpacing(0);
        m_captions[i] = new QLabel(m_cells[i]);
        m_captions[i]->setObjectName(QStringLiteral("viewCaption%1").arg(i));
        column->addWidget(m_captions[i]);
        grid->addWidget(m_cells[i], places[static_cast<size_t>(i)].first,
                        places[static_cast<size_t>(i)].second);
    }
    m_axial = new SliceView(m_cells[0], ViewPlane::Axial);
    m_coronal = new SliceView(m_cells[1], ViewPlane::Coronal);
    m_sagittal = new SliceView(m_cells[2], ViewPlane::Sagittal);
    m_surface = new SurfacePanel(m_cells[3]);
    m_coronal->setObjectName("coronalView");
    m_sagittal->setObjectName("sagittalView");
    static_cast<QVBoxLayout*>(m_cells[0]->layout())->addWidget(m_axial, 1);
    static_cast<QVBoxLayout*>(m_cells[1]->layout())->addWidget(m_coronal, 1);
    static_cast<QVBoxLayout*>(m_cells[2]->layout())->addWidget(m_sagittal, 1);
    static_cast<QVBoxLayout*>(m_cells[3]->layout())->addWidget(m_surface, 1);
    m_captions[3]->setText(tr("3D"));

    for (SliceView* side : {m_coronal, m_sagittal}) {
        // The crops are the axial view's: no boxes or colour bar across stacked slices.
        side->heatmapLayer().setBoxesVisible(false);
        side->heatmapLayer().setColorBarVisible(false);
        side->heatmapLayer().setStyle(m_axial->heatmapLayer().style());
    }
    for (SliceView* view : {m_axial, m_coronal, m_sagittal}) {
        connect(view, &SliceView::sliceChanged, this,
                [this, view](int index) { onSliceChanged(view->plane(), index); });
        connect(view, &SliceView::pointClicked, this, [this](int slice, int row, int col) {
            setCrosshair({slice, row, col});
        });
        // Window and level are one setting for the three planes.
        connect(view, &SliceView::windowLevelChanged, this, [this, view](double window, double level) {
            for (SliceView* other : {m_axial, m_coronal, m_sagittal}) {
                const auto wl = other->scene().windowLevel();
                if (other != view && (wl.window != window || wl.level != level))
                    other->setWindowLevel({window, level});
            }
        });
    }
    // The toolbar and overlay panel restyle the axial view and ask it to render; the others follow
    // then (also when the axial view is hidden) and at its next frame.
    connect(m_axial, &SliceView::renderRequested, this, &LinkedViews::copyAxialStyle);
    connect(m_axial, &SliceView::frameStarting, this, &LinkedViews::copyAxialStyle);
    connect(&m_cams, &CamController::heatmapsAdded, this, &LinkedViews::refreshStackedHeatmaps);
    setViewLayout(Layout::Axial);
}

SliceView* LinkedViews::view(ViewPlane plane) const
{
    switch (plane) {
    case ViewPlane::Coronal:
        return m_coronal;
    case ViewPlane::Sagittal:
        return m_sagittal;
    case ViewPlane::Axial:
        break;
    }
    return m_axial;
}

bool LinkedViews::shown(ViewPlane plane) const
{
    switch (plane) {
    case ViewPlane::Axial:
        return m_layout == Layout::Axial || m_layout == Layout::Grid;
    case ViewPlane::Coronal:
        return m_layout == Layout::Coronal || m_layout == Layout::Grid;
    case ViewPlane::Sagittal:
        return m_layout == Layout::Sagittal || m_layout == Layout::Grid;
    }
    return false;
}

void LinkedViews::setViewLayout(Layout layout)
{
    const bool changed = layout != m_layout;
    m_layout = layout;
    m_cells[0]->setVisible(shown(ViewPlane::Axial));
    m_cells[1]->setVisible(shown(ViewPlane::Coronal));
    m_cells[2]->setVisible(shown(ViewPlane::Sagittal));
    m_cells[3]->setVisible(layout == Layout::Grid);
    for (QLabel* caption : m_captions)
        caption->setVisible(layout == Layout::Grid);
    // Stacked maps need every slice's maps: computed in the background only while a stack shows.
    m_cams.setStackedSlicesWanted(layout != Layout::Axial);
    if (m_cursor) { // the planes a hidden view did not follow
        m_coronal->setSlice((*m_cursor)[1]);
        m_sagittal->setSlice((*m_cursor)[2]);
    }
    updateCrosshairs();
    refreshStackedHeatmaps();
    copyAxialStyle();
    updateCaptions();
    if (changed)
        Q_EMIT viewLayoutChanged(layout);
}

void LinkedViews::setCase(std::shared_ptr<const LoadedCase> loaded, StoreOwner* store)
{
    m_case = std::move(loaded);
    const CtVolume* ct = m_case && m_case->imaging ? &*m_case->imaging : nullptr;
    const LabelVolume* labels = m_case && m_case->labels ? &*m_case->labels : nullptr;
    m_coronal->setVolumes(ct, labels);
    m_sagittal->setVolumes(ct, labels);
    m_surface->setCase(m_case, store);
    m_surface->view()->setSlice(m_axial->slice());
    const auto grid = m_axial->scene().grid();
    if (grid.depth > 0)
        setCrosshair({m_axial->slice(), grid.rows / 2, grid.cols / 2});
    else
        m_cursor.reset();
    refreshStackedHeatmaps();
}

void LinkedViews::setCrosshair(const std::array<int, 3>& voxel)
{
    m_cursor = voxel;
    // Each view's sliceChanged comes back through onSliceChanged, which agrees with the cursor.
    // Hidden planes follow when they are shown (a sagittal plane is a strided copy of the volume).
    m_axial->setSlice(voxel[0]);
    if (shown(ViewPlane::Coronal))
        m_coronal->setSlice(voxel[1]);
    if (shown(ViewPlane::Sagittal))
        m_sagittal->setSlice(voxel[2]);
    updateCrosshairs();
    refreshMovedStacks();
    updateCaptions();
}

void LinkedViews::setCrosshairVisible(bool visible)
{
    m_crosshairVisible = visible;
    updateCrosshairs();
}

void LinkedViews::onSliceChanged(ViewPlane plane, int index)
{
    if (plane == ViewPlane::Axial)
        m_surface->view()->setSlice(index);
    if (!m_cursor)
        return;
    const size_t axis = plane == ViewPlane::Axial ? 0 : plane == ViewPlane::Coronal ? 1 : 2;
    if ((*m_cursor)[axis] == index)
        return;
    (*m_cursor)[axis] = index;
    updateCrosshairs();
    refreshMovedStacks();
    updateCaptions();
}

void LinkedViews::updateCrosshairs()
{
    for (SliceView* v : {m_axial, m_coronal, m_sagittal}) {
        // In the axial view alone the lines would only cover the slice the labeller edits.
        const bool visible = m_crosshairVisible && (v != m_axial || m_layout == Layout::Grid);
        v->scene().setCrosshairVisible(visible);
        v->scene().setCrosshair(m_cursor);
        if (shown(v->plane()))
            v->requestRender();
    }
}

void LinkedViews::refreshStackedHeatmaps()
{
    if (!shown(ViewPlane::Coronal) && !shown(ViewPlane::Sagittal))
        return;
    const auto maps = m_cams.heatmapsOfEverySlice();
    for (SliceView* side : {m_coronal, m_sagittal})
        if (shown(side->plane())) {
            refreshStacked(*side, maps);
            side->requestRender();
        }
}

void LinkedViews::refreshMovedStacks()
{
    std::vector<const review::SliceHeatmaps*> maps;
    for (SliceView* side : {m_coronal, m_sagittal}) {
        const size_t which = side->plane() == ViewPlane::Coronal ? 0 : 1;
        if (!shown(side->plane()) || m_stackedIndex[which] == side->slice())
            continue;
        if (maps.empty())
            maps = m_cams.heatmapsOfEverySlice();
        refreshStacked(*side, maps);
        side->requestRender();
    }
}

void LinkedViews::refreshStacked(SliceView& side, const std::vector<const review::SliceHeatmaps*>& maps)
{
    const size_t which = side.plane() == ViewPlane::Coronal ? 0 : 1;
    m_stacked[which] = 0;
    m_stackedIndex[which] = side.slice();
    // The maps are the controller's case's; the same case as this one's, checked all the same.
    if (!m_case || !m_case->imaging || maps.size() != static_cast<size_t>(m_case->imaging->slices())) {
        side.heatmapLayer().clear();
        return;
    }
    const auto stacked = review::stackedHeatmap(
        side.plane(), side.slice(), m_case->imaging->shape,
        [&maps](int k) { return maps[static_cast<size_t>(k)]; }, kAbsent);
    m_stacked[which] = stacked.slicesWithMaps;
    if (stacked.slicesWithMaps == 0)
        side.heatmapLayer().clear();
    else
        side.heatmapLayer().setPatches({stacked.heatmap});
}

int LinkedViews::stackedSlices(ViewPlane plane) const
{
    if (plane == ViewPlane::Axial || !shown(plane))
        return 0;
    return m_stacked[plane == ViewPlane::Coronal ? 0 : 1];
}

void LinkedViews::copyAxialStyle()
{
    const auto style = m_axial->heatmapLayer().style();
    const auto contours = m_axial->scene().contourStyle();
    for (SliceView* side : {m_coronal, m_sagittal}) {
        if (!shown(side->plane()))
            continue;
        bool changed = false;
        if (side->heatmapLayer().style() != style) {
            side->heatmapLayer().setStyle(style);
            changed = true;
        }
        if (side->scene().contourStyle() != contours) {
            side->scene().setContourStyle(contours);
            changed = true;
        }
        if (changed)
            side->requestRender();
    }
}

void LinkedViews::updateCaptions()
{
    if (m_layout != Layout::Grid)
        return;
    const auto position = [](const SliceView* v) {
        return v->scene().slicePositionMm();
    };
    m_captions[0]->setText(
        tr("Axial — slice %1 (%2 mm)").arg(m_axial->slice()).arg(position(m_axial), 0, 'f', 1));
    m_captions[1]->setText(
        tr("Coronal — row %1 (%2 mm)").arg(m_coronal->slice()).arg(position(m_coronal), 0, 'f', 1));
    m_captions[2]->setText(
        tr("Sagittal — column %1 (%2 mm)").arg(m_sagittal->slice()).arg(position(m_sagittal), 0, 'f', 1));
}

} // namespace weaksight::ui
