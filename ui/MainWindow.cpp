#include "ui/MainWindow.h"

#include "core/common/Error.h"
#include "core/common/Log.h"
#include "core/dataset/KidneyCrops.h"
#include "core/masks/MaskEditing.h"
#include "core/research/DemoSetup.h"
#include "core/common/ColorMaps.h"
#include "ui/CamController.h"
#include "ui/CaseBrowser.h"
#include "ui/Dashboard.h"
#include "ui/ExportDialog.h"
#include "ui/ReviewController.h"
#include "ui/KeyHelpOverlay.h"
#include "ui/SettingsDialog.h"
#include "ui/ComparisonView.h"
#include "ui/SliceView.h"
#include "ui/SurfaceView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSettings>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QCloseEvent>
#include <QDateTime>
#include <QInputDialog>
#include <QRegularExpression>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QPointer>
#include <QProgressDialog>
#include <QPromise>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolButton>
#include <QWidgetAction>
#include <QGridLayout>
#include <QMenu>
#include <QActionGroup>
#include <QStandardItemModel>
#include <QToolBar>
#include <QtConcurrent/QtConcurrentRun>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>

namespace fs = std::filesystem;

namespace weaksight::ui {

namespace {

struct WindowPreset {
    const char* name;
    double window;
    double level;
};

// Presets radiologists use (see docs/domain-notes in the shared docs).
constexpr WindowPreset kPresets[] = {
    {QT_TRANSLATE_NOOP("weaksight::ui::MainWindow", "Abdomen (W 350 / L 40)"), 350, 40},
    {QT_TRANSLATE_NOOP("weaksight::ui::MainWindow", "Kidney (W 300 / L 40)"), 300, 40},
    {QT_TRANSLATE_NOOP("weaksight::ui::MainWindow", "Tumour (W 60 / L 35)"), 60, 35},
    {QT_TRANSLATE_NOOP("weaksight::ui::MainWindow", "Bone (W 1000 / L 400)"), 1000, 400},
    {QT_TRANSLATE_NOOP("weaksight::ui::MainWindow", "Lung (W 1400 / L -500)"), 1400, -500},
};


} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    buildUi();
    connect(&m_loadWatcher, &QFutureWatcher<LoadResult>::finished, this, &MainWindow::onCaseLoaded);
}

MainWindow::~MainWindow()
{
    m_loadWatcher.waitForFinished();
}

QString MainWindow::storePathFor(const QString& datasetPath)
{
    const QFileInfo info(datasetPath);
    return QDir(info.isDir() ? info.absoluteFilePath() : info.absolutePath()).filePath(QStringLiteral("weaksight.sqlite"));
}

QStringList MainWindow::recentDatasets() { return QSettings().value(QStringLiteral("recentDatasets")).toStringList(); }

void MainWindow::rememberDataset(const QString& path)
{
    QStringList recent = recentDatasets();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > 10)
        recent.removeLast();
    QSettings().setValue(QStringLiteral("recentDatasets"), recent);
}

QString MainWindow::demoRootPath() { return QString::fromStdString((logging::userDataDirectory() / "demo").string()); }

