#pragma once

// UI model of the CAM overlay (ITK-SNAP's "UI model" layer: no widgets): the loaded classifier,
// the chosen method with its own threshold, and the heatmaps of a slice's kidney crops, computed in
// the background (one job at a time, QtConcurrent + QPromise, cancellable), cached in memory and
// on disk (a CamCache file per model in the user data folder), with the neighbouring slices
// prefetched.

#include "core/cases/KitsCase.h"
#include "core/compute/CamEngine.h"
#include "render/HeatmapLayer.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <map>
#include <set>
#include <memory>
#include <optional>
#include <vector>

namespace weaksight {
class KidneyCentres;
}

namespace weaksight::compute {
class CamCache;
}

namespace weaksight::ui {

/// The heatmaps of one slice: a patch per kidney crop, normalised per crop to [0, 1].
struct SliceHeatmaps {
    int slice = -1;
    std::vector<render::HeatmapPatch> patches;
    std::vector<std::string> sides;
    int degenerate = 0; ///< all-zero or non-finite maps (shown as empty, never as noise)
};

/// IoU of the slice's proposal {map > threshold} against the ground-truth lesion (tumour or cyst)
/// within the crop boxes; nullopt without heatmaps. Both empty counts as 1.
std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels, int slice,
                                              double threshold);

/// The next slice after `from` in `direction` (+1 / -1) that has lesion voxels, if any.
std::optional<int> nextLesionSlice(const LabelVolume& labels, int from, int direction);

class CamController : public QObject {
    Q_OBJECT
public:
    explicit CamController(QObject* parent = nullptr);
    ~CamController() override;

    /// Loads a model file (the project's format or a TorchScript file meeting the contract) in the
    /// background; modelLoaded or modelFailed follows.
    void loadModel(const QString& path, const QString& device = QStringLiteral("auto"));
    bool hasModel() const { return m_model != nullptr; }
    /// Uses the model (and disk cache) another controller has loaded: the comparison panes share
    /// one model in memory. Emits modelLoaded.
    void shareModel(const CamController& other);
    QString modelSummary() const { return m_modelSummary; }

    /// The case whose slices are requested next (owned jointly; cached maps of other cases stay).
    void setCase(std::shared_ptr<const LoadedCase> loaded);

    void setMethod(compute::CamMethod method);
    compute::CamMethod method() const { return m_options.method; }
    /// Each method keeps its own threshold (default 0.5).
    double threshold() const;
    void setThreshold(double threshold);
    void setCropSize(int pixels);
    int cropSize() const { return m_cropSize; }

    /// Shows a slice: heatmapsReady at once when cached, else after a background job (which
    /// replaces a job for another slice still running).
    void requestSlice(int slice);
    /// The heatmaps of a slice of the current case and method, when computed.
    const SliceHeatmaps* heatmaps(int slice) const;
    bool busy() const { return m_running; }
    /// Stops the running job and prefetching (until the next requestSlice).
    void cancel();

Q_SIGNALS:
    void modelLoaded(const QString& summary);
    void modelFailed(const QString& message);
    void heatmapsReady(int slice);
    /// Background progress: text, crops done, crops in the job (0 when idle).
    void progress(const QString& text, int done, int total);
    void computeFailed(const QString& message);

private:
    struct Job {
        int slice = -1;
        bool prefetch = false;
    };
    struct JobResult {
        int slice = -1;
        bool prefetch = false;
        std::string key;
        SliceHeatmaps heatmaps;
        std::shared_ptr<const KidneyCentres> centres;
        QString error;
        bool cancelled = false;
    };
    struct ModelLoad {
        std::shared_ptr<const compute::Classifier> model;
        std::shared_ptr<compute::CamCache> diskCache;
        QString summary;
        std::string hash;
        QString error;
    };
    std::string cacheKey(int slice) const;
    void adoptModel(const ModelLoad& loaded);
    void startJob(Job job);
    void onJobFinished();
    void startNext();

    std::shared_ptr<const compute::Classifier> m_model;
    QString m_modelSummary;
    std::string m_modelHash;
    std::shared_ptr<compute::CamCache> m_diskCache;
    std::shared_ptr<const LoadedCase> m_case;
    std::shared_ptr<const KidneyCentres> m_centres;
    compute::CamOptions m_options;
    std::map<compute::CamMethod, double> m_thresholds;
    int m_cropSize = 150;
    std::map<std::string, SliceHeatmaps> m_memory;
    int m_wantedSlice = -1;
    std::optional<Job> m_pending;
    bool m_running = false;
    std::string m_runningKey;
    bool m_prefetchStopped = false;
    std::set<std::string> m_failedKeys; ///< not retried automatically (one error message each)
    QFutureWatcher<JobResult> m_jobWatcher;
    QFutureWatcher<ModelLoad> m_modelWatcher;
};

} // namespace weaksight::ui
