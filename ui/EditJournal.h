#pragma once

// The crash-recovery journal of a correction in progress: after every stroke and action the mask
// being edited is written (with what it belongs to) to one small file, replaced atomically
// (QSaveFile: temporary file + rename), so a killed process loses at most the unfinished stroke.
// Finishing or cancelling the correction removes the file; a start-up that finds it offers the
// mask back.

#include "core/masks/BinaryMask.h"
#include "storage/AnnotationStore.h"

#include <QString>

#include <optional>

namespace weaksight::ui {

struct EditRecovery {
    QString storePath;   ///< the dataset's annotation store
    QString datasetPath; ///< the folder opened
    QString caseId;
    int slice = 0;
    int crop = 0;
    storage::CropBox box; ///< where the mask lies (the edit's canvas: the whole slice)
    QString annotator;
    qint64 savedAtMs = 0; ///< ms since the epoch
    BinaryMask mask;      ///< on box
    /// The proposal's crop box (journals before edits reached outside the crop: box).
    std::optional<storage::CropBox> proposalBox = std::nullopt;
};

class EditJournal {
public:
    /// The journal file (default: the user data folder's recovery/edit-in-progress.wsj).
    explicit EditJournal(QString file = defaultPath());
    static QString defaultPath();

    /// Writes the state; false (and a log line) when the disk refuses.
    bool save(const EditRecovery& state);
    void discard();
    /// The recovery found on disk; nullopt when none or unreadable (a damaged file is reported and
    /// set aside, never trusted).
    std::optional<EditRecovery> load() const;
    const QString& path() const { return m_path; }

private:
    QString m_path;
};

} // namespace weaksight::ui
