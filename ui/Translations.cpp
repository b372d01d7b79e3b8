#include "ui/Translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace {

/// English plurals without a second .ts file: a message with a count (tr("%n case(s)", nullptr, n))
/// reads "1 case" / "2 cases". Other messages pass through (the source text is English).
class EnglishPlurals : public QTranslator {
public:
    using QTranslator::QTranslator;
    bool isEmpty() const override { return false; }
    QString translate(const char*, const char* sourceText, const char*, int n) const override
    {
        const QString source = QString::fromUtf8(sourceText);
        if (n < 0 || !source.contains(QLatin1String("(s)")))
            return {};
        return QString(source).replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
    }
};

} // namespace

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
    if (language != QLatin1String("uk")) {
        ours = new EnglishPlurals; // the source strings are English, but for their plurals
        QCoreApplication::installTranslator(ours);
        return QStringLiteral("en");
    }
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
