#pragma once

// UI model of the CAM overlay (ITK-SNAP's "UI model" layer: no widgets): the loaded classifier,
// the chosen method with its own threshold, and the heatmaps of a slice's kidney crops, computed in
// the background (one job at a time, QtConcurrent + QPromise, cancellable), cached in memory and
// on disk (a CamCache file per model in the user data folder), with the neighbouring slices
// prefetched.

#include "core/cases/KitsCase.h"
#include "core/compute/CamEngine.h"
#include "core/compute/Evaluation.h"
#include "core/dataset/KidneyCrops.h"
#include "core/review/CamSettings.h"
#include "core/review/HeatmapMemory.h"

#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QString>
#include <QStringList>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace weaksight::compute {
class CamCache;
class Segmenter;
}

namespace weaksight::render {
class HeatmapLayer;
}

namespace weaksight::ui {

class CamController;

/// Puts a slice's heatmaps on a view's layer: at once when computed, else clears the layer and asks
/// the controller for them (heatmapsReady follows). Returns them, or null while they are computed.
const review::SliceHeatmaps* placeHeatmaps(CamController& cams, render::HeatmapLayer& layer, int slice);

class CamController : public QObject {
    Q_OBJECT
public:
    explicit CamController(QObject* parent = nullptr);
    ~CamController() override;

    /// Loads a model file (the project's format or a TorchScript file meeting the contract) in the
    /// background; modelLoaded or modelFailed follows.
    void loadModel(const QString& path, const QString& device = QStringLiteral("auto"));
    bool hasModel() const { return m_model != nullptr; }
    /// Uses the model (and disk cache) and the U-Net another controller has loaded: the comparison
    /// panes share one copy in memory. Emits modelLoaded for a new model.
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

    /// Loads a U-Net (`evaluate --proposals all` saves them: unet-supervised.wss,
    /// unet-pseudo-labels.wss) in the background; segmenterLoaded or segmenterFailed follows. With
    /// the settings' segmenterMaps its lesion probability on the classifier's crops is shown
    /// instead of a CAM (the crops stay the classifier's: load a classifier too).
    void loadSegmenter(const QString& path, const QString& device = QStringLiteral("auto"));
    bool hasSegmenter() const { return m_segmenter != nullptr; }
    QString segmenterSummary() const { return m_segmenterSummary; }
    /// The loaded U-Net's content hash and file (empty without one).
    std::string segmenterHash() const { return m_segmenterHash; }
    QString segmenterPath() const { return m_segmenterPath; }
    /// What the maps shown come from: the classifier's CAM, or the U-Net with segmenterMaps.
    bool showsSegmenterMaps() const { return m_settings.segmenterMaps && m_segmenter; }

    /// The case whose slices are requested next (owned jointly; cached maps of other cases stay).
    void setCase(std::shared_ptr<const LoadedCase> loaded);

    /// Everything that decides the maps and the proposal, as one value (the toolbar edits it; the
    /// comparison panes take it whole). A change of the maps fetches the slice on screen again.
    void setSettings(const review::CamSettings& settings);
    const review::CamSettings& settings() const { return m_settings; }

