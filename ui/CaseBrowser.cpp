#include "ui/CaseBrowser.h"

#include "storage/AnnotationStore.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QVBoxLayout>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace {
struct StatusFilter {
    const char* key;
    const char* label;
};
constexpr StatusFilter kStatusFilters[] = {
    {"all", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "All cases")},
    {"not started", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "Not started")},
    {"in progress", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "In progress")},
    {"done", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "Done")},
    {"labelled", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "With ground truth")},
    {"unlabelled", QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "Without ground truth")},
};
// The store's status words, translated where shown.
[[maybe_unused]] constexpr const char* kStatusNames[] = {
    QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "not started"),
    QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "in progress"),
    QT_TRANSLATE_NOOP("weaksight::ui::CaseBrowser", "done"),
};
} // namespace

CaseBrowser::CaseBrowser(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_nameFilter = new QLineEdit(this);
    m_nameFilter->setPlaceholderText(tr("Filter cases…"));
    m_nameFilter->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    for (const auto& f : kStatusFilters)
        m_statusFilter->addItem(tr(f.label), QString::fromLatin1(f.key));
    m_list = new QListWidget(this);
    m_summary = new QLabel(this);
    layout->addWidget(m_nameFilter);
    layout->addWidget(m_statusFilter);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_summary);
    connect(m_nameFilter, &QLineEdit::textChanged, this, &CaseBrowser::applyFilter);
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, &CaseBrowser::applyFilter);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            Q_EMIT caseSelected(row);
    });
    connect(&m_statusWatcher, &QFutureWatcher<StoreReply<std::map<std::string, CaseStatus>>>::finished, this,
            [this] {
                const auto reply = m_statusWatcher.result();
                if (!reply.error.isEmpty())
                    spdlog::warn("case status unavailable: {}", reply.error.toStdString());
                m_status = reply.value.value_or(std::map<std::string, CaseStatus>{});
                for (int i = 0; i < caseCount(); ++i)
                    updateItem(i);
                applyFilter();
                Q_EMIT statusRead();
            });
}

CaseBrowser::~CaseBrowser()
{
    m_statusWatcher.waitForFinished();
}

void CaseBrowser::setCases(const std::vector<CaseFiles>& cases)
{
    m_cases = cases;
    m_status.clear();
    {
        const QSignalBlocker blocker(m_list);
        m_list->clear();
        for (int i = 0; i < caseCount(); ++i) {
            new QListWidgetItem(m_list);
            updateItem(i);
        }
    }
    applyFilter();
    refreshStatus();
}

void CaseBrowser::refreshStatus()
{
    if (!m_store || !m_store->exists()) {
        // No store yet: nothing is decided anywhere.
        m_status.clear();
        for (int i = 0; i < caseCount(); ++i)
            updateItem(i);
        applyFilter();
        return;
    }
    m_statusWatcher.setFuture(m_store->read<std::map<std::string, CaseStatus>>(
        [](const storage::AnnotationStore& store, const StoreProgress&) {
            std::map<std::string, CaseStatus> status;
            for (const auto& c : store.caseProgress())
                status[c.caseKey] = {QString::fromStdString(c.status()),
                                     c.proposals,
                                     c.decided,
                                     c.accepted,
                                     c.corrected,
                                     c.rejected,
                                     c.lesionSlices.value_or(-1),
                                     c.decidedLesionSlices};
            return status;
        }));
}

CaseStatus CaseBrowser::status(int index) const
{
    if (index < 0 || index >= caseCount())
        return {};
    const auto it = m_status.find(m_cases[static_cast<size_t>(index)].caseId);
    return it == m_status.end() ? CaseStatus{} : it->second;
}

void CaseBrowser::setCaseFiles(int index, const CaseFiles& files)
{
    if (index < 0 || index >= caseCount())
        return;
    m_cases[static_cast<size_t>(index)] = files;
    updateItem(index);
    applyFilter();
}

QString CaseBrowser::itemText(int index) const
{
    const QListWidgetItem* item = m_list->item(index);
    return item ? item->text() : QString();
}

void CaseBrowser::updateItem(int index)
{
    const CaseFiles& c = m_cases[static_cast<size_t>(index)];
    QListWidgetItem* item = m_list->item(index);
    QString text = QString::fromStdString(c.caseId);
    if (!c.hasImaging())
        text += tr(" (labels only)");
    else if (!c.hasSegmentation())
        text += tr(" (imaging only)");
    const CaseStatus s = status(index);
    // The status counts the case's lesion slices (every one needs a decision), once known.
    const QString progress = s.lesionSlices >= 0 && s.decided > 0
                                 ? tr(" %1/%2 lesion slices").arg(s.decidedLesionSlices).arg(s.lesionSlices)
                                 : QString();
    text += tr("  — %1%2").arg(tr(s.status.toUtf8().constData()), progress);
    item->setText(text);
    item->setToolTip(
        QString::fromStdString(c.directory.string() + "\n" + toString(c.layout) + ": " +
                               c.contentDescription()) +
        tr("\nStatus: %1 (%2 decisions: %3 accepted, %4 corrected, %5 rejected)")
            .arg(tr(s.status.toUtf8().constData()))
            .arg(s.decided)
            .arg(s.accepted)
            .arg(s.corrected)
            .arg(s.rejected) +
        (s.lesionSlices >= 0
             ? tr("\n%1 of its %2 lesion slices decided").arg(s.decidedLesionSlices).arg(s.lesionSlices)
             : tr("\nIts lesion slices are counted at its first decision")));
    // Status at a glance: grey not started, amber in progress, green done.
    item->setForeground(s.status == QLatin1String("done")          ? QColor(40, 150, 60)
                        : s.status == QLatin1String("in progress") ? QColor(200, 130, 0)
                                                                   : m_list->palette().color(QPalette::Text));
}

void CaseBrowser::setFilter(const QString& text, const QString& status)
{
    m_nameFilter->setText(text);
    m_statusFilter->setCurrentIndex(std::max(0, m_statusFilter->findData(status)));
    applyFilter();
}

bool CaseBrowser::isShown(int index) const
{
    return index >= 0 && index < caseCount() && !m_list->item(index)->isHidden();
}

void CaseBrowser::applyFilter()
{
    const QString text = m_nameFilter->text().trimmed();
    const QString wanted = m_statusFilter->currentData().toString();
    int shown = 0;
    for (int i = 0; i < caseCount(); ++i) {
        const CaseFiles& c = m_cases[static_cast<size_t>(i)];
        bool show = text.isEmpty() || QString::fromStdString(c.caseId).contains(text, Qt::CaseInsensitive);
        if (wanted == QLatin1String("labelled"))
            show = show && c.hasSegmentation();
        else if (wanted == QLatin1String("unlabelled"))
            show = show && !c.hasSegmentation();
        else if (wanted != QLatin1String("all"))
            show = show && status(i).status == wanted;
        m_list->item(i)->setHidden(!show);
        shown += show;
    }
    int done = 0;
    for (int i = 0; i < caseCount(); ++i)
        done += status(i).status == QLatin1String("done");
    m_summary->setText(tr("%1 of %2 cases shown, %3 done").arg(shown).arg(caseCount()).arg(done));
}

int CaseBrowser::currentCase() const
{
    return m_list->currentRow();
}

void CaseBrowser::setCurrentCase(int index)
{
    if (index >= 0 && index < caseCount())
        m_list->setCurrentRow(index);
}

} // namespace weaksight::ui