void MainWindow::buildUi()
{
    setWindowTitle(tr("Weaksight"));
    resize(1200, 850);

    m_centre = new QStackedWidget(this);
    m_view = new SliceView(m_centre);
    m_comparison = new ComparisonView(m_centre);
    m_centre->addWidget(m_view);
    m_centre->addWidget(m_comparison);
    setCentralWidget(m_centre);

    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->addAction(tr("Open &dataset or case folder…"), this, &MainWindow::chooseDataset,
                        QKeySequence::Open);
    fileMenu->addAction(tr("Open &volume file…"), this, &MainWindow::chooseVolumeFile);
    m_recentMenu = fileMenu->addMenu(tr("Open &recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, [this] {
        m_recentMenu->clear();
        for (const QString& path : recentDatasets())
            m_recentMenu->addAction(path, this, [this, path] { openPath(path); });
        if (m_recentMenu->isEmpty())
            m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    });
    fileMenu->addAction(tr("Open d&emo dataset"), this, &MainWindow::openDemo);
    fileMenu->addAction(tr("E&xport curated masks…"), this, &MainWindow::showExportDialog);
    fileMenu->addSeparator();
    fileMenu->addAction(tr("&Settings…"), this, [this] {
        SettingsDialog dialog(&m_keys, this);
        if (dialog.exec() == QDialog::Accepted && dialog.languageChanged())
            statusBar()->showMessage(tr("The new language applies when Weaksight starts again."), 8000);
    }, QKeySequence::Preferences);
    fileMenu->addSeparator();
    fileMenu->addAction(tr("&Quit"), this, &QWidget::close, QKeySequence::Quit);

    auto* navigate = menuBar()->addMenu(tr("&Navigate"));
    m_keys.add(QStringLiteral("navigate.nextLesion"),
               navigate->addAction(tr("&Next slice with lesion"), this, [this] { goToLesionSlice(+1); },
                                   QKeySequence(Qt::Key_N)));
    m_keys.add(QStringLiteral("navigate.previousLesion"),
               navigate->addAction(tr("&Previous slice with lesion"), this, [this] { goToLesionSlice(-1); },
                                   QKeySequence(Qt::SHIFT | Qt::Key_N)));
    auto* resetView = navigate->addAction(tr("&Reset view"), this, [this] {
        if (comparisonMode())
            m_comparison->resetView();
        else
            m_view->resetView();
        if (m_surfaceDock->isVisible()) // the 3D view too: back to the front view of the case
            m_surfaceView->resetView();
    }, QKeySequence(Qt::Key_R));
    m_compareAction = navigate->addAction(tr("&Compare methods side by side"), this,
                                          [this](bool on) { setComparisonMode(on); }, QKeySequence(Qt::Key_C));
    m_compareAction->setCheckable(true);
    m_keys.add(QStringLiteral("navigate.resetView"), resetView);
    m_keys.add(QStringLiteral("navigate.compare"), m_compareAction);

    auto* toolbar = addToolBar(tr("View"));
    toolbar->setObjectName("viewToolbar");
    toolbar->addWidget(new QLabel(tr("Window: "), toolbar));
    m_presets = new QComboBox(toolbar);
    for (const auto& preset : kPresets)
        m_presets->addItem(tr(preset.name));
    toolbar->addWidget(m_presets);
    connect(m_presets, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            m_view->setWindowLevel({kPresets[index].window, kPresets[index].level});
    });
    m_showLabels = new QCheckBox(tr("Label contours"), toolbar);
    m_showLabels->setChecked(true);
    toolbar->addWidget(m_showLabels);
    connect(m_showLabels, &QCheckBox::toggled, this, [this](bool on) {
        m_view->setLabelContoursVisible(on);
        m_comparison->setLabelContoursVisible(on);
    });
    toolbar->addSeparator();
    m_sliceSlider = new QSlider(Qt::Horizontal, toolbar);
    m_sliceSlider->setMinimumWidth(300);
    m_sliceSlider->setEnabled(false);
    toolbar->addWidget(m_sliceSlider);
    m_sliceLabel = new QLabel(toolbar);
    m_sliceLabel->setMinimumWidth(220);
    toolbar->addWidget(m_sliceLabel);
    connect(m_sliceSlider, &QSlider::valueChanged, m_view, &SliceView::setSlice);
    connect(m_view, &SliceView::sliceChanged, this, [this](int slice) {
        const QSignalBlocker blocker(m_sliceSlider);
        m_sliceSlider->setValue(slice);
        updateSliceControls();
    });

    auto* dock = new QDockWidget(tr("Cases"), this);
    dock->setObjectName("casesDock");
    m_caseBrowser = new CaseBrowser(dock);
    dock->setWidget(m_caseBrowser);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    connect(m_caseBrowser, &CaseBrowser::caseSelected, this, &MainWindow::selectCase);

    // The 3D view: a dock on the right, hidden until asked for (View menu or key 3).
    m_surfaceDock = new QDockWidget(tr("3D view"), this);
    m_surfaceDock->setObjectName("surfaceDock");
    auto* surfacePanel = new QWidget(m_surfaceDock);
    auto* surfaceLayout = new QVBoxLayout(surfacePanel);
    surfaceLayout->setContentsMargins(2, 2, 2, 2);
    m_surfaceView = new SurfaceView(surfacePanel);
    m_surfaceView->setMinimumSize(260, 260);
    auto* surfaceToggles = new QHBoxLayout;
    auto* showTruth = new QCheckBox(tr("Ground truth"), surfacePanel);
    auto* showCurated = new QCheckBox(tr("Curated masks"), surfacePanel);
    showTruth->setChecked(true);
    showCurated->setChecked(true);
    showCurated->setToolTip(tr("Accepted and corrected masks from the annotation store (magenta)"));
    surfaceToggles->addWidget(showTruth);
    surfaceToggles->addWidget(showCurated);
    surfaceLayout->addWidget(m_surfaceView, 1);
    surfaceLayout->addLayout(surfaceToggles);
    m_surfaceDock->setWidget(surfacePanel);
    addDockWidget(Qt::RightDockWidgetArea, m_surfaceDock);
    m_surfaceDock->hide();
    connect(showTruth, &QCheckBox::toggled, this, [this](bool on) {
        m_surfaceView->scene().setTruthVisible(on);
        m_surfaceView->requestRender();
    });
    connect(showCurated, &QCheckBox::toggled, this, [this](bool on) {
        m_surfaceView->scene().setCuratedVisible(on);
        m_surfaceView->requestRender();
    });
    connect(m_surfaceDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible)
            update3dView();
    });
    auto* view3d = m_surfaceDock->toggleViewAction();
    view3d->setText(tr("&3D view"));
    view3d->setShortcut(QKeySequence(Qt::Key_3));
    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->addAction(view3d);
    m_keys.add(QStringLiteral("view.3d"), view3d);

    // The dashboard: a dock on the right, tabbed with the 3D view.
    m_dashboardDock = new QDockWidget(tr("Dashboard"), this);
    m_dashboardDock->setObjectName("dashboardDock");
    m_dashboard = new Dashboard(m_dashboardDock);
    m_dashboardDock->setWidget(m_dashboard);
    addDockWidget(Qt::RightDockWidgetArea, m_dashboardDock);
    m_dashboardDock->hide();
    auto* viewDashboard = m_dashboardDock->toggleViewAction();
    viewDashboard->setText(tr("&Dashboard"));
    viewDashboard->setShortcut(QKeySequence(Qt::Key_D));
    viewMenu->addAction(viewDashboard);
    m_keys.add(QStringLiteral("view.dashboard"), viewDashboard);
    viewMenu->addSeparator();
    auto* reducedPrecision = viewMenu->addAction(tr("Score-CAM in &reduced precision"));
    reducedPrecision->setObjectName("scoreReducedPrecision");
    reducedPrecision->setCheckable(true);
    reducedPrecision->setToolTip(tr("Score-CAM's masked forward passes in float16 on a GPU (about twice as fast); "
                                    "bfloat16 on a CPU, where it is slower. Maps differ slightly and are cached apart."));
    reducedPrecision->setChecked(QSettings().value(QStringLiteral("scoreReducedPrecision"), false).toBool());
    connect(reducedPrecision, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("scoreReducedPrecision"), on);
        m_cams->setScoreReducedPrecision(on);
        if (comparisonMode())
            m_comparison->setScoreReducedPrecision(on);
        showHeatmaps(m_view->slice());
    });
    // Whose CAM definitions: Weaksight's or a reference library's (README: Reference flavours).
    auto* flavourMenu = viewMenu->addMenu(tr("CAM &definitions"));
    auto* flavours = new QActionGroup(flavourMenu);
    const auto savedFlavour = QSettings().value(QStringLiteral("camFlavour"), QStringLiteral("weaksight")).toString();
    for (const auto flavour : compute::allCamFlavours()) {
        const QString name = QString::fromStdString(compute::toString(flavour));
        auto* action = flavourMenu->addAction(flavour == compute::CamFlavour::Weaksight ? tr("Weaksight (documented)") : name);
        action->setObjectName(QStringLiteral("camFlavour:") + name);
        action->setCheckable(true);
        action->setChecked(name == savedFlavour);
        flavours->addAction(action);
        connect(action, &QAction::triggered, this, [this, flavour, name] {
            QSettings().setValue(QStringLiteral("camFlavour"), name);
            applyCamFlavour(flavour);
            showHeatmaps(m_view->slice());
        });
    }
    connect(m_dashboardDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible)
            m_dashboard->refresh();
    });
    connect(m_dashboard, &Dashboard::useThreshold, this, [this](const QString& method, double threshold) {
        // One click: the learned threshold becomes the method's threshold.
        const auto camMethod = compute::camMethodFromString(method.toStdString());
        if (camMethod == m_cams->method())
            m_threshold->setValue(static_cast<int>(std::lround(threshold * 100)));
        else
            m_cams->setThreshold(camMethod, threshold);
        statusBar()->showMessage(tr("%1: threshold %2 (learned from the final masks)").arg(method).arg(threshold, 0, 'f', 2), 5000);
    });
    connect(m_dashboard, &Dashboard::exportRequested, this, &MainWindow::showExportDialog);

    m_cursorLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_cursorLabel);
    connect(m_view, &SliceView::cursorVoxel, this, [this](int, int row, int col, int hu, int label, bool hasCt) {
        QString text = tr("row %1, column %2").arg(row).arg(col);
        if (hasCt)
            text += tr("  |  %1 HU").arg(hu);
        if (label)
            text += tr("  |  label %1").arg(label);
        m_cursorLabel->setText(text);
    });
    connect(m_view, &SliceView::cursorLeftSlice, m_cursorLabel, &QLabel::clear);
    m_view->setWindowLevel({kPresets[0].window, kPresets[0].level});
    buildHeatmapToolbar();
    buildReviewMenu();
    statusBar()->showMessage(tr("Open a KiTS dataset, a case folder or a volume (File menu)."));
}

