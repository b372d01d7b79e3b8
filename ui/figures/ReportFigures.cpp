#include "ui/figures/ReportFigures.h"

#include "core/common/ColorMaps.h"

#include <QColor>
#include <QCoreApplication>
#include <QImage>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <stdexcept>

namespace weaksight::ui {

namespace {

const QColor kMethodColours[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                 QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                 QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                                 QColor(0x17, 0xbe, 0xcf)};

void save(const QImage& image, const QString& path)
{
    if (!image.save(path, "PNG"))
        throw std::runtime_error(path.toStdString() + ": cannot write the figure (disk full or not writable?)");
}

QString tr(const char* text) { return QCoreApplication::translate("ReportFigures", text); }

/// Pixels of the mask that touch a pixel outside it (4-neighbourhood): an exact pixel contour.
void drawMaskContour(QImage& image, const uint8_t* mask, int rows, int cols, QRgb colour)
{
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            if (!mask[static_cast<size_t>(r) * cols + c])
                continue;
            const auto outside = [&](int y, int x) {
                return y < 0 || y >= rows || x < 0 || x >= cols || !mask[static_cast<size_t>(y) * cols + x];
            };
            if (outside(r - 1, c) || outside(r + 1, c) || outside(r, c - 1) || outside(r, c + 1))
                image.setPixel(c, r, colour);
        }
}

} // namespace

void drawThresholdCurves(const compute::EvaluationResult& result, const QString& pngPath)
{
    const int width = 900, height = 560, left = 70, right = 220, top = 40, bottom = 60;
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF plot(left, top, width - left - right, height - top - bottom);
    double maxIou = 0.1;
    for (const auto& m : result.methods)
        for (const auto& curve : {m.all.validationCurve, m.all.testCurve})
            for (double v : m.isCamRow() ? curve.meanIou : std::vector<double>{})
                maxIou = std::max(maxIou, v);
    maxIou = std::min(1.0, std::ceil(maxIou * 10.0 + 0.5) / 10.0);
    const auto toPoint = [&](double t, double iou) {
        return QPointF(plot.left() + t * plot.width(), plot.bottom() - iou / maxIou * plot.height());
    };
    p.setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 1));
    for (int i = 0; i <= 10; ++i) {
        p.drawLine(toPoint(i / 10.0, 0), toPoint(i / 10.0, maxIou));
        p.drawLine(toPoint(0, maxIou * i / 10.0), toPoint(1, maxIou * i / 10.0));
    }
    p.setPen(QPen(Qt::black, 1));
    p.drawRect(plot);
    for (int i = 0; i <= 10; i += 2) {
        p.drawText(QRectF(toPoint(i / 10.0, 0).x() - 20, plot.bottom() + 4, 40, 18), Qt::AlignCenter,
                   QString::number(i / 10.0, 'f', 1));
        p.drawText(QRectF(plot.left() - 50, toPoint(0, maxIou * i / 10.0).y() - 9, 44, 18),
                   Qt::AlignRight | Qt::AlignVCenter, QString::number(maxIou * i / 10.0, 'f', 2));
    }
    p.drawText(QRectF(plot.left(), plot.bottom() + 26, plot.width(), 20), Qt::AlignCenter,
               tr("threshold t (proposal = normalised map > t)"));
    p.save();
    p.translate(18, plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-100, -10, 200, 20), Qt::AlignCenter, tr("mean IoU"));
    p.restore();
    QFont titleFont = p.font();
    titleFont.setBold(true);
    p.setFont(titleFont);
    p.drawText(QRectF(0, 8, width - right, 24), Qt::AlignCenter,
               tr("IoU against threshold: validation (solid), test (dashed)"));
    p.setFont(QFont());
    int legendY = top;
    int colour = 0;
    for (const auto& m : result.methods) {
        if (!m.isCamRow() || m.all.validationCurve.meanIou.empty())
            continue; // the proposal study's rows sweep other levels: its table has their figures
        const QColor c = kMethodColours[colour++ % 10];
        for (int dashed = 0; dashed < 2; ++dashed) {
            const auto& curve = dashed ? m.all.testCurve : m.all.validationCurve;
            if (curve.meanIou.empty() || curve.crops == 0)
                continue;
            QPainterPath path;
            for (size_t j = 0; j < curve.meanIou.size(); ++j) {
                const QPointF pt = toPoint(result.thresholds[j], curve.meanIou[j]);
                j == 0 ? path.moveTo(pt) : path.lineTo(pt);
            }
            p.setPen(QPen(c, 2, dashed ? Qt::DashLine : Qt::SolidLine));
            p.drawPath(path);
        }
        p.setPen(QPen(c, 1));
        p.setBrush(c);
        if (m.all.chosen())
            p.drawEllipse(toPoint(m.all.threshold, m.all.validationIou), 4, 4);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(c, 3));
        p.drawLine(width - right + 15, legendY + 8, width - right + 40, legendY + 8);
        p.setPen(Qt::black);
        p.drawText(QRectF(width - right + 46, legendY, right - 50, 18), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::fromStdString(m.name + (m.approximate ? " (approx.)" : "")) +
                       QString(" %1").arg(QString::fromStdString(m.all.setting)));
        legendY += 22;
    }
    p.end();
    save(image, pngPath);
}

