#pragma once

#include "core/compute/CamEngine.h"
#include "core/cases/KitsCase.h"
#include "core/research/DemoSetup.h"
#include "ui/EditJournal.h"
#include "ui/KeyBindings.h"

#include <QFutureWatcher>
#include <QMainWindow>

#include <array>
#include <memory>
#include <optional>
#include <vector>

class QAction;
class QComboBox;
class QStackedWidget;
class QProgressBar;
class QPushButton;
class QCheckBox;
class QLabel;
class QMenu;
class QDockWidget;
class QSlider;
class QSpinBox;

namespace weaksight::ui {

class SliceView;
class CamController;
class ComparisonView;
class CaseBrowser;
class SurfaceView;
class Dashboard;
class ReviewController;

/// The first workstation window: a case list, the axial slice viewer with CT window
/// presets and label contours, and a status bar with slice, position and HU under the cursor.
/// Case loading and demo generation run in the background (QtConcurrent + QPromise).
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// A dataset folder, a case folder, a volume file or a DICOM series folder.
    void openPath(const QString& path);
    /// Opens the built-in demo dataset, generating it on first use.
    void openDemo();

    SliceView* sliceView() const { return m_view; }
    CamController* camController() const { return m_cams; }
    ComparisonView* comparisonView() const { return m_comparison; }
    /// Switches between the single view and the side-by-side comparison of CAM methods.
    void setComparisonMode(bool on);
    bool comparisonMode() const;
    /// Sets whose CAM definitions the maps follow and which methods can be chosen.
    void applyCamFlavour(compute::CamFlavour flavour);
    /// The model's physical scale against the case's, in the status bar and the model's tooltip.
    void showPhysicalScaleNote(const QString& prefix);
    /// Loads a classifier for the heatmap overlay (background; the Heatmaps toolbar shows it).
    void loadModel(const QString& path);
    const LoadedCase* currentCase() const { return m_current.get(); }
    int caseCount() const { return static_cast<int>(m_cases.size()); }
    void selectCase(int index);

    /// Where the demo (cases and model) lives (made on first use).
    static QString demoRootPath();
    /// Demo size and training (tests make a smaller one).
    void setDemoOptions(const DemoOptions& options);
    /// The annotation store of a dataset: `weaksight.sqlite` in its folder (a file's folder for a
    /// single volume).
    static QString storePathFor(const QString& datasetPath);
    /// Datasets opened before, newest first (kept in the settings).
    static QStringList recentDatasets();
    CaseBrowser* caseBrowser() const { return m_caseBrowser; }
    QString storePath() const { return m_storePath; }
    SurfaceView* surfaceView() const { return m_surfaceView; }
    ReviewController* reviewController() const { return m_review; }
    KeyBindings& keyBindings() { return m_keys; }
    Dashboard* dashboard() const { return m_dashboard; }
    QDockWidget* dashboardDock() const { return m_dashboardDock; }
    /// File > Export curated masks… (also the dashboard's button).
    void showExportDialog();
    /// Help > Keyboard shortcuts (F1): the overlay listing every command's key.
    void showKeyHelp();
    /// A correction left in the journal by a crashed or killed session, if any.
    std::optional<EditRecovery> pendingRecovery() const;
    /// At start-up: asks whether to restore a journalled correction, then opens it. True when a
    /// restore is under way (the journal was read once for it).
    bool offerRecovery();
    /// Opens the recovery's dataset and case and resumes the correction.
    void recoverEdit(const EditRecovery& recovery);
    /// Shows the 3D view (kidney and lesion surfaces of the case; View > 3D view, key 3).
    void set3dViewVisible(bool visible);

Q_SIGNALS:
    void caseLoaded(const QString& caseId);
    void loadFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    struct LoadResult {
        std::shared_ptr<LoadedCase> loaded;
        QString error;
        int generation = 0;
    };

    void buildUi();
    void showCases(std::vector<CaseFiles> cases, const QString& datasetPath);
    void rememberDataset(const QString& path);
    void onCaseLoaded();
    void showError(const QString& title, const QString& message);
    void updateSliceControls();
    void chooseDataset();
    void chooseVolumeFile();
    void buildHeatmapToolbar();
    void showHeatmaps(int slice);
    void updateProposalIou();
    void goToLesionSlice(int direction);
    void update3dView();
    void buildReviewMenu();
    bool ensureAnnotator();
    bool askAnnotator();
    void showEditedMask();
    void endPolygon();
    void goToNextUndecided(int direction);
    void updateReviewStatus();
    void resumeRecoveredEdit();

    SliceView* m_view = nullptr;
    CaseBrowser* m_caseBrowser = nullptr;
    SurfaceView* m_surfaceView = nullptr;
    Dashboard* m_dashboard = nullptr;
    QDockWidget* m_dashboardDock = nullptr;
    ReviewController* m_review = nullptr;
    QAction* m_autoAdvance = nullptr;
    QLabel* m_reviewLabel = nullptr;
    KeyBindings m_keys;
    std::vector<std::array<double, 2>> m_polygonPoints; ///< slice pixels (row, col)
    bool m_polygonSubtract = false;
    std::optional<EditRecovery> m_recovery; ///< waiting for its case to load
    QDockWidget* m_surfaceDock = nullptr;
    QString m_storePath; ///< the annotation store of the open dataset
    std::shared_ptr<const LoadedCase> m_surfaceCase; ///< the case the 3D view shows
    QMenu* m_recentMenu = nullptr;
    QSlider* m_sliceSlider = nullptr;
    QLabel* m_sliceLabel = nullptr;
    QComboBox* m_presets = nullptr;
    QCheckBox* m_showLabels = nullptr;
    QLabel* m_cursorLabel = nullptr;
    CamController* m_cams = nullptr;
    ComparisonView* m_comparison = nullptr;
    QStackedWidget* m_centre = nullptr;
    QAction* m_compareAction = nullptr;
    QComboBox* m_camMethod = nullptr;
    QComboBox* m_targetLayer = nullptr;
    QComboBox* m_normalisation = nullptr;
    QSpinBox* m_cropSize = nullptr;
    QSlider* m_threshold = nullptr;
    QLabel* m_thresholdLabel = nullptr;
    QSlider* m_opacity = nullptr;
    QComboBox* m_colorMap = nullptr;
    QLabel* m_modelLabel = nullptr;
    QLabel* m_iouLabel = nullptr;
    QProgressBar* m_camProgress = nullptr;
    QPushButton* m_camCancel = nullptr;

    std::vector<CaseFiles> m_cases;
    std::shared_ptr<LoadedCase> m_current;
    QFutureWatcher<LoadResult> m_loadWatcher;
    int m_loadGeneration = 0;
    DemoOptions m_demoOptions;
};

} // namespace weaksight::ui