void MainWindow::buildHeatmapToolbar()
{
    m_cams = new CamController(this);
    m_cams->setScoreReducedPrecision(QSettings().value(QStringLiteral("scoreReducedPrecision"), false).toBool());
    auto* toolbar = new QToolBar(tr("Heatmaps"), this);
    toolbar->setObjectName("heatmapToolbar");
    addToolBarBreak();
    addToolBar(toolbar);
    toolbar->addAction(tr("Load model…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load a classifier"), QString(),
                                                          tr("Models (*.wsm *.pt *.pth);;All files (*)"));
        if (!path.isEmpty())
            loadModel(path);
    });
    m_modelLabel = new QLabel(tr("no model"), toolbar);
    m_modelLabel->setMaximumWidth(170);
    toolbar->addWidget(m_modelLabel);
    toolbar->addSeparator();
    m_camMethod = new QComboBox(toolbar);
    for (const auto method : compute::allCamMethods()) {
        const QString name = QString::fromStdString(compute::toString(method));
        m_camMethod->addItem(compute::isApproximate(method) ? tr("%1 (approximate)").arg(name) : name,
                             static_cast<int>(method));
    }
    m_camMethod->setCurrentIndex(m_camMethod->findData(static_cast<int>(compute::CamMethod::GradCam)));
    // Sized for the common names, not the longest: the row must fit a 1000-pixel window.
    m_camMethod->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_camMethod->setMinimumContentsLength(12);
    m_cams->setMethod(compute::CamMethod::GradCam);
    toolbar->addWidget(m_camMethod);
    try {
        applyCamFlavour(compute::camFlavourFromString(
            QSettings().value(QStringLiteral("camFlavour"), QStringLiteral("weaksight")).toString().toStdString()));
    } catch (const std::invalid_argument&) {
        // A settings file from elsewhere: keep Weaksight's definitions.
    }
    m_targetLayer = new QComboBox(toolbar);
    m_targetLayer->setToolTip(tr("Target layer: earlier stages give finer maps (CAM itself needs the last stage)"));
    m_targetLayer->setEnabled(false);
    toolbar->addWidget(m_targetLayer);
    m_normalisation = new QComboBox(toolbar);
    m_normalisation->addItem(tr("per crop"), static_cast<int>(compute::MapNormalisation::PerCrop));
    m_normalisation->addItem(tr("per volume"), static_cast<int>(compute::MapNormalisation::PerCase));
    m_normalisation->addItem(tr("raw values"), static_cast<int>(compute::MapNormalisation::None));
    m_normalisation->setToolTip(tr("Heatmap normalisation: min-max per crop, one min-max over the whole case, or none"));
    toolbar->addWidget(m_normalisation);
    m_cropSize = new QSpinBox(toolbar);
    m_cropSize->setRange(16, 512);
    m_cropSize->setSingleStep(8);
    m_cropSize->setValue(m_cams->cropSize());
    m_cropSize->setSuffix(tr(" px"));
    m_cropSize->setToolTip(tr("Kidney crop size (a model's own, from its training record, is set when it loads)"));
    toolbar->addWidget(m_cropSize);
    toolbar->addWidget(new QLabel(tr(" threshold "), toolbar));
    m_threshold = new QSlider(Qt::Horizontal, toolbar);
    m_threshold->setRange(0, 100);
    m_threshold->setValue(50);
    m_threshold->setMinimumWidth(120);
    toolbar->addWidget(m_threshold);
    m_thresholdLabel = new QLabel(QStringLiteral("0.50"), toolbar);
    toolbar->addWidget(m_thresholdLabel);
    m_iouLabel = new QLabel(toolbar);
    m_iouLabel->setToolTip(tr("IoU of the proposal with the ground-truth lesion inside the crop boxes"));
    toolbar->addWidget(m_iouLabel);
    // Background progress lives in the status bar, so the heatmap row fits a 1000-pixel window.
    m_camProgress = new QProgressBar(this);
    m_camProgress->setMaximumWidth(320);
    m_camProgress->setEnabled(false);
    statusBar()->addPermanentWidget(m_camProgress);
    m_camCancel = new QPushButton(tr("Cancel"), this);
    m_camCancel->setEnabled(false);
    statusBar()->addPermanentWidget(m_camCancel);

    // Display of the overlay: its own toolbar, so the heatmap row fits a 1000-pixel window.
    auto* overlay = new QToolBar(tr("Overlay"), this);
    overlay->setObjectName("overlayToolbar");
    addToolBarBreak();
    addToolBar(overlay);
    toolbar = overlay;
    toolbar->addWidget(new QLabel(tr(" opacity "), toolbar));
    m_opacity = new QSlider(Qt::Horizontal, toolbar);
    m_opacity->setRange(0, 100);
    m_opacity->setValue(50);
    m_opacity->setMaximumWidth(100);
    toolbar->addWidget(m_opacity);
    m_colorMap = new QComboBox(toolbar);
    for (const auto& name : colorMapNames())
        m_colorMap->addItem(QString::fromStdString(name));
    toolbar->addWidget(m_colorMap);
    for (const auto& [text, setter] :
         {std::pair<QString, void (render::HeatmapLayer::*)(bool)>{tr("Heatmap"), &render::HeatmapLayer::setHeatmapVisible},
          {tr("Proposal"), &render::HeatmapLayer::setProposalVisible},
          {tr("Crop boxes"), &render::HeatmapLayer::setBoxesVisible}}) {
        auto* box = new QCheckBox(text, toolbar);
        box->setChecked(true);
        toolbar->addWidget(box);
        connect(box, &QCheckBox::toggled, this, [this, setter = setter](bool on) {
            (m_view->heatmapLayer().*setter)(on);
            m_comparison->forEachLayer([setter, on](render::HeatmapLayer& layer) { (layer.*setter)(on); });
            m_view->requestRender();
        });
    }
    // Every overlay with its own switch and opacity, in a pop-up panel (Overlays ▾).
    auto* overlays = new QToolButton(toolbar);
    overlays->setText(tr("Overlays"));
    overlays->setPopupMode(QToolButton::InstantPopup);
    auto* panel = new QWidget(overlays);
    panel->setObjectName("overlayPanel");
    auto* grid = new QGridLayout(panel);
    grid->addWidget(new QLabel(tr("<b>Overlay</b>"), panel), 0, 0);
    grid->addWidget(new QLabel(tr("<b>Opacity</b>"), panel), 0, 1);
    struct OverlayRow {
        QString name;
        QString key;
        std::function<void(SliceView&, bool)> show;
        std::function<void(SliceView&, double)> opacity;
    };
    const std::vector<OverlayRow> rows{
        {tr("Kidney contour (ground truth)"), "kidney",
         [](SliceView& v, bool on) { v.scene().setLabelContourVisible(labels::Kidney, on); },
         [](SliceView& v, double o) { v.scene().setLabelContourOpacity(labels::Kidney, o); }},
        {tr("Tumour contour (ground truth)"), "tumour",
         [](SliceView& v, bool on) { v.scene().setLabelContourVisible(labels::Tumour, on); },
         [](SliceView& v, double o) { v.scene().setLabelContourOpacity(labels::Tumour, o); }},
        {tr("Cyst contour (ground truth)"), "cyst",
         [](SliceView& v, bool on) { v.scene().setLabelContourVisible(labels::Cyst, on); },
         [](SliceView& v, double o) { v.scene().setLabelContourOpacity(labels::Cyst, o); }},
        {tr("Crop boxes"), "boxes", [](SliceView& v, bool on) { v.heatmapLayer().setBoxesVisible(on); },
         [](SliceView& v, double o) { v.heatmapLayer().setBoxesOpacity(o); }},
        {tr("Proposal contour"), "proposal", [](SliceView& v, bool on) { v.heatmapLayer().setProposalVisible(on); },
         [](SliceView& v, double o) { v.heatmapLayer().setProposalOpacity(o); }},
        {tr("Heatmap"), "heatmap", [](SliceView& v, bool on) { v.heatmapLayer().setHeatmapVisible(on); },
         [this](SliceView& v, double o) {
             v.heatmapLayer().setOpacity(o);
             const QSignalBlocker blocker(m_opacity);
             m_opacity->setValue(static_cast<int>(std::lround(o * 100)));
         }},
    };
    for (size_t i = 0; i < rows.size(); ++i) {
        const OverlayRow& row = rows[i];
        auto* box = new QCheckBox(row.name, panel);
        box->setObjectName("show-" + row.key);
        box->setChecked(true);
        auto* slider = new QSlider(Qt::Horizontal, panel);
        slider->setObjectName("opacity-" + row.key);
        slider->setRange(0, 100);
        slider->setValue(row.key == "heatmap" ? 50 : 100);
        slider->setMinimumWidth(120);
        grid->addWidget(box, static_cast<int>(i) + 1, 0);
        grid->addWidget(slider, static_cast<int>(i) + 1, 1);
        const auto apply = [this](const std::function<void(SliceView&)>& change) {
            change(*m_view);
            m_comparison->forEachView([&](SliceView& v) { change(v); });
            m_view->requestRender();
        };
        connect(box, &QCheckBox::toggled, this, [apply, show = row.show](bool on) {
            apply([&](SliceView& v) { show(v, on); });
        });
        connect(slider, &QSlider::valueChanged, this, [apply, opacity = row.opacity](int value) {
            apply([&](SliceView& v) { opacity(v, value / 100.0); });
        });
    }
    auto* menu = new QMenu(overlays);
    auto* holder = new QWidgetAction(menu);
    holder->setDefaultWidget(panel);
    menu->addAction(holder);
    overlays->setMenu(menu);
    toolbar->addWidget(overlays);

    connect(m_camMethod, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0)
            return;
        m_cams->setMethod(static_cast<compute::CamMethod>(m_camMethod->itemData(index).toInt()));
        const QSignalBlocker blocker(m_threshold);
        m_threshold->setValue(static_cast<int>(std::lround(m_cams->threshold() * 100)));
        m_thresholdLabel->setText(QString::number(m_cams->threshold(), 'f', 2));
        m_view->heatmapLayer().setThreshold(m_cams->threshold());
        showHeatmaps(m_view->slice());
    });
    connect(m_targetLayer, &QComboBox::currentTextChanged, this, [this](const QString& layer) {
        if (layer.isEmpty())
            return;
        m_cams->setTargetLayer(layer);
        m_comparison->setTargetLayer(layer);
        showHeatmaps(m_view->slice());
    });
    connect(m_cropSize, &QSpinBox::valueChanged, this, [this](int pixels) {
        if (pixels == m_cams->cropSize())
            return;
        m_cams->setCropSize(pixels);
        m_comparison->setCropSize(pixels);
        showHeatmaps(m_view->slice());
    });
    connect(m_normalisation, &QComboBox::currentIndexChanged, this, [this](int index) {
        const auto normalisation = static_cast<compute::MapNormalisation>(m_normalisation->itemData(index).toInt());
        m_cams->setNormalisation(normalisation);
        m_comparison->setNormalisation(normalisation);
        showHeatmaps(m_view->slice());
    });
    connect(m_threshold, &QSlider::valueChanged, this, [this](int value) {
        // Live while dragging: only the isoline's value changes; no CAM is recomputed.
        m_cams->setThreshold(value / 100.0);
        m_thresholdLabel->setText(QString::number(value / 100.0, 'f', 2));
        m_view->heatmapLayer().setThreshold(value / 100.0);
        updateProposalIou();
        m_view->requestRender();
    });
    connect(m_opacity, &QSlider::valueChanged, this, [this](int value) {
        m_view->heatmapLayer().setOpacity(value / 100.0);
        m_comparison->forEachLayer([value](render::HeatmapLayer& layer) { layer.setOpacity(value / 100.0); });
        m_view->requestRender();
    });
    connect(m_colorMap, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        m_view->heatmapLayer().setColorMap(name.toStdString());
        m_comparison->forEachLayer([name](render::HeatmapLayer& layer) { layer.setColorMap(name.toStdString()); });
        m_view->requestRender();
    });
    connect(m_camCancel, &QPushButton::clicked, m_cams, &CamController::cancel);
    connect(m_cams, &CamController::modelLoaded, this, [this](const QString& summary) {
        m_modelLabel->setText(m_modelLabel->fontMetrics().elidedText(summary, Qt::ElideMiddle, 170));
        m_modelLabel->setToolTip(summary);
        {
            const QSignalBlocker blocker(m_targetLayer);
            m_targetLayer->clear();
            m_targetLayer->addItems(m_cams->targetLayers());
            m_targetLayer->setCurrentIndex(m_targetLayer->count() - 1); // the model's own: its last stage
            m_targetLayer->setEnabled(m_targetLayer->count() > 1);
        }
        {
            const QSignalBlocker blocker(m_cropSize);
            m_cropSize->setValue(m_cams->cropSize());
        }
        if (comparisonMode())
            m_comparison->shareModel(*m_cams);
        showPhysicalScaleNote(tr("Model loaded: %1").arg(summary));
        showHeatmaps(m_view->slice());
    });
    connect(m_cams, &CamController::modelFailed, this, [this](const QString& message) {
        m_modelLabel->setText(m_cams->hasModel() ? m_cams->modelSummary() : tr("no model"));
        showError(tr("Cannot load the model"), message);
    });
    connect(m_cams, &CamController::computeFailed, this, [this](const QString& message) {
        // Shown once: the controller does not retry that slice by itself.
        spdlog::error("heatmaps: {}", message.toStdString());
        statusBar()->showMessage(tr("Heatmaps failed: %1").arg(message), 15000);
        if (qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS"))
            QMessageBox::warning(this, tr("Heatmaps failed"), message);
    });
    connect(m_cams, &CamController::progress, this, [this](const QString& text, int done, int total) {
        // Enabled and disabled, never shown and hidden: the toolbar must not change the view's size.
        m_camProgress->setEnabled(total > 0);
        m_camCancel->setEnabled(total > 0);
        m_camProgress->setRange(0, std::max(total, 1));
        m_camProgress->setValue(done);
        m_camProgress->setFormat(text.isEmpty() ? QStringLiteral("%v/%m") : text);
    });
    connect(m_cams, &CamController::heatmapsReady, this, [this](int slice) {
        if (slice == m_view->slice())
            showHeatmaps(slice);
    });
    connect(m_view, &SliceView::sliceChanged, this, &MainWindow::showHeatmaps);
    connect(m_cams, &CamController::probabilitiesUpdated, this, &MainWindow::updateSliceControls);
    // The single view holds the slice and window; the comparison follows it and reports back, so
    // the slider, the slice label, N / Shift+N and the presets work in both modes.
    connect(m_view, &SliceView::sliceChanged, this, [this](int slice) {
        if (comparisonMode())
            m_comparison->setSlice(slice);
    });
    connect(m_comparison, &ComparisonView::sliceChanged, m_view, &SliceView::setSlice);
    connect(m_view, &SliceView::windowLevelChanged, this, [this](double window, double level) {
        if (comparisonMode())
            m_comparison->setWindowLevel({window, level});
    });
    m_view->heatmapLayer().setThreshold(0.5);
    m_view->heatmapLayer().setOpacity(0.5);
}

