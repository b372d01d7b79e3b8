#pragma once

#include <QWidget>

namespace weaksight::ui {

class KeyBindings;

/// The help overlay: every keyboard command and its current key, drawn translucently over the
/// window; any key or click closes it.
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

private:
    QStringList m_lines;
};

} // namespace weaksight::ui
