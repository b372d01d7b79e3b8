#include "ui/Dashboard.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace weaksight::ui {

DashboardData readDashboard(const storage::AnnotationStore& store)
{
    DashboardData data;
    {
        data.iou = store.iouByMethodAndThreshold();
        data.cases = store.caseProgress();
        data.annotators = store.annotatorProgress();
        data.learned = storage::learnedThresholds(store);
        std::map<std::string, std::array<double, 4>> effort; // decisions, corrections, pixels, ms
        for (const auto& d :
             store.standingDecisions({storage::DecisionKind::Accept, storage::DecisionKind::Correct,
                                      storage::DecisionKind::Reject, storage::DecisionKind::Skip})) {
            // Per proposal kind: a refinement of Score-CAM needs other brush work than its raw map.
            auto& e = effort[d.method.empty() ? "(no method)" : storage::proposalLabel(d.method, d.proposal)];
            e[0] += 1;
            e[3] += static_cast<double>(d.timeSpentMs);
            if (d.kind == storage::DecisionKind::Correct) {
                e[1] += 1;
                e[2] += static_cast<double>(d.overlap.voxelsAdded.value_or(0) +
                                            d.overlap.voxelsRemoved.value_or(0));
            }
        }
        for (const auto& [method, e] : effort)
            data.effort.push_back(
                {method, static_cast<int>(e[0]), e[1] > 0 ? e[2] / e[1] : 0.0, e[3] / e[0] / 1000.0});
    }
    return data;
}

namespace {

QChartView* chartView(const QString& title, QWidget* parent)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(230);
    return view;
}

void resetChart(QChart* chart)
{
    chart->removeAllSeries();
    for (auto* axis : chart->axes())
        chart->removeAxis(axis);
}

/// Replaces a chart's content with grouped bars per category, the value axis from 0 to the top.
void showBars(QChart* chart, const QList<QBarSet*>& sets, const QStringList& categories)
{
    resetChart(chart);
    double highest = 1;
    for (const QBarSet* set : sets)
        for (int i = 0; i < set->count(); ++i)
            highest = std::max(highest, set->at(i));
    auto* bars = new QBarSeries;
    bars->append(sets);
    chart->addSeries(bars);
    auto* categoryAxis = new QBarCategoryAxis;
    categoryAxis->append(categories);
    auto* valueAxis = new QValueAxis;
    valueAxis->setRange(0, highest * 1.1);
    valueAxis->applyNiceNumbers(); // ticks at 0, 5, 10…, not 9.8 and 19.5
    bool counts = true;
    for (const QBarSet* set : sets)
        for (int i = 0; i < set->count(); ++i)
            counts = counts && set->at(i) == std::floor(set->at(i));
    if (counts && valueAxis->max() <= 10) { // a few decisions: one tick per whole number
        valueAxis->setRange(0, std::max(1.0, std::ceil(highest)));
        valueAxis->setTickCount(static_cast<int>(valueAxis->max()) + 1);
    }
    valueAxis->setLabelFormat(counts ? QStringLiteral("%d") : QStringLiteral("%.3g"));
    chart->addAxis(categoryAxis, Qt::AlignBottom);
    chart->addAxis(valueAxis, Qt::AlignLeft);
    bars->attachAxis(categoryAxis);
    bars->attachAxis(valueAxis);
}

} // namespace

