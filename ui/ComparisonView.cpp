#include "ui/ComparisonView.h"

#include "core/dataset/KidneyCrops.h"
#include "ui/CamController.h"
#include "ui/HeatmapToolbar.h"
#include "ui/SliceView.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace weaksight::ui {

std::vector<compute::CamMethod> ComparisonView::defaultMethods()
{
    using compute::CamMethod;
    return {CamMethod::Cam, CamMethod::GradCam, CamMethod::GradCamPlusPlus, CamMethod::SmoothGradCamPlusPlus,
            CamMethod::ScoreCam};
}

ComparisonView::ComparisonView(QWidget* parent)
    : QWidget(parent)
{
    new QGridLayout(this);
    setMethods(defaultMethods());
}

ComparisonView::~ComparisonView() = default;

bool ComparisonView::hasSegmenterPane() const
{
    return std::any_of(m_panes.begin(), m_panes.end(),
                       [](const Pane& pane) { return pane.cams->settings().segmenterMaps; });
}

void ComparisonView::setMethods(const std::vector<compute::CamMethod>& methods, bool segmenterPane)
{
    auto* grid = static_cast<QGridLayout*>(layout());
    for (auto& pane : m_panes)
        delete pane.box;
    m_panes.clear();
    const size_t paneCount = methods.size() + (segmenterPane ? 1 : 0);
    const int columns = paneCount > 4 ? 3 : 2;
    for (size_t i = 0; i < paneCount; ++i) {
        Pane pane;
        pane.box = new QWidget(this);
        auto* column = new QVBoxLayout(pane.box);
        column->setContentsMargins(2, 2, 2, 2);
        pane.title = new QLabel(pane.box);
        pane.view = new SliceView(pane.box);
        pane.view->setMinimumSize(160, 160);
        pane.threshold = new QSlider(Qt::Horizontal, pane.box);
        pane.threshold->setRange(0, 100);
        pane.threshold->setValue(50);
        pane.proposal = new QComboBox(pane.box);
        pane.proposal->setObjectName(QStringLiteral("paneProposal%1").arg(i));
        HeatmapToolbar::addProposalKindItems(*pane.proposal);
        pane.proposal->setToolTip(
            tr("This pane's proposal: the map above its threshold, or refined with the CT"));
        pane.cams = new CamController(pane.box);
        review::CamSettings settings = pane.cams->settings();
        if (i < methods.size())
            settings.method = methods[i];
        else
            settings.segmenterMaps = true; // the last pane: the U-Net
        pane.cams->setSettings(settings);
        pane.cams->setProbabilityScanEnabled(false);
        column->addWidget(pane.title);
        column->addWidget(pane.view, 1);
        auto* controls = new QHBoxLayout;
        controls->addWidget(pane.threshold, 1);
        controls->addWidget(pane.proposal);
        column->addLayout(controls);
        grid->addWidget(pane.box, static_cast<int>(i) / columns, static_cast<int>(i) % columns);
        m_panes.push_back(pane);
    }
    for (size_t i = 0; i < m_panes.size(); ++i) {
        Pane* pane = &m_panes[i];
        connect(pane->threshold, &QSlider::valueChanged, this, [this, pane](int value) {
            pane->cams->setThreshold(value / 100.0);
            pane->view->heatmapLayer().setThreshold(value / 100.0);
            showRefinedProposal(*pane);
            updateTitle(*pane);
            pane->view->requestRender();
        });
        connect(pane->proposal, &QComboBox::currentIndexChanged, this, [this, pane](int index) {
            review::CamSettings settings = pane->cams->settings();
            settings.proposalKind =
                static_cast<proposals::ProposalKind>(pane->proposal->itemData(index).toInt());
            pane->cams->setSettings(settings); // the same maps: nothing is recomputed
            showPane(*pane);
        });
        connect(pane->cams, &CamController::heatmapsReady, this, [this, pane](int slice) {
            if (slice == m_slice)
                showPane(*pane);
        });
        connect(pane->cams, &CamController::computeFailed, this, [pane](const QString& message) {
            pane->title->setText(QString::fromStdString(compute::toString(pane->cams->method())) +
                                 tr(": failed — ") + message);
        });
        connect(pane->view, &SliceView::sliceChanged, this, [this](int slice) {
            if (!m_linking)
                setSlice(slice);
        });
        connect(pane->view, &SliceView::windowLevelChanged, this, [this](double window, double level) {
            if (!m_linking)
                setWindowLevel({window, level});
        });
        connect(pane->view, &SliceView::cameraChanged, this, [this, pane] {
            if (m_linking)
                return;
            m_linking = true;
            for (auto& other : m_panes)
                if (other.view != pane->view)
                    other.view->copyCameraFrom(*pane->view);
            m_linking = false;
        });
        pane->view->heatmapLayer().setThreshold(0.5);
        pane->view->heatmapLayer().setColorBarVisible(false);
        updateTitle(*pane);
    }
    if (m_case)
        setCase(m_case);
}

