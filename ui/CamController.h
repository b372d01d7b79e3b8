#pragma once

// UI model of the CAM overlay (ITK-SNAP's "UI model" layer: no widgets): the loaded classifier,
// the chosen method with its own threshold, and the heatmaps of a slice's kidney crops, computed in
// the background (one job at a time, QtConcurrent + QPromise, cancellable), cached in memory and
// on disk (a CamCache file per model in the user data folder), with the neighbouring slices
// prefetched.

#include "core/cases/KitsCase.h"
#include "core/compute/CamEngine.h"
#include "core/compute/Evaluation.h"
#include "render/HeatmapLayer.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace weaksight {
class KidneyCentres;
struct CropBox;
}

namespace weaksight::compute {
class CamCache;
}

namespace weaksight::ui {

/// The kidney crops of a slice the heatmaps are computed on: from the kidney centres when the case
/// has labels, else the centre of each half of the slice. The review decides on the same boxes.
/// `rows` x `cols` are the box's extent in slice pixels (CamController::cropExtent()).
std::vector<CropBox> cropBoxes(const LoadedCase& loaded, const KidneyCentres* centres, int slice, int rows, int cols);

/// The heatmaps of one slice: a patch per kidney crop, normalised as the controller is set
/// (per crop or per volume to [0, 1], or raw values).
struct SliceHeatmaps {
    int slice = -1;
    std::vector<render::HeatmapPatch> patches;
    std::vector<std::string> sides;
    int degenerate = 0; ///< all-zero or non-finite maps (drawn as nothing, their box in red)
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
    /// The loaded model's content hash, architecture and file (empty without a model).
    std::string modelHash() const { return m_modelHash; }
    std::string modelArchitecture() const;
    QString modelPath() const { return m_modelPath; }
    /// The method key of the current settings (method, layer, target, parameters).
    std::string methodKey() const;
    /// Layers the loaded model offers as CAM targets (empty without a model).
    QStringList targetLayers() const;

    /// The case whose slices are requested next (owned jointly; cached maps of other cases stay).
    void setCase(std::shared_ptr<const LoadedCase> loaded);

    void setMethod(compute::CamMethod method);
    compute::CamMethod method() const { return m_options.method; }
    /// "" = the model's own (last) stage.
    void setTargetLayer(const QString& layer);
    QString targetLayer() const { return QString::fromStdString(m_options.targetLayer); }
    /// Per crop (min-max of each crop), per volume (one min-max over every crop of the case: a
    /// whole-case job computes them first) or none (raw values; the threshold is absolute).
    void setNormalisation(compute::MapNormalisation normalisation);
    compute::MapNormalisation normalisation() const { return m_normalisation; }
    /// Score-CAM's masked forwards in float16 on a GPU (bfloat16, and slower, on the CPU); such
    /// maps are cached apart from float32 ones.
    void setScoreReducedPrecision(bool reduced);
    bool scoreReducedPrecision() const { return m_options.scoreReducedPrecision; }
    /// Whose definitions the maps follow (README: Reference flavours); part of each map's key, so
    /// cached maps and stored proposals of different flavours never mix. A method the flavour
    /// lacks fails with a message naming what it has.
    void setFlavour(compute::CamFlavour flavour);
    compute::CamFlavour flavour() const { return m_options.flavour; }
    /// Empty, or a sentence on the physical scale: the case's pixels against the spacing the model
    /// was trained at (or that it records none). The workstation cuts crops of the scan's own
    /// pixels; it does not resample yet, so such heatmaps show another scale than the model learned.
    QString physicalScaleNote() const;
    /// For the colour bar: method, normalisation and, per volume, the raw range.
    QString colorBarTitle() const;
    /// Each method keeps its own threshold (default 0.5).
    double threshold() const;
    void setThreshold(double threshold);
    void setThreshold(compute::CamMethod method, double threshold) { m_thresholds[method] = threshold; }
    void setCropSize(int pixels);
    int cropSize() const { return m_cropSize; }
    /// The crop box's extent in the case's slice pixels (rows, cols): the crop size, or, where the
    /// model records a pixel spacing the scan does not have, the slice pixels that hold the model's
    /// field of view (crops are then resampled to its spacing and the heatmaps mapped back, so
    /// patches, proposals and decisions stay on the slice grid).
    std::pair<int, int> cropExtent() const;

    /// Shows a slice: heatmapsReady at once when cached, else after a background job (which
    /// replaces a job for another slice still running).
    void requestSlice(int slice);
    /// The heatmaps of a slice of the current case and method, when computed.
    const SliceHeatmaps* heatmaps(int slice) const;
    /// One crop's map as computed (target-layer grid) and the normalisation shown: value shown =
    /// (bilinear upsample - low) / (high - low). Stored with decisions for the learned threshold.
    struct PatchHeatmap {
        compute::CamMap raw;
        double low = 0, high = 1;
    };
    std::optional<PatchHeatmap> patchHeatmap(int slice, int crop) const;
    bool busy() const { return m_running; }
    /// Stops the running job, prefetching and the probability scan (until the next requestSlice).
    void cancel();

