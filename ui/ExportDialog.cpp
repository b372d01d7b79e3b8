#include "ui/ExportDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>

namespace weaksight::ui {

ExportDialog::ExportDialog(StoreOwner& store, const QString& currentCase, QWidget* parent)
    : QDialog(parent)
    , m_store(store)
    , m_currentCase(currentCase)
{
    setWindowTitle(tr("Export curated masks"));
    auto* form = new QFormLayout(this);
    auto* formats = new QHBoxLayout;
    m_nifti = new QCheckBox(tr("NIfTI label volumes + provenance"), this);
    m_png = new QCheckBox(tr("PNG per slice"), this);
    m_segNrrd = new QCheckBox(tr("3D Slicer (.seg.nrrd)"), this);
    m_segNrrd->setObjectName("format-seg-nrrd");
    m_dicomSeg = new QCheckBox(tr("DICOM SEG"), this);
    m_dicomSeg->setObjectName("format-dicom-seg");
    m_coco = new QCheckBox(tr("COCO (RLE) with the slice images"), this);
    m_coco->setObjectName("format-coco");
    m_nifti->setChecked(true);
    formats->addWidget(m_nifti);
    formats->addWidget(m_segNrrd);
    formats->addWidget(m_dicomSeg);
    formats->addWidget(m_png);
    formats->addWidget(m_coco);
    form->addRow(tr("Formats:"), formats);
    auto* statuses = new QHBoxLayout;
    m_accepted = new QCheckBox(tr("accepted"), this);
    m_corrected = new QCheckBox(tr("corrected"), this);
    m_accepted->setChecked(true);
    m_corrected->setChecked(true);
    statuses->addWidget(m_accepted);
    statuses->addWidget(m_corrected);
    form->addRow(tr("Decisions:"), statuses);
    auto* cases = new QHBoxLayout;
    m_allCases = new QRadioButton(tr("all cases"), this);
    m_thisCase = new QRadioButton(tr("this case (%1)").arg(currentCase), this);
    m_allCases->setChecked(true);
    m_thisCase->setEnabled(!currentCase.isEmpty());
    cases->addWidget(m_allCases);
    cases->addWidget(m_thisCase);
    form->addRow(tr("Cases:"), cases);
    auto* folderRow = new QHBoxLayout;
    m_folder = new QLineEdit(this);
    auto* browse = new QPushButton(tr("Choose…"), this);
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    form->addRow(tr("Folder:"), folderRow);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export into"), m_folder->text());
        if (!dir.isEmpty())
            m_folder->setText(dir);
    });
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    form->addRow(m_progress);
    m_result = new QLabel(this);
    m_result->setWordWrap(true);
    form->addRow(m_result);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_exportButton = buttons->addButton(tr("Export"), QDialogButtonBox::ActionRole);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::start);
    connect(&m_watcher, &QFutureWatcher<Outcome>::progressRangeChanged, m_progress, &QProgressBar::setRange);
    connect(&m_watcher, &QFutureWatcher<Outcome>::progressValueChanged, m_progress, &QProgressBar::setValue);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, [this] {
        m_exportButton->setEnabled(true);
        const Outcome outcome = m_watcher.result();
        if (!outcome.ok()) {
            m_result->setText(
                tr("Export failed: %1")
                    .arg(outcome.absent() ? tr("there is no annotation store yet.") : outcome.error));
            Q_EMIT exportFinished(false);
            return;
        }
        const storage::ExportReport& report = *outcome.value;
        m_result->setText(
            tr("Wrote %1 files: %2 cases, %3 slices, %4 decisions (%5 older decisions superseded).")
                .arg(report.files.size())
                .arg(report.cases)
                .arg(report.slices)
                .arg(report.decisions)
                .arg(report.superseded));
        Q_EMIT exportFinished(true);
    });
}

ExportDialog::~ExportDialog()
{
    m_watcher.waitForFinished();
}

void ExportDialog::setOutputFolder(const QString& folder)
{
    m_folder->setText(folder);
}

storage::ExportOptions ExportDialog::options() const
{
    storage::ExportOptions o;
    o.outDir = m_folder->text().toStdString();
    o.formats.clear();
    if (m_nifti->isChecked())
        o.formats.insert("nifti");
    if (m_png->isChecked())
        o.formats.insert("png");
    if (m_coco->isChecked())
        o.formats.insert("coco");
    if (m_segNrrd->isChecked())
        o.formats.insert("seg-nrrd");
    if (m_dicomSeg->isChecked())
        o.formats.insert("dicom-seg");
    o.statuses.clear();
    if (m_accepted->isChecked())
        o.statuses.push_back(storage::DecisionKind::Accept);
    if (m_corrected->isChecked())
        o.statuses.push_back(storage::DecisionKind::Correct);
    if (m_thisCase->isChecked())
        o.cases = {m_currentCase.toStdString()};
    return o;
}

void ExportDialog::start()
{
    const auto o = options();
    if (o.outDir.empty() || o.formats.empty() || o.statuses.empty()) {
        m_result->setText(tr("Choose a folder, at least one format and at least one kind of decision."));
        return;
    }
    m_exportButton->setEnabled(false);
    m_result->setText(tr("Exporting…"));
    m_watcher.setFuture(m_store.read<storage::ExportReport>(
        [o](const storage::AnnotationStore& annotations, const StoreProgress& progress) {
            return storage::exportMasks(annotations, o, progress);
        }));
}

QString ExportDialog::resultText() const
{
    return m_result->text();
}

} // namespace weaksight::ui
