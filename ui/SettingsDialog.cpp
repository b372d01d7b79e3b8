#include "ui/SettingsDialog.h"

#include "ui/Translations.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>

namespace weaksight::ui {

SettingsDialog::SettingsDialog(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Settings"));
    auto* form = new QFormLayout(this);
    m_language = new QComboBox(this);
    m_language->addItem(tr("System language"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("Українська"), QStringLiteral("uk"));
    m_language->setCurrentIndex(std::max(0, m_language->findData(configuredLanguage())));
    form->addRow(tr("Language:"), m_language);
    form->addRow(new QLabel(tr("A new language applies when Weaksight starts again."), this));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

bool SettingsDialog::apply()
{
    const QString language = m_language->currentData().toString();
    const bool changed = language != configuredLanguage();
    setConfiguredLanguage(language);
    return changed;
}

} // namespace weaksight::ui