    /// The classifier's lesion probability of a slice (the largest of its crops), once the
    /// background scan of the case (run when nothing else waits) has reached it.
    std::optional<float> lesionProbability(int slice) const;
    /// Slices of the current case scanned so far.
    int scannedSlices() const;
    /// The next slice after `from` in `direction` whose lesion probability exceeds `minimum`.
    std::optional<int> nextProbableLesionSlice(int from, int direction, double minimum = 0.5) const;

    /// The background lesion-probability scan (on by default; the comparison panes leave it to
    /// the main view's controller).
    void setProbabilityScanEnabled(bool enabled) { m_scanEnabled = enabled; }

    /// Bytes of heatmaps held in memory (least recently used slices go beyond the budget).
    size_t memoryBytes() const { return m_memoryBytes; }
    /// The case's kidney centres, once a heatmap job has built them (on its worker); null before.
    std::shared_ptr<const KidneyCentres> kidneyCentres() const { return m_centres; }
    void setMemoryBudget(size_t bytes);

Q_SIGNALS:
    void modelLoaded(const QString& summary);
    void modelFailed(const QString& message);
    void heatmapsReady(int slice);
    /// Background progress: text, steps done, steps in the job (0 when idle).
    void progress(const QString& text, int done, int total);
    void computeFailed(const QString& message);
    /// More slices of the current case have a lesion probability.
    void probabilitiesUpdated();

private:
    enum class JobKind { Slice, Prefetch, Volume, Scan };
    struct Job {
        JobKind kind = JobKind::Slice;
        int slice = -1; ///< Scan: the first slice of the chunk
    };
    /// A slice's maps as computed: upsampled, not normalised, with each patch's range.
    struct RawSlice {
        int slice = -1;
        std::vector<render::HeatmapPatch> patches;
        std::vector<std::string> sides;
        std::vector<std::pair<float, float>> ranges;
        std::vector<compute::CamMap> rawMaps; ///< at the target layer's resolution
        size_t bytes() const;
    };
    struct JobResult {
        Job job;
        std::string key;       ///< Slice / Prefetch: the slice's key
        std::vector<std::pair<std::string, RawSlice>> slices;
        std::optional<std::pair<float, float>> volumeRange;
        std::string volumeKey;
        std::vector<float> probabilities; ///< Scan: one per slice of the chunk
        std::string scanKey;
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
        int cropSize = 0; ///< from MODEL.training.json when present: the crops it was trained on
        QString path;
    };
    std::string cacheKey(int slice) const;
    std::string volumeKey() const;
    /// Slice pixels per crop pixel (rows, cols) where crops are resampled to the model's spacing.
    std::optional<std::pair<double, double>> resampleSteps() const;
    /// The crop size and its extent on the slice, for the keys of computed maps.
    std::string cropKey() const;
    std::string scanKey() const;
    void adoptModel(const ModelLoad& loaded);
    void startJob(Job job);
    void onJobFinished();
    void startNext();
    std::optional<Job> backgroundJob() const;
    void remember(const std::string& key, RawSlice slice);
    void touch(const std::string& key) const;
    void forget(const std::string& key);
    bool needsVolumeRange() const;

    std::shared_ptr<const compute::Classifier> m_model;
    QString m_modelSummary;
    std::string m_modelHash;
    QString m_modelPath;
    std::shared_ptr<compute::CamCache> m_diskCache;
    std::shared_ptr<const LoadedCase> m_case;
    std::shared_ptr<const KidneyCentres> m_centres;
    compute::CamOptions m_options;
    compute::MapNormalisation m_normalisation = compute::MapNormalisation::PerCrop;
    std::map<compute::CamMethod, double> m_thresholds;
    int m_cropSize = 150;

    // Memory cache of raw slices, least recently used first in m_lru.
    std::map<std::string, RawSlice> m_memory;
    mutable std::list<std::string> m_lru;
    /// Each key's place in m_lru: heatmaps() moves it to the back in O(1) on every repaint.
    mutable std::unordered_map<std::string, std::list<std::string>::iterator> m_lruPosition;
    mutable size_t m_memoryBytes = 0;
    size_t m_memoryBudget = size_t(256) << 20;
    std::map<std::string, std::pair<float, float>> m_volumeRanges;
    std::map<std::string, std::vector<float>> m_probabilities; ///< NaN: not scanned yet
    // Normalised copies handed out by heatmaps(), keyed by slice key + normalisation; dropped with
    // their raw slice (pointers stay valid until then).
    mutable std::map<std::string, SliceHeatmaps> m_normalised;

    int m_wantedSlice = -1;
    std::optional<Job> m_pending;
    bool m_running = false;
    std::string m_runningKey;
    bool m_backgroundStopped = false;
    bool m_scanEnabled = true;
    std::set<std::string> m_failedKeys; ///< not retried automatically (one error message each)
    QFutureWatcher<JobResult> m_jobWatcher;
    QFutureWatcher<ModelLoad> m_modelWatcher;
};

} // namespace weaksight::ui
