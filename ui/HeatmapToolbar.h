#pragma once

// The Heatmaps and Overlay toolbars: the model, the CAM settings (method, target layer,
// normalisation, crop size, threshold) and how the overlay is drawn. The toolbar edits one
// review::CamSettings value and hands it whole to the main view's controller and to the comparison
// panes; it shows the controller's state (model, progress) and computes nothing itself.

#include "core/compute/CamEngine.h"
#include "core/review/CamSettings.h"

#include <QObject>
#include <optional>

class QComboBox;
class QLabel;
class QMainWindow;
class QMenu;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolBar;
class QWidget;

namespace weaksight::ui {

class CamController;
class ComparisonView;
class SliceView;

class HeatmapToolbar : public QObject {
    Q_OBJECT
public:
    HeatmapToolbar(QMainWindow& window, CamController& cams, SliceView& view, ComparisonView& comparison);

    /// The View menu's CAM items: Score-CAM's reduced precision, Smooth Grad-CAM++'s noise and
    /// whose CAM definitions (all kept in the settings).
    void addViewMenuItems(QMenu* viewMenu);
    /// Smooth Grad-CAM++'s noisy copies and noise (View menu; kept in the settings).
    void setSmoothParameters(int samples, double noise);
    /// Whose CAM definitions the maps follow; methods the flavour's library lacks cannot be chosen.
    void applyCamFlavour(compute::CamFlavour flavour);
    void setScoreReducedPrecision(bool reduced);
    /// The crop size (model input pixels) from elsewhere (a crop resized with the mouse): the maps
    /// are computed again.
    void setCropSize(int pixels);
    /// A method's threshold from elsewhere (the dashboard's learned threshold).
    void useThreshold(const std::string& method, double threshold);
    /// "loading FILE…" until the controller reports the model.
    void showModelLoading(const QString& fileName);
    /// The model's summary with the note on its physical scale (CamController), as the model
    /// label's tooltip.
    void updateModelToolTip();
    /// The proposal's IoU against the ground truth (empty: none).
    void showIou(std::optional<double> iou);
    /// The proposal kinds as a combo box offers them (the toolbar's and each comparison pane's):
    /// display name, with the kind as item data.
    static void addProposalKindItems(QComboBox& box);
    /// The method list's entry for the loaded U-Net (CAM methods are their enum values).
    static constexpr int kSegmenterEntry = -1;

Q_SIGNALS:
    /// The maps change (method, layer, normalisation, crop size, flavour, model): show the slice again.
    void settingsChanged();
    /// Only the threshold moved: the proposal's isoline and IoU change, no map is recomputed.
    void thresholdChanged();
    void loadModelRequested(const QString& path);

private:
    /// The View menu's dialog for setSmoothParameters.
    void editSmoothParameters();
    QToolBar* buildSettingsBar(QMainWindow& window);
    void addProposalKind(QToolBar& toolbar);
    void buildProgress(QMainWindow& window);
    QToolBar* buildOverlayBar(QMainWindow& window);
    QWidget* buildOverlayPanel(QWidget* parent);
    void connectSettings();
    void connectController();
    void onModelLoaded(const QString& summary);
    void onSegmenterLoaded(const QString& summary);
    /// Hands the settings to the main controller and the comparison panes.
    void applySettings(const review::CamSettings& settings);

    CamController& m_cams;
    SliceView& m_view;
    ComparisonView& m_comparison;
    QMainWindow* m_window = nullptr;
    QComboBox* m_camMethod = nullptr;
    QComboBox* m_targetLayer = nullptr;
    QComboBox* m_normalisation = nullptr;
    QComboBox* m_proposalKind = nullptr;
    QSpinBox* m_cropSize = nullptr;
    QSlider* m_threshold = nullptr;
    QLabel* m_thresholdLabel = nullptr;
    QSlider* m_opacity = nullptr;
    QComboBox* m_colorMap = nullptr;
    QLabel* m_modelLabel = nullptr;
    QLabel* m_iouLabel = nullptr;
    QProgressBar* m_camProgress = nullptr;
    QPushButton* m_camCancel = nullptr;
};

} // namespace weaksight::ui