void drawIouIntervals(const compute::EvaluationResult& result, const QString& pngPath)
{
    const int labelWidth = 380, plotWidth = 460, rowHeight = 20, top = 44, bottom = 40;
    const int width = labelWidth + plotWidth + 80;
    const int height = top + rowHeight * static_cast<int>(result.methods.size()) + bottom;
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const double left = labelWidth, plotBottom = height - bottom;
    const auto xOf = [&](double iou) {
        return left + std::clamp(iou, 0.0, 1.0) * plotWidth;
    };
    p.setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 1));
    for (int i = 0; i <= 10; ++i)
        p.drawLine(QPointF(xOf(i / 10.0), top - 4), QPointF(xOf(i / 10.0), plotBottom));
    p.setPen(Qt::black);
    for (int i = 0; i <= 10; i += 2)
        p.drawText(QRectF(xOf(i / 10.0) - 20, plotBottom + 4, 40, 16), Qt::AlignCenter,
                   QString::number(i / 10.0, 'f', 1));
    p.drawText(QRectF(left, plotBottom + 20, plotWidth, 18), Qt::AlignCenter,
               tr("test IoU (mean over crops) with its patient-level 95 % interval"));
    QFont bold = p.font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRectF(0, 8, width, 24), Qt::AlignCenter, tr("Test IoU per method and proposal"));
    p.setFont(QFont());
    for (size_t i = 0; i < result.methods.size(); ++i) {
        const auto& m = result.methods[i];
        const double y = top + (static_cast<double>(i) + 0.5) * rowHeight;
        const QColor colour = m.baseline               ? QColor(Qt::black)
                              : !m.pixelLabels.empty() ? QColor(0x88, 0x88, 0x88)
                              : m.isCamRow()           ? QColor(0x1f, 0x77, 0xb4)
                                                       : QColor(0xff, 0x7f, 0x0e);
        p.setPen(colour);
        p.drawText(
            QRectF(4, y - rowHeight / 2.0, labelWidth - 12, rowHeight), Qt::AlignRight | Qt::AlignVCenter,
            p.fontMetrics().elidedText(QString::fromStdString(m.name), Qt::ElideMiddle, labelWidth - 12));
        const auto iou = m.all.testFigure(m.all.testIou);
        if (!iou) {
            p.drawText(QRectF(left + 4, y - rowHeight / 2.0, 60, rowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                       tr("n/a"));
            continue;
        }
        if (const auto& interval = m.all.testStatistics.iouInterval) {
            p.setPen(QPen(colour, 2));
            p.drawLine(QPointF(xOf(interval->low), y), QPointF(xOf(interval->high), y));
            p.drawLine(QPointF(xOf(interval->low), y - 4), QPointF(xOf(interval->low), y + 4));
            p.drawLine(QPointF(xOf(interval->high), y - 4), QPointF(xOf(interval->high), y + 4));
        }
        p.setPen(QPen(colour, 1));
        p.setBrush(colour);
        p.drawEllipse(QPointF(xOf(*iou), y), 4, 4);
        p.setBrush(Qt::NoBrush);
        p.drawText(QRectF(left + plotWidth + 8, y - rowHeight / 2.0, 70, rowHeight),
                   Qt::AlignLeft | Qt::AlignVCenter, QString::number(*iou, 'f', 3));
    }
    p.end();
    save(image, pngPath);
}