void MainWindow::showPhysicalScaleNote(const QString& prefix)
{
    const QString note = m_cams->physicalScaleNote();
    m_modelLabel->setToolTip(m_cams->hasModel() ? m_cams->modelSummary() + (note.isEmpty() ? QString() : QStringLiteral("\n") + note)
                                                : QString());
    if (!note.isEmpty())
        statusBar()->showMessage((prefix.isEmpty() ? QString() : prefix + QStringLiteral(" — ")) + tr("Scale: %1").arg(note), 15000);
    else if (!prefix.isEmpty())
        statusBar()->showMessage(prefix, 5000);
}

void MainWindow::applyCamFlavour(compute::CamFlavour flavour)
{
    m_cams->setFlavour(flavour);
    m_comparison->setFlavour(flavour);
    // Methods the flavour's library lacks cannot be chosen; the current one falls back to Grad-CAM.
    auto* items = qobject_cast<QStandardItemModel*>(m_camMethod->model());
    for (int i = 0; i < m_camMethod->count(); ++i) {
        const auto method = static_cast<compute::CamMethod>(m_camMethod->itemData(i).toInt());
        if (auto* item = items ? items->item(i) : nullptr)
            item->setEnabled(compute::flavourHas(flavour, method));
    }
    if (!compute::flavourHas(flavour, m_cams->method()))
        m_camMethod->setCurrentIndex(m_camMethod->findData(static_cast<int>(compute::CamMethod::GradCam)));
}

