#include "ui/KeyHelpOverlay.h"

#include "ui/KeyBindings.h"

#include <QAction>
#include <QEvent>
#include <QKeyEvent>
#include <QPainter>

namespace weaksight::ui {

KeyHelpOverlay::KeyHelpOverlay(const KeyBindings& keys, QWidget* parent) : QWidget(parent)
{
    for (const auto& c : keys.commands())
        m_lines << keys.description(c.id) + QLatin1Char('\t') +
                       (c.action->shortcut().isEmpty() ? tr("(none)") : c.action->shortcut().toString(QKeySequence::NativeText));
    setAttribute(Qt::WA_DeleteOnClose);
    setFocusPolicy(Qt::StrongFocus);
    setGeometry(parent->rect());
    parent->installEventFilter(this); // follows the window's size
    setFocus();
}

bool KeyHelpOverlay::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parent() && event->type() == QEvent::Resize)
        setGeometry(parentWidget()->rect());
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
    p.drawText(QRect(0, 20, width(), 40), Qt::AlignHCenter, tr("Keyboard shortcuts (any key closes; File › Settings re-binds them)"));
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

void KeyHelpOverlay::keyPressEvent(QKeyEvent*) { close(); }

void KeyHelpOverlay::mousePressEvent(QMouseEvent*) { close(); }

} // namespace weaksight::ui
