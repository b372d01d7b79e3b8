#pragma once

// The figures of `weaksight evaluate`, drawn with QPainter on QImage (no display needed beyond a
// QGuiApplication, which the offscreen platform provides).

#include "core/compute/Evaluation.h"

#include <QString>

namespace weaksight::ui {

/// Mean IoU against threshold for every CAM method (validation solid, test dashed), the chosen
/// threshold marked. Throws std::runtime_error when the PNG cannot be written.
void drawThresholdCurves(const compute::EvaluationResult& result, const QString& pngPath);
/// Test IoU of every row (CAM methods, baselines, the proposal study's rows) with its patient-level
/// 95 % interval, one line each: CAM rows blue, weak proposals orange, rows that used pixel labels
/// grey, baselines black. Rows without a chosen setting are listed as n/a.
void drawIouIntervals(const compute::EvaluationResult& result, const QString& pngPath);
/// 2 x 2 confusion matrix of the test split with counts and row percentages.
void drawConfusionMatrix(const compute::ClassificationMetrics& metrics, const QString& title, const QString& pngPath);
/// A row per example crop: the CT crop, then per method the heatmap over the crop with the
/// ground-truth contour (green) and the proposal contour at the method's threshold (white).
void drawExampleGrid(const compute::EvaluationResult& result, const compute::CropDataset& dataset,
                     const QString& colorMap, const QString& pngPath);

} // namespace weaksight::ui
