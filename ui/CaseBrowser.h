#pragma once

// The case list of a dataset: each case with its annotation status from the store (not started /
// in progress / done, decisions and proposals), filtered by name and by status. The store is read
// in the background (it may be large, or on a network drive).

#include "core/cases/KitsCase.h"
#include "ui/StoreOwner.h"

#include <QFutureWatcher>
#include <QString>
#include <QWidget>
#include <map>
#include <vector>

class QComboBox;
class QLineEdit;
class QListWidget;
class QLabel;

namespace weaksight::ui {

/// What the store says about a case (counts are of crops / slices with proposals).
struct CaseStatus {
    QString status = QStringLiteral("not started"); ///< "not started", "in progress" or "done"
    qint64 proposals = 0;
    qint64 decided = 0;
    qint64 accepted = 0, corrected = 0, rejected = 0;
    qint64 lesionSlices = -1; ///< slices with a lesion (labels or the classifier's scan); -1 unknown
    qint64 decidedLesionSlices = 0;
};

class CaseBrowser : public QWidget {
    Q_OBJECT
public:
    explicit CaseBrowser(QWidget* parent = nullptr);
    ~CaseBrowser() override;

    /// The store the cases' status is read from (through its owner's read-only connection).
    void setStore(StoreOwner* store) { m_store = store; }
    /// Shows the cases; their status is read from the store (when there is one) in the background.
    void setCases(const std::vector<CaseFiles>& cases);
    /// One case's files changed (a segmentation attached): its line says so.
    void setCaseFiles(int index, const CaseFiles& files);
    /// Reads the store again (after decisions were recorded).
    void refreshStatus();
    int caseCount() const { return static_cast<int>(m_cases.size()); }
    /// Index into the cases given to setCases(); -1 when none.
    int currentCase() const;
    void setCurrentCase(int index);
    CaseStatus status(int index) const;
    /// The list's line of a case (its name, content and status).
    QString itemText(int index) const;
    /// Filters: a part of the case name, and "all", "not started", "in progress", "done",
    /// "labelled" or "unlabelled".
    void setFilter(const QString& text, const QString& status = QStringLiteral("all"));
    bool isShown(int index) const;

Q_SIGNALS:
    void caseSelected(int index);
    /// The store's status of every case was read.
    void statusRead();

private:
    void applyFilter();
    void updateItem(int index);

    std::vector<CaseFiles> m_cases;
    std::map<std::string, CaseStatus> m_status; ///< by case id
    StoreOwner* m_store = nullptr;
    QLineEdit* m_nameFilter = nullptr;
    QComboBox* m_statusFilter = nullptr;
    QListWidget* m_list = nullptr;
    QLabel* m_summary = nullptr;
    QFutureWatcher<StoreReply<std::map<std::string, CaseStatus>>> m_statusWatcher;
};

} // namespace weaksight::ui
