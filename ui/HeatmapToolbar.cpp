#include "ui/HeatmapToolbar.h"

#include "core/common/ColorMaps.h"
#include "render/HeatmapLayer.h"
#include "ui/CamController.h"
#include "ui/ComparisonView.h"
#include "ui/Dialogs.h"
#include "ui/SliceView.h"

#include <QActionGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QWidgetAction>
#include <cmath>
#include <functional>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace {

int percent(double value)
{
    return static_cast<int>(std::lround(value * 100));
}

/// One row of the Overlays panel: a switch and an opacity for one overlay of every view.
struct OverlayRow {
    QString name;
    QString key;
    std::function<void(SliceView&, bool)> show;
    std::function<void(SliceView&, double)> opacity;
};

std::vector<OverlayRow> labelContourRows()
{
    std::vector<OverlayRow> rows;
    for (const auto& [name, label, key] :
         {std::tuple{HeatmapToolbar::tr("Kidney contour (ground truth)"), labels::Kidney, "kidney"},
          std::tuple{HeatmapToolbar::tr("Tumour contour (ground truth)"), labels::Tumour, "tumour"},
          std::tuple{HeatmapToolbar::tr("Cyst contour (ground truth)"), labels::Cyst, "cyst"}})
        rows.push_back(
            {name, QString::fromLatin1(key),
             [label = label](SliceView& v, bool on) { v.scene().setLabelContourVisible(label, on); },
             [label = label](SliceView& v, double o) {
                 v.scene().setLabelContourOpacity(label, o);
             }});
    return rows;
}

} // namespace

HeatmapToolbar::HeatmapToolbar(QMainWindow& window, CamController& cams, SliceView& view,
                               ComparisonView& comparison)
    : QObject(&window)
    , m_cams(cams)
    , m_view(view)
    , m_comparison(comparison)
    , m_window(&window)
{
    m_cams.setScoreReducedPrecision(
        QSettings().value(QStringLiteral("scoreReducedPrecision"), false).toBool());
    {
        auto settings = m_cams.settings();
        settings.smoothSamples =
            QSettings().value(QStringLiteral("smoothSamples"), settings.smoothSamples).toInt();
        settings.smoothNoise =
            QSettings().value(QStringLiteral("smoothNoise"), settings.smoothNoise).toDouble();
        m_cams.setSettings(settings);
    }
    buildSettingsBar(window);
    try {
        applyCamFlavour(compute::camFlavourFromString(
            QSettings()
                .value(QStringLiteral("camFlavour"), QStringLiteral("weaksight"))
                .toString()
                .toStdString()));
    } catch (const std::invalid_argument&) {
        // A settings file from elsewhere: keep Weaksight's definitions.
    }

    buildProgress(window);
    buildOverlayBar(window);
    connectSettings();
    connectController();
    m_view.heatmapLayer().setThreshold(m_cams.threshold());
    m_view.heatmapLayer().setOpacity(0.5);
}

