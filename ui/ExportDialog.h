#pragma once

// Export of the curated masks (what `weaksight export` does): formats, which decisions, which
// cases, the output folder; runs in the background with a progress bar and reports what it wrote.

#include "storage/Exporter.h"
#include "ui/StoreOwner.h"

#include <QDialog>
#include <QFutureWatcher>

class QCheckBox;
class QLineEdit;
class QProgressBar;
class QLabel;
class QPushButton;
class QRadioButton;

namespace weaksight::ui {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    /// Exports from `store` (read through its owner's read-only connection, so the labelling goes on).
    ExportDialog(StoreOwner& store, const QString& currentCase, QWidget* parent = nullptr);
    ~ExportDialog() override;

    void setOutputFolder(const QString& folder);
    /// The options the dialog's controls describe.
    storage::ExportOptions options() const;
    /// Starts the export (the Export button); exportFinished follows.
    void start();
    QString resultText() const;

Q_SIGNALS:
    void exportFinished(bool ok);

private:
    using Outcome = StoreReply<storage::ExportReport>;
    StoreOwner& m_store;
    QString m_currentCase;
    QCheckBox *m_nifti, *m_segNrrd, *m_dicomSeg, *m_png, *m_coco, *m_accepted, *m_corrected;
    QRadioButton *m_allCases, *m_thisCase;
    QLineEdit* m_folder;
    QProgressBar* m_progress;
    QLabel* m_result;
    QPushButton* m_exportButton;
    QFutureWatcher<Outcome> m_watcher;
};

} // namespace weaksight::ui