void ComparisonView::setCase(std::shared_ptr<const LoadedCase> loaded)
{
    m_case = std::move(loaded);
    m_linking = true;
    for (auto& pane : m_panes) {
        pane.cams->setCase(m_case);
        pane.view->setVolumes(m_case && m_case->imaging ? &*m_case->imaging : nullptr,
                              m_case && m_case->labels ? &*m_case->labels : nullptr);
    }
    m_linking = false;
    setSlice(m_slice);
}

void ComparisonView::shareModel(const CamController& source)
{
    for (auto& pane : m_panes)
        pane.cams->shareModel(source);
    setSlice(m_slice);
}

void ComparisonView::follow(std::shared_ptr<const LoadedCase> loaded, const CamController& main,
                            SliceView& mainView)
{
    // The slice is read first and set last: setting the case reports the panes' old slice back.
    const int slice = mainView.slice();
    if (main.hasSegmenter() != hasSegmenterPane()) // a U-Net loaded (or not) since the last time
        setMethods(defaultMethods(), main.hasSegmenter());
    setCase(std::move(loaded));
    setPlacements(main.placedCrops().placements);
    shareModel(main);
    setSettings(main.settings());
    // A method's threshold set in the main view is where its pane starts.
    for (auto& pane : m_panes)
        if (pane.cams->settings().segmenterMaps)
            pane.threshold->setValue(static_cast<int>(std::lround(main.settings().segmenterThreshold * 100)));
        else if (const auto set = main.settings().thresholds.find(pane.cams->method());
                 set != main.settings().thresholds.end())
            pane.threshold->setValue(static_cast<int>(std::lround(set->second * 100)));
    setWindowLevel(mainView.scene().windowLevel());
    setSlice(slice);
    m_followSlice = connect(&mainView, &SliceView::sliceChanged, this, &ComparisonView::setSlice);
    m_followWindow =
        connect(&mainView, &SliceView::windowLevelChanged, this, [this](double window, double level) {
            setWindowLevel({window, level});
        });
    m_reportSlice = connect(this, &ComparisonView::sliceChanged, &mainView, &SliceView::setSlice);
    // Open on the slice's first crop, not the whole slice (where a crop is a few dozen pixels on
    // screen), once laid out, when the panes have their size; the window zooms to the crop under
    // review instead when there is one.
    std::optional<CropBox> first;
    if (const auto* maps = main.heatmaps(slice); maps && !maps->crops.empty())
        first = maps->crops.front().box;
    else if (m_case && m_case->imaging) {
        const auto [rows, cols] = main.cropExtent();
        const auto crops = cropsOnSlice(main.kidneyCentres().get(), slice, m_case->imaging->rows(),
                                        m_case->imaging->cols(), rows, cols, main.placedCrops());
        if (!crops.empty())
            first = crops.front().box;
    }
    if (first)
        QTimer::singleShot(0, this, [this, box = *first] { zoomTo(box); });
}

void ComparisonView::setPlacements(const std::vector<CropPlacement>& placements)
{
    for (auto& pane : m_panes)
        pane.cams->setPlacements(placements);
}

void ComparisonView::zoomTo(const CropBox& box)
{
    if (!m_panes.empty())
        m_panes.front().view->fitBox(box); // cameraChanged carries it to the other panes
}

void ComparisonView::setSettings(const review::CamSettings& settings)
{
    for (auto& pane : m_panes) {
        const review::CamSettings& own = pane.cams->settings();
        review::CamSettings paneSettings = settings;
        paneSettings.method = own.method;
        paneSettings.thresholds = own.thresholds;
        paneSettings.proposalKind = own.proposalKind; // each pane's own choice
        paneSettings.segmenterMaps = own.segmenterMaps; // the U-Net's pane, or a CAM method's
        paneSettings.segmenterThreshold = own.segmenterThreshold;
        if (own.method == compute::CamMethod::Cam)
            paneSettings.targetLayer = own.targetLayer;
        pane.cams->setSettings(paneSettings);
    }
    setSlice(m_slice);
}

