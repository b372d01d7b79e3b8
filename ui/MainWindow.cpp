#include "ui/MainWindow.h"

#include "core/common/Log.h"
#include "core/review/ReviewOrder.h"
#include "core/review/SliceHeatmaps.h"
#include "ui/CamController.h"
#include "ui/CaseBrowser.h"
#include "ui/ComparisonView.h"
#include "ui/Dashboard.h"
#include "ui/DemoPreparation.h"
#include "ui/Dialogs.h"
#include "ui/ExportDialog.h"
#include "ui/HeatmapToolbar.h"
#include "ui/KeyHelpOverlay.h"
#include "ui/ReviewActions.h"
#include "ui/ReviewController.h"
#include "ui/SettingsDialog.h"
#include "ui/SliceToolbar.h"
#include "ui/SliceView.h"
#include "ui/SurfaceView.h"
#include "ui/Workspace.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <array>
#include <spdlog/spdlog.h>
#include <tuple>

namespace weaksight::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("Weaksight"));
    resize(1200, 850);
    m_workspace = new Workspace(this);
    m_cams = new CamController(this);
    m_centre = new QStackedWidget(this);
    m_planes = new LinkedViews(*m_cams, m_centre);
    m_view = m_planes->axial();
    m_comparison = new ComparisonView(m_centre);
    m_centre->addWidget(m_planes);
    m_centre->addWidget(m_comparison);
    setCentralWidget(m_centre);
    setAcceptDrops(true); // a dataset, a CT, a segmentation or a label table dropped on the window
    buildFileMenu();
    buildNavigateMenu();
    buildHeatmaps();
    buildCaseDock();
    m_surfaceDock = new SurfaceDock(this);
    addDockWidget(Qt::RightDockWidgetArea, m_surfaceDock);
    m_surfaceDock->hide();
    // The 3D view shows where the slice on screen lies.
    connect(m_view, &SliceView::sliceChanged, m_surfaceDock->view(), &SurfaceView::setSlice);
    // The 2 x 2 layout has its own 3D view: the dock would show the same surfaces twice.
    connect(m_planes, &LinkedViews::viewLayoutChanged, this, [this](LinkedViews::Layout layout) {
        if (layout == LinkedViews::Layout::Grid)
            m_surfaceDock->hide();
        QSettings().setValue(QStringLiteral("view/layout"), static_cast<int>(layout));
    });
    buildDashboardDock();
    buildViewMenu();
    buildReview();
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(
        tr("&Keyboard shortcuts"), this, [this] { showKeyHelp(); }, QKeySequence::HelpContents);
    connect(m_workspace, &Workspace::casesListed, this, &MainWindow::showCases);
    connect(m_workspace, &Workspace::caseFilesChanged, this, [this](int index) {
        m_caseBrowser->setCaseFiles(index, m_workspace->cases()[static_cast<size_t>(index)]);
    });
    connect(m_workspace, &Workspace::caseLoaded, this, &MainWindow::onCaseLoaded);
    connect(m_workspace, &Workspace::failed, this, &MainWindow::showError);
    connect(m_workspace, &Workspace::caseLoading, this,
            [this](const QString& caseId) { statusBar()->showMessage(tr("Loading %1…").arg(caseId)); });
    statusBar()->showMessage(tr("Open a KiTS dataset, a case folder or a volume (File menu)."));
}

MainWindow::~MainWindow() = default;

QString MainWindow::demoRootPath()
{
    return QString::fromStdString((logging::userDataDirectory() / "demo").string());
}

int MainWindow::caseCount() const
{
    return m_workspace->caseCount();
}