    void setMethod(compute::CamMethod method);
    compute::CamMethod method() const { return m_settings.method; }
    /// "" = the model's own (last) stage.
    void setTargetLayer(const QString& layer);
    QString targetLayer() const { return QString::fromStdString(m_settings.targetLayer); }
    /// Per crop (min-max of each crop), per volume (one min-max over every crop of the case: a
    /// whole-case job computes them first) or none (raw values; the threshold is absolute).
    void setNormalisation(compute::MapNormalisation normalisation);
    compute::MapNormalisation normalisation() const { return m_settings.normalisation; }
    /// Score-CAM's masked forwards in float16 on a GPU (bfloat16, and slower, on the CPU); such
    /// maps are cached apart from float32 ones.
    void setScoreReducedPrecision(bool reduced);
    bool scoreReducedPrecision() const { return m_settings.scoreReducedPrecision; }
    /// Whose definitions the maps follow (README: Reference flavours); part of each map's key, so
    /// cached maps and stored proposals of different flavours never mix. A method the flavour
    /// lacks fails with a message naming what it has.
    void setFlavour(compute::CamFlavour flavour);
    compute::CamFlavour flavour() const { return m_settings.flavour; }
    /// Empty, or a sentence on the physical scale: the case's pixels against the spacing the model
    /// was trained at (or that it records none). The workstation cuts crops of the scan's own
    /// pixels; it does not resample yet, so such heatmaps show another scale than the model learned.
    QString physicalScaleNote() const;
    /// For the colour bar: method, normalisation and, per volume, the raw range.
    QString colorBarTitle() const;
    /// Each method keeps its own threshold (default 0.5).
    double threshold() const
    {
        return showsSegmenterMaps() ? m_settings.segmenterThreshold
                                    : m_settings.thresholdOf(m_settings.method);
    }
    /// How the proposals of `slice` are made: the settings' proposal kind on this case's CT.
    review::ProposalRule proposalRule(int slice) const
    {
        return {m_settings.proposalKind, m_case && m_case->imaging ? &*m_case->imaging : nullptr, slice};
    }
    void setThreshold(double threshold)
    {
        if (showsSegmenterMaps())
            m_settings.segmenterThreshold = threshold;
        else
            m_settings.thresholds[m_settings.method] = threshold;
    }
    void setThreshold(compute::CamMethod method, double threshold)
    {
        m_settings.thresholds[method] = threshold;
    }
    void setCropSize(int pixels);
    int cropSize() const { return m_settings.cropSize; }
    /// The crop box's extent in the case's slice pixels (rows, cols): the crop size, or, where the
    /// model records a pixel spacing the scan does not have, the slice pixels that hold the model's
    /// field of view (crops are then resampled to its spacing and the heatmaps mapped back, so
    /// patches, proposals and decisions stay on the slice grid).
    std::pair<int, int> cropExtent() const;
    /// How crops are cut for the model: its crop size, resampled to its pixel spacing where needed.
    CropSampling sampling() const;

    /// Shows a slice: heatmapsReady at once when cached, else after a background job (which
    /// replaces a job for another slice still running).
    void requestSlice(int slice);
    /// The heatmaps of a slice of the current case and method, when computed: each crop's box, map
    /// as computed and map as shown with its normalisation (stored with decisions).
    const review::SliceHeatmaps* heatmaps(int slice) const;
    /// heatmaps() of every slice of the case (null where not in memory), with one key computed.
    std::vector<const review::SliceHeatmaps*> heatmapsOfEverySlice() const;
    bool busy() const { return m_running; }
    /// Stops the running job, prefetching and the probability scan (until the next requestSlice).
    void cancel();

    /// The classifier's lesion probability of a slice (the largest of its crops), once the
    /// background scan of the case (run when nothing else waits) has reached it.
    std::optional<float> lesionProbability(int slice) const;
    /// Slices of the current case scanned so far.
    int scannedSlices() const;
    /// Every slice's lesion probability (NaN: not scanned yet); empty before the scan starts.
    std::vector<float> lesionProbabilities() const;
    /// The next slice after `from` in `direction` whose lesion probability exceeds `minimum`.
    std::optional<int> nextProbableLesionSlice(int from, int direction, double minimum = 0.5) const;

    /// Every slice's maps computed in the background (after the neighbours, before the probability
    /// scan; nearest the slice on screen first, in chunks, while memory stays within three quarters
    /// of its budget): the coronal and sagittal views stack them. Off by default.
    void setStackedSlicesWanted(bool wanted);
    bool stackedSlicesWanted() const { return m_stackWanted; }

    /// The background lesion-probability scan (on by default; the comparison panes leave it to
    /// the main view's controller).
    void setProbabilityScanEnabled(bool enabled) { m_scanEnabled = enabled; }