void drawConfusionMatrix(const compute::ClassificationMetrics& m, const QString& title, const QString& pngPath)
{
    const int cell = 150, left = 150, top = 70;
    QImage image(left + 2 * cell + 30, top + 2 * cell + 60, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const long long counts[2][2] = {{m.trueNegatives, m.falsePositives}, {m.falseNegatives, m.truePositives}};
    const QString names[2] = {tr("no lesion"), tr("lesion")};
    QFont bold = p.font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRectF(0, 6, image.width(), 22), Qt::AlignCenter, title);
    p.setFont(QFont());
    p.drawText(QRectF(left, top - 40, 2 * cell, 18), Qt::AlignCenter, tr("predicted"));
    for (int row = 0; row < 2; ++row) {
        const long long rowTotal = counts[row][0] + counts[row][1];
        p.drawText(QRectF(10, top + row * cell, left - 20, cell), Qt::AlignRight | Qt::AlignVCenter,
                   tr("true ") + names[row]);
        for (int col = 0; col < 2; ++col) {
            const double share = rowTotal ? static_cast<double>(counts[row][col]) / static_cast<double>(rowTotal) : 0.0;
            const Rgb rgb = colorMapValue("viridis", share);
            const QColor fill = QColor::fromRgbF(rgb.r, rgb.g, rgb.b);
            const QRectF box(left + col * cell, top + row * cell, cell, cell);
            p.fillRect(box, fill);
            p.setPen(share > 0.6 ? Qt::black : Qt::white);
            p.drawText(box, Qt::AlignCenter,
                       QString("%1\n%2 %").arg(counts[row][col]).arg(100.0 * share, 0, 'f', 1));
            p.setPen(Qt::black);
            if (row == 0)
                p.drawText(QRectF(left + col * cell, top - 20, cell, 18), Qt::AlignCenter, names[col]);
        }
    }
    p.drawText(QRectF(0, top + 2 * cell + 10, image.width(), 40), Qt::AlignCenter,
               QString("P %1 %  R %2 %  F1 %3 %")
                   .arg(100 * m.precision(), 0, 'f', 2)
                   .arg(100 * m.recall(), 0, 'f', 2)
                   .arg(100 * m.f1(), 0, 'f', 2));
    p.end();
    save(image, pngPath);
}