void MainWindow::buildFileMenu()
{
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->addAction(
        tr("Open &dataset or case folder…"), this,
        [this] {
            const QString dir =
                QFileDialog::getExistingDirectory(this, tr("Open a KiTS dataset or case folder"));
            if (!dir.isEmpty())
                openPath(dir);
        },
        QKeySequence::Open);
    fileMenu->addAction(tr("Open &volume file…"), this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Open a volume"), QString(),
            tr("Volumes (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;All files (*)"));
        if (!file.isEmpty())
            openPath(file);
    });
    fileMenu->addAction(tr("Load &segmentation…"), this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Load a segmentation of this CT"), QString(),
            tr("Label volumes (*.nii *.nii.gz *.nrrd *.seg.nrrd *.nhdr *.mha *.mhd);;All files (*)"));
        if (!file.isEmpty())
            m_workspace->attachSegmentation(file);
    });
    fileMenu->addAction(tr("Load label &table…"), this, [this] {
        const QString file =
            QFileDialog::getOpenFileName(this, tr("What the segmentation's values mean"), QString(),
                                         tr("Label tables (*.json *.label *.txt *.seg.nrrd);;All files (*)"));
        if (!file.isEmpty())
            m_workspace->applyLabelTable(file);
    });
    m_recentMenu = fileMenu->addMenu(tr("Open &recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, [this] {
        m_recentMenu->clear();
        for (const QString& path : Workspace::recentDatasets())
            m_recentMenu->addAction(path, this, [this, path] { openPath(path); });
        if (m_recentMenu->isEmpty())
            m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    });
    fileMenu->addAction(tr("Open d&emo dataset"), this, &MainWindow::openDemo);
    fileMenu->addAction(tr("E&xport curated masks…"), this, &MainWindow::showExportDialog);
    fileMenu->addSeparator();
    fileMenu->addAction(
        tr("&Settings…"), this,
        [this] {
            SettingsDialog dialog(&m_keys, this);
            if (dialog.exec() == QDialog::Accepted && dialog.languageChanged())
                statusBar()->showMessage(tr("The new language applies when Weaksight starts again."), 8000);
        },
        QKeySequence::Preferences);
    fileMenu->addSeparator();
    fileMenu->addAction(tr("&Quit"), this, &QWidget::close, QKeySequence::Quit);
}

void MainWindow::buildNavigateMenu()
{
    auto* navigate = menuBar()->addMenu(tr("&Navigate"));
    m_keys.add(
        QStringLiteral("navigate.nextLesion"),
        navigate->addAction(
            tr("&Next slice with lesion"), this, [this] { goToLesionSlice(+1); }, QKeySequence(Qt::Key_N)));
    m_keys.add(QStringLiteral("navigate.previousLesion"),
               navigate->addAction(
                   tr("&Previous slice with lesion"), this, [this] { goToLesionSlice(-1); },
                   QKeySequence(Qt::SHIFT | Qt::Key_N)));
    auto* resetView = navigate->addAction(
        tr("&Reset view"), this,
        [this] {
            if (comparisonMode())
                m_comparison->resetView();
            else
                m_view->resetView();
            if (m_surfaceDock->isVisible()) // the 3D view too: back to the front view of the case
                m_surfaceDock->view()->resetView();
        },
        QKeySequence(Qt::Key_R));
    m_compareAction = navigate->addAction(
        tr("&Compare methods side by side"), this, [this](bool on) { setComparisonMode(on); },
        QKeySequence(Qt::Key_C));
    m_compareAction->setCheckable(true);
    m_keys.add(QStringLiteral("navigate.resetView"), resetView);
    m_keys.add(QStringLiteral("navigate.compare"), m_compareAction);
}

void MainWindow::buildCaseDock()
{
    auto* dock = new QDockWidget(tr("Cases"), this);
    dock->setObjectName("casesDock");
    m_caseBrowser = new CaseBrowser(dock);
    m_caseBrowser->setStore(&m_workspace->store());
    dock->setWidget(m_caseBrowser);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    connect(m_caseBrowser, &CaseBrowser::caseSelected, this, &MainWindow::selectCase);
}

void MainWindow::buildDashboardDock()
{
    m_dashboardDock = new DashboardDock(this);
    addDockWidget(Qt::RightDockWidgetArea, m_dashboardDock);
    m_dashboardDock->hide();
    m_dashboard = m_dashboardDock->dashboard();
    m_dashboard->setStore(&m_workspace->store());
    connect(m_dashboard, &Dashboard::useThreshold, this, [this](const QString& method, double threshold) {
        // One click: the learned threshold becomes the method's threshold.
        try {
            m_heatmaps->useThreshold(method.toStdString(), threshold);
        } catch (const std::invalid_argument& e) { // a method this version does not know
            statusBar()->showMessage(QString::fromStdString(e.what()), 5000);
            return;
        }
        statusBar()->showMessage(
            tr("%1: threshold %2 (learned from the final masks)").arg(method).arg(threshold, 0, 'f', 2),
            5000);
    });
    connect(m_dashboard, &Dashboard::exportRequested, this, &MainWindow::showExportDialog);
}

