#pragma once

#include <QString>
#include <QStringList>

namespace weaksight::ui {

/// Languages of the interface: "" follows the system, "en", "uk".
QStringList availableLanguages();
/// The language chosen in the settings ("" = the system's).
QString configuredLanguage();
void setConfiguredLanguage(const QString& language);
/// Installs the translators for `language` (or the configured one when empty) into the running
/// application; returns the language in effect ("en" when no translation applies: then the English
/// plurals of messages with a count, "%n case(s)").
QString installTranslation(const QString& language = QString());

} // namespace weaksight::ui
