#pragma once

// The View toolbar: CT window presets, the label-contour switch, the slice slider with the slice's
// position and lesion probability, and the voxel under the cursor in the status bar. It follows
// the single view (which the comparison panes follow in turn).

#include <QObject>

class QCheckBox;
class QComboBox;
class QLabel;
class QMainWindow;
class QSlider;

namespace weaksight::ui {

class CamController;
class ComparisonView;
class SliceView;

class SliceToolbar : public QObject {
    Q_OBJECT
public:
    SliceToolbar(QMainWindow& window, SliceView& view, ComparisonView& comparison, const CamController& cams);

    /// A new case: the slider's range.
    void setSliceCount(int slices);
    /// The slice label: "slice k of 0–(n-1) (z = … mm)" (0-based, as in the store and every file
    /// name) and, once scanned, the lesion probability.
    void updateSliceLabel();

    /// The status bar's readout follows the cursor over another view too (the coronal and
    /// sagittal views: with the axial slice under it).
    void followCursorOf(SliceView& view);

    /// What the status bar calls a label value of the case (its table's meaning).
    static QString labelName(int label);

private:
    /// The status bar's readout under the cursor ("cursorReadout"): pixel, HU, label, heatmap value.
    void showCursor(int slice, int row, int col, int hu, int label, bool hasCt, bool withSlice = false);

    SliceView& m_view;
    ComparisonView& m_comparison;
    const CamController& m_cams;
    QComboBox* m_presets = nullptr;
    QCheckBox* m_showLabels = nullptr;
    QSlider* m_sliceSlider = nullptr;
    QLabel* m_sliceLabel = nullptr;
    QLabel* m_cursorLabel = nullptr;
};

} // namespace weaksight::ui