void MainWindow::buildViewMenu()
{
    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    auto* view3d = m_surfaceDock->toggleViewAction();
    view3d->setText(tr("&3D view"));
    view3d->setShortcut(QKeySequence(Qt::Key_3));
    viewMenu->addAction(view3d);
    m_keys.add(QStringLiteral("view.3d"), view3d);
    auto* viewDashboard = m_dashboardDock->toggleViewAction();
    viewDashboard->setText(tr("&Dashboard"));
    viewDashboard->setShortcut(QKeySequence(Qt::Key_D));
    viewMenu->addAction(viewDashboard);
    m_keys.add(QStringLiteral("view.dashboard"), viewDashboard);
    viewMenu->addSeparator();
    // Layouts: one plane, or the three planes and the 3D view (ITK-SNAP's and Slicer's default).
    auto* layouts = new QActionGroup(this);
    const std::array<std::tuple<LinkedViews::Layout, QString, const char*, int>, 4> choices{{
        {LinkedViews::Layout::Axial, tr("One view: &axial"), "view.layout.axial", Qt::Key_1},
        {LinkedViews::Layout::Coronal, tr("One view: &coronal"), "view.layout.coronal", Qt::Key_2},
        {LinkedViews::Layout::Sagittal, tr("One view: &sagittal"), "view.layout.sagittal", Qt::Key_3},
        {LinkedViews::Layout::Grid, tr("&Four views (axial, sagittal, coronal, 3D)"), "view.layout.grid",
         Qt::Key_4},
    }};
    const auto saved = static_cast<LinkedViews::Layout>(
        QSettings()
            .value(QStringLiteral("view/layout"), static_cast<int>(LinkedViews::Layout::Axial))
            .toInt());
    for (const auto& [layout, text, id, key] : choices) {
        auto* action = viewMenu->addAction(text);
        action->setCheckable(true);
        action->setChecked(layout == saved);
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(key)));
        action->setObjectName(QString::fromLatin1(id));
        layouts->addAction(action);
        m_keys.add(QString::fromLatin1(id), action);
        connect(action, &QAction::triggered, this, [this, layout = layout] { setViewLayout(layout); });
    }
    connect(m_planes, &LinkedViews::viewLayoutChanged, this, [layouts](LinkedViews::Layout layout) {
        layouts->actions().at(static_cast<int>(layout))->setChecked(true);
    });
    auto* crosshair = viewMenu->addAction(tr("Cross&hair"));
    crosshair->setCheckable(true);
    crosshair->setChecked(true);
    m_keys.add(QStringLiteral("view.crosshair"), crosshair);
    connect(crosshair, &QAction::toggled, m_planes, &LinkedViews::setCrosshairVisible);
    if (saved >= LinkedViews::Layout::Axial && saved <= LinkedViews::Layout::Grid)
        m_planes->setViewLayout(saved);
    viewMenu->addSeparator();
    m_heatmaps->addViewMenuItems(viewMenu);
}

void MainWindow::setViewLayout(LinkedViews::Layout layout)
{
    if (comparisonMode())
        setComparisonMode(false);
    m_planes->setViewLayout(layout);
}

void MainWindow::buildHeatmaps()
{
    m_sliceToolbar = new SliceToolbar(*this, *m_view, *m_comparison, *m_cams);
    m_sliceToolbar->followCursorOf(*m_planes->coronal());
    m_sliceToolbar->followCursorOf(*m_planes->sagittal());
    m_heatmaps = new HeatmapToolbar(*this, *m_cams, *m_view, *m_comparison);
    connectHeatmaps();
}