void drawExampleGrid(const compute::EvaluationResult& result, const compute::CropDataset& dataset,
                     const QString& colorMap, const QString& pngPath)
{
    const int rows = dataset.parameters().rows, cols = dataset.parameters().cols;
    std::vector<const compute::MethodResult*> methods;
    for (const auto& m : result.methods)
        if (!m.baseline)
            methods.push_back(&m);
    const int header = 64, gap = 6, labelWidth = 130; // proposal rows have long names: 5 lines
    const int columns = 1 + static_cast<int>(methods.size());
    const int examples = std::max<int>(1, static_cast<int>(result.examples.size()));
    QImage grid(labelWidth + columns * (cols + gap), header + examples * (rows + gap), QImage::Format_RGB32);
    grid.fill(Qt::white);
    QPainter p(&grid);
    p.drawText(QRectF(labelWidth, 2, cols, header - 4), Qt::AlignCenter, tr("CT crop"));
    QFont small = p.font();
    small.setPointSizeF(small.pointSizeF() * 0.75);
    p.setFont(small);
    for (size_t m = 0; m < methods.size(); ++m)
        p.drawText(QRectF(labelWidth + static_cast<int>(m + 1) * (cols + gap), 2, cols, header - 4),
                   Qt::AlignCenter | Qt::TextWordWrap,
                   QString::fromStdString(methods[m]->name) + "\n" + QString::fromStdString(methods[m]->all.setting));
    p.setFont(QFont());
    if (result.examples.empty())
        p.drawText(QRectF(0, header, grid.width(), rows), Qt::AlignCenter, tr("no correctly classified lesion crop in test"));
    const double low = dataset.parameters().huLow, high = dataset.parameters().huHigh;
    const std::string mapName = colorMap.toStdString();
    for (size_t e = 0; e < result.examples.size(); ++e) {
        const auto& example = result.examples[e];
        const auto& record = dataset.records()[example.index];
        const int y = header + static_cast<int>(e) * (rows + gap);
        p.drawText(QRectF(4, y, labelWidth - 8, rows), Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
                   QString("%1\n%2 %3\nslice %4\nlesion %5 %")
                       .arg(QString::fromStdString(record.caseId))
                       .arg(tr("side"))
                       .arg(QString::fromStdString(record.side))
                       .arg(record.slice)
                       .arg(100.0 * record.lesionFraction, 0, 'f', 1));
        const int16_t* pixels = dataset.imagePixels(example.index);
        const uint8_t* truth = dataset.maskPixels(example.index);
        QImage ct(cols, rows, QImage::Format_RGB32);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                const int g = static_cast<int>(std::clamp((pixels[r * cols + c] - low) / (high - low), 0.0, 1.0) * 255);
                ct.setPixel(c, r, qRgb(g, g, g));
            }
        QImage plain = ct;
        drawMaskContour(plain, truth, rows, cols, qRgb(0, 255, 0));
        p.drawImage(labelWidth, y, plain);
        for (size_t m = 0; m < methods.size() && m < example.maps.size(); ++m) {
            QImage overlay = ct;
            const auto& map = example.maps[m];
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) {
                    const double v = std::clamp<double>(map.values[static_cast<size_t>(r) * cols + c], 0.0, 1.0);
                    const Rgb rgb = colorMapValue(mapName, v);
                    const QRgb base = overlay.pixel(c, r);
                    const double alpha = 0.55;
                    overlay.setPixel(c, r,
                                     qRgb(static_cast<int>((1 - alpha) * qRed(base) + alpha * 255 * rgb.r),
                                          static_cast<int>((1 - alpha) * qGreen(base) + alpha * 255 * rgb.g),
                                          static_cast<int>((1 - alpha) * qBlue(base) + alpha * 255 * rgb.b)));
                }
            drawMaskContour(overlay, truth, rows, cols, qRgb(0, 255, 0));
            const auto proposal = compute::proposalMask(map, methods[m]->all.threshold);
            drawMaskContour(overlay, proposal.data(), rows, cols, qRgb(255, 255, 255));
            p.drawImage(labelWidth + static_cast<int>(m + 1) * (cols + gap), y, overlay);
        }
        // The proposal rows (refinements, slice context, U-Nets): their mask at the chosen level,
        // tinted blue, with the same contours.
        for (size_t m = example.maps.size(); m < methods.size(); ++m) {
            const int x = labelWidth + static_cast<int>(m + 1) * (cols + gap);
            if (e >= methods[m]->exampleMasks.size()) {
                p.drawText(QRectF(x, y, cols, rows), Qt::AlignCenter, tr("n/a"));
                continue;
            }
            const auto& mask = methods[m]->exampleMasks[e];
            QImage overlay = ct;
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c)
                    if (mask[static_cast<size_t>(r) * cols + c]) {
                        const QRgb base = overlay.pixel(c, r);
                        overlay.setPixel(
                            c, r, qRgb(qRed(base) / 2 + 25, qGreen(base) / 2 + 90, qBlue(base) / 2 + 127));
                    }
            drawMaskContour(overlay, truth, rows, cols, qRgb(0, 255, 0));
            drawMaskContour(overlay, mask.data(), rows, cols, qRgb(255, 255, 255));
            p.drawImage(x, y, overlay);
        }
    }
    p.end();
    save(grid, pngPath);
}

} // namespace weaksight::ui
