#pragma once

#include <QDialog>

class QComboBox;

namespace weaksight::ui {

/// Preferences: the interface language (applied at the next start, as Qt Creator does).
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget* parent = nullptr);
    QComboBox* languageBox() const { return m_language; }
    /// Stores the choices; true when a restart is needed for them.
    bool apply();

private:
    QComboBox* m_language = nullptr;
};

} // namespace weaksight::ui