void MainWindow::connectHeatmaps()
{
    connect(m_heatmaps, &HeatmapToolbar::settingsChanged, this, [this] {
        showHeatmaps(m_view->slice());
        m_planes->refreshStackedHeatmaps();
    });
    connect(m_heatmaps, &HeatmapToolbar::thresholdChanged, this, [this] {
        updateProposalIou();
        if (m_reviewActions)
            m_reviewActions->updateStatus(); // a refined proposal follows the level
        m_view->requestRender();
    });
    connect(m_heatmaps, &HeatmapToolbar::loadModelRequested, this, &MainWindow::loadModel);
    connect(m_cams, &CamController::modelLoaded, this, [this](const QString& summary) {
        if (comparisonMode())
            m_comparison->shareModel(*m_cams);
        showPhysicalScaleNote(tr("Model loaded: %1").arg(summary));
        showHeatmaps(m_view->slice());
        m_planes->refreshStackedHeatmaps();
    });
    connect(m_cams, &CamController::modelFailed, this,
            [this](const QString& message) { showError(tr("Cannot load the model"), message); });
    connect(m_cams, &CamController::heatmapsReady, this, [this](int slice) {
        if (slice == m_view->slice())
            showHeatmaps(slice);
    });
    connect(m_view, &SliceView::sliceChanged, this, &MainWindow::showHeatmaps);
    // Crops placed with Ctrl+click (or forgotten): the slice's boxes change.
    connect(m_cams, &CamController::placementsChanged, this, [this] {
        if (comparisonMode())
            m_comparison->setPlacements(m_cams->placedCrops().placements);
        showHeatmaps(m_view->slice());
        m_planes->refreshStackedHeatmaps();
    });
}

void MainWindow::buildReview()
{
    m_review = new ReviewController(*m_cams, *m_workspace, this);
    m_reviewActions = new ReviewActions(*this, *m_review, *m_view, m_keys, *m_workspace);
    connect(m_reviewActions, &ReviewActions::cropSizeChosen, m_heatmaps, &HeatmapToolbar::setCropSize);
    // Every committed write (a decision, an undo) reaches the views of the store.
    connect(&m_workspace->store(), &StoreOwner::written, this, &MainWindow::refreshStoreViews);
}

void MainWindow::refreshStoreViews()
{
    m_caseBrowser->refreshStatus();
    if (m_dashboardDock->isVisible())
        m_dashboard->refresh();
}

void MainWindow::showPhysicalScaleNote(const QString& prefix)
{
    const QString note = m_cams->physicalScaleNote();
    m_heatmaps->updateModelToolTip();
    if (!note.isEmpty())
        statusBar()->showMessage((prefix.isEmpty() ? QString() : prefix + QStringLiteral(" — ")) +
                                     tr("Scale: %1").arg(note),
                                 15000);
    else if (!prefix.isEmpty())
        statusBar()->showMessage(prefix, 5000);
}

void MainWindow::applyCamFlavour(compute::CamFlavour flavour)
{
    m_heatmaps->applyCamFlavour(flavour);
}

bool MainWindow::comparisonMode() const
{
    return m_centre->currentWidget() == m_comparison;
}

void MainWindow::setComparisonMode(bool on)
{
    const QSignalBlocker blocker(m_compareAction);
    m_compareAction->setChecked(on);
    if (on == comparisonMode())
        return;
    if (on) {
        // The panes follow the single view's case, slice and window, and share its model; the
        // slider, the slice label, N / Shift+N and the presets work through the single view.
        m_comparison->follow(m_current, *m_cams, *m_view);
        m_cams->cancel(); // no sixth job for the hidden single view
        m_centre->setCurrentWidget(m_comparison);
        // The crop under review, once the panes are laid out (after follow()'s first crop).
        if (const auto box = m_review->cropBox(); box && !m_review->wholeSlice())
            QTimer::singleShot(0, m_comparison,
                               [comparison = m_comparison, box = *box] { comparison->zoomTo(box); });
    } else {
        m_view->setSlice(m_comparison->slice());
        m_comparison->release();
        m_centre->setCurrentWidget(m_planes);
        showHeatmaps(m_view->slice());
        m_cams->requestSlice(m_view->slice()); // the background work the comparison stopped goes on
    }
}