bool MainWindow::comparisonMode() const { return m_centre->currentWidget() == m_comparison; }

void MainWindow::setComparisonMode(bool on)
{
    const QSignalBlocker blocker(m_compareAction);
    m_compareAction->setChecked(on);
    if (on == comparisonMode())
        return;
    if (on) {
        // The panes follow the single view's case, slice and window, and share its model. The
        // slice is taken first: setting the case reports the panes' old slice back.
        const int slice = m_view->slice();
        const auto windowLevel = m_view->scene().windowLevel();
        m_comparison->setCase(m_current);
        m_comparison->shareModel(*m_cams);
        m_comparison->setCropSize(m_cams->cropSize());
        m_comparison->setNormalisation(m_cams->normalisation());
        m_comparison->setScoreReducedPrecision(m_cams->scoreReducedPrecision());
        m_comparison->setTargetLayer(m_cams->targetLayer());
        m_comparison->setWindowLevel(windowLevel);
        m_comparison->setSlice(slice);
        m_view->setSlice(slice);
        m_cams->cancel(); // no sixth job for the hidden single view
        m_centre->setCurrentWidget(m_comparison);
    } else {
        m_view->setSlice(m_comparison->slice());
        m_comparison->release();
        m_centre->setCurrentWidget(m_view);
        showHeatmaps(m_view->slice());
    }
}

