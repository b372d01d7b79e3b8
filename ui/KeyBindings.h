#pragma once

// The workstation's keyboard commands: each action registered under a stable id with its default
// key; users re-bind keys in the settings (stored as "keys/<id>"), conflicts are refused, and the
// help overlay (Help > Keyboard shortcuts, F1) lists them.

#include <QKeySequence>
#include <QList>
#include <QPair>
#include <QString>

#include <map>
#include <vector>

class QAction;

namespace weaksight::ui {

class KeyBindings {
public:
    struct Command {
        QString id;
        QAction* action = nullptr;
        QKeySequence defaultKey;
    };

    /// Registers an action (its current shortcut is the default) and applies a stored binding.
    void add(const QString& id, QAction* action);
    const std::vector<Command>& commands() const { return m_commands; }
    QKeySequence key(const QString& id) const;
    /// Pairs of command ids that share a key in `keys` (id -> key; empty keys never conflict).
    static QList<QPair<QString, QString>> conflicts(const std::map<QString, QKeySequence>& keys);
    /// Sets every binding at once; refused (nothing changes, the conflicts are returned) when two
    /// commands would share a key. Stored in the settings when accepted.
    QList<QPair<QString, QString>> rebind(const std::map<QString, QKeySequence>& keys);
    /// Back to the defaults.
    void reset();
    /// Text of a command (its action's, without the & accelerator).
    QString description(const QString& id) const;

private:
    std::vector<Command> m_commands;
};

} // namespace weaksight::ui
