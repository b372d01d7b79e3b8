#include "ui/SettingsDialog.h"

#include "ui/KeyBindings.h"
#include "ui/Translations.h"

#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QKeySequenceEdit>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>

namespace weaksight::ui {

SettingsDialog::SettingsDialog(KeyBindings* keys, QWidget* parent) : QDialog(parent), m_keys(keys)
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
    if (m_keys) {
        m_keyTable = new QTableWidget(static_cast<int>(m_keys->commands().size()), 2, this);
        m_keyTable->setHorizontalHeaderLabels({tr("Command"), tr("Key")});
        m_keyTable->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
        m_keyTable->verticalHeader()->hide();
        m_keyTable->setMinimumSize(460, 320);
        int row = 0;
        for (const auto& c : m_keys->commands()) {
            auto* name = new QTableWidgetItem(m_keys->description(c.id));
            name->setData(Qt::UserRole, c.id);
            name->setFlags(Qt::ItemIsEnabled);
            m_keyTable->setItem(row, 0, name);
            m_keyTable->setCellWidget(row, 1, new QKeySequenceEdit(c.action->shortcut(), m_keyTable));
            ++row;
        }
        form->addRow(tr("Keyboard:"), m_keyTable);
        auto* defaults = new QPushButton(tr("Default keys"), this);
        connect(defaults, &QPushButton::clicked, this, [this] {
            for (int r = 0; r < m_keyTable->rowCount(); ++r)
                for (const auto& c : m_keys->commands())
                    if (c.id == m_keyTable->item(r, 0)->data(Qt::UserRole).toString())
                        static_cast<QKeySequenceEdit*>(m_keyTable->cellWidget(r, 1))->setKeySequence(c.defaultKey);
        });
        form->addRow(QString(), defaults);
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void SettingsDialog::setKey(const QString& id, const QKeySequence& key)
{
    for (int r = 0; m_keyTable && r < m_keyTable->rowCount(); ++r)
        if (m_keyTable->item(r, 0)->data(Qt::UserRole).toString() == id)
            static_cast<QKeySequenceEdit*>(m_keyTable->cellWidget(r, 1))->setKeySequence(key);
}

bool SettingsDialog::apply()
{
    m_error.clear();
    if (m_keys) {
        std::map<QString, QKeySequence> keys;
        for (int r = 0; r < m_keyTable->rowCount(); ++r)
            keys[m_keyTable->item(r, 0)->data(Qt::UserRole).toString()] =
                static_cast<QKeySequenceEdit*>(m_keyTable->cellWidget(r, 1))->keySequence();
        const auto clashes = m_keys->rebind(keys);
        if (!clashes.isEmpty()) {
            QStringList pairs;
            for (const auto& [a, b] : clashes)
                pairs << tr("“%1” and “%2” (%3)").arg(m_keys->description(a), m_keys->description(b),
                                                      keys[a].toString(QKeySequence::NativeText));
            m_error = tr("Two commands cannot share a key: %1. Nothing was changed.").arg(pairs.join(QStringLiteral("; ")));
            return false;
        }
    }
    const QString language = m_language->currentData().toString();
    m_languageChanged = language != configuredLanguage();
    setConfiguredLanguage(language);
    return true;
}

void SettingsDialog::done(int result)
{
    // OK applies; a conflict keeps the dialog open with the reason.
    if (result == QDialog::Accepted && !apply()) {
        QMessageBox::warning(this, tr("Key conflict"), m_error);
        return;
    }
    QDialog::done(result);
}

} // namespace weaksight::ui
