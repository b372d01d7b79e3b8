#include "ui/KeyBindings.h"

#include <QAction>
#include <QSettings>

namespace weaksight::ui {

namespace {
QString settingsKey(const QString& id) { return QStringLiteral("keys/") + id; }
} // namespace

void KeyBindings::add(const QString& id, QAction* action)
{
    m_commands.push_back({id, action, action->shortcut()});
    const QSettings settings;
    if (settings.contains(settingsKey(id)))
        action->setShortcut(QKeySequence(settings.value(settingsKey(id)).toString(), QKeySequence::PortableText));
}

QKeySequence KeyBindings::key(const QString& id) const
{
    for (const auto& c : m_commands)
        if (c.id == id)
            return c.action->shortcut();
    return {};
}

QString KeyBindings::description(const QString& id) const
{
    for (const auto& c : m_commands)
        if (c.id == id)
            return c.action->text().remove('&');
    return id;
}

QList<QPair<QString, QString>> KeyBindings::conflicts(const std::map<QString, QKeySequence>& keys)
{
    QList<QPair<QString, QString>> found;
    for (auto a = keys.begin(); a != keys.end(); ++a)
        for (auto b = std::next(a); b != keys.end(); ++b)
            if (!a->second.isEmpty() && a->second == b->second)
                found.append({a->first, b->first});
    return found;
}

QList<QPair<QString, QString>> KeyBindings::rebind(const std::map<QString, QKeySequence>& keys)
{
    // Every command's key after the change, so a new key is checked against the unchanged ones too.
    std::map<QString, QKeySequence> all;
    for (const auto& c : m_commands)
        all[c.id] = c.action->shortcut();
    for (const auto& [id, key] : keys)
        all[id] = key;
    const auto clashes = conflicts(all);
    if (!clashes.isEmpty())
        return clashes;
    QSettings settings;
    for (const auto& c : m_commands) {
        const QKeySequence key = all[c.id];
        c.action->setShortcut(key);
        if (key == c.defaultKey)
            settings.remove(settingsKey(c.id));
        else
            settings.setValue(settingsKey(c.id), key.toString(QKeySequence::PortableText));
    }
    return {};
}

void KeyBindings::reset()
{
    std::map<QString, QKeySequence> defaults;
    for (const auto& c : m_commands)
        defaults[c.id] = c.defaultKey;
    rebind(defaults);
}

} // namespace weaksight::ui
