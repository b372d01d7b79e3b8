#pragma once

#include <QDialog>

class QComboBox;
class QTableWidget;

namespace weaksight::ui {

class KeyBindings;

/// Preferences: the interface language (applied at the next start, as Qt Creator does) and the
/// keyboard bindings (conflicts refused).
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(KeyBindings* keys = nullptr, QWidget* parent = nullptr);
    QComboBox* languageBox() const { return m_language; }
    QTableWidget* keyTable() const { return m_keyTable; }
    /// Sets the key of a command in the table (as the user would).
    void setKey(const QString& id, const QKeySequence& key);
    /// Stores the choices; false (with errorText()) when two commands would share a key.
    bool apply();
    /// True when the language changed (it applies at the next start).
    bool languageChanged() const { return m_languageChanged; }
    QString errorText() const { return m_error; }

private:
    void done(int result) override;

    KeyBindings* m_keys = nullptr;
    QComboBox* m_language = nullptr;
    QTableWidget* m_keyTable = nullptr;
    QString m_error;
    bool m_languageChanged = false;
};

} // namespace weaksight::ui