QToolBar* HeatmapToolbar::buildSettingsBar(QMainWindow& window)
{
    auto* toolbar = new QToolBar(tr("Heatmaps"), &window);
    toolbar->setObjectName("heatmapToolbar");
    window.addToolBarBreak();
    window.addToolBar(toolbar);
    toolbar->addAction(tr("Load model…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Load a classifier"), QString(),
                                                          tr("Models (*.wsm *.pt *.pth);;All files (*)"));
        if (!path.isEmpty())
            Q_EMIT loadModelRequested(path);
    });
    auto* loadUnet = toolbar->addAction(tr("Load U-Net…"), this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(m_window, tr("Load a U-Net (evaluate --proposals all saves them)"),
                                         QString(), tr("U-Nets (*.wss);;All files (*)"));
        if (!path.isEmpty())
            m_cams.loadSegmenter(path);
    });
    loadUnet->setObjectName("loadSegmenter");
    loadUnet->setToolTip(
        tr("A U-Net's lesion probability as a proposal in the method list, on the classifier's crops"));
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
    m_camMethod->setCurrentIndex(m_camMethod->findData(static_cast<int>(m_cams.method())));
    // Sized for the common names, not the longest: the row must fit a 1000-pixel window.
    m_camMethod->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_camMethod->setMinimumContentsLength(12);
    toolbar->addWidget(m_camMethod);
    m_targetLayer = new QComboBox(toolbar);
    m_targetLayer->setToolTip(
        tr("Target layer: earlier stages give finer maps (CAM itself needs the last stage)"));
    m_targetLayer->setEnabled(false);
    toolbar->addWidget(m_targetLayer);
    m_normalisation = new QComboBox(toolbar);
    m_normalisation->addItem(tr("per crop"), static_cast<int>(compute::MapNormalisation::PerCrop));
    m_normalisation->addItem(tr("per volume"), static_cast<int>(compute::MapNormalisation::PerCase));
    m_normalisation->addItem(tr("raw values"), static_cast<int>(compute::MapNormalisation::None));
    m_normalisation->setToolTip(
        tr("Heatmap normalisation: min-max per crop, one min-max over the whole case, or none"));
    toolbar->addWidget(m_normalisation);
    m_cropSize = new QSpinBox(toolbar);
    m_cropSize->setRange(16, 512);
    m_cropSize->setSingleStep(8);
    m_cropSize->setValue(m_cams.cropSize());
    m_cropSize->setSuffix(tr(" px"));
    m_cropSize->setToolTip(
        tr("Kidney crop size (a model's own, from its training record, is set when it loads)"));
    toolbar->addWidget(m_cropSize);
    toolbar->addWidget(new QLabel(tr(" threshold "), toolbar));
    m_threshold = new QSlider(Qt::Horizontal, toolbar);
    m_threshold->setRange(0, 100);
    m_threshold->setValue(percent(m_cams.threshold()));
    m_threshold->setMinimumWidth(120);
    toolbar->addWidget(m_threshold);
    m_thresholdLabel = new QLabel(QString::number(m_cams.threshold(), 'f', 2), toolbar);
    toolbar->addWidget(m_thresholdLabel);
    m_iouLabel = new QLabel(toolbar);
    m_iouLabel->setToolTip(tr("IoU of the proposal with the ground-truth lesion inside the crop boxes"));
    toolbar->addWidget(m_iouLabel);
    return toolbar;
}

void HeatmapToolbar::addProposalKindItems(QComboBox& box)
{
    box.addItem(tr("map > t"), static_cast<int>(proposals::ProposalKind::Raw));
    box.addItem(tr("anatomy"), static_cast<int>(proposals::ProposalKind::Anatomy));
    box.addItem(tr("region growing"), static_cast<int>(proposals::ProposalKind::Grow));
    box.addItem(tr("watershed"), static_cast<int>(proposals::ProposalKind::Watershed));
}

void HeatmapToolbar::addProposalKind(QToolBar& toolbar)
{
    // The proposal a labeller decides on: the map above the threshold, or a refinement of it at the
    // same level (core/proposals, within a kidney region derived from the CT).
    m_proposalKind = new QComboBox(&toolbar);
    m_proposalKind->setObjectName("proposalKind");
    addProposalKindItems(*m_proposalKind);
    m_proposalKind->setToolTip(
        tr("Proposal: the map above the threshold, or refined with the CT: within the kidney and the lesion "
           "HU band (anatomy), grown from the map's peak (region growing), or flooded from markers "
           "(watershed); the threshold is the refinement's level"));
    toolbar.addWidget(m_proposalKind);
    connect(m_proposalKind, &QComboBox::currentIndexChanged, this, [this](int index) {
        auto settings = m_cams.settings();
        settings.proposalKind = static_cast<proposals::ProposalKind>(m_proposalKind->itemData(index).toInt());
        applySettings(settings);
    });
}

