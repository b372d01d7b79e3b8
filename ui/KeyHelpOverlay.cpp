#include "ui/KeyHelpOverlay.h"

#include "ui/KeyBindings.h"

#include <QAction>
#include <QApplication>
#include <QEvent>
#include <QKeyEvent>
#include <QPainter>

namespace weaksight::ui {

KeyHelpOverlay::KeyHelpOverlay(const KeyBindings& keys, QWidget* parent)
    : QWidget(parent)
{
    for (const auto& c : keys.commands())
        m_lines << keys.description(c.id) + QLatin1Char('\t') +
                       (c.action->shortcut().isEmpty()
                            ? tr("(none)")
                            : c.action->shortcut().toString(QKeySequence::NativeText));
    // The keys and mouse actions of the slice view, which cannot be re-bound.
    m_lines << tr("Next / previous slice") + QLatin1Char('\t') + tr("Wheel, Up / Down")
            << tr("Ten slices on / back") + QLatin1Char('\t') + tr("Page Up / Page Down")
            << tr("First / last slice") + QLatin1Char('\t') + tr("Home / End")
            << tr("Window / level") + QLatin1Char('\t') + tr("Left-drag")
            << tr("Zoom (about the cursor)") + QLatin1Char('\t') + tr("Right-drag, Ctrl+wheel")
            << tr("Move the crosshair (every view to that point)") + QLatin1Char('\t') + tr("Left-click")
            << tr("Pan") + QLatin1Char('\t') + tr("Middle-drag")
            << tr("Place that side's crop here (every slice)") + QLatin1Char('\t') + tr("Ctrl+left-click")
            << tr("Resize the crop under review") + QLatin1Char('\t') + tr("Ctrl+Shift+left-drag")
            << tr("Brush / eraser (correcting)") + QLatin1Char('\t') + tr("Left-drag / Shift+left-drag")
            << tr("Brush size (correcting)") + QLatin1Char('\t') + tr("Shift+wheel")
            << tr("Polygon corner (polygon tool)") + QLatin1Char('\t') + tr("Left-click")
            << tr("Discard a correction with edits") + QLatin1Char('\t') + tr("Esc twice")
            << tr("Rotate / zoom the 3D view") + QLatin1Char('\t') + tr("Left-drag / wheel")
            << tr("Open a dataset or case folder") + QLatin1Char('\t') +
                   QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText)
            << tr("Settings") + QLatin1Char('\t') +
                   QKeySequence(QKeySequence::Preferences).toString(QKeySequence::NativeText)
            << tr("Quit") + QLatin1Char('\t') +
                   QKeySequence(QKeySequence::Quit).toString(QKeySequence::NativeText)
            << tr("This help") + QLatin1Char('\t') +
                   QKeySequence(QKeySequence::HelpContents).toString(QKeySequence::NativeText);
    setAttribute(Qt::WA_DeleteOnClose);
    setFocusPolicy(Qt::StrongFocus);
    setGeometry(parent->rect());
    parent->installEventFilter(this); // follows the window's size
    setFocus();
}

void KeyHelpOverlay::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    setFocus();
    // Every key of the application comes here first while the overlay is shown, wherever the
    // focus is: a shortcut (Esc: cancel the correction) must not run behind the help.
    qApp->installEventFilter(this);
}

bool KeyHelpOverlay::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parent() && event->type() == QEvent::Resize)
        setGeometry(parentWidget()->rect());
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept(); // "this key is taken": no shortcut fires, a key press follows
        return true;
    }
    if (event->type() == QEvent::KeyPress) {
        qApp->removeEventFilter(this);
        close();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void KeyHelpOverlay::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), QColor(0, 0, 0, 190));
    p.setPen(Qt::white);
    QFont title = font();
    title.setPointSizeF(title.pointSizeF() * 1.4);
    title.setBold(true);
    p.setFont(title);
    p.drawText(QRect(0, 20, width(), 40), Qt::AlignHCenter,
               tr("Keyboard shortcuts (any key closes; File › Settings re-binds them)"));
    p.setFont(font());
    const int lineHeight = fontMetrics().height() + 4;
    const int columns = m_lines.size() * lineHeight > height() - 120 ? 2 : 1;
    const int perColumn = (static_cast<int>(m_lines.size()) + columns - 1) / columns;
    const int columnWidth = std::min(460, (width() - 80) / columns);
    const int left = (width() - columns * columnWidth) / 2;
    for (int i = 0; i < m_lines.size(); ++i) {
        const int column = i / perColumn, row = i % perColumn;
        const QStringList parts = m_lines[i].split(QLatin1Char('\t'));
        const QRect line(left + column * columnWidth, 80 + row * lineHeight, columnWidth - 20, lineHeight);
        p.drawText(line, Qt::AlignLeft | Qt::AlignVCenter, parts.value(0));
        p.setPen(QColor(255, 210, 80));
        p.drawText(line, Qt::AlignRight | Qt::AlignVCenter, parts.value(1));
        p.setPen(Qt::white);
    }
}

void KeyHelpOverlay::keyPressEvent(QKeyEvent*)
{
    close();
}

void KeyHelpOverlay::mousePressEvent(QMouseEvent*)
{
    close();
}

} // namespace weaksight::ui