void MainWindow::buildReviewMenu()
{
    m_review = new ReviewController(*m_cams, this);
    m_review->setAnnotator(QSettings().value(QStringLiteral("annotator")).toString());
    auto* menu = menuBar()->addMenu(tr("&Review"));
    const auto add = [this, menu](const QString& id, const QString& text, QKeySequence key, std::function<void()> run) {
        QAction* action = menu->addAction(text, this, std::move(run), key);
        action->setShortcutContext(Qt::WindowShortcut);
        m_keys.add(id, action);
        return action;
    };
    const auto decide = [this](bool (ReviewController::*what)()) {
        if (!ensureAnnotator())
            return;
        (m_review->*what)();
    };
    add(QStringLiteral("review.accept"), tr("&Accept proposal"), QKeySequence(Qt::Key_A), [decide] { decide(&ReviewController::accept); });
    add(QStringLiteral("review.reject"), tr("Re&ject proposal"), QKeySequence(Qt::Key_X), [decide] { decide(&ReviewController::reject); });
    add(QStringLiteral("review.skip"), tr("&Skip"), QKeySequence(Qt::Key_S), [decide] { decide(&ReviewController::skip); });
    add(QStringLiteral("review.correct"), tr("&Correct (edit the proposal)"), QKeySequence(Qt::Key_E), [this] { m_review->startCorrection(); });
    add(QStringLiteral("review.finish"), tr("&Finish correction"), QKeySequence(Qt::Key_Return), [this] {
        if (m_review->editing() && ensureAnnotator())
            m_review->finishCorrection();
    });
    add(QStringLiteral("review.cancel"), tr("Cancel correction"), QKeySequence(Qt::Key_Escape), [this] {
        if (m_view->polygonMode())
            endPolygon(); // Esc first drops the polygon being drawn
        else
            m_review->cancelCorrection();
    });
    menu->addSeparator();
    add(QStringLiteral("edit.undo"), tr("&Undo"), QKeySequence::Undo, [this] {
        // While editing: the last stroke or action; else the last decision (the audit log keeps it).
        if (m_review->editing()) {
            m_review->editor()->undo();
            m_review->editChanged();
            showEditedMask();
        } else if (m_review->undoLastDecision())
            statusBar()->showMessage(tr("Decision undone."), 4000);
    });
    add(QStringLiteral("edit.redo"), tr("&Redo"), QKeySequence::Redo, [this] {
        if (m_review->editing() && m_review->editor()->redo()) {
            m_review->editChanged();
            showEditedMask();
        }
    });
    menu->addSeparator();
    const auto edit = [this](const std::function<BinaryMask(const BinaryMask&)>& op) {
        if (!m_review->editing())
            return;
        m_review->editor()->apply(op(m_review->editor()->mask()));
        m_review->editChanged();
        showEditedMask();
    };
    add(QStringLiteral("edit.fillHoles"), tr("Fill &holes"), QKeySequence(Qt::Key_F), [edit] { edit(fillHoles); });
    add(QStringLiteral("edit.keepLargest"), tr("&Keep the largest component"), QKeySequence(Qt::Key_K), [edit] { edit(keepLargestComponent); });
    add(QStringLiteral("edit.removeIslands"), tr("Remove small &islands"), QKeySequence(Qt::Key_I), [edit] {
        edit([](const BinaryMask& m) { return removeSmallIslands(m, 10); });
    });
    add(QStringLiteral("edit.applyProposal"), tr("Apply the &proposal"), QKeySequence(Qt::Key_P), [this, edit] {
        if (const auto p = m_review->proposal())
            edit([p](const BinaryMask&) { return *p; });
    });
    const auto polygon = [this](bool subtract) {
        if (!m_review->editing())
            return;
        if (m_view->polygonMode()) { // the same key again closes the polygon and applies it
            const auto box = m_review->cropBox();
            std::vector<std::array<double, 2>> local; // crop pixels: x = column, y = row
            for (const auto& p : m_polygonPoints)
                local.push_back({p[1] - box->col, p[0] - box->row});
            m_review->editor()->apply(fillPolygon(m_review->editor()->mask(), local, !m_polygonSubtract));
            m_review->editChanged();
            endPolygon();
            showEditedMask();
            return;
        }
        m_polygonPoints.clear();
        m_polygonSubtract = subtract;
        m_view->setPolygonMode(true);
        statusBar()->showMessage(subtract ? tr("Polygon (subtract): click the corners, Shift+G closes it, Esc cancels.")
                                          : tr("Polygon (add): click the corners, G closes it, Esc cancels."),
                                 8000);
    };
    add(QStringLiteral("edit.polygonAdd"), tr("Polygon: &add (G to start, G to close)"), QKeySequence(Qt::Key_G),
        [polygon] { polygon(false); });
    add(QStringLiteral("edit.polygonSubtract"), tr("Polygon: s&ubtract (Shift+G)"), QKeySequence(Qt::SHIFT | Qt::Key_G),
        [polygon] { polygon(true); });
    add(QStringLiteral("edit.thresholdHu"), tr("Keep an &HU range within the mask…"), QKeySequence(Qt::Key_T), [this, edit] {
        if (!m_review->editing() || !m_current || !m_current->imaging)
            return;
        // Default: the HU range the window shows now.
        const auto wl = m_view->scene().windowLevel();
        int low = static_cast<int>(std::lround(wl.level - wl.window / 2)), high = static_cast<int>(std::lround(wl.level + wl.window / 2));
        if (qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS")) {
            bool ok = false;
            const QString range = QInputDialog::getText(this, tr("HU range"), tr("Keep mask pixels from … to … HU:"),
                                                        QLineEdit::Normal, QStringLiteral("%1 %2").arg(low).arg(high), &ok);
            const QStringList parts = range.split(QRegularExpression(QStringLiteral("[\\s,;]+")), Qt::SkipEmptyParts);
            if (!ok || parts.size() != 2)
                return;
            low = parts[0].toInt();
            high = parts[1].toInt();
        }
        const auto box = m_review->cropBox();
        std::vector<int16_t> hu(static_cast<size_t>(box->rows) * box->cols);
        cutCrop(*m_current->imaging, m_review->slice(), box->row, box->col, box->rows, box->cols, hu.data());
        edit([&](const BinaryMask& m) { return thresholdWithin(m, hu, std::min(low, high), std::max(low, high)); });
        statusBar()->showMessage(tr("Kept the mask's pixels from %1 to %2 HU.").arg(low).arg(high), 5000);
    });
    add(QStringLiteral("edit.largerBrush"), tr("Larger brush"), QKeySequence(Qt::Key_BracketRight),
        [this] { m_view->setBrushRadiusMm(m_view->brushRadiusMm() * 1.25); });
    add(QStringLiteral("edit.smallerBrush"), tr("Smaller brush"), QKeySequence(Qt::Key_BracketLeft),
        [this] { m_view->setBrushRadiusMm(m_view->brushRadiusMm() / 1.25); });
    menu->addSeparator();
    add(QStringLiteral("review.nextUndecided"), tr("&Next undecided"), QKeySequence(Qt::Key_Space), [this] { goToNextUndecided(+1); });
    add(QStringLiteral("review.previousUndecided"), tr("Previous undecided"), QKeySequence(Qt::SHIFT | Qt::Key_Space),
        [this] { goToNextUndecided(-1); });
    auto* wholeSlices = menu->addAction(tr("Review whole slices (not kidney crops)"));
    wholeSlices->setCheckable(true);
    connect(wholeSlices, &QAction::toggled, this, [this](bool on) {
        m_review->setWholeSlice(on);
        updateReviewStatus();
    });
    m_autoAdvance = menu->addAction(tr("Advance after a decision"));
    m_autoAdvance->setCheckable(true);
    m_autoAdvance->setChecked(QSettings().value(QStringLiteral("autoAdvance"), true).toBool());
    connect(m_autoAdvance, &QAction::toggled, this, [](bool on) { QSettings().setValue(QStringLiteral("autoAdvance"), on); });
    add(QStringLiteral("review.annotator"), tr("Set the annotator's name…"), QKeySequence(), [this] { askAnnotator(); });

    connect(m_review, &ReviewController::editingChanged, this, [this](bool editing) {
        endPolygon();
        m_view->setBrushMode(editing);
        if (editing)
            showEditedMask();
        else
            m_view->maskLayer().clear();
        m_view->requestRender();
        updateReviewStatus();
    });
    connect(m_view, &SliceView::brushPressed, this, [this](double row, double col, bool paint) {
        if (!m_review->editing())
            return;
        const auto box = m_review->cropBox();
        m_review->editor()->beginStroke(paint);
        m_review->editor()->dab(row - box->row, col - box->col, m_view->brushRadiusPixels());
        showEditedMask();
    });
    connect(m_view, &SliceView::brushMoved, this, [this](double row, double col) {
        if (!m_review->editing())
            return;
        const auto box = m_review->cropBox();
        m_review->editor()->dabTo(row - box->row, col - box->col, m_view->brushRadiusPixels());
        showEditedMask();
    });
    connect(m_view, &SliceView::polygonPoint, this, [this](double row, double col) {
        m_polygonPoints.push_back({row, col});
        auto closed = m_polygonPoints;
        closed.push_back(m_polygonPoints.front());
        m_view->maskLayer().setPolygon(closed);
        m_view->requestRender();
    });
    connect(m_view, &SliceView::brushReleased, this, [this] {
        if (!m_review->editing())
            return;
        m_review->editor()->endStroke();
        m_review->editChanged(); // journalled: a crash loses at most the stroke in progress
    });
    connect(m_review, &ReviewController::decisionRecorded, this, [this](int slice, int crop, const QString& kind) {
        statusBar()->showMessage(tr("Slice %1, crop %2: %3 (saved)").arg(slice + 1).arg(crop + 1).arg(kind), 4000);
        m_caseBrowser->refreshStatus();
        if (m_dashboardDock->isVisible())
            m_dashboard->refresh();
        if (m_autoAdvance->isChecked()) {
            if (crop + 1 < m_review->cropCount())
                m_review->setTarget(slice, crop + 1);
            else
                goToNextUndecided(+1);
        }
        updateReviewStatus();
    });
    connect(m_review, &ReviewController::decisionUndone, this, [this](int slice, int crop) {
        m_caseBrowser->refreshStatus();
        if (m_dashboardDock->isVisible())
            m_dashboard->refresh();
        m_view->setSlice(slice);
        m_review->setTarget(slice, crop);
        updateReviewStatus();
    });
    connect(m_review, &ReviewController::failed, this, [this](const QString& message) {
        statusBar()->showMessage(message, 8000);
    });
    m_reviewLabel = new QLabel(this);
    statusBar()->addWidget(m_reviewLabel);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), this, [this] { showKeyHelp(); }, QKeySequence::HelpContents);
}

void MainWindow::showKeyHelp()
{
    // A translucent overlay over the window listing every command and its key (any key or click closes it).
    auto* overlay = new KeyHelpOverlay(m_keys, this);
    overlay->setObjectName("keyHelp");
    overlay->show();
}

bool MainWindow::ensureAnnotator()
{
    if (!m_review->annotator().trimmed().isEmpty())
        return true;
    return askAnnotator();
}

bool MainWindow::askAnnotator()
{
    if (!qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS")) {
        statusBar()->showMessage(tr("Set the annotator's name first (Review menu)."), 8000);
        return false;
    }
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Annotator"), tr("Your name (stored with every decision):"),
                                               QLineEdit::Normal, m_review->annotator(), &ok)
                             .trimmed();
    if (!ok || name.isEmpty())
        return false;
    m_review->setAnnotator(name);
    QSettings().setValue(QStringLiteral("annotator"), name); // asked once, remembered
    return true;
}

void MainWindow::endPolygon()
{
    m_polygonPoints.clear();
    m_view->setPolygonMode(false);
    m_view->maskLayer().setPolygon({});
    m_view->requestRender();
}

void MainWindow::showEditedMask()
{
    const auto box = m_review->cropBox();
    if (!m_review->editing() || !box)
        return;
    m_view->maskLayer().setMask(box->row, box->col, m_review->editor()->mask());
    m_view->requestRender();
}

void MainWindow::goToNextUndecided(int direction)
{
    if (const auto next = m_review->nextUndecidedSlice(direction)) {
        m_view->setSlice(*next);
        m_review->setTarget(*next, 0);
    } else {
        statusBar()->showMessage(tr("Every kidney crop of this case has a decision."), 4000);
    }
    updateReviewStatus();
}