void HeatmapToolbar::buildProgress(QMainWindow& window)
{
    // Background progress lives in the status bar, so the heatmap row fits a 1000-pixel window.
    m_camProgress = new QProgressBar(&window);
    m_camProgress->setMaximumWidth(320);
    m_camProgress->setEnabled(false);
    m_camProgress->setTextVisible(false);
    m_camCancel = new QPushButton(tr("Cancel"), &window);
    m_camCancel->setEnabled(false);
    // Hidden while idle, but keeping their place: the status bar (and so the view) never changes
    // size when a job starts or ends.
    for (QWidget* widget : std::initializer_list<QWidget*>{m_camProgress, m_camCancel}) {
        QSizePolicy policy = widget->sizePolicy();
        policy.setRetainSizeWhenHidden(true);
        widget->setSizePolicy(policy);
        widget->setVisible(false);
        window.statusBar()->addPermanentWidget(widget);
    }
    connect(m_camCancel, &QPushButton::clicked, &m_cams, &CamController::cancel);
}

QToolBar* HeatmapToolbar::buildOverlayBar(QMainWindow& window)
{
    // Display of the overlay: its own toolbar, so the heatmap row fits a 1000-pixel window.
    auto* toolbar = new QToolBar(tr("Overlay"), &window);
    toolbar->setObjectName("overlayToolbar");
    window.addToolBarBreak();
    window.addToolBar(toolbar);
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
    for (const auto& [text, setter] : {std::pair<QString, void (render::HeatmapLayer::*)(bool)>{
                                           tr("Heatmap"), &render::HeatmapLayer::setHeatmapVisible},
                                       {tr("Proposal"), &render::HeatmapLayer::setProposalVisible},
                                       {tr("Crop boxes"), &render::HeatmapLayer::setBoxesVisible}}) {
        auto* box = new QCheckBox(text, toolbar);
        box->setChecked(true);
        toolbar->addWidget(box);
        connect(box, &QCheckBox::toggled, this, [this, setter = setter](bool on) {
            (m_view.heatmapLayer().*setter)(on);
            m_comparison.forEachLayer([setter, on](render::HeatmapLayer& layer) { (layer.*setter)(on); });
            m_view.requestRender();
        });
    }
    // Every overlay with its own switch and opacity, in a pop-up panel (Overlays ▾).
    auto* overlays = new QToolButton(toolbar);
    overlays->setText(tr("Overlays"));
    overlays->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(overlays);
    auto* holder = new QWidgetAction(menu);
    holder->setDefaultWidget(buildOverlayPanel(overlays));
    menu->addAction(holder);
    overlays->setMenu(menu);
    toolbar->addWidget(overlays);
    toolbar->addSeparator();
    toolbar->addWidget(new QLabel(tr(" proposal "), toolbar));
    addProposalKind(*toolbar);
    return toolbar;
}

QWidget* HeatmapToolbar::buildOverlayPanel(QWidget* parent)
{
    auto* panel = new QWidget(parent);
    panel->setObjectName("overlayPanel");
    auto* grid = new QGridLayout(panel);
    grid->addWidget(new QLabel(tr("<b>Overlay</b>"), panel), 0, 0);
    grid->addWidget(new QLabel(tr("<b>Opacity</b>"), panel), 0, 1);
    std::vector<OverlayRow> rows = labelContourRows();
    rows.push_back({tr("Crop boxes"), "boxes",
                    [](SliceView& v, bool on) { v.heatmapLayer().setBoxesVisible(on); },
                    [](SliceView& v, double o) {
                        v.heatmapLayer().setBoxesOpacity(o);
                    }});
    rows.push_back({tr("Proposal contour"), "proposal",
                    [](SliceView& v, bool on) { v.heatmapLayer().setProposalVisible(on); },
                    [](SliceView& v, double o) {
                        v.heatmapLayer().setProposalOpacity(o);
                    }});
    rows.push_back({tr("Heatmap"), "heatmap",
                    [](SliceView& v, bool on) { v.heatmapLayer().setHeatmapVisible(on); },
                    [this](SliceView& v, double o) {
                        v.heatmapLayer().setOpacity(o);
                        const QSignalBlocker blocker(m_opacity);
                        m_opacity->setValue(percent(o));
                    }});
    const auto apply = [this](const std::function<void(SliceView&)>& change) {
        change(m_view);
        m_comparison.forEachView([&](SliceView& v) { change(v); });
        m_view.requestRender();
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
        connect(box, &QCheckBox::toggled, this,
                [apply, show = row.show](bool on) { apply([&](SliceView& v) { show(v, on); }); });
        connect(slider, &QSlider::valueChanged, this, [apply, opacity = row.opacity](int value) {
            apply([&](SliceView& v) { opacity(v, value / 100.0); });
        });
    }
    return panel;
}