void ComparisonView::setSlice(int slice)
{
    m_linking = true;
    for (auto& pane : m_panes) {
        pane.view->setSlice(slice);
        m_slice = pane.view->slice(); // clamped
        showPane(pane);
    }
    m_linking = false;
    Q_EMIT sliceChanged(m_slice);
}

void ComparisonView::setWindowLevel(render::WindowLevel windowLevel)
{
    m_linking = true;
    for (auto& pane : m_panes)
        pane.view->setWindowLevel(windowLevel);
    m_linking = false;
}

void ComparisonView::setLabelContoursVisible(bool visible)
{
    for (auto& pane : m_panes)
        pane.view->setLabelContoursVisible(visible);
}

void ComparisonView::resetView()
{
    if (!m_panes.empty())
        m_panes.front().view->resetView(); // cameraChanged carries it to the other panes
}

void ComparisonView::forEachLayer(const std::function<void(render::HeatmapLayer&)>& apply)
{
    for (auto& pane : m_panes) {
        apply(pane.view->heatmapLayer());
        pane.view->requestRender();
    }
}

void ComparisonView::forEachView(const std::function<void(SliceView&)>& apply)
{
    for (auto& pane : m_panes) {
        apply(*pane.view);
        pane.view->requestRender();
    }
}

void ComparisonView::release()
{
    disconnect(m_followSlice);
    disconnect(m_followWindow);
    disconnect(m_reportSlice);
    const QSignalBlocker blocker(this); // emptied panes must not send slice 0 to the window
    m_linking = true;
    for (auto& pane : m_panes) {
        pane.cams->cancel();
        pane.cams->setCase(nullptr);
        pane.view->setVolumes(nullptr, nullptr);
    }
    m_linking = false;
    m_case.reset();
}

void ComparisonView::showPane(Pane& pane)
{
    if (m_case)
        placeHeatmaps(*pane.cams, pane.view->heatmapLayer(), m_slice);
    else
        pane.view->heatmapLayer().clear();
    showRefinedProposal(pane);
    updateTitle(pane);
    pane.view->requestRender();
}

void ComparisonView::showRefinedProposal(Pane& pane)
{
    const review::SliceHeatmaps* maps = m_case ? pane.cams->heatmaps(m_slice) : nullptr;
    const review::ProposalRule rule = pane.cams->proposalRule(m_slice);
    if (!maps || maps->crops.empty() || rule.kind == proposals::ProposalKind::Raw || !m_case->imaging) {
        pane.view->maskLayer().clear();
        return;
    }
    std::vector<CropBox> boxes;
    for (const auto& crop : maps->crops)
        boxes.push_back(crop.box);
    const CropBox bounds = boundsOnSlice(boxes, m_case->imaging->rows(), m_case->imaging->cols());
    pane.view->maskLayer().setColour(0.2, 0.75, 1.0); // as the main view's refined proposal
    pane.view->maskLayer().setMask(bounds.row0, bounds.col0,
                                   review::proposalOn(*maps, bounds, pane.cams->threshold(), rule));
}

void ComparisonView::updateTitle(Pane& pane)
{
    QString text = pane.cams->showsSegmenterMaps()
                       ? tr("U-Net")
                       : QString::fromStdString(compute::toString(pane.cams->method()));
    if (!pane.cams->showsSegmenterMaps() && compute::isApproximate(pane.cams->method()))
        text += tr(" (approximate)");
    const review::ProposalRule rule = pane.cams->proposalRule(m_slice);
    if (rule.kind != proposals::ProposalKind::Raw)
        text += QStringLiteral(" + ") + pane.proposal->currentText();
    text += tr("  t %1").arg(pane.cams->threshold(), 0, 'f', 2);
    const review::SliceHeatmaps* maps = pane.cams->heatmaps(m_slice);
    if (maps && m_case && m_case->labels)
        if (const auto iou = review::proposalIouAgainstTruth(*maps, *m_case->labels, m_slice,
                                                             pane.cams->threshold(), rule))
            text += tr("  IoU %1").arg(*iou, 0, 'f', 3);
    if (!maps && pane.cams->hasModel())
        text += tr("  (computing…)");
    pane.title->setText(text);
}

} // namespace weaksight::ui
