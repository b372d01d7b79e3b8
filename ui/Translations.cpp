#include "ui/Translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include <spdlog/spdlog.h>

namespace weaksight::ui {

QStringList availableLanguages() { return {QString(), QStringLiteral("en"), QStringLiteral("uk")}; }

QString configuredLanguage() { return QSettings().value(QStringLiteral("language")).toString(); }

void setConfiguredLanguage(const QString& language) { QSettings().setValue(QStringLiteral("language"), language); }

QString installTranslation(const QString& requested)
{
    // One pair of translators for the process, replaced when the language changes.
    static QTranslator* ours = nullptr;
    static QTranslator* qts = nullptr;
    for (QTranslator** t : {&ours, &qts})
        if (*t) {
            QCoreApplication::removeTranslator(*t);
            delete *t;
            *t = nullptr;
        }
    QString language = requested.isEmpty() ? configuredLanguage() : requested;
    if (language.isEmpty())
        language = QLocale::system().name().section('_', 0, 0);
    if (language != QLatin1String("uk"))
        return QStringLiteral("en"); // the source strings are English
    ours = new QTranslator;
    if (!ours->load(QStringLiteral(":/i18n/weaksight_uk.qm"))) {
        spdlog::warn("the Ukrainian translation is missing from this build");
        delete ours;
        ours = nullptr;
        return QStringLiteral("en");
    }
    QCoreApplication::installTranslator(ours);
    // Qt's own dialogs (file chooser, message boxes) when Debian's qt6-translations-l10n is installed.
    qts = new QTranslator;
    if (qts->load(QLocale(QLocale::Ukrainian), QStringLiteral("qtbase"), QStringLiteral("_"),
                  QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qts);
    else {
        delete qts;
        qts = nullptr;
    }
    return language;
}

} // namespace weaksight::ui