void HeatmapToolbar::applySettings(const review::CamSettings& settings)
{
    m_cams.setSettings(settings);
    m_comparison.setSettings(m_cams.settings());
    Q_EMIT settingsChanged();
}

void HeatmapToolbar::connectSettings()
{
    connect(m_camMethod, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0)
            return;
        auto settings = m_cams.settings();
        const int entry = m_camMethod->itemData(index).toInt();
        settings.segmenterMaps = entry == kSegmenterEntry;
        if (!settings.segmenterMaps)
            settings.method = static_cast<compute::CamMethod>(entry);
        m_normalisation->setEnabled(!settings.segmenterMaps); // probabilities are shown as they are
        m_cams.setSettings(settings); // the panes keep their own methods
        const QSignalBlocker blocker(m_threshold);
        m_threshold->setValue(percent(m_cams.threshold()));
        m_thresholdLabel->setText(QString::number(m_cams.threshold(), 'f', 2));
        m_view.heatmapLayer().setThreshold(m_cams.threshold());
        Q_EMIT settingsChanged();
    });
    connect(m_targetLayer, &QComboBox::currentTextChanged, this, [this](const QString& layer) {
        if (layer.isEmpty())
            return;
        auto settings = m_cams.settings();
        settings.targetLayer = layer.toStdString();
        applySettings(settings);
    });
    connect(m_cropSize, &QSpinBox::valueChanged, this, [this](int pixels) {
        if (pixels == m_cams.cropSize())
            return;
        auto settings = m_cams.settings();
        settings.cropSize = pixels;
        applySettings(settings);
    });
    connect(m_normalisation, &QComboBox::currentIndexChanged, this, [this](int index) {
        auto settings = m_cams.settings();
        settings.normalisation =
            static_cast<compute::MapNormalisation>(m_normalisation->itemData(index).toInt());
        applySettings(settings);
    });
    connect(m_threshold, &QSlider::valueChanged, this, [this](int value) {
        // Live while dragging: only the isoline's value changes; no CAM is recomputed.
        m_cams.setThreshold(value / 100.0);
        m_thresholdLabel->setText(QString::number(value / 100.0, 'f', 2));
        m_view.heatmapLayer().setThreshold(value / 100.0);
        Q_EMIT thresholdChanged();
    });
    connect(m_opacity, &QSlider::valueChanged, this, [this](int value) {
        m_view.heatmapLayer().setOpacity(value / 100.0);
        m_comparison.forEachLayer([value](render::HeatmapLayer& layer) { layer.setOpacity(value / 100.0); });
        m_view.requestRender();
    });
    connect(m_colorMap, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        m_view.heatmapLayer().setColorMap(name.toStdString());
        m_comparison.forEachLayer(
            [name](render::HeatmapLayer& layer) { layer.setColorMap(name.toStdString()); });
        m_view.requestRender();
    });
}