    /// Bytes of heatmaps held in memory (least recently used slices go beyond the budget).
    size_t memoryBytes() const { return m_memory.bytes(); }
    /// The case's kidney centres, once a heatmap job has built them (on its worker); null before.
    std::shared_ptr<const KidneyCentres> kidneyCentres() const { return m_centres; }
    void setMemoryBudget(size_t bytes);
    /// The crops the labeller placed on the case (cropsOnSlice's placements; the case's spacing);
    /// new placements fetch the slice's maps again (placementsChanged).
    void setPlacements(const std::vector<CropPlacement>& placements);
    const PlacedCrops& placedCrops() const { return m_placed; }

Q_SIGNALS:
    void modelLoaded(const QString& summary);
    void modelFailed(const QString& message);
    void segmenterLoaded(const QString& summary);
    void segmenterFailed(const QString& message);
    void heatmapsReady(int slice);
    /// Maps of more slices arrived in memory (any job): stacked views draw them.
    void heatmapsAdded();
    /// Background progress: text, steps done, steps in the job (0 when idle).
    void progress(const QString& text, int done, int total);
    void computeFailed(const QString& message);
    /// More slices of the current case have a lesion probability.
    void probabilitiesUpdated();
    void placementsChanged();

private:
    enum class JobKind { Slice, Prefetch, Volume, Scan, Stack };
    struct Job {
        JobKind kind = JobKind::Slice;
        int slice = -1; ///< Scan: the first slice of the chunk
        std::vector<int> slices; ///< Stack: the slices to compute
    };
    /// Everything a job's worker needs, by value: the controller may change (or go) meanwhile.
    struct JobInputs {
        Job job;
        std::string key;
        std::shared_ptr<const compute::Classifier> model;
        std::shared_ptr<compute::CamCache> diskCache;
        /// Set when the maps are the U-Net's probabilities instead of the classifier's CAMs.
        std::shared_ptr<const compute::Segmenter> segmenter;
        std::shared_ptr<const LoadedCase> loaded;
        std::shared_ptr<const KidneyCentres> centres;
        PlacedCrops placed;
        compute::CamOptions options;
        CropSampling sampling;
        int extentRows = 0, extentCols = 0; ///< the crop's box on the slice (sampling.extent())
        std::string volumeKey, scanKey;
        /// Slices a whole-volume job takes from memory instead of recomputing: their ranges.
        std::map<int, std::pair<float, float>> known;
    };
    struct JobResult {
        Job job;
        std::string key; ///< Slice / Prefetch: the slice's key
        std::vector<std::pair<std::string, review::RawSliceMaps>> slices;
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
    static ModelLoad readModel(const QString& path, const QString& device);
    struct SegmenterLoad {
        std::shared_ptr<const compute::Segmenter> segmenter;
        std::string hash;
        QString summary, error, path;
    };
    static SegmenterLoad readSegmenter(const QString& path, const QString& device);
    static void runJob(const JobInputs& in, QPromise<JobResult>& promise);
    static void runScanJob(const JobInputs& in, QPromise<JobResult>& promise, JobResult& result);
    /// A crop as the model reads it, cut as the dataset builder cuts it (the same keys as
    /// `evaluate` and cam-batch): its own plane and a 2.5D model's context planes.
    static compute::Image2D modelCrop(const JobInputs& in, int slice, const CropBox& box,
                                      const compute::SliceContext& context);
    static void runMapsJob(const JobInputs& in, QPromise<JobResult>& promise, JobResult& result);
    static review::CropHeatmap cropHeatmap(const JobInputs& in, int slice, const KidneyCrop& crop,
                                           QPromise<JobResult>& promise, const QString& step, int done);

    compute::CamOptions camOptions() const;
    std::string cacheKey(int slice) const;
    std::string volumeKey() const;
    /// The crop size and its extent on the slice, for the keys of computed maps.
    std::string cropKey() const;
    std::string scanKey() const;
    JobInputs jobInputs(Job job) const;
    void adoptModel(const ModelLoad& loaded);
    void startJob(Job job);
    void onJobFinished();
    void adoptScan(const JobResult& result);
    void startNext();
    void refetch();
    std::optional<Job> backgroundJob() const;
    bool needsVolumeRange() const;
    /// The normalisation the maps are shown with: none for the U-Net's probabilities.
    compute::MapNormalisation shownNormalisation() const
    {
        return showsSegmenterMaps() ? compute::MapNormalisation::None : m_settings.normalisation;
    }

    std::shared_ptr<const compute::Classifier> m_model;
    QString m_modelSummary;
    std::string m_modelHash;
    QString m_modelPath;
    std::shared_ptr<compute::CamCache> m_diskCache;
    std::shared_ptr<const compute::Segmenter> m_segmenter;
    std::string m_segmenterHash;
    QString m_segmenterSummary, m_segmenterPath;
    std::shared_ptr<const LoadedCase> m_case;
    std::shared_ptr<const KidneyCentres> m_centres;
    PlacedCrops m_placed;
    review::CamSettings m_settings;

    review::HeatmapMemory m_memory;
    std::map<std::string, std::pair<float, float>> m_volumeRanges;
    std::map<std::string, std::vector<float>> m_probabilities; ///< NaN: not scanned yet

    int m_wantedSlice = -1;
    std::optional<Job> m_pending;
    bool m_running = false;
    std::string m_runningKey;
    bool m_backgroundStopped = false;
    bool m_scanEnabled = true;
    bool m_stackWanted = false;
    std::set<std::string> m_failedKeys; ///< not retried automatically (one error message each)
    QFutureWatcher<JobResult> m_jobWatcher;
    QFutureWatcher<ModelLoad> m_modelWatcher;
    QFutureWatcher<SegmenterLoad> m_segmenterWatcher;
};

} // namespace weaksight::ui
