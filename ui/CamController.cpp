#include "ui/CamController.h"
#include "core/compute/PhysicalScale.h"

#include "core/common/Log.h"
#include "core/common/Overlap.h"
#include "core/compute/CamCache.h"
#include "core/compute/CropDataset.h"
#include "core/dataset/KidneyCrops.h"
#include "core/research/TrainingReport.h"

#include <QPromise>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <filesystem>

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
    auto cache = std::make_shared<compute::CamCache>(logging::userDataDirectory() / "cams" / (hash + ".wscam"), hash);
    open[hash] = cache;
    return cache;
}

constexpr int kScanChunk = 8; ///< slices per probability-scan job (jobs stay short: a click waits for one)

} // namespace

std::vector<CropBox> cropBoxes(const LoadedCase& loaded, const KidneyCentres* centres, int slice, int rows, int cols)
{
    if (centres)
        return centres->boxes(slice, rows, cols);
    // No labels: the centre of each half of the slice.
    const CtVolume& ct = *loaded.imaging;
    return {{"right", ct.rows() / 2 - rows / 2, ct.cols() / 4 - cols / 2, false},
            {"left", ct.rows() / 2 - rows / 2, 3 * ct.cols() / 4 - cols / 2, false}};
}

std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels, int slice,
                                              double threshold)
{
    if (heatmaps.patches.empty() || slice < 0 || slice >= labels.slices())
        return std::nullopt;
    // Union of the crop boxes on the slice grid: proposal and truth are compared there only. The
    // proposal is the review's (ReviewController::proposal on the whole slice): the union of every
    // non-degenerate crop's {map > t}.
    std::vector<uint8_t> inBox(labels.sliceSize(), 0), proposed(labels.sliceSize(), 0);
    for (const auto& p : heatmaps.patches)
        for (int r = std::max(0, -p.row0); r < p.rows && p.row0 + r < labels.rows(); ++r)
            for (int c = std::max(0, -p.col0); c < p.cols && p.col0 + c < labels.cols(); ++c) {
                const size_t at = static_cast<size_t>(p.row0 + r) * labels.cols() + p.col0 + c;
                inBox[at] = 1;
                const float value = p.values[static_cast<size_t>(r) * p.cols + c];
                proposed[at] |= !p.degenerate && compute::isProposed(value, threshold);
            }
    const uint8_t* truth = labels.slice(slice);
    long long both = 0, either = 0;
    for (size_t i = 0; i < inBox.size(); ++i) {
        if (!inBox[i])
            continue;
        const bool t = labels::isLesion(truth[i]);
        both += t && proposed[i];
        either += t || proposed[i];
    }
    return overlapRatios(both, either).iou;
}

std::optional<int> nextLesionSlice(const LabelVolume& labels, int from, int direction)
{
    for (int k = from + direction; k >= 0 && k < labels.slices(); k += direction) {
        const uint8_t* s = labels.slice(k);
        if (std::any_of(s, s + labels.sliceSize(), [](uint8_t v) { return labels::isLesion(v); }))
            return k;
    }
    return std::nullopt;
}

CamController::CamController(QObject* parent) : QObject(parent)
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
}

CamController::~CamController()
{
    // The jobs hold their own references to model, case and cache: nothing here waits for a crop
    // still being computed; its result is dropped with the watcher.
    m_jobWatcher.cancel();
    disconnect(&m_jobWatcher, nullptr, this, nullptr);
    disconnect(&m_modelWatcher, nullptr, this, nullptr);
}

