#pragma once

// Side-by-side CAM methods: a grid of linked panes, one per method, sharing slice, window/level,
// zoom and pan; each pane has its own threshold and proposal kind (the map above the threshold or a
// refinement of it, drawn as a blue mask) and shows its proposal's IoU against ground truth. With a
// U-Net loaded in the main view, a pane shows its probability beside the CAM methods.

#include "core/cases/KitsCase.h"
#include "core/compute/CamEngine.h"
#include "core/compute/Evaluation.h"
#include "core/review/CamSettings.h"
#include "render/HeatmapLayer.h"
#include "render/SliceScene.h"

#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QSlider;

namespace weaksight::ui {

class CamController;
class SliceView;

class ComparisonView : public QWidget {
    Q_OBJECT
public:
    /// The five methods of the thesis by default.
    static std::vector<compute::CamMethod> defaultMethods();

    explicit ComparisonView(QWidget* parent = nullptr);
    ~ComparisonView() override;

    /// One pane per method, and with `segmenterPane` one more for the U-Net's probability (the
    /// learned proposal: the main view's loaded U-Net, shared).
    void setMethods(const std::vector<compute::CamMethod>& methods, bool segmenterPane = false);
    bool hasSegmenterPane() const;
    void setCase(std::shared_ptr<const LoadedCase> loaded);
    /// Every pane uses the model loaded by `source` (one model in memory).
    void shareModel(const CamController& source);
    /// Takes over from the single view: its case, model, CAM settings, window and slice, and follows
    /// its slice and window (until release()); a slice changed in a pane goes back to it.
    void follow(std::shared_ptr<const LoadedCase> loaded, const CamController& main, SliceView& mainView);
    /// The CAM settings every pane follows, each with its own method and threshold (CAM itself
    /// keeps the model's last stage: it needs it).
    void setSettings(const review::CamSettings& settings);
    void setSlice(int slice);
    int slice() const { return m_slice; }
    void setWindowLevel(render::WindowLevel windowLevel);
    void setLabelContoursVisible(bool visible);
    void resetView();
    /// The crops the labeller placed on the case, in every pane (follow() passes them first).
    void setPlacements(const std::vector<CropPlacement>& placements);
    /// Zooms every pane onto a box of slice pixels (follow() does it with the slice's crops).
    void zoomTo(const CropBox& box);
    /// Applies a display setting (opacity, colour map, toggles) to every pane's heatmap layer.
    void forEachLayer(const std::function<void(render::HeatmapLayer&)>& apply);
    /// Applies a display setting (label contours) to every pane's view.
    void forEachView(const std::function<void(SliceView&)>& apply);
    /// Stops the panes' background work and lets go of the case (when the comparison is left).
    void release();

    int paneCount() const { return static_cast<int>(m_panes.size()); }
    SliceView* paneView(int pane) const { return m_panes.at(static_cast<size_t>(pane)).view; }
    CamController* paneController(int pane) const { return m_panes.at(static_cast<size_t>(pane)).cams; }
    QSlider* paneThreshold(int pane) const { return m_panes.at(static_cast<size_t>(pane)).threshold; }
    QLabel* paneTitle(int pane) const { return m_panes.at(static_cast<size_t>(pane)).title; }
    QComboBox* paneProposal(int pane) const { return m_panes.at(static_cast<size_t>(pane)).proposal; }

Q_SIGNALS:
    void sliceChanged(int slice);

private:
    struct Pane {
        QWidget* box = nullptr;
        QLabel* title = nullptr;
        SliceView* view = nullptr;
        QSlider* threshold = nullptr;
        QComboBox* proposal = nullptr;
        CamController* cams = nullptr;
    };
    void showPane(Pane& pane);
    /// A refined proposal as a mask over the slice's crops (the raw one is the heatmap's isoline).
    void showRefinedProposal(Pane& pane);
    void updateTitle(Pane& pane);

    std::vector<Pane> m_panes;
    std::shared_ptr<const LoadedCase> m_case;
    int m_slice = 0;
    bool m_linking = false; ///< set while one pane's change is copied to the others
    QMetaObject::Connection m_followSlice, m_followWindow, m_reportSlice;
};

} // namespace weaksight::ui