void HeatmapToolbar::connectController()
{
    connect(&m_cams, &CamController::modelLoaded, this, &HeatmapToolbar::onModelLoaded);
    connect(&m_cams, &CamController::segmenterLoaded, this, &HeatmapToolbar::onSegmenterLoaded);
    connect(&m_cams, &CamController::segmenterFailed, this, [this](const QString& message) {
        spdlog::error("U-Net: {}", message.toStdString());
        m_window->statusBar()->showMessage(tr("The U-Net could not be loaded: %1").arg(message), 15000);
        if (dialogsAllowed())
            QMessageBox::warning(m_window, tr("U-Net not loaded"), message);
    });
    connect(&m_cams, &CamController::modelFailed, this,
            [this] { m_modelLabel->setText(m_cams.hasModel() ? m_cams.modelSummary() : tr("no model")); });
    connect(&m_cams, &CamController::computeFailed, this, [this](const QString& message) {
        // Shown once: the controller does not retry that slice by itself.
        spdlog::error("heatmaps: {}", message.toStdString());
        m_window->statusBar()->showMessage(tr("Heatmaps failed: %1").arg(message), 15000);
        if (dialogsAllowed())
            QMessageBox::warning(m_window, tr("Heatmaps failed"), message);
    });
    connect(&m_cams, &CamController::progress, this, [this](const QString& text, int done, int total) {
        m_camProgress->setEnabled(total > 0);
        m_camCancel->setEnabled(total > 0);
        m_camProgress->setVisible(total > 0);
        m_camCancel->setVisible(total > 0);
        m_camProgress->setRange(0, std::max(total, 1));
        m_camProgress->setValue(done);
        m_camProgress->setFormat(text.isEmpty() ? QStringLiteral("%v/%m") : text);
        m_camProgress->setTextVisible(total > 0); // idle: an empty bar, not "0/1"
    });
}

void HeatmapToolbar::onSegmenterLoaded(const QString& summary)
{
    // One entry for the loaded U-Net, after the CAM methods; a second load replaces its model.
    if (m_camMethod->findData(kSegmenterEntry) < 0)
        m_camMethod->addItem(tr("U-Net"), kSegmenterEntry);
    m_camMethod->setItemData(m_camMethod->findData(kSegmenterEntry), summary, Qt::ToolTipRole);
    m_window->statusBar()->showMessage(tr("Loaded %1: choose \"U-Net\" in the method list").arg(summary),
                                       10000);
}

void HeatmapToolbar::onModelLoaded(const QString& summary)
{
    m_modelLabel->setText(m_modelLabel->fontMetrics().elidedText(summary, Qt::ElideMiddle, 170));
    m_modelLabel->setToolTip(summary);
    {
        const QSignalBlocker blocker(m_targetLayer);
        m_targetLayer->clear();
        m_targetLayer->addItems(m_cams.targetLayers());
        m_targetLayer->setCurrentIndex(m_targetLayer->count() - 1); // the model's own: its last stage
        m_targetLayer->setEnabled(m_targetLayer->count() > 1);
    }
    const QSignalBlocker blocker(m_cropSize);
    m_cropSize->setValue(m_cams.cropSize());
}

void HeatmapToolbar::setCropSize(int pixels)
{
    m_cropSize->setValue(pixels); // its valueChanged applies the settings
}

void HeatmapToolbar::addViewMenuItems(QMenu* viewMenu)
{
    auto* reducedPrecision = viewMenu->addAction(tr("Score-CAM in &reduced precision"));
    reducedPrecision->setObjectName("scoreReducedPrecision");
    reducedPrecision->setCheckable(true);
    reducedPrecision->setToolTip(
        tr("Score-CAM's masked forward passes in float16 on a GPU (about twice as fast); "
           "bfloat16 on a CPU, where it is slower. Maps differ slightly and are cached apart."));
    reducedPrecision->setChecked(m_cams.scoreReducedPrecision());
    connect(reducedPrecision, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("scoreReducedPrecision"), on);
        setScoreReducedPrecision(on);
    });
    auto* smooth = viewMenu->addAction(tr("Smooth Grad-CAM++ &noise and samples…"));
    smooth->setObjectName("smoothParameters");
    connect(smooth, &QAction::triggered, this, [this] { editSmoothParameters(); });
    // Whose CAM definitions: Weaksight's or a reference library's (README: Reference flavours).
    auto* flavourMenu = viewMenu->addMenu(tr("CAM &definitions"));
    auto* flavours = new QActionGroup(flavourMenu);
    const auto saved =
        QSettings().value(QStringLiteral("camFlavour"), QStringLiteral("weaksight")).toString();
    for (const auto flavour : compute::allCamFlavours()) {
        const QString name = QString::fromStdString(compute::toString(flavour));
        auto* action = flavourMenu->addAction(
            flavour == compute::CamFlavour::Weaksight ? tr("Weaksight (documented)") : name);
        action->setObjectName(QStringLiteral("camFlavour:") + name);
        action->setCheckable(true);
        action->setChecked(name == saved);
        flavours->addAction(action);
        connect(action, &QAction::triggered, this, [this, flavour, name] {
            QSettings().setValue(QStringLiteral("camFlavour"), name);
            applyCamFlavour(flavour);
        });
    }
}

