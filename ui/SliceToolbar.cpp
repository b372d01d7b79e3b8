#include "ui/SliceToolbar.h"

#include "core/io/Volume.h"
#include "core/review/SliceHeatmaps.h"
#include "ui/CamController.h"
#include "ui/ComparisonView.h"
#include "ui/SliceView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QMainWindow>
#include <QSlider>
#include <QStatusBar>
#include <QToolBar>

namespace weaksight::ui {

namespace {

struct WindowPreset {
    const char* name;
    double window;
    double level;
};

// Presets radiologists use (see docs/domain-notes in the shared docs).
constexpr WindowPreset kPresets[] = {
    {QT_TRANSLATE_NOOP("weaksight::ui::SliceToolbar", "Abdomen (W 350 / L 40)"), 350, 40},
    {QT_TRANSLATE_NOOP("weaksight::ui::SliceToolbar", "Kidney (W 300 / L 40)"), 300, 40},
    {QT_TRANSLATE_NOOP("weaksight::ui::SliceToolbar", "Tumour (W 60 / L 35)"), 60, 35},
    {QT_TRANSLATE_NOOP("weaksight::ui::SliceToolbar", "Bone (W 1000 / L 400)"), 1000, 400},
    {QT_TRANSLATE_NOOP("weaksight::ui::SliceToolbar", "Lung (W 1400 / L -500)"), 1400, -500},
};

} // namespace

SliceToolbar::SliceToolbar(QMainWindow& window, SliceView& view, ComparisonView& comparison,
                           const CamController& cams)
    : QObject(&window)
    , m_view(view)
    , m_comparison(comparison)
    , m_cams(cams)
{
    auto* toolbar = window.addToolBar(tr("View"));
    toolbar->setObjectName("viewToolbar");
    toolbar->addWidget(new QLabel(tr("Window: "), toolbar));
    m_presets = new QComboBox(toolbar);
    for (const auto& preset : kPresets)
        m_presets->addItem(tr(preset.name));
    toolbar->addWidget(m_presets);
    connect(m_presets, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            m_view.setWindowLevel({kPresets[index].window, kPresets[index].level});
    });
    m_showLabels = new QCheckBox(tr("Label contours"), toolbar);
    m_showLabels->setChecked(true);
    toolbar->addWidget(m_showLabels);
    connect(m_showLabels, &QCheckBox::toggled, this, [this](bool on) {
        m_view.setLabelContoursVisible(on);
        m_comparison.setLabelContoursVisible(on);
    });
    toolbar->addSeparator();
    m_sliceSlider = new QSlider(Qt::Horizontal, toolbar);
    m_sliceSlider->setMinimumWidth(300);
    m_sliceSlider->setEnabled(false);
    toolbar->addWidget(m_sliceSlider);
    m_sliceLabel = new QLabel(toolbar);
    m_sliceLabel->setObjectName(QStringLiteral("sliceLabel"));
    m_sliceLabel->setMinimumWidth(220);
    toolbar->addWidget(m_sliceLabel);
    connect(m_sliceSlider, &QSlider::valueChanged, &m_view, &SliceView::setSlice);
    connect(&m_view, &SliceView::sliceChanged, this, [this](int slice) {
        const QSignalBlocker blocker(m_sliceSlider);
        m_sliceSlider->setValue(slice);
        updateSliceLabel();
    });
    connect(&m_cams, &CamController::probabilitiesUpdated, this, &SliceToolbar::updateSliceLabel);
    m_cursorLabel = new QLabel(&window);
    m_cursorLabel->setObjectName(QStringLiteral("cursorReadout"));
    window.statusBar()->addPermanentWidget(m_cursorLabel);
    connect(&m_view, &SliceView::cursorVoxel, this,
            [this](int slice, int row, int col, int hu, int label, bool hasCt) {
                showCursor(slice, row, col, hu, label, hasCt);
            });
    connect(&m_view, &SliceView::cursorLeftSlice, m_cursorLabel, &QLabel::clear);
    m_view.setWindowLevel({kPresets[0].window, kPresets[0].level});
}

QString SliceToolbar::labelName(int label)
{
    switch (label) {
    case labels::Kidney:
        return tr("kidney");
    case labels::Tumour:
        return tr("tumour");
    case labels::Cyst:
        return tr("cyst");
    case labels::Other:
        return tr("other label");
    default:
        return tr("label %1").arg(label);
    }
}

void SliceToolbar::followCursorOf(SliceView& view)
{
    connect(&view, &SliceView::cursorVoxel, this,
            [this](int slice, int row, int col, int hu, int label, bool hasCt) {
                showCursor(slice, row, col, hu, label, hasCt, true);
            });
    connect(&view, &SliceView::cursorLeftSlice, m_cursorLabel, &QLabel::clear);
}

void SliceToolbar::showCursor(int slice, int row, int col, int hu, int label, bool hasCt, bool withSlice)
{
    QString text = withSlice ? tr("slice %1, row %2, column %3").arg(slice).arg(row).arg(col)
                             : tr("row %1, column %2").arg(row).arg(col);
    if (hasCt)
        text += tr("  |  %1 HU").arg(hu);
    if (label)
        text += QStringLiteral("  |  ") + labelName(label);
    if (const auto* heatmaps = m_cams.heatmaps(slice))
        if (const auto value = review::heatmapValueAt(*heatmaps, row, col))
            text += tr("  |  heatmap %1").arg(static_cast<double>(*value), 0, 'f', 2);
    m_cursorLabel->setText(text);
}

void SliceToolbar::setSliceCount(int slices)
{
    m_sliceSlider->setRange(0, std::max(0, slices - 1));
    m_sliceSlider->setEnabled(slices > 1);
}

void SliceToolbar::updateSliceLabel()
{
    const auto& scene = m_view.scene();
    if (scene.sliceCount() == 0) {
        m_sliceLabel->clear();
        return;
    }
    // 0-based, inferior first: the number the store, the CLI (--slice) and every exported file
    // name (slice_0012.png) use.
    QString text = tr("slice %1 of 0–%2  (z = %3 mm)")
                       .arg(scene.slice())
                       .arg(scene.sliceCount() - 1)
                       .arg(scene.slicePositionMm(), 0, 'f', 1);
    if (const auto p = m_cams.lesionProbability(scene.slice()))
        text += tr("  p(lesion) %1").arg(*p, 0, 'f', 2);
    m_sliceLabel->setText(text);
}

} // namespace weaksight::ui