size_t CamController::RawSlice::bytes() const
{
    size_t n = sizeof(RawSlice);
    for (const auto& p : patches)
        n += p.values.size() * sizeof(float) + sizeof(p);
    for (const auto& m : rawMaps)
        n += m.values.size() * sizeof(float);
    return n;
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
        m_cropSize = loaded.cropSize;
    m_memory.clear();
    m_lru.clear();
    m_lruPosition.clear();
    m_memoryBytes = 0;
    m_normalised.clear();
    m_failedKeys.clear();
    // A layer the new model lacks falls back to its own.
    const auto layers = m_model->targetLayers();
    if (std::find(layers.begin(), layers.end(), m_options.targetLayer) == layers.end())
        m_options.targetLayer.clear();
    Q_EMIT modelLoaded(m_modelSummary);
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::loadModel(const QString& path, const QString& device)
{
    m_modelWatcher.setFuture(QtConcurrent::run(&camThreadPool(), [path, device]() {
        ModelLoad result;
        result.path = path;
        try {
            auto model = std::make_shared<compute::Classifier>(
                compute::Classifier::load(path.toStdString(), device.toStdString()));
            const std::string hash = model->contentHash();
            result.hash = hash;
            result.summary = tr("%1 (%2, %3, %4)")
                                 .arg(QString::fromStdString(fs::path(path.toStdString()).filename().string()),
                                      QString::fromStdString(model->description().architecture),
                                      QString::fromStdString(hash.substr(0, 8)),
                                      QString::fromStdString(model->deviceName()));
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
    }));
}

void CamController::shareModel(const CamController& other)
{
    if (!other.m_model)
        return;
    if (m_model == other.m_model)
        return; // already sharing it: keep the computed maps
    adoptModel({other.m_model, other.m_diskCache, other.m_modelSummary, other.m_modelHash, QString(), other.m_cropSize,
                other.m_modelPath});
}

std::string CamController::modelArchitecture() const { return m_model ? m_model->description().architecture : std::string(); }

std::string CamController::methodKey() const
{
    return compute::camMethodKey(m_options, m_model ? m_model->description().targetLayer : std::string());
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
    m_wantedSlice = -1;
    m_failedKeys.clear();
}

void CamController::setMethod(compute::CamMethod method)
{
    m_options.method = method;
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setTargetLayer(const QString& layer)
{
    m_options.targetLayer = m_model && layer.toStdString() == m_model->description().targetLayer ? std::string()
                                                                                                  : layer.toStdString();
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setScoreReducedPrecision(bool reduced)
{
    m_options.scoreReducedPrecision = reduced;
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setFlavour(compute::CamFlavour flavour)
{
    m_options.flavour = flavour;
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setNormalisation(compute::MapNormalisation normalisation)
{
    m_normalisation = normalisation;
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

std::optional<std::pair<double, double>> CamController::resampleSteps() const
{
    if (!m_model || !m_case)
        return std::nullopt;
    const auto spacing = m_case->geometry().canonicalSpacing();
    const auto& description = m_model->description();
    if (!compute::needsResampling(description, spacing[1], spacing[2]))
        return std::nullopt;
    // As the dataset builder takes them, so resampled crops equal a `--spacing` dataset's.
    return std::make_pair(description.pixelSpacingMm / spacing[1], description.pixelSpacingMm / spacing[2]);
}

std::pair<int, int> CamController::cropExtent() const
{
    const auto steps = resampleSteps();
    if (!steps)
        return {m_cropSize, m_cropSize};
    return {std::max(1, static_cast<int>(std::lround(m_cropSize * steps->first))),
            std::max(1, static_cast<int>(std::lround(m_cropSize * steps->second)))};
}

std::string CamController::cropKey() const
{
    const auto [rows, cols] = cropExtent();
    return std::to_string(m_cropSize) + "|" + std::to_string(rows) + "x" + std::to_string(cols);
}

QString CamController::physicalScaleNote() const
{
    if (!m_model || !m_case)
        return {};
    const auto spacing = m_case->geometry().canonicalSpacing();
    const auto& description = m_model->description();
    if (resampleSteps()) {
        const auto [rows, cols] = cropExtent();
        return tr("crops resampled to the model's %1 mm pixels (this scan's are %2 mm): each %3-pixel crop is cut "
                  "from %4 x %5 scan pixels, %6 mm across")
            .arg(description.pixelSpacingMm, 0, 'f', 2)
            .arg(std::max(spacing[1], spacing[2]), 0, 'f', 2)
            .arg(m_cropSize)
            .arg(rows)
            .arg(cols)
            .arg(m_cropSize * description.pixelSpacingMm, 0, 'f', 0);
    }
    return QString::fromStdString(
        compute::physicalScaleNote(description, m_cropSize, m_cropSize, spacing[1], spacing[2]));
}

QString CamController::colorBarTitle() const
{
    QString method = QString::fromStdString(compute::toString(m_options.method));
    if (m_options.flavour != compute::CamFlavour::Weaksight)
        method += QStringLiteral(" [%1]").arg(QString::fromStdString(compute::toString(m_options.flavour)));
    switch (m_normalisation) {
    case compute::MapNormalisation::PerCrop:
        return tr("%1\n(per crop)").arg(method);
    case compute::MapNormalisation::PerCase: {
        const auto it = m_volumeRanges.find(volumeKey());
        return it == m_volumeRanges.end()
                   ? tr("%1\n(per volume)").arg(method)
                   : tr("%1\n(per volume,\nraw %2–%3)").arg(method).arg(it->second.first, 0, 'g', 3).arg(it->second.second, 0, 'g', 3);
    }
    case compute::MapNormalisation::None:
        return tr("%1\n(raw values)").arg(method);
    }
    return method;
}

double CamController::threshold() const
{
    const auto it = m_thresholds.find(m_options.method);
    return it == m_thresholds.end() ? 0.5 : it->second;
}

void CamController::setThreshold(double threshold) { m_thresholds[m_options.method] = threshold; }

void CamController::setCropSize(int pixels)
{
    m_cropSize = std::max(8, pixels);
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

void CamController::setMemoryBudget(size_t bytes)
{
    m_memoryBudget = bytes;
    while (m_memoryBytes > m_memoryBudget && !m_lru.empty()) {
        const auto it = m_memory.find(m_lru.front());
        m_lruPosition.erase(m_lru.front());
        m_lru.pop_front();
        if (it != m_memory.end()) {
            forget(it->first);
            m_memoryBytes -= it->second.bytes();
            m_memory.erase(it);
        }
    }
}

void CamController::forget(const std::string& key)
{
    for (auto it = m_normalised.lower_bound(key + "|"); it != m_normalised.end() && it->first.rfind(key + "|", 0) == 0;) {
        for (const auto& patch : it->second.patches)
            m_memoryBytes -= patch.values.size() * sizeof(float);
        it = m_normalised.erase(it);
    }
}

std::string CamController::volumeKey() const
{
    // The case's folder, not just its id: two datasets both have a case_00000.
    return (m_case ? m_case->files.directory.string() + "/" + m_case->files.caseId : std::string()) + "|" +
           cropKey() + "|" + m_modelHash + "|" + compute::camMethodKey(m_options, m_model ? m_model->description().targetLayer : std::string());
}

std::string CamController::cacheKey(int slice) const { return volumeKey() + "|" + std::to_string(slice); }

std::string CamController::scanKey() const
{
    return (m_case ? m_case->files.directory.string() + "/" + m_case->files.caseId : std::string()) + "|" +
           cropKey() + "|" + m_modelHash;
}

void CamController::touch(const std::string& key) const
{
    if (const auto it = m_lruPosition.find(key); it != m_lruPosition.end())
        m_lru.splice(m_lru.end(), m_lru, it->second); // list iterators stay valid across splice
}

void CamController::remember(const std::string& key, RawSlice slice)
{
    if (const auto old = m_memory.find(key); old != m_memory.end()) {
        forget(key);
        m_memoryBytes -= old->second.bytes();
        m_memory.erase(old);
        if (const auto position = m_lruPosition.find(key); position != m_lruPosition.end()) {
            m_lru.erase(position->second);
            m_lruPosition.erase(position);
        }
    }
    m_memoryBytes += slice.bytes();
    m_memory.emplace(key, std::move(slice));
    m_lru.push_back(key);
    m_lruPosition[key] = std::prev(m_lru.end());
    setMemoryBudget(m_memoryBudget); // evicts the least recently used beyond the budget
}

bool CamController::needsVolumeRange() const
{
    return m_normalisation == compute::MapNormalisation::PerCase && !m_volumeRanges.count(volumeKey());
}

const SliceHeatmaps* CamController::heatmaps(int slice) const
{
    const std::string key = cacheKey(slice);
    const auto it = m_memory.find(key);
    if (it == m_memory.end() || needsVolumeRange())
        return nullptr;
    touch(key);
    const std::string shownKey = key + "|" + compute::toString(m_normalisation);
    if (const auto shown = m_normalised.find(shownKey); shown != m_normalised.end())
        return &shown->second;
    const RawSlice& raw = it->second;
    SliceHeatmaps heatmaps{raw.slice, raw.patches, raw.sides, 0};
    std::pair<float, float> volume{0.f, 1.f};
    if (m_normalisation == compute::MapNormalisation::PerCase)
        volume = m_volumeRanges.at(volumeKey());
    for (size_t p = 0; p < heatmaps.patches.size(); ++p) {
        auto& patch = heatmaps.patches[p];
        heatmaps.degenerate += patch.degenerate;
        m_memoryBytes += patch.values.size() * sizeof(float);
        if (m_normalisation == compute::MapNormalisation::None)
            continue;
        const auto [low, high] = m_normalisation == compute::MapNormalisation::PerCrop ? raw.ranges[p] : volume;
        compute::normaliseToRange(patch.values, low, high);
    }
    return &m_normalised.emplace(shownKey, std::move(heatmaps)).first->second;
}

std::optional<CamController::PatchHeatmap> CamController::patchHeatmap(int slice, int crop) const
{
    const auto it = m_memory.find(cacheKey(slice));
    if (it == m_memory.end() || crop < 0 || crop >= static_cast<int>(it->second.rawMaps.size()) || needsVolumeRange())
        return std::nullopt;
    PatchHeatmap out{it->second.rawMaps[static_cast<size_t>(crop)], 0.0, 1.0};
    if (m_normalisation == compute::MapNormalisation::PerCrop)
        std::tie(out.low, out.high) = it->second.ranges[static_cast<size_t>(crop)];
    else if (m_normalisation == compute::MapNormalisation::PerCase)
        std::tie(out.low, out.high) = m_volumeRanges.at(volumeKey());
    return out;
}

std::optional<float> CamController::lesionProbability(int slice) const
{
    const auto it = m_probabilities.find(scanKey());
    if (it == m_probabilities.end() || slice < 0 || slice >= static_cast<int>(it->second.size()) ||
        std::isnan(it->second[static_cast<size_t>(slice)]))
        return std::nullopt;
    return it->second[static_cast<size_t>(slice)];
}

int CamController::scannedSlices() const
{
    const auto it = m_probabilities.find(scanKey());
    if (it == m_probabilities.end())
        return 0;
    return static_cast<int>(std::count_if(it->second.begin(), it->second.end(), [](float p) { return !std::isnan(p); }));
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
    m_pending = Job{volume ? JobKind::Volume : JobKind::Slice, slice};
    if (m_running)
        m_jobWatcher.cancel(); // a stale slice: its job stops between crops
    else
        startNext();
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
            if (neighbour >= 0 && neighbour < m_case->imaging->slices() && !m_memory.count(cacheKey(neighbour)) &&
                !m_failedKeys.count(cacheKey(neighbour)))
                return Job{JobKind::Prefetch, neighbour};
    if (!m_scanEnabled || m_failedKeys.count("scan|" + scanKey()))
        return std::nullopt;
    const auto it = m_probabilities.find(scanKey());
    for (int k = 0; k < m_case->imaging->slices(); ++k)
        if (it == m_probabilities.end() || std::isnan(it->second[static_cast<size_t>(k)]))
            return Job{JobKind::Scan, k};
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

void CamController::startJob(Job job)
{
    m_running = true;
    const std::string key = job.kind == JobKind::Volume ? "volume|" + volumeKey()
                            : job.kind == JobKind::Scan ? "scan|" + scanKey()
                                                        : cacheKey(job.slice);
    m_runningKey = key;
    // Everything the worker needs, by value: the controller may change (or go) meanwhile.
    const auto model = m_model;
    const auto diskCache = m_diskCache;
    const auto loaded = m_case;
    const auto centres = m_centres;
    const auto options = m_options;
    const int cropSize = m_cropSize;
    // The model's physical scale: boxes of `extent` slice pixels resampled to cropSize pixels.
    const auto [extentRows, extentCols] = cropExtent();
    const auto steps = resampleSteps();
    const bool resample = steps.has_value();
    const double rowStep = resample ? steps->first : 1.0, colStep = resample ? steps->second : 1.0;
    const std::string volume = volumeKey();
    const std::string scan = scanKey();
    // Slices a whole-volume job can take from memory instead of recomputing: their ranges.
    std::map<int, std::pair<float, float>> known;
    if (job.kind == JobKind::Volume)
        for (int k = 0; k < m_case->imaging->slices(); ++k)
            if (const auto it = m_memory.find(cacheKey(k)); it != m_memory.end())
                for (const auto& range : it->second.ranges) {
                    auto& [low, high] = known.try_emplace(k, range).first->second;
                    low = std::min(low, range.first);
                    high = std::max(high, range.second);
                }
    m_jobWatcher.setFuture(QtConcurrent::run(&camThreadPool(), [=](QPromise<JobResult>& promise) {
        JobResult result;
        result.job = job;
        result.key = key;
        result.volumeKey = volume;
        result.scanKey = scan;
        try {
            const CtVolume& ct = *loaded->imaging;
            result.centres = centres;
            if (!result.centres && loaded->labels)
                result.centres = std::make_shared<const KidneyCentres>(*loaded->labels);
            const QString methodName = QString::fromStdString(compute::toString(options.method));
            std::vector<int16_t> pixels(static_cast<size_t>(cropSize) * cropSize);
            // Cut as the dataset builder does (the same keys as `evaluate` and cam-batch).
            const auto cut = [&](int slice, const CropBox& box, int16_t* out) {
                if (resample)
                    cutResampledCrop(ct, nullptr, slice, box.row0, box.col0, rowStep, colStep, cropSize, cropSize, out,
                                     nullptr);
                else
                    cutCrop(ct, slice, box.row0, box.col0, cropSize, cropSize, out);
            };

            if (job.kind == JobKind::Scan) {
                const int end = std::min(ct.slices(), job.slice + kScanChunk);
                promise.setProgressRange(0, ct.slices());
                promise.setProgressValueAndText(job.slice, tr("lesion probability: slice %1 of %2").arg(job.slice + 1).arg(ct.slices()));
                std::vector<compute::Image2D> crops;
                std::vector<int> sliceOf;
                for (int k = job.slice; k < end; ++k)
                    for (const auto& box : cropBoxes(*loaded, result.centres.get(), k, extentRows, extentCols)) {
                        cut(k, box, pixels.data());
                        crops.push_back({cropSize, cropSize, std::vector<float>(pixels.begin(), pixels.end())});
                        sliceOf.push_back(k);
                    }
                result.probabilities.assign(static_cast<size_t>(end - job.slice), 0.0f);
                if (!crops.empty() && !promise.isCanceled()) {
                    const auto p = model->lesionProbability(crops);
                    for (size_t i = 0; i < p.size(); ++i) {
                        float& slot = result.probabilities[static_cast<size_t>(sliceOf[i] - job.slice)];
                        slot = std::max(slot, p[i]);
                    }
                }
                result.cancelled = promise.isCanceled();
                promise.addResult(result);
                return;
            }

            const std::string methodKey = compute::camMethodKey(options, model->description().targetLayer);
            std::vector<int> slices;
            if (job.kind == JobKind::Volume) {
                for (int k = 0; k < ct.slices(); ++k)
                    slices.push_back(k);
            } else {
                slices.push_back(job.slice);
            }
            std::vector<std::vector<CropBox>> boxes;
            int total = 0;
            for (int k : slices) {
                boxes.push_back(known.count(k) ? std::vector<CropBox>{}
                                               : cropBoxes(*loaded, result.centres.get(), k, extentRows, extentCols));
                total += static_cast<int>(boxes.back().size());
            }
            // Hundredths of a crop: Score-CAM reports its masked inputs within a crop.
            promise.setProgressRange(0, std::max(total, 1) * 100);
            float volumeLow = std::numeric_limits<float>::max(), volumeHigh = std::numeric_limits<float>::lowest();
            for (const auto& [k, range] : known) {
                volumeLow = std::min(volumeLow, range.first);
                volumeHigh = std::max(volumeHigh, range.second);
            }
            int done = 0;
            for (size_t s = 0; s < slices.size() && !result.cancelled; ++s) {
                RawSlice raw;
                raw.slice = slices[s];
                for (size_t b = 0; b < boxes[s].size(); ++b) {
                    if (promise.isCanceled()) {
                        result.cancelled = true;
                        break;
                    }
                    const QString step = job.kind == JobKind::Volume
                                             ? tr("%1 per volume: crop %2 of %3").arg(methodName).arg(done + 1).arg(total)
                                             : tr("%1: crop %2 of %3, slice %4")
                                                   .arg(methodName)
                                                   .arg(b + 1)
                                                   .arg(boxes[s].size())
                                                   .arg(raw.slice);
                    promise.setProgressValueAndText(done * 100, step);
                    const CropBox& box = boxes[s][b];
                    // Cut and keyed as the dataset builder does, so the disk cache shares keys with
                    // `weaksight evaluate` and cam-batch.
                    cut(raw.slice, box, pixels.data());
                    const uint64_t cropKey = compute::cropContentKey(pixels.data(), cropSize, cropSize);
                    compute::CamMap map;
                    bool degenerate = false;
                    if (const auto* hit = diskCache ? diskCache->find(cropKey, methodKey) : nullptr) {
                        map = hit->raw;
                        degenerate = hit->degenerate;
                    } else {
                        compute::Image2D crop{cropSize, cropSize, std::vector<float>(pixels.begin(), pixels.end())};
                        compute::CamOptions camOptions = options;
                        // Score-CAM on a CPU takes seconds to minutes per crop: its masked
                        // inputs are the progress, and Cancel stops it between chunks.
                        camOptions.progress = [&promise, &step, done](int64_t inputs, int64_t of) {
                            promise.setProgressValueAndText(
                                done * 100 + static_cast<int>(100 * inputs / std::max<int64_t>(of, 1)),
                                tr("%1 (masked inputs %2 of %3)").arg(step).arg(inputs).arg(of));
                            return !promise.isCanceled();
                        };
                        auto cam = compute::computeCams(*model, {crop}, camOptions).front();
                        map = cam.raw;
                        degenerate = cam.degenerate;
                        if (diskCache) {
                            diskCache->insert(cropKey, methodKey, {cam.raw, cam.targetScore, cam.degenerate});
                            diskCache->flush();
                        }
                    }
                    raw.rawMaps.push_back(map);
                    // Upsampled onto the box's slice pixels (the crop's own size unless resampled).
                    map = compute::upsampleBilinear(map, extentRows, extentCols);
                    const auto range = std::make_pair(map.min(), map.max());
                    raw.ranges.push_back(range);
                    raw.sides.push_back(box.side);
                    raw.patches.push_back({box.row0, box.col0, extentRows, extentCols, std::move(map.values), degenerate});
                    if (!degenerate) {
                        volumeLow = std::min(volumeLow, range.first);
                        volumeHigh = std::max(volumeHigh, range.second);
                    }
                    ++done;
                }
                if (!result.cancelled && !known.count(raw.slice))
                    result.slices.emplace_back(volume + "|" + std::to_string(raw.slice), std::move(raw));
            }
            if (job.kind == JobKind::Volume && !result.cancelled)
                result.volumeRange = volumeHigh >= volumeLow ? std::make_pair(volumeLow, volumeHigh) : std::make_pair(0.f, 1.f);
            promise.setProgressValue(total * 100);
        } catch (const compute::CamCancelled&) {
            result.cancelled = true;
        } catch (const std::bad_alloc&) {
            result.error = tr("Out of memory while computing heatmaps.");
        } catch (const std::exception& e) {
            result.error = QString::fromStdString(e.what());
        }
        promise.addResult(result);
    }));
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
            Q_EMIT computeFailed(result.error);
        } else if (result.job.kind == JobKind::Scan) {
            if (!result.cancelled && !result.probabilities.empty()) {
                auto& p = m_probabilities[result.scanKey];
                if (m_case && result.scanKey == scanKey())
                    p.resize(static_cast<size_t>(m_case->imaging->slices()), std::numeric_limits<float>::quiet_NaN());
                for (size_t i = 0; i < result.probabilities.size(); ++i)
                    if (static_cast<size_t>(result.job.slice) + i < p.size())
                        p[static_cast<size_t>(result.job.slice) + i] = result.probabilities[i];
                Q_EMIT probabilitiesUpdated();
            }
        } else {
            // Completed slices are kept even from a cancelled volume job.
            for (const auto& [key, raw] : result.slices)
                remember(key, raw);
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