void HeatmapToolbar::applyCamFlavour(compute::CamFlavour flavour)
{
    auto settings = m_cams.settings();
    settings.flavour = flavour;
    applySettings(settings);
    // Methods the flavour's library lacks cannot be chosen; the current one falls back to Grad-CAM.
    auto* items = qobject_cast<QStandardItemModel*>(m_camMethod->model());
    for (int i = 0; i < m_camMethod->count(); ++i) {
        const auto method = static_cast<compute::CamMethod>(m_camMethod->itemData(i).toInt());
        if (auto* item = items ? items->item(i) : nullptr)
            item->setEnabled(compute::flavourHas(flavour, method));
    }
    if (!compute::flavourHas(flavour, m_cams.method()))
        m_camMethod->setCurrentIndex(m_camMethod->findData(static_cast<int>(compute::CamMethod::GradCam)));
}

void HeatmapToolbar::setSmoothParameters(int samples, double noise)
{
    QSettings().setValue(QStringLiteral("smoothSamples"), samples);
    QSettings().setValue(QStringLiteral("smoothNoise"), noise);
    auto settings = m_cams.settings();
    settings.smoothSamples = samples;
    settings.smoothNoise = noise;
    applySettings(settings);
}

void HeatmapToolbar::editSmoothParameters()
{
    QDialog dialog(m_window);
    dialog.setWindowTitle(tr("Smooth Grad-CAM++"));
    auto* form = new QFormLayout(&dialog);
    auto* samples = new QSpinBox(&dialog);
    samples->setRange(1, 64);
    samples->setValue(m_cams.settings().smoothSamples);
    auto* noise = new QDoubleSpinBox(&dialog);
    noise->setRange(0.0, 1.0);
    noise->setSingleStep(0.05);
    noise->setDecimals(2);
    noise->setValue(m_cams.settings().smoothNoise);
    noise->setToolTip(tr("Standard deviation of the noise added to the crop's [0, 1] input; 0.1–0.2 "
                         "gives smoother maps than the default 0.3 on small models"));
    form->addRow(tr("Noisy copies per crop"), samples);
    form->addRow(tr("Noise (σ)"), noise);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() == QDialog::Accepted)
        setSmoothParameters(samples->value(), noise->value());
}

void HeatmapToolbar::setScoreReducedPrecision(bool reduced)
{
    auto settings = m_cams.settings();
    settings.scoreReducedPrecision = reduced;
    applySettings(settings);
}

void HeatmapToolbar::useThreshold(const std::string& method, double threshold)
{
    const bool unet = method == "unet";
    if (unet == m_cams.showsSegmenterMaps() &&
        (unet || compute::camMethodFromString(method) == m_cams.method())) {
        m_threshold->setValue(percent(threshold)); // the maps on screen: the slider moves
        return;
    }
    auto settings = m_cams.settings();
    if (unet)
        settings.segmenterThreshold = threshold;
    else
        settings.thresholds[compute::camMethodFromString(method)] = threshold;
    m_cams.setSettings(settings);
}

void HeatmapToolbar::showModelLoading(const QString& fileName)
{
    m_modelLabel->setText(tr("loading %1…").arg(fileName));
}

void HeatmapToolbar::updateModelToolTip()
{
    const QString note = m_cams.physicalScaleNote();
    m_modelLabel->setToolTip(
        m_cams.hasModel() ? m_cams.modelSummary() + (note.isEmpty() ? QString() : QStringLiteral("\n") + note)
                          : QString());
}

void HeatmapToolbar::showIou(std::optional<double> iou)
{
    m_iouLabel->setText(iou ? tr(" IoU %1 ").arg(*iou, 0, 'f', 3) : QString());
}

} // namespace weaksight::ui
