#pragma once

// The review dashboard (a dock): IoU per method and threshold (proposal vs ground truth, proposal vs
// final mask), correction effort per method (pixels changed, time spent), progress per case and per
// annotator (QtCharts), the learned threshold per method with one-click use, and the export. Read
// from the dataset's store on a worker thread (read-only connection) whenever asked to refresh.

#include "storage/AnnotationStore.h"
#include "storage/LearnedThreshold.h"
#include "ui/StoreOwner.h"

#include <QDockWidget>
#include <QFutureWatcher>
#include <QWidget>

class QChartView;
class QTableWidget;
class QLabel;

namespace weaksight::ui {

struct DashboardData {
    std::vector<storage::MethodThresholdIou> iou;
    struct Effort {
        std::string label; ///< method and proposal kind (storage::proposalLabel), e.g. "gradcam + grow"
        int decisions = 0;
        double meanPixelsChanged = 0; ///< corrections: pixels added + removed
        double meanSeconds = 0;       ///< every decision
    };
    std::vector<Effort> effort;
    std::vector<storage::CaseProgress> cases;
    std::vector<storage::AnnotatorProgress> annotators;
    std::vector<storage::LearnedThreshold> learned;
    QString error;
};

/// Everything the dashboard shows, read from a store.
DashboardData readDashboard(const storage::AnnotationStore& store);

class Dashboard : public QWidget {
    Q_OBJECT
public:
    explicit Dashboard(QWidget* parent = nullptr);
    ~Dashboard() override;

    /// The store it reads (through its owner's read-only connection).
    void setStore(StoreOwner* store);
    /// Reads the store again in the background (dataReady follows).
    void refresh();
    const DashboardData& data() const { return m_data; }
    QTableWidget* learnedTable() const { return m_learned; }
    /// The summary line (decisions, cases, annotators) and the charts, for tests.
    QString summaryText() const;
    QChartView* effortChart() const { return m_effortChart; }
    QChartView* timeChart() const { return m_timeChart; }

Q_SIGNALS:
    void dataReady();
    /// "Use" on a learned threshold.
    void useThreshold(const QString& method, double threshold);
    void exportRequested();

private:
    void showData(const DashboardData& data);
    void showSummary(const DashboardData& data);
    void showIou(const DashboardData& data);
    void showEffort(const DashboardData& data);
    void showProgress(const DashboardData& data);
    void showLearned(const DashboardData& data);

    StoreOwner* m_store = nullptr;
    DashboardData m_data;
    QChartView* m_iouChart = nullptr;
    QChartView* m_effortChart = nullptr;
    QChartView* m_timeChart = nullptr;
    QChartView* m_progressChart = nullptr;
    QTableWidget* m_learned = nullptr;
    QLabel* m_summary = nullptr;
    QFutureWatcher<StoreReply<DashboardData>> m_watcher;
    bool m_again = false; ///< a refresh asked for while one runs
};

/// The dashboard's dock (on the right, tabbed with the 3D view): reads the store again whenever shown.
class DashboardDock : public QDockWidget {
    Q_OBJECT
public:
    explicit DashboardDock(QWidget* parent = nullptr);
    Dashboard* dashboard() const { return m_dashboard; }

private:
    Dashboard* m_dashboard = nullptr;
};

} // namespace weaksight::ui
