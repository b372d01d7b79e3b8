#include "ui/CamController.h"

#include "core/common/Log.h"
#include "core/compute/CamCache.h"
#include "core/compute/CropDataset.h"
#include "core/compute/PhysicalScale.h"
#include "core/compute/Segmenter.h"
#include "core/dataset/KidneyCrops.h"
#include "core/research/TrainingReport.h"
#include "render/HeatmapLayer.h"

#include <QPromise>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <spdlog/spdlog.h>

namespace weaksight::ui {

namespace fs = std::filesystem;

namespace {

/// CAM jobs run on their own threads, so a slow Score-CAM never holds up case loading (which uses
/// Qt's global pool). Two threads: the comparison's panes queue behind each other.
QThreadPool& camThreadPool()
{
    static QThreadPool* pool = [] {
        auto* p = new QThreadPool;
        p->setMaxThreadCount(2);
        return p;
    }();
    return *pool;
}

/// One CamCache per model file in this process: the file's lock admits one writer, so a model
/// loaded twice (or by two windows) shares the open cache instead of falling back to memory.
std::shared_ptr<compute::CamCache> openDiskCache(const std::string& hash)
{
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<compute::CamCache>> open;
    const std::lock_guard lock(mutex);
    if (auto existing = open[hash].lock())
        return existing;
    auto cache =
        std::make_shared<compute::CamCache>(logging::userDataDirectory() / "cams" / (hash + ".wscam"), hash);
    open[hash] = cache;
    return cache;
}

constexpr int kScanChunk = 8; ///< slices per probability-scan job (jobs stay short: a click waits for one)
constexpr size_t kStackChunk = 4; ///< slices per stacked-maps job (a Score-CAM slice takes seconds on a CPU)

} // namespace

const review::SliceHeatmaps* placeHeatmaps(CamController& cams, render::HeatmapLayer& layer, int slice)
{
    const review::SliceHeatmaps* maps = cams.heatmaps(slice);
    if (maps) {
        layer.setPatches(maps->crops);
        return maps;
    }
    layer.clear();
    cams.requestSlice(slice);
    return nullptr;
}

CamController::CamController(QObject* parent)
    : QObject(parent)
{
    connect(&m_jobWatcher, &QFutureWatcher<JobResult>::finished, this, &CamController::onJobFinished);
    connect(&m_jobWatcher, &QFutureWatcher<JobResult>::progressValueChanged, this, [this](int done) {
        Q_EMIT progress(m_jobWatcher.progressText(), done, m_jobWatcher.progressMaximum());
    });
    connect(&m_modelWatcher, &QFutureWatcher<ModelLoad>::finished, this, [this] {
        const ModelLoad loaded = m_modelWatcher.result();
        if (!loaded.model) {
            Q_EMIT modelFailed(loaded.error);
            return;
        }
        adoptModel(loaded);
    });
    connect(&m_segmenterWatcher, &QFutureWatcher<SegmenterLoad>::finished, this, [this] {
        const SegmenterLoad loaded = m_segmenterWatcher.result();
        if (!loaded.segmenter) {
            Q_EMIT segmenterFailed(loaded.error);
            return;
        }
        cancel();
        m_segmenter = loaded.segmenter;
        m_segmenterHash = loaded.hash;
        m_segmenterSummary = loaded.summary;
        m_segmenterPath = loaded.path;
        Q_EMIT segmenterLoaded(m_segmenterSummary);
        if (m_settings.segmenterMaps)
            refetch();
    });
}

CamController::~CamController()
{
    // The jobs hold their own references to model, case and cache: nothing here waits for a crop
    // still being computed; its result is dropped with the watcher.
    m_jobWatcher.cancel();
    disconnect(&m_jobWatcher, nullptr, this, nullptr);
    disconnect(&m_modelWatcher, nullptr, this, nullptr);
    disconnect(&m_segmenterWatcher, nullptr, this, nullptr);
}

void CamController::adoptModel(const ModelLoad& loaded)
{
    cancel();
    m_model = loaded.model;
    m_diskCache = loaded.diskCache;
    m_modelSummary = loaded.summary;
    m_modelHash = loaded.hash;
    m_modelPath = loaded.path;
    if (loaded.cropSize >= 8)
        m_settings.cropSize = loaded.cropSize;
    m_memory.clear();
    m_failedKeys.clear();
    // A layer the new model lacks falls back to its own.
    const auto layers = m_model->targetLayers();
    if (std::find(layers.begin(), layers.end(), m_settings.targetLayer) == layers.end())
        m_settings.targetLayer.clear();
    Q_EMIT modelLoaded(m_modelSummary);
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

CamController::ModelLoad CamController::readModel(const QString& path, const QString& device)
{
    ModelLoad result;
    result.path = path;
    try {
        auto model = std::make_shared<compute::Classifier>(
            compute::Classifier::load(path.toStdString(), device.toStdString()));
        const std::string hash = model->contentHash();
        result.hash = hash;
        result.summary =
            tr("%1 (%2, %3, %4)")
                .arg(QString::fromStdString(fs::path(path.toStdString()).filename().string()),
                     QString::fromStdString(model->description().architecture),
                     QString::fromStdString(hash.substr(0, 8)), QString::fromStdString(model->deviceName()));
        try {
            result.diskCache = openDiskCache(hash);
        } catch (const std::exception& e) {
            // Another process holds it, or the folder is not writable: work from memory only.
            spdlog::warn("heatmap disk cache unavailable: {}", e.what());
        }
        // The crop size the model was trained on (written by `weaksight train` and the demo).
        result.cropSize = trainedCropRows(path.toStdString());
        result.model = std::move(model);
    } catch (const std::bad_alloc&) {
        result.error = tr("Not enough memory to load the model %1.").arg(path);
    } catch (const std::exception& e) {
        result.error = QString::fromStdString(e.what());
    }
    return result;
}

CamController::SegmenterLoad CamController::readSegmenter(const QString& path, const QString& device)
{
    SegmenterLoad result;
    result.path = path;
    try {
        auto segmenter = std::make_shared<compute::Segmenter>(
            compute::Segmenter::load(path.toStdString(), device.toStdString()));
        result.hash = segmenter->contentHash();
        result.summary = tr("U-Net %1 (%2, %3)")
                             .arg(QString::fromStdString(fs::path(path.toStdString()).filename().string()),
                                  QString::fromStdString(segmenter->description().trainedOn),
                                  QString::fromStdString(result.hash.substr(0, 8)));
        result.segmenter = std::move(segmenter);
    } catch (const std::bad_alloc&) {
        result.error = tr("Not enough memory to load the U-Net %1.").arg(path);
    } catch (const std::exception& e) {
        result.error = QString::fromStdString(e.what());
    }
    return result;
}

void CamController::loadSegmenter(const QString& path, const QString& device)
{
    m_segmenterWatcher.setFuture(
        QtConcurrent::run(&camThreadPool(), [path, device] { return readSegmenter(path, device); }));
}

void CamController::loadModel(const QString& path, const QString& device)
{
    m_modelWatcher.setFuture(
        QtConcurrent::run(&camThreadPool(), [path, device] { return readModel(path, device); }));
}

void CamController::shareModel(const CamController& other)
{
    if (other.m_segmenter && m_segmenter != other.m_segmenter) { // the U-Net too: one copy in memory
        cancel();
        m_segmenter = other.m_segmenter;
        m_segmenterHash = other.m_segmenterHash;
        m_segmenterSummary = other.m_segmenterSummary;
        m_segmenterPath = other.m_segmenterPath;
    }
    if (!other.m_model)
        return;
    if (m_model == other.m_model)
        return; // already sharing it: keep the computed maps
    adoptModel({other.m_model, other.m_diskCache, other.m_modelSummary, other.m_modelHash, QString(),
                other.m_settings.cropSize, other.m_modelPath});
}

std::string CamController::modelArchitecture() const
{
    return m_model ? m_model->description().architecture : std::string();
}

compute::CamOptions CamController::camOptions() const
{
    compute::CamOptions options;
    options.method = m_settings.method;
    options.flavour = m_settings.flavour;
    options.targetLayer = m_settings.targetLayer;
    options.scoreReducedPrecision = m_settings.scoreReducedPrecision;
    options.smoothSamples = m_settings.smoothSamples;
    options.smoothNoise = m_settings.smoothNoise;
    return options;
}

std::string CamController::methodKey() const
{
    if (showsSegmenterMaps())
        return "unet@" + m_segmenterHash;
    return compute::camMethodKey(camOptions(), m_model ? m_model->description().targetLayer : std::string());
}

QStringList CamController::targetLayers() const
{
    QStringList layers;
    if (m_model)
        for (const auto& layer : m_model->targetLayers())
            layers << QString::fromStdString(layer);
    return layers;
}

void CamController::setCase(std::shared_ptr<const LoadedCase> loaded)
{
    cancel();
    m_case = std::move(loaded);
    m_centres.reset();
    m_placed = {};
    m_wantedSlice = -1;
    m_failedKeys.clear();
}

void CamController::setPlacements(const std::vector<CropPlacement>& placements)
{
    if (!m_case)
        return;
    const auto spacing = m_case->geometry().canonicalSpacing();
    PlacedCrops placed{placements, spacing[1], spacing[2]};
    // One order (right, then left), so the same placements make the same keys.
    std::sort(placed.placements.begin(), placed.placements.end(),
              [](const CropPlacement& a, const CropPlacement& b) { return a.side > b.side; });
    if (placed == m_placed)
        return;
    m_placed = std::move(placed);
    refetch();
    Q_EMIT placementsChanged();
}

void CamController::refetch()
{
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setSettings(const review::CamSettings& settings)
{
    review::CamSettings next = settings;
    next.cropSize = std::max(8, settings.cropSize);
    // The model's own stage is named "" in the keys, so both spellings share their maps.
    if (m_model && next.targetLayer == m_model->description().targetLayer)
        next.targetLayer.clear();
    const bool sameMaps = next.sameMaps(m_settings);
    m_settings = std::move(next);
    if (!sameMaps)
        refetch();
}

void CamController::setMethod(compute::CamMethod method)
{
    auto settings = m_settings;
    settings.method = method;
    setSettings(settings);
}

void CamController::setTargetLayer(const QString& layer)
{
    auto settings = m_settings;
    settings.targetLayer = layer.toStdString();
    setSettings(settings);
}

void CamController::setScoreReducedPrecision(bool reduced)
{
    auto settings = m_settings;
    settings.scoreReducedPrecision = reduced;
    setSettings(settings);
}

void CamController::setFlavour(compute::CamFlavour flavour)
{
    auto settings = m_settings;
    settings.flavour = flavour;
    setSettings(settings);
}

void CamController::setNormalisation(compute::MapNormalisation normalisation)
{
    auto settings = m_settings;
    settings.normalisation = normalisation;
    setSettings(settings);
}

void CamController::setCropSize(int pixels)
{
    auto settings = m_settings;
    settings.cropSize = pixels;
    setSettings(settings);
}

CropSampling CamController::sampling() const
{
    if (!m_model || !m_case)
        return {m_settings.cropSize, std::nullopt};
    const auto spacing = m_case->geometry().canonicalSpacing();
    return cropSampling(m_model->description(), m_settings.cropSize, spacing[1], spacing[2]);
}

std::pair<int, int> CamController::cropExtent() const
{
    return sampling().extent();
}

std::string CamController::cropKey() const
{
    const auto [rows, cols] = cropExtent();
    std::string key =
        std::to_string(m_settings.cropSize) + "|" + std::to_string(rows) + "x" + std::to_string(cols);
    for (const auto& p : m_placed.placements) // placed crops are other boxes: other maps
        key += "|" + p.side + "@" + std::to_string(p.rowMm) + "," + std::to_string(p.colMm);
    // The kidney labels place the crops: another segmentation or table of the same CT, other boxes.
    if (m_case && m_case->files.segmentation)
        key += "|" + m_case->files.segmentation->string() + "|" + m_case->files.labelTable.source();
    return key;
}

QString CamController::physicalScaleNote() const
{
    if (!m_model || !m_case)
        return {};
    const auto spacing = m_case->geometry().canonicalSpacing();
    const auto& description = m_model->description();
    if (sampling().steps) {
        const auto [rows, cols] = cropExtent();
        return tr("crops resampled to the model's %1 mm pixels (this scan's are %2 mm): each %3-pixel crop "
                  "is cut "
                  "from %4 x %5 scan pixels, %6 mm across")
            .arg(description.pixelSpacingMm, 0, 'f', 2)
            .arg(std::max(spacing[1], spacing[2]), 0, 'f', 2)
            .arg(m_settings.cropSize)
            .arg(rows)
            .arg(cols)
            .arg(m_settings.cropSize * description.pixelSpacingMm, 0, 'f', 0);
    }
    return QString::fromStdString(compute::physicalScaleNote(description, m_settings.cropSize,
                                                             m_settings.cropSize, spacing[1], spacing[2]));
}

QString CamController::colorBarTitle() const
{
    if (showsSegmenterMaps())
        return tr("U-Net\n(lesion probability)");
    QString method = QString::fromStdString(compute::toString(m_settings.method));
    if (m_settings.flavour != compute::CamFlavour::Weaksight)
        method += QStringLiteral(" [%1]").arg(QString::fromStdString(compute::toString(m_settings.flavour)));
    switch (m_settings.normalisation) {
    case compute::MapNormalisation::PerCrop:
        return tr("%1\n(per crop)").arg(method);
    case compute::MapNormalisation::PerCase: {
        const auto it = m_volumeRanges.find(volumeKey());
        return it == m_volumeRanges.end() ? tr("%1\n(per volume)").arg(method)
                                          : tr("%1\n(per volume,\nraw %2–%3)")
                                                .arg(method)
                                                .arg(it->second.first, 0, 'g', 3)
                                                .arg(it->second.second, 0, 'g', 3);
    }
    case compute::MapNormalisation::None:
        return tr("%1\n(raw values)").arg(method);
    }
    return method;
}

void CamController::setMemoryBudget(size_t bytes)
{
    m_memory.setBudget(bytes);
}

std::string CamController::volumeKey() const
{
    // The case's folder, not just its id: two datasets both have a case_00000.
    return (m_case ? m_case->files.directory.string() + "/" + m_case->files.caseId : std::string()) + "|" +
           cropKey() + "|" + m_modelHash + "|" + methodKey();
}

std::string CamController::cacheKey(int slice) const
{
    return volumeKey() + "|" + std::to_string(slice);
}

std::string CamController::scanKey() const
{
    return (m_case ? m_case->files.directory.string() + "/" + m_case->files.caseId : std::string()) + "|" +
           cropKey() + "|" + m_modelHash;
}

bool CamController::needsVolumeRange() const
{
    return shownNormalisation() == compute::MapNormalisation::PerCase && !m_volumeRanges.count(volumeKey());
}

const review::SliceHeatmaps* CamController::heatmaps(int slice) const
{
    if (needsVolumeRange())
        return nullptr;
    const auto volume = shownNormalisation() == compute::MapNormalisation::PerCase
                            ? m_volumeRanges.at(volumeKey())
                            : std::make_pair(0.f, 1.f);
    return m_memory.shown(cacheKey(slice), shownNormalisation(), volume);
}

std::vector<const review::SliceHeatmaps*> CamController::heatmapsOfEverySlice() const
{
    std::vector<const review::SliceHeatmaps*> maps;
    if (!m_case || !m_case->imaging || needsVolumeRange())
        return maps;
    const auto volume = shownNormalisation() == compute::MapNormalisation::PerCase
                            ? m_volumeRanges.at(volumeKey())
                            : std::make_pair(0.f, 1.f);
    const std::string prefix = volumeKey() + "|";
    maps.reserve(static_cast<size_t>(m_case->imaging->slices()));
    for (int k = 0; k < m_case->imaging->slices(); ++k) {
        const std::string key = prefix + std::to_string(k);
        // Not marked as used: stacking every slice must not reorder what the memory evicts first.
        maps.push_back(m_memory.contains(key) ? m_memory.shown(key, shownNormalisation(), volume, false)
                                              : nullptr);
    }
    return maps;
}

std::optional<float> CamController::lesionProbability(int slice) const
{
    const auto it = m_probabilities.find(scanKey());
    if (it == m_probabilities.end() || slice < 0 || slice >= static_cast<int>(it->second.size()) ||
        std::isnan(it->second[static_cast<size_t>(slice)]))
        return std::nullopt;
    return it->second[static_cast<size_t>(slice)];
}

std::vector<float> CamController::lesionProbabilities() const
{
    const auto it = m_probabilities.find(scanKey());
    return it == m_probabilities.end() ? std::vector<float>{} : it->second;
}

int CamController::scannedSlices() const
{
    const auto it = m_probabilities.find(scanKey());
    if (it == m_probabilities.end())
        return 0;
    return static_cast<int>(
        std::count_if(it->second.begin(), it->second.end(), [](float p) { return !std::isnan(p); }));
}

std::optional<int> CamController::nextProbableLesionSlice(int from, int direction, double minimum) const
{
    const auto it = m_probabilities.find(scanKey());
    if (it == m_probabilities.end())
        return std::nullopt;
    const auto& p = it->second;
    for (int k = from + direction; k >= 0 && k < static_cast<int>(p.size()); k += direction)
        if (!std::isnan(p[static_cast<size_t>(k)]) && p[static_cast<size_t>(k)] > minimum)
            return k;
    return std::nullopt;
}

void CamController::requestSlice(int slice)
{
    m_wantedSlice = slice;
    m_backgroundStopped = false;
    if (!m_model || !m_case || !m_case->imaging)
        return;
    if (heatmaps(slice)) {
        Q_EMIT heatmapsReady(slice);
        if (!m_running) // the probability scan may still have work
            startNext();
        return;
    }
    const bool volume = needsVolumeRange();
    const std::string key = volume ? "volume|" + volumeKey() : cacheKey(slice);
    if (m_failedKeys.count(key))
        return; // its error was shown once; a new model, case or method tries again
    if (m_running && m_runningKey == key) {
        m_pending.reset(); // already being computed (e.g. a prefetch): just wait for it
        return;
    }
    m_pending = Job{volume ? JobKind::Volume : JobKind::Slice, slice, {}};
    if (m_running)
        m_jobWatcher.cancel(); // a stale slice: its job stops between crops
    else
        startNext();
}

void CamController::setStackedSlicesWanted(bool wanted)
{
    if (m_stackWanted == wanted)
        return;
    m_stackWanted = wanted;
    // Showing a stack asks for background work, even after a cancel (leaving the comparison).
    if (wanted) {
        m_backgroundStopped = false;
        if (!m_running)
            startNext();
    }
}

void CamController::cancel()
{
    m_pending.reset();
    m_backgroundStopped = true;
    if (m_running)
        m_jobWatcher.cancel();
}

std::optional<CamController::Job> CamController::backgroundJob() const
{
    if (m_backgroundStopped || m_wantedSlice < 0 || !m_model || !m_case || !m_case->imaging)
        return std::nullopt;
    // First the neighbours of the slice on screen, then the lesion-probability scan of the case.
    if (!needsVolumeRange())
        for (int neighbour : {m_wantedSlice + 1, m_wantedSlice - 1})
            if (neighbour >= 0 && neighbour < m_case->imaging->slices() &&
                !m_memory.contains(cacheKey(neighbour)) && !m_failedKeys.count(cacheKey(neighbour)))
                return Job{JobKind::Prefetch, neighbour, {}};
    if (m_stackWanted && !needsVolumeRange() && m_memory.bytes() < m_memory.budget() / 4 * 3) {
        // Outwards from the slice on screen: the stacked views fill around the crosshair first.
        Job stack{JobKind::Stack, -1, {}};
        const int slices = m_case->imaging->slices();
        for (int distance = 2; distance < slices && stack.slices.size() < kStackChunk; ++distance)
            for (int k : {m_wantedSlice + distance, m_wantedSlice - distance})
                if (k >= 0 && k < slices && stack.slices.size() < kStackChunk &&
                    !m_memory.contains(cacheKey(k)) && !m_failedKeys.count(cacheKey(k)))
                    stack.slices.push_back(k);
        if (!stack.slices.empty()) {
            stack.slice = stack.slices.front();
            return stack;
        }
    }
    if (!m_scanEnabled || m_failedKeys.count("scan|" + scanKey()))
        return std::nullopt;
    const auto it = m_probabilities.find(scanKey());
    for (int k = 0; k < m_case->imaging->slices(); ++k)
        if (it == m_probabilities.end() || std::isnan(it->second[static_cast<size_t>(k)]))
            return Job{JobKind::Scan, k, {}};
    return std::nullopt;
}

void CamController::startNext()
{
    if (m_running)
        return;
    if (!m_pending)
        m_pending = backgroundJob();
    if (!m_pending)
        return;
    const Job job = *m_pending;
    m_pending.reset();
    startJob(job);
}

CamController::JobInputs CamController::jobInputs(Job job) const
{
    JobInputs in;
    in.job = job;
    in.key = job.kind == JobKind::Volume  ? "volume|" + volumeKey()
             : job.kind == JobKind::Scan  ? "scan|" + scanKey()
             : job.kind == JobKind::Stack ? "stack|" + cacheKey(job.slice)
                                          : cacheKey(job.slice);
    in.model = m_model;
    in.diskCache = m_diskCache;
    if (showsSegmenterMaps())
        in.segmenter = m_segmenter;
    in.loaded = m_case;
    in.centres = m_centres;
    in.placed = m_placed;
    in.options = camOptions();
    // The model's physical scale: boxes of `extent` slice pixels resampled to cropSize pixels.
    in.sampling = sampling();
    std::tie(in.extentRows, in.extentCols) = in.sampling.extent();
    in.volumeKey = volumeKey();
    in.scanKey = scanKey();
    if (job.kind == JobKind::Volume)
        for (int k = 0; k < m_case->imaging->slices(); ++k)
            if (const auto* raw = m_memory.raw(cacheKey(k)))
                for (const auto& crop : raw->crops) {
                    auto& [low, high] =
                        in.known.try_emplace(k, std::make_pair(crop.low, crop.high)).first->second;
                    low = std::min(low, crop.low);
                    high = std::max(high, crop.high);
                }
    return in;
}

void CamController::startJob(Job job)
{
    m_running = true;
    const JobInputs in = jobInputs(job);
    m_runningKey = in.key;
    m_jobWatcher.setFuture(
        QtConcurrent::run(&camThreadPool(), [in](QPromise<JobResult>& promise) { runJob(in, promise); }));
}

void CamController::runJob(const JobInputs& in, QPromise<JobResult>& promise)
{
    JobResult result;
    result.job = in.job;
    result.key = in.key;
    result.volumeKey = in.volumeKey;
    result.scanKey = in.scanKey;
    try {
        result.centres = in.centres;
        if (!result.centres && in.loaded->labels)
            result.centres = std::make_shared<const KidneyCentres>(*in.loaded->labels);
        if (in.job.kind == JobKind::Scan)
            runScanJob(in, promise, result);
        else
            runMapsJob(in, promise, result);
    } catch (const compute::CamCancelled&) {
        result.cancelled = true;
    } catch (const std::bad_alloc&) {
        result.error = tr("Out of memory while computing heatmaps.");
    } catch (const std::exception& e) {
        result.error = QString::fromStdString(e.what());
    }
    promise.addResult(result);
}

compute::Image2D CamController::modelCrop(const JobInputs& in, int slice, const CropBox& box,
                                          const compute::SliceContext& context)
{
    return cutCropForModel(*in.loaded->imaging, slice, box, in.sampling, context);
}

namespace {

/// A crop's heatmap from its map as computed, upsampled onto the box's slice pixels (the crop's own
/// size unless resampled).
review::CropHeatmap heatmapOf(const KidneyCrop& crop, const compute::CamMap& raw, bool degenerate,
                              int extentRows, int extentCols)
{
    review::CropHeatmap heatmap;
    heatmap.box = crop.box;
    heatmap.side = crop.side;
    heatmap.raw = raw;
    heatmap.degenerate = degenerate;
    compute::CamMap shown = compute::upsampleBilinear(raw, extentRows, extentCols);
    heatmap.low = shown.min();
    heatmap.high = shown.max();
    heatmap.values = std::move(shown.values);
    return heatmap;
}

std::vector<KidneyCrop> jobCrops(const LoadedCase& loaded, const KidneyCentres* centres,
                                 const PlacedCrops& placed, int slice, int rows, int cols)
{
    return cropsOnSlice(centres, slice, loaded.imaging->rows(), loaded.imaging->cols(), rows, cols, placed);
}

} // namespace

void CamController::runScanJob(const JobInputs& in, QPromise<JobResult>& promise, JobResult& result)
{
    const CtVolume& ct = *in.loaded->imaging;
    const int first = in.job.slice, end = std::min(ct.slices(), first + kScanChunk);
    promise.setProgressRange(0, ct.slices());
    promise.setProgressValueAndText(
        first, tr("lesion probability: slice %1 of 0–%2").arg(first).arg(ct.slices() - 1));
    std::vector<compute::Image2D> crops;
    std::vector<int> sliceOf;
    for (int k = first; k < end; ++k)
        for (const auto& crop :
             jobCrops(*in.loaded, result.centres.get(), in.placed, k, in.extentRows, in.extentCols)) {
            crops.push_back(modelCrop(in, k, crop.box, in.model->description().context));
            sliceOf.push_back(k);
        }
    result.probabilities.assign(static_cast<size_t>(end - first), 0.0f);
    if (!crops.empty() && !promise.isCanceled()) {
        const auto p = in.model->lesionProbability(crops);
        for (size_t i = 0; i < p.size(); ++i) {
            float& slot = result.probabilities[static_cast<size_t>(sliceOf[i] - first)];
            slot = std::max(slot, p[i]);
        }
    }
    result.cancelled = promise.isCanceled();
}

review::CropHeatmap CamController::cropHeatmap(const JobInputs& in, int slice, const KidneyCrop& crop,
                                               QPromise<JobResult>& promise, const QString& step, int done)
{
    if (in.segmenter) { // the U-Net's lesion probability on the crop's own plane
        const compute::Image2D input = modelCrop(in, slice, crop.box, {});
        const int size = in.sampling.cropSize;
        const compute::CamMap probability{size, size, in.segmenter->predict({input}).front()};
        return heatmapOf(crop, probability, false, in.extentRows, in.extentCols);
    }
    const compute::Image2D input = modelCrop(in, slice, crop.box, in.model->description().context);
    compute::CamOptions options = in.options;
    // Score-CAM on a CPU takes seconds to minutes per crop: its masked inputs are the progress,
    // and Cancel stops it between chunks.
    options.progress = [&promise, &step, done](int64_t inputs, int64_t of) {
        promise.setProgressValueAndText(done * 100 +
                                            static_cast<int>(100 * inputs / std::max<int64_t>(of, 1)),
                                        tr("%1 (masked inputs %2 of %3)").arg(step).arg(inputs).arg(of));
        return !promise.isCanceled();
    };
    // Keyed as the dataset builder keys its crops, so the disk cache is shared with `weaksight
    // evaluate` and cam-batch.
    const compute::CropSource source{1, [&](size_t) { return compute::cropContentKey(input); },
                                     [&](size_t) {
                                         return input;
                                     }};
    const compute::CamResult cam =
        compute::cachedCams(*in.model, source, options, in.diskCache.get(), 1, {}, nullptr, nullptr).front();
    return heatmapOf(crop, cam.raw, cam.degenerate, in.extentRows, in.extentCols);
}

void CamController::runMapsJob(const JobInputs& in, QPromise<JobResult>& promise, JobResult& result)
{
    const CtVolume& ct = *in.loaded->imaging;
    const QString methodName =
        in.segmenter ? tr("U-Net") : QString::fromStdString(compute::toString(in.options.method));
    std::vector<int> slices;
    if (in.job.kind == JobKind::Volume)
        for (int k = 0; k < ct.slices(); ++k)
            slices.push_back(k);
    else if (in.job.kind == JobKind::Stack)
        slices = in.job.slices;
    else
        slices.push_back(in.job.slice);
    std::vector<std::vector<KidneyCrop>> crops;
    int total = 0;
    for (int k : slices) {
        crops.push_back(in.known.count(k) ? std::vector<KidneyCrop>{}
                                          : jobCrops(*in.loaded, result.centres.get(), in.placed, k,
                                                     in.extentRows, in.extentCols));
        total += static_cast<int>(crops.back().size());
    }
    // Hundredths of a crop: Score-CAM reports its masked inputs within a crop.
    promise.setProgressRange(0, std::max(total, 1) * 100);
    float volumeLow = std::numeric_limits<float>::max(), volumeHigh = std::numeric_limits<float>::lowest();
    for (const auto& [k, range] : in.known) {
        volumeLow = std::min(volumeLow, range.first);
        volumeHigh = std::max(volumeHigh, range.second);
    }
    int done = 0;
    for (size_t s = 0; s < slices.size() && !result.cancelled; ++s) {
        review::RawSliceMaps raw;
        raw.slice = slices[s];
        for (size_t b = 0; b < crops[s].size(); ++b, ++done) {
            if (promise.isCanceled()) {
                result.cancelled = true;
                break;
            }
            const QString step =
                in.job.kind == JobKind::Volume
                    ? tr("%1 per volume: crop %2 of %3").arg(methodName).arg(done + 1).arg(total)
                : in.job.kind == JobKind::Stack
                    ? tr("%1 for the coronal and sagittal views: slice %2").arg(methodName).arg(raw.slice)
                    : tr("%1: crop %2 of %3, slice %4")
                          .arg(methodName)
                          .arg(b + 1)
                          .arg(crops[s].size())
                          .arg(raw.slice);
            promise.setProgressValueAndText(done * 100, step);
            raw.crops.push_back(cropHeatmap(in, raw.slice, crops[s][b], promise, step, done));
            if (!raw.crops.back().degenerate) {
                volumeLow = std::min(volumeLow, raw.crops.back().low);
                volumeHigh = std::max(volumeHigh, raw.crops.back().high);
            }
        }
        if (!result.cancelled && !in.known.count(raw.slice))
            result.slices.emplace_back(in.volumeKey + "|" + std::to_string(raw.slice), std::move(raw));
    }
    if (in.job.kind == JobKind::Volume && !result.cancelled)
        result.volumeRange =
            volumeHigh >= volumeLow ? std::make_pair(volumeLow, volumeHigh) : std::make_pair(0.f, 1.f);
    promise.setProgressValue(total * 100);
}

void CamController::adoptScan(const JobResult& result)
{
    if (result.cancelled || result.probabilities.empty())
        return;
    auto& p = m_probabilities[result.scanKey];
    if (m_case && result.scanKey == scanKey())
        p.resize(static_cast<size_t>(m_case->imaging->slices()), std::numeric_limits<float>::quiet_NaN());
    for (size_t i = 0; i < result.probabilities.size(); ++i)
        if (static_cast<size_t>(result.job.slice) + i < p.size())
            p[static_cast<size_t>(result.job.slice) + i] = result.probabilities[i];
    Q_EMIT probabilitiesUpdated();
}

void CamController::onJobFinished()
{
    m_running = false;
    m_runningKey.clear();
    const auto results = m_jobWatcher.future().results();
    bool failed = false;
    if (!results.isEmpty()) {
        const JobResult& result = results.front();
        if (result.centres && !m_centres && result.volumeKey == volumeKey())
            m_centres = result.centres;
        if (!result.error.isEmpty()) {
            failed = true;
            m_failedKeys.insert(result.key);
            // A stack's slices are chosen by their own keys: they are not tried again either.
            if (result.job.kind == JobKind::Stack)
                for (int k : result.job.slices)
                    m_failedKeys.insert(result.volumeKey + "|" + std::to_string(k));
            Q_EMIT computeFailed(result.error);
        } else if (result.job.kind == JobKind::Scan) {
            adoptScan(result);
        } else {
            // Completed slices are kept even from a cancelled volume job.
            for (const auto& [key, raw] : result.slices)
                m_memory.remember(key, raw);
            if (!result.slices.empty())
                Q_EMIT heatmapsAdded();
            if (result.volumeRange)
                m_volumeRanges[result.volumeKey] = *result.volumeRange;
            if (!result.cancelled && m_wantedSlice >= 0 && heatmaps(m_wantedSlice))
                Q_EMIT heatmapsReady(m_wantedSlice);
        }
    }
    Q_EMIT progress(QString(), 0, 0);
    // Background work (prefetch, scan) only once nothing else waits, not after an error or a
    // cancel by the user.
    if (failed)
        m_backgroundStopped = m_backgroundStopped || !m_pending;
    startNext();
}

} // namespace weaksight::ui