void MainWindow::showKeyHelp()
{
    // A translucent overlay over the window listing every command and its key (any key or click closes it).
    auto* overlay = new KeyHelpOverlay(m_keys, this);
    overlay->setObjectName("keyHelp");
    overlay->show();
}

std::optional<EditRecovery> MainWindow::pendingRecovery() const
{
    return m_reviewActions->pendingRecovery();
}

bool MainWindow::offerRecovery()
{
    return m_reviewActions->offerRecovery();
}

void MainWindow::recoverEdit(const EditRecovery& recovery)
{
    m_reviewActions->recoverEdit(recovery);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!m_reviewActions->confirmClose()) {
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::showExportDialog()
{
    if (!m_workspace->store().exists()) {
        statusBar()->showMessage(tr("No decisions to export yet: this dataset has no annotation store."),
                                 6000);
        return;
    }
    auto* dialog = new ExportDialog(
        m_workspace->store(), m_current ? QString::fromStdString(m_current->files.caseId) : QString(), this);
    dialog->setObjectName("exportDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setOutputFolder(QFileInfo(m_workspace->storePath()).absolutePath() + QStringLiteral("/weaksight-export"));
    dialog->show();
}

void MainWindow::set3dViewVisible(bool visible)
{
    m_surfaceDock->setVisible(visible);
}

QDockWidget* MainWindow::dashboardDock() const
{
    return m_dashboardDock;
}

SurfaceView* MainWindow::surfaceView() const
{
    return m_surfaceDock->view();
}

void MainWindow::updateProposalIou()
{
    const auto* maps = m_cams->heatmaps(m_view->slice());
    m_heatmaps->showIou(maps && m_current && m_current->labels
                            ? review::proposalIouAgainstTruth(*maps, *m_current->labels, m_view->slice(),
                                                              m_cams->threshold(),
                                                              m_cams->proposalRule(m_view->slice()))
                            : std::nullopt);
}

void MainWindow::goToLesionSlice(int direction)
{
    if (!m_current)
        return;
    // Ground truth when the case has labels, else the classifier's lesion probability.
    const bool byTruth = m_current->labels.has_value();
    const auto next = byTruth ? review::nextLesionSlice(*m_current->labels, m_view->slice(), direction)
                              : m_cams->nextProbableLesionSlice(m_view->slice(), direction);
    if (next)
        m_view->setSlice(*next);
    else if (byTruth || m_cams->scannedSlices() > 0)
        statusBar()->showMessage(tr("No further slice with lesion in this direction."), 3000);
    else
        statusBar()->showMessage(
            tr("No labels: load a model to find lesion slices by its lesion probability."), 5000);
}

void MainWindow::loadModel(const QString& path)
{
    m_heatmaps->showModelLoading(QFileInfo(path).fileName());
    m_cams->loadModel(path);
}

void MainWindow::showHeatmaps(int slice)
{
    if (m_review && m_review->editing() && slice != m_review->slice()) {
        // The correction stays on its slice: come back to it.
        statusBar()->showMessage(tr("Finish (Enter) or cancel (Esc) the correction first."), 4000);
        m_view->setSlice(m_review->slice());
        return;
    }
    if (m_review && m_review->slice() != slice)
        m_review->setTarget(slice, 0);
    if (comparisonMode())
        return; // the panes compute their own; the hidden view waits
    // Cached: placed at once; else cleared until the background job delivers this slice.
    placeHeatmaps(*m_cams, m_view->heatmapLayer(), slice);
    m_view->heatmapLayer().setColorBarTitle(m_cams->colorBarTitle().toStdString());
    updateProposalIou();
    if (m_reviewActions)
        m_reviewActions->updateStatus();
    m_view->requestRender();
}

void MainWindow::showError(const QString& title, const QString& message)
{
    spdlog::error("{}: {}", title.toStdString(), message.toStdString());
    statusBar()->showMessage(message, 15000);
    Q_EMIT loadFailed(message);
    // Tests run without anyone to close a modal dialog.
    if (dialogsAllowed())
        QMessageBox::warning(this, title, message);
}

void MainWindow::openPath(const QString& path)
{
    m_workspace->open(path);
}

void MainWindow::openImageWithLabels(const QString& image, const QString& segmentation,
                                     const QString& labelTable)
{
    m_workspace->openPaired(image, segmentation, labelTable);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.front().isLocalFile())
        return;
    event->acceptProposedAction();
    m_workspace->openDropped(urls.front().toLocalFile());
}

void MainWindow::showCases()
{
    {
        const QSignalBlocker blocker(m_caseBrowser);
        m_caseBrowser->setCases(m_workspace->cases());
        if (m_dashboardDock->isVisible())
            m_dashboard->refresh();
    }
    if (caseCount() == 0)
        return;
    // A recovered correction opens its own case.
    const int first = std::max(0, m_workspace->indexOf(m_reviewActions->recoveryCaseId()));
    {
        const QSignalBlocker blocker(m_caseBrowser);
        m_caseBrowser->setCurrentCase(first);
    }
    selectCase(first);
}

void MainWindow::selectCase(int index)
{
    m_workspace->loadCase(index);
}

void MainWindow::onCaseLoaded(std::shared_ptr<const LoadedCase> loaded)
{
    // Keep the old case alive until the view has switched to the new one.
    const auto previous = m_current;
    m_current = std::move(loaded);
    m_cams->setCase(m_current);
    showPhysicalScaleNote({});
    m_review->setCase(m_current);
    if (comparisonMode())
        m_comparison->setCase(m_current);
    const auto& c = *m_current;
    // The same CT again (a segmentation or label table loaded onto it): the labeller stays where
    // they were.
    const bool sameImage = previous && previous->files.imaging && previous->files.imaging == c.files.imaging;
    const int slice = m_view->scene().slice();
    m_view->setVolumes(c.imaging ? &*c.imaging : nullptr, c.labels ? &*c.labels : nullptr);
    const int slices = m_view->scene().sliceCount();
    m_sliceToolbar->setSliceCount(slices);
    // Start on the slice with the most lesion voxels when labels exist: it is what a labeller looks for.
    m_view->setSlice(sameImage ? slice : review::startSlice(slices, c.labels ? &*c.labels : nullptr));
    m_sliceToolbar->updateSliceLabel();
    m_surfaceDock->view()->setSlice(m_view->slice());
    m_surfaceDock->setCase(m_current, &m_workspace->store());
    m_planes->setCase(m_current, &m_workspace->store());
    m_reviewActions->resumeRecoveredEdit();
    for (const auto& w : c.warnings)
        spdlog::warn("{}: {}", c.files.caseId, w);
    statusBar()->showMessage(tr("%1: %2").arg(QString::fromStdString(c.files.caseId),
                                              QString::fromStdString(c.files.contentDescription())) +
                                 labelTableNote(c),
                             15000);
    Q_EMIT caseLoaded(QString::fromStdString(c.files.caseId));
}

QString MainWindow::labelTableNote(const LoadedCase& loaded)
{
    if (!loaded.labels)
        return {};
    const LabelTable& table = loaded.files.labelTable;
    if (!table.hasMeanings())
        return tr(
            " — the labels' meanings are unknown: load a label table (File menu) to use them as kidney, "
            "tumour or cyst");
    return table.source() == "KiTS" ? tr(" — KiTS labels")
                                    : tr(" — labels read with %1")
                                          .arg(QFileInfo(QString::fromStdString(table.source())).fileName());
}

void MainWindow::setDemoOptions(const DemoOptions& options)
{
    m_demoOptions = options;
}

void MainWindow::openDemo()
{
    const std::filesystem::path root = demoRootPath().toStdString();
    const DemoFiles files = demoFiles(root, m_demoOptions);
    const auto open = [this, files] {
        openPath(QString::fromStdString(files.dataset.string()));
        loadModel(QString::fromStdString(files.model.string()));
    };
    if (demoReady(files)) {
        open();
        return;
    }
    prepareDemoInBackground(this, root, m_demoOptions,
                            {open,
                             [this] {
                                 statusBar()->showMessage(
                                     tr("Demo preparation cancelled; what was finished is kept."), 5000);
                             },
                             [this](const QString& message) {
                                 showError(tr("Cannot prepare the demo"), message);
                             }});
}

} // namespace weaksight::ui
