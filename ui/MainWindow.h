#pragma once

#include "core/cases/KitsCase.h"
#include "core/compute/CamEngine.h"
#include "core/research/DemoSetup.h"
#include "ui/EditJournal.h"
#include "ui/KeyBindings.h"
#include "ui/LinkedViews.h"

#include <QMainWindow>
#include <memory>
#include <optional>

class QDockWidget;
class QMenu;
class QStackedWidget;

namespace weaksight::ui {

class CamController;
class CaseBrowser;
class ComparisonView;
class Dashboard;
class DashboardDock;
class HeatmapToolbar;
class ReviewActions;
class ReviewController;
class SliceView;
class SliceToolbar;
class SurfaceDock;
class SurfaceView;
class Workspace;

/// The workstation window: the case list, the axial slice viewer (or the comparison of CAM
/// methods) with CT window presets, label contours and the heatmap overlay, the review menu, the 3D
/// view and the dashboard. It assembles the widgets and the models below them (Workspace,
/// CamController, ReviewController) and passes their news between them; it computes nothing.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// A dataset folder, a case folder, a volume file or a DICOM series folder.
    void openPath(const QString& path);
    /// A CT with a segmentation from anywhere, read with `labelTable` (else the segmentation's own
    /// or the one beside it).
    void openImageWithLabels(const QString& image, const QString& segmentation,
                             const QString& labelTable = {});
    /// Opens the built-in demo dataset, generating it on first use.
    void openDemo();

    SliceView* sliceView() const { return m_view; }
    /// The axial, coronal, sagittal and 3D views and their layout.
    LinkedViews* linkedViews() const { return m_planes; }
    /// One plane or the four views (View menu, Ctrl+1..4); leaves the comparison.
    void setViewLayout(LinkedViews::Layout layout);
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
    int caseCount() const;
    void selectCase(int index);

    /// Where the demo (cases and model) lives (made on first use).
    static QString demoRootPath();
    /// Demo size and training (tests make a smaller one).
    void setDemoOptions(const DemoOptions& options);
    CaseBrowser* caseBrowser() const { return m_caseBrowser; }
    Workspace* workspace() const { return m_workspace; }
    SurfaceView* surfaceView() const;
    ReviewController* reviewController() const { return m_review; }
    KeyBindings& keyBindings() { return m_keys; }
    Dashboard* dashboard() const { return m_dashboard; }
    QDockWidget* dashboardDock() const;
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
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildFileMenu();
    void buildNavigateMenu();
    void buildCaseDock();
    void buildDashboardDock();
    void buildViewMenu();
    void buildHeatmaps();
    void connectHeatmaps();
    void buildReview();
    void showCases();
    void onCaseLoaded(std::shared_ptr<const LoadedCase> loaded);
    void showError(const QString& title, const QString& message);
    /// The status bar's words on what the case's labels mean.
    static QString labelTableNote(const LoadedCase& loaded);
    void showHeatmaps(int slice);
    void updateProposalIou();
    void goToLesionSlice(int direction);
    void refreshStoreViews();

    Workspace* m_workspace = nullptr;
    LinkedViews* m_planes = nullptr;
    SliceView* m_view = nullptr; ///< the axial view of m_planes: the review works in it
    ComparisonView* m_comparison = nullptr;
    QStackedWidget* m_centre = nullptr;
    CaseBrowser* m_caseBrowser = nullptr;
    SurfaceDock* m_surfaceDock = nullptr;
    Dashboard* m_dashboard = nullptr;
    DashboardDock* m_dashboardDock = nullptr;
    CamController* m_cams = nullptr;
    HeatmapToolbar* m_heatmaps = nullptr;
    ReviewController* m_review = nullptr;
    ReviewActions* m_reviewActions = nullptr;
    KeyBindings m_keys;
    std::shared_ptr<const LoadedCase> m_current;
    QMenu* m_recentMenu = nullptr;
    SliceToolbar* m_sliceToolbar = nullptr;
    QAction* m_compareAction = nullptr;
    DemoOptions m_demoOptions;
};

} // namespace weaksight::ui