Dashboard::Dashboard(QWidget* parent)
    : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto* content = new QWidget(scroll);
    auto* layout = new QVBoxLayout(content);
    m_summary = new QLabel(content);
    m_summary->setWordWrap(true);
    m_iouChart = chartView(tr("IoU per method and threshold"), content);
    m_effortChart = chartView(tr("Pixels changed per correction, per method"), content);
    m_timeChart = chartView(tr("Seconds per decision, per method"), content);
    m_progressChart = chartView(tr("Progress per case"), content);
    m_learned = new QTableWidget(0, 5, content);
    m_learned->setObjectName("learnedThresholds");
    m_learned->setHorizontalHeaderLabels(
        {tr("Method"), tr("Decisions"), tr("Learned threshold"), tr("Pixels to correct"), QString()});
    m_learned->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_learned->verticalHeader()->hide();
    m_learned->setMinimumHeight(120);
    auto* exportButton = new QPushButton(tr("Export curated masks…"), content);
    connect(exportButton, &QPushButton::clicked, this, &Dashboard::exportRequested);
    layout->addWidget(m_summary);
    layout->addWidget(
        new QLabel(tr("<b>Learned threshold</b> (the least correction of the final masks so far)"), content));
    layout->addWidget(m_learned);
    layout->addWidget(m_iouChart);
    layout->addWidget(m_effortChart);
    layout->addWidget(m_timeChart);
    layout->addWidget(m_progressChart);
    layout->addWidget(exportButton);
    scroll->setWidget(content);
    outer->addWidget(scroll);
    connect(&m_watcher, &QFutureWatcher<StoreReply<DashboardData>>::finished, this, [this] {
        const auto reply = m_watcher.result();
        DashboardData data = reply.value.value_or(DashboardData{});
        data.error = reply.error;
        showData(data);
        if (m_again) {
            m_again = false;
            refresh();
        }
    });
}

Dashboard::~Dashboard()
{
    m_watcher.waitForFinished();
}

void Dashboard::setStore(StoreOwner* store)
{
    m_store = store;
    // Hidden (its dock closed, as at start): the main window refreshes it when it is shown.
    if (isVisible())
        refresh();
}

void Dashboard::refresh()
{
    if (m_watcher.isRunning()) {
        m_again = true;
        return;
    }
    if (!m_store || !m_store->exists()) {
        showData({});
        return;
    }
    m_watcher.setFuture(m_store->read<DashboardData>(
        [](const storage::AnnotationStore& store, const StoreProgress&) { return readDashboard(store); }));
}

void Dashboard::showData(const DashboardData& data)
{
    m_data = data;
    showSummary(data);
    showIou(data);
    showEffort(data);
    showProgress(data);
    showLearned(data);
    Q_EMIT dataReady();
}

QString Dashboard::summaryText() const
{
    return m_summary->text();
}

void Dashboard::showSummary(const DashboardData& data)
{
    long long decided = 0, proposals = 0;
    for (const auto& c : data.cases) {
        decided += c.decided;
        proposals += c.proposals;
    }
    if (!data.error.isEmpty()) {
        m_summary->setText(tr("Store unavailable: %1").arg(data.error));
        return;
    }
    // Per annotator here, where the text wraps (a chart title does not, and widened the dock).
    QStringList people;
    for (const auto& a : data.annotators)
        people << tr("%1: %n decision(s)", nullptr, static_cast<int>(a.decisions))
                          .arg(QString::fromStdString(a.annotator)) +
                      tr(", %1 min").arg(a.timeSpentMs / 60000.0, 0, 'f', 1);
    m_summary->setText(
        tr("%1 of %2 decided in %3 by %4.")
            .arg(decided)
            .arg(tr("%n proposal(s)", nullptr, static_cast<int>(proposals)))
            .arg(tr("%n case(s)", nullptr, static_cast<int>(data.cases.size())))
            .arg(tr("%n annotator(s)", nullptr, static_cast<int>(data.annotators.size()))) +
        (people.isEmpty() ? QString() : QStringLiteral("\n") + people.join(QStringLiteral("; "))));
}