void MainWindow::updateReviewStatus()
{
    if (!m_reviewLabel)
        return;
    const int crops = m_review->cropCount();
    if (crops == 0) {
        m_reviewLabel->clear();
        return;
    }
    const auto decided = m_review->decisionOf(m_review->slice(), m_review->crop());
    m_reviewLabel->setText(tr("Review: crop %1 of %2%3%4")
                               .arg(m_review->crop() + 1)
                               .arg(crops)
                               .arg(decided ? tr(" — %1").arg(QString::fromStdString(storage::toString(*decided))) : QString())
                               .arg(m_review->editing() ? tr(" — editing") : QString()));
}

std::optional<EditRecovery> MainWindow::pendingRecovery() const { return m_review->journal().load(); }

bool MainWindow::offerRecovery()
{
    const auto recovery = pendingRecovery();
    if (!recovery)
        return false;
    if (qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS")) {
        const auto answer = QMessageBox::question(
            this, tr("Unfinished correction"),
            tr("Weaksight stopped while a correction was being edited (case %1, slice %2, by %3, %4).\n"
               "Restore it?")
                .arg(recovery->caseId)
                .arg(recovery->slice + 1)
                .arg(recovery->annotator)
                .arg(QDateTime::fromMSecsSinceEpoch(recovery->savedAtMs).toString()),
            QMessageBox::Yes | QMessageBox::Discard, QMessageBox::Yes);
        if (answer != QMessageBox::Yes) {
            m_review->journal().discard();
            return false;
        }
    }
    recoverEdit(*recovery);
    return true;
}

void MainWindow::recoverEdit(const EditRecovery& recovery)
{
    m_recovery = recovery;
    if (m_current && QString::fromStdString(m_current->files.caseId) == recovery.caseId && m_storePath == recovery.storePath)
        resumeRecoveredEdit();
    else
        openPath(recovery.datasetPath); // the case is selected when the list is shown
}

void MainWindow::resumeRecoveredEdit()
{
    if (!m_recovery || !m_current || QString::fromStdString(m_current->files.caseId) != m_recovery->caseId)
        return;
    const EditRecovery recovery = *m_recovery;
    m_recovery.reset();
    m_view->setSlice(recovery.slice);
    if (m_review->restoreCorrection(recovery))
        statusBar()->showMessage(tr("The unfinished correction is back: finish it with Enter."), 8000);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_review->editing() && m_review->editor()->modified() && qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS")) {
        const auto answer = QMessageBox::question(
            this, tr("Unsaved correction"),
            tr("The correction in progress is not recorded yet. Record it before closing?"),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        if (answer == QMessageBox::Cancel || (answer == QMessageBox::Save && !m_review->finishCorrection())) {
            event->ignore();
            return;
        }
        if (answer == QMessageBox::Discard)
            m_review->cancelCorrection();
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::showExportDialog()
{
    if (m_storePath.isEmpty() || !QFileInfo::exists(m_storePath)) {
        statusBar()->showMessage(tr("No decisions to export yet: this dataset has no annotation store."), 6000);
        return;
    }
    auto* dialog = new ExportDialog(m_storePath, m_current ? QString::fromStdString(m_current->files.caseId) : QString(), this);
    dialog->setObjectName("exportDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setOutputFolder(QFileInfo(m_storePath).absolutePath() + QStringLiteral("/weaksight-export"));
    dialog->show();
}

void MainWindow::set3dViewVisible(bool visible) { m_surfaceDock->setVisible(visible); }

void MainWindow::update3dView()
{
    // Surfaces cost a second or so: built only while the 3D view is shown, once per case.
    if (!m_surfaceDock->isVisible() || m_current == m_surfaceCase)
        return;
    m_surfaceCase = m_current;
    m_surfaceView->showCase(m_current, m_storePath);
}

void MainWindow::updateProposalIou()
{
    const SliceHeatmaps* maps = m_cams->heatmaps(m_view->slice());
    const auto iou = maps && m_current && m_current->labels
                         ? proposalIouAgainstTruth(*maps, *m_current->labels, m_view->slice(), m_cams->threshold())
                         : std::nullopt;
    m_iouLabel->setText(iou ? tr(" IoU %1 ").arg(*iou, 0, 'f', 3) : QString());
}

void MainWindow::goToLesionSlice(int direction)
{
    if (!m_current)
        return;
    // Ground truth when the case has labels, else the classifier's lesion probability.
    const bool byTruth = m_current->labels.has_value();
    const auto next = byTruth ? nextLesionSlice(*m_current->labels, m_view->slice(), direction)
                              : m_cams->nextProbableLesionSlice(m_view->slice(), direction);
    if (next)
        m_view->setSlice(*next);
    else if (byTruth || m_cams->scannedSlices() > 0)
        statusBar()->showMessage(tr("No further slice with lesion in this direction."), 3000);
    else
        statusBar()->showMessage(tr("No labels: load a model to find lesion slices by its lesion probability."), 5000);
}

void MainWindow::loadModel(const QString& path)
{
    m_modelLabel->setText(tr("loading %1…").arg(QFileInfo(path).fileName()));
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
    const SliceHeatmaps* maps = m_cams->heatmaps(slice);
    if (maps)
        m_view->heatmapLayer().setPatches(maps->patches);
    else
        m_view->heatmapLayer().clear();
    m_view->heatmapLayer().setColorBarTitle(m_cams->colorBarTitle().toStdString());
    updateProposalIou();
    updateReviewStatus();
    m_view->requestRender();
    if (!maps)
        m_cams->requestSlice(slice);
}

void MainWindow::updateSliceControls()
{
    const auto& scene = m_view->scene();
    if (scene.sliceCount() == 0) {
        m_sliceLabel->clear();
        return;
    }
    QString text = tr("slice %1 / %2  (z = %3 mm)")
                       .arg(scene.slice() + 1)
                       .arg(scene.sliceCount())
                       .arg(scene.slicePositionMm(), 0, 'f', 1);
    if (const auto p = m_cams->lesionProbability(scene.slice()))
        text += tr("  p(lesion) %1").arg(*p, 0, 'f', 2);
    m_sliceLabel->setText(text);
}

void MainWindow::showError(const QString& title, const QString& message)
{
    spdlog::error("{}: {}", title.toStdString(), message.toStdString());
    statusBar()->showMessage(message, 15000);
    Q_EMIT loadFailed(message);
    // Tests run without anyone to close a modal dialog.
    if (qEnvironmentVariableIsEmpty("WEAKSIGHT_NO_DIALOGS"))
        QMessageBox::warning(this, title, message);
}

void MainWindow::chooseDataset()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a KiTS dataset or case folder"));
    if (!dir.isEmpty())
        openPath(dir);
}

void MainWindow::chooseVolumeFile()
{
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Open a volume"), QString(),
        tr("Volumes (*.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd);;All files (*)"));
    if (!file.isEmpty())
        openPath(file);
}

void MainWindow::openPath(const QString& path)
{
    const fs::path p = path.toStdString();
    try {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            try {
                showCases(scanDataset(p), path);
            } catch (const InputError&) {
                // Not a KiTS folder: perhaps a DICOM series.
                showCases({describeVolumeFile(p, VolumeRole::Imaging)}, path);
            }
        } else {
            showCases({describeVolumeFile(p)}, path);
        }
        rememberDataset(path);
    } catch (const std::exception& e) {
        showError(tr("Cannot open"), QString::fromStdString(e.what()));
    }
}

