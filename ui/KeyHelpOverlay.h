#pragma once

#include <QWidget>

namespace weaksight::ui {

class KeyBindings;

/// The help overlay: every keyboard command and its current key, and the fixed keys and mouse
/// actions, drawn translucently over the window. Modal for the keyboard: while it is shown no key
/// reaches a command (Esc must never discard a correction behind it); any key or click closes it.
class KeyHelpOverlay : public QWidget {
    Q_OBJECT
public:
    KeyHelpOverlay(const KeyBindings& keys, QWidget* parent);
    /// The lines shown ("description<TAB>key").
    QStringList lines() const { return m_lines; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    QStringList m_lines;
};

} // namespace weaksight::ui