void Dashboard::showIou(const DashboardData& data)
{
    // IoU per method and threshold: solid = proposal vs ground truth, dashed = proposal vs final.
    QChart* iou = m_iouChart->chart();
    resetChart(iou);
    std::map<std::string, std::pair<QLineSeries*, QLineSeries*>> lines;
    for (const auto& row : data.iou) {
        const QString label = QString::fromStdString(storage::proposalLabel(row.method, row.proposal));
        auto& [truth, final] = lines[label.toStdString()];
        if (!truth) {
            truth = new QLineSeries;
            truth->setName(tr("%1 vs truth").arg(label));
            final = new QLineSeries;
            final->setName(tr("%1 vs final").arg(label));
        }
        if (row.meanProposalGtIou)
            truth->append(row.threshold, *row.meanProposalGtIou);
        if (row.meanProposalFinalIou)
            final->append(row.threshold, *row.meanProposalFinalIou);
    }
    auto* tAxis = new QValueAxis;
    tAxis->setRange(0, 1);
    tAxis->setTitleText(tr("threshold"));
    auto* iouAxis = new QValueAxis;
    iouAxis->setRange(0, 1);
    iouAxis->setTitleText(tr("mean IoU"));
    iou->addAxis(tAxis, Qt::AlignBottom);
    iou->addAxis(iouAxis, Qt::AlignLeft);
    for (auto& [method, pair] : lines)
        for (QLineSeries* series : {pair.first, pair.second}) {
            if (series == pair.second) {
                QPen pen = series->pen();
                pen.setStyle(Qt::DashLine);
                series->setPen(pen);
            }
            series->setPointsVisible(true); // a single threshold is a point, not a line
            iou->addSeries(series);
            series->attachAxis(tAxis);
            series->attachAxis(iouAxis);
        }
}

void Dashboard::showEffort(const DashboardData& data)
{
    // Effort per method: pixels changed per correction and seconds per decision, each on its own
    // chart (one axis cannot hold pixels and seconds).
    QBarSet* pixels = new QBarSet(tr("pixels changed per correction"));
    QBarSet* seconds = new QBarSet(tr("seconds per decision"));
    QStringList methods;
    for (const auto& e : data.effort) {
        methods << QString::fromStdString(e.label);
        *pixels << e.meanPixelsChanged;
        *seconds << e.meanSeconds;
    }
    showBars(m_effortChart->chart(), {pixels}, methods);
    showBars(m_timeChart->chart(), {seconds}, methods);
}

void Dashboard::showProgress(const DashboardData& data)
{
    // Progress: decided and still open proposals per case (per annotator: in the summary).
    QChart* progress = m_progressChart->chart();
    QBarSet* done = new QBarSet(tr("decided"));
    QBarSet* open = new QBarSet(tr("open"));
    QStringList cases;
    for (const auto& c : data.cases) {
        cases << QString::fromStdString(c.caseKey);
        *done << static_cast<double>(c.decided);
        *open << static_cast<double>(c.proposals - c.decided);
    }
    showBars(progress, {done, open}, cases);
}

void Dashboard::showLearned(const DashboardData& data)
{
    m_learned->setRowCount(static_cast<int>(data.learned.size()));
    for (int r = 0; r < static_cast<int>(data.learned.size()); ++r) {
        const auto& l = data.learned[static_cast<size_t>(r)];
        m_learned->setItem(r, 0, new QTableWidgetItem(QString::fromStdString(l.method)));
        m_learned->setItem(r, 1, new QTableWidgetItem(QString::number(l.decisions)));
        m_learned->setItem(r, 2, new QTableWidgetItem(QString::number(l.threshold, 'f', 2)));
        m_learned->setItem(r, 3, new QTableWidgetItem(QString::number(l.meanCorrection, 'f', 1)));
        auto* use = new QPushButton(tr("Use"), m_learned);
        use->setObjectName("use-" + QString::fromStdString(l.method));
        connect(use, &QPushButton::clicked, this,
                [this, method = QString::fromStdString(l.method), t = l.threshold] {
                    Q_EMIT useThreshold(method, t);
                });
        m_learned->setCellWidget(r, 4, use);
    }
}

DashboardDock::DashboardDock(QWidget* parent)
    : QDockWidget(tr("Dashboard"), parent)
{
    setObjectName("dashboardDock");
    m_dashboard = new Dashboard(this);
    setWidget(m_dashboard);
    connect(this, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible)
            m_dashboard->refresh();
    });
}

} // namespace weaksight::ui