void MainWindow::showCases(std::vector<CaseFiles> cases, const QString& datasetPath)
{
    m_cases = std::move(cases);
    {
        const QSignalBlocker blocker(m_caseBrowser);
        m_storePath = storePathFor(datasetPath);
        m_caseBrowser->setCases(m_cases, m_storePath);
        m_dashboard->setStorePath(m_storePath);
        const QFileInfo info(datasetPath);
        m_review->setDataset(info.isDir() ? info.absoluteFilePath() : info.absolutePath(), m_storePath);
    }
    if (!m_cases.empty()) {
        // A recovered correction opens its own case.
        int first = 0;
        for (int i = 0; m_recovery && i < caseCount(); ++i)
            if (QString::fromStdString(m_cases[static_cast<size_t>(i)].caseId) == m_recovery->caseId)
                first = i;
        {
            const QSignalBlocker blocker(m_caseBrowser);
            m_caseBrowser->setCurrentCase(first);
        }
        selectCase(first);
    }
}

void MainWindow::selectCase(int index)
{
    if (index < 0 || index >= caseCount())
        return;
    const CaseFiles files = m_cases[static_cast<size_t>(index)];
    const int generation = ++m_loadGeneration;
    statusBar()->showMessage(tr("Loading %1…").arg(QString::fromStdString(files.caseId)));
    m_loadWatcher.setFuture(QtConcurrent::run([files, generation]() {
        LoadResult result;
        result.generation = generation;
        try {
            result.loaded = std::make_shared<LoadedCase>(loadCase(files));
        } catch (const std::bad_alloc&) {
            result.error = tr("Not enough memory to load %1.").arg(QString::fromStdString(files.caseId));
        } catch (const std::exception& e) {
            result.error = QString::fromStdString(e.what());
        }
        return result;
    }));
}

void MainWindow::onCaseLoaded()
{
    const LoadResult result = m_loadWatcher.result();
    if (result.generation != m_loadGeneration)
        return; // a newer request superseded this one
    if (!result.loaded) {
        showError(tr("Cannot load case"), result.error);
        return;
    }
    // Keep the old case alive until the view has switched to the new one.
    auto previous = m_current;
    m_current = result.loaded;
    m_cams->setCase(m_current);
    showPhysicalScaleNote({});
    m_review->setCase(m_current);
    if (comparisonMode())
        m_comparison->setCase(m_current);
    const auto& c = *m_current;
    m_view->setVolumes(c.imaging ? &*c.imaging : nullptr, c.labels ? &*c.labels : nullptr);
    m_sliceSlider->setRange(0, std::max(0, m_view->scene().sliceCount() - 1));
    m_sliceSlider->setEnabled(m_view->scene().sliceCount() > 1);
    // Start on the slice with the most lesion voxels when labels exist: it is what a labeller looks for.
    int start = m_view->scene().sliceCount() / 2;
    if (c.labels) {
        size_t best = 0;
        for (int k = 0; k < c.labels->slices(); ++k) {
            const uint8_t* s = c.labels->slice(k);
            const auto n = static_cast<size_t>(
                std::count_if(s, s + c.labels->sliceSize(), [](uint8_t v) { return labels::isLesion(v); }));
            if (n > best) {
                best = n;
                start = k;
            }
        }
    }
    m_view->setSlice(start);
    updateSliceControls();
    update3dView();
    resumeRecoveredEdit();
    for (const auto& w : c.warnings)
        spdlog::warn("{}: {}", c.files.caseId, w);
    statusBar()->showMessage(
        tr("%1: %2").arg(QString::fromStdString(c.files.caseId), QString::fromStdString(c.files.contentDescription())),
        8000);
    Q_EMIT caseLoaded(QString::fromStdString(c.files.caseId));
}

void MainWindow::setDemoOptions(const DemoOptions& options) { m_demoOptions = options; }

void MainWindow::openDemo()
{
    const fs::path root = demoRootPath().toStdString();
    const DemoFiles files = demoFiles(root, m_demoOptions);
    const auto open = [this, files] {
        openPath(QString::fromStdString(files.dataset.string()));
        loadModel(QString::fromStdString(files.model.string()));
    };
    if (demoReady(files)) {
        open();
        return;
    }
    // First use: synthetic cases, then a small classifier trained on them, in the background with
    // progress and cancel (finished steps are kept; a cancelled training resumes next time).
    auto* progress = new QProgressDialog(tr("Preparing the demo…"), tr("Cancel"), 0, 100, this);
    progress->setWindowTitle(tr("Weaksight demo"));
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(0);
    progress->setMinimumWidth(460);
    progress->setAttribute(Qt::WA_DeleteOnClose);
    auto* watcher = new QFutureWatcher<void>(this);
    connect(watcher, &QFutureWatcher<void>::progressRangeChanged, progress, &QProgressDialog::setRange);
    connect(watcher, &QFutureWatcher<void>::progressValueChanged, progress, &QProgressDialog::setValue);
    connect(watcher, &QFutureWatcher<void>::progressTextChanged, progress, &QProgressDialog::setLabelText);
    connect(progress, &QProgressDialog::canceled, watcher, &QFutureWatcher<void>::cancel);
    // The labeller may close the dialog (it deletes itself then): the finish must not touch it.
    const QPointer<QProgressDialog> progressAlive(progress);
    connect(watcher, &QFutureWatcher<void>::finished, this, [this, watcher, progressAlive, open] {
        // Read the outcome before closing the dialog: closing a QProgressDialog emits canceled().
        const bool cancelled = watcher->isCanceled();
        if (progressAlive) {
            disconnect(progressAlive, &QProgressDialog::canceled, watcher, &QFutureWatcher<void>::cancel);
            progressAlive->close();
        }
        watcher->deleteLater();
        if (cancelled) {
            statusBar()->showMessage(tr("Demo preparation cancelled; what was finished is kept."), 5000);
            return;
        }
        try {
            watcher->waitForFinished(); // rethrows a worker exception
            open();
        } catch (const std::exception& e) {
            showError(tr("Cannot prepare the demo"), QString::fromStdString(e.what()));
        }
    });
    const DemoOptions options = m_demoOptions;
    watcher->setFuture(QtConcurrent::run([root, options](QPromise<void>& promise) {
        std::atomic<bool> cancel{false};
        const auto started = std::chrono::steady_clock::now();
        try {
            prepareDemo(root, options, [&](const std::string& stage, int done, int total) {
                const QString text = stage == "cases"   ? tr("Generating synthetic CT cases: %1 of %2").arg(done).arg(total)
                                     : stage == "crops" ? tr("Cutting kidney crops: case %1 of %2").arg(done).arg(total)
                                                        : tr("Training the demo classifier: %1 %").arg(100 * done / std::max(total, 1));
                // One bar over the three stages, weighted by their measured share of the time.
                const double share = stage == "cases" ? 0.0 : stage == "crops" ? 0.3 : 0.35;
                const double width = stage == "cases" ? 0.3 : stage == "crops" ? 0.05 : 0.65;
                promise.setProgressRange(0, 1000);
                promise.setProgressValueAndText(
                    static_cast<int>(1000 * (share + width * done / std::max(total, 1))),
                    text + tr("  (%1 s)").arg(std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::steady_clock::now() - started)
                                                  .count()));
                if (promise.isCanceled())
                    cancel = true;
            }, &cancel);
        } catch (const DemoCancelled&) {
        }
    }));
    progress->show();
}

} // namespace weaksight::ui
