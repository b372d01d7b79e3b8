#include "ui/CamController.h"

#include "core/common/Log.h"
#include "core/compute/CamCache.h"
#include "core/compute/CropDataset.h"
#include "core/dataset/KidneyCrops.h"

#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace weaksight::ui {

namespace fs = std::filesystem;

std::optional<double> proposalIouAgainstTruth(const SliceHeatmaps& heatmaps, const LabelVolume& labels, int slice,
                                              double threshold)
{
    if (heatmaps.patches.empty() || slice < 0 || slice >= labels.slices())
        return std::nullopt;
    // Union of the crop boxes on the slice grid: proposal and truth are compared there only.
    std::vector<uint8_t> inBox(labels.sliceSize(), 0), proposed(labels.sliceSize(), 0);
    for (const auto& p : heatmaps.patches)
        for (int r = std::max(0, -p.row0); r < p.rows && p.row0 + r < labels.rows(); ++r)
            for (int c = std::max(0, -p.col0); c < p.cols && p.col0 + c < labels.cols(); ++c) {
                const size_t at = static_cast<size_t>(p.row0 + r) * labels.cols() + p.col0 + c;
                inBox[at] = 1;
                proposed[at] = p.values[static_cast<size_t>(r) * p.cols + c] > threshold;
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
    return either ? static_cast<double>(both) / static_cast<double>(either) : 1.0;
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

void CamController::adoptModel(const ModelLoad& loaded)
{
    cancel();
    m_model = loaded.model;
    m_diskCache = loaded.diskCache;
    m_modelSummary = loaded.summary;
    m_modelHash = loaded.hash;
    m_memory.clear();
    m_failedKeys.clear();
    Q_EMIT modelLoaded(m_modelSummary);
    if (m_wantedSlice >= 0)
        requestSlice(m_wantedSlice);
}

CamController::~CamController()
{
    m_jobWatcher.cancel();
    m_jobWatcher.waitForFinished();
    m_modelWatcher.waitForFinished();
}

void CamController::loadModel(const QString& path, const QString& device)
{
    m_modelWatcher.setFuture(QtConcurrent::run([path, device]() {
        ModelLoad result;
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
                result.diskCache = std::make_shared<compute::CamCache>(
                    logging::userDataDirectory() / "cams" / (hash + ".wscam"), hash);
            } catch (const std::exception& e) {
                // Another instance holds it, or the folder is not writable: work from memory only.
                spdlog::warn("heatmap disk cache unavailable: {}", e.what());
            }
            result.model = std::move(model);
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
    adoptModel({other.m_model, other.m_diskCache, other.m_modelSummary, other.m_modelHash, QString()});
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

std::string CamController::cacheKey(int slice) const
{
    // The case's folder, not just its id: two datasets both have a case_00000.
    return (m_case ? m_case->files.directory.string() + "/" + m_case->files.caseId : std::string()) + "|" +
           std::to_string(slice) + "|" + std::to_string(m_cropSize) + "|" + m_modelHash + "|" +
           compute::camMethodKey(m_options, m_model ? m_model->description().targetLayer : std::string());
}

const SliceHeatmaps* CamController::heatmaps(int slice) const
{
    const auto it = m_memory.find(cacheKey(slice));
    return it == m_memory.end() ? nullptr : &it->second;
}

void CamController::requestSlice(int slice)
{
    m_wantedSlice = slice;
    m_prefetchStopped = false;
    if (!m_model || !m_case || !m_case->imaging)
        return;
    if (heatmaps(slice)) {
        Q_EMIT heatmapsReady(slice);
        return;
    }
    const std::string key = cacheKey(slice);
    if (m_failedKeys.count(key))
        return; // its error was shown once; a new model, case or method tries again
    if (m_running && m_runningKey == key) {
        m_pending.reset(); // already being computed (e.g. a prefetch): just wait for it
        return;
    }
    m_pending = Job{slice, false};
    if (m_running)
        m_jobWatcher.cancel(); // a stale slice: its job stops between crops
    else
        startNext();
}

void CamController::cancel()
{
    m_pending.reset();
    m_prefetchStopped = true;
    if (m_running)
        m_jobWatcher.cancel();
}

void CamController::startNext()
{
    if (m_running || !m_pending)
        return;
    const Job job = *m_pending;
    m_pending.reset();
    startJob(job);
}

void CamController::startJob(Job job)
{
    m_running = true;
    m_runningKey = cacheKey(job.slice);
    const auto model = m_model;
    const auto diskCache = m_diskCache;
    const auto loaded = m_case;
    const auto centres = m_centres;
    const auto options = m_options;
    const int cropSize = m_cropSize;
    const std::string key = cacheKey(job.slice);
    m_jobWatcher.setFuture(QtConcurrent::run([=](QPromise<JobResult>& promise) {
        JobResult result;
        result.slice = job.slice;
        result.prefetch = job.prefetch;
        result.key = key;
        result.heatmaps.slice = job.slice;
        try {
            const CtVolume& ct = *loaded->imaging;
            result.centres = centres;
            if (!result.centres && loaded->labels)
                result.centres = std::make_shared<const KidneyCentres>(*loaded->labels);
            std::vector<CropBox> boxes;
            if (result.centres)
                boxes = result.centres->boxes(job.slice, cropSize, cropSize);
            else // no labels: the centre of each half of the slice
                boxes = {{"right", ct.rows() / 2 - cropSize / 2, ct.cols() / 4 - cropSize / 2, false},
                         {"left", ct.rows() / 2 - cropSize / 2, 3 * ct.cols() / 4 - cropSize / 2, false}};
            promise.setProgressRange(0, static_cast<int>(boxes.size()));
            const std::string methodKey = compute::camMethodKey(options, model->description().targetLayer);
            const QString methodName = QString::fromStdString(compute::toString(options.method));
            for (size_t b = 0; b < boxes.size(); ++b) {
                if (promise.isCanceled()) {
                    result.cancelled = true;
                    break;
                }
                promise.setProgressValueAndText(static_cast<int>(b),
                                                tr("%1: crop %2 of %3, slice %4")
                                                    .arg(methodName)
                                                    .arg(b + 1)
                                                    .arg(boxes.size())
                                                    .arg(job.slice));
                const CropBox& box = boxes[b];
                // Cut and keyed as the dataset builder does, so the disk cache shares keys with
                // `weaksight evaluate` and cam-batch.
                std::vector<int16_t> pixels(static_cast<size_t>(cropSize) * cropSize);
                cutCrop(ct, job.slice, box.row0, box.col0, cropSize, cropSize, pixels.data());
                const uint64_t cropKey = compute::cropContentKey(pixels.data(), cropSize, cropSize);
                compute::CamMap raw;
                bool degenerate = false;
                if (const auto* hit = diskCache ? diskCache->find(cropKey, methodKey) : nullptr) {
                    raw = hit->raw;
                    degenerate = hit->degenerate;
                } else {
                    compute::Image2D crop{cropSize, cropSize, std::vector<float>(pixels.begin(), pixels.end())};
                    auto cam = compute::computeCams(*model, {crop}, options).front();
                    raw = cam.raw;
                    degenerate = cam.degenerate;
                    if (diskCache) {
                        diskCache->insert(cropKey, methodKey, {cam.raw, cam.targetScore, cam.degenerate});
                        diskCache->flush();
                    }
                }
                compute::CamMap map = compute::upsampleBilinear(raw, cropSize, cropSize);
                compute::normaliseMinMax(map);
                result.heatmaps.degenerate += degenerate;
                result.heatmaps.sides.push_back(box.side);
                result.heatmaps.patches.push_back({box.row0, box.col0, cropSize, cropSize, std::move(map.values)});
            }
            promise.setProgressValue(static_cast<int>(boxes.size()));
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
        if (result.centres && !m_centres)
            m_centres = result.centres;
        if (!result.error.isEmpty()) {
            failed = true;
            m_failedKeys.insert(result.key);
            Q_EMIT computeFailed(result.error);
        } else if (!result.cancelled) {
            m_memory[result.key] = result.heatmaps;
            if (result.slice == m_wantedSlice)
                Q_EMIT heatmapsReady(result.slice);
        }
    }
    Q_EMIT progress(QString(), 0, 0);
    // Prefetch the neighbours of the slice on screen once nothing else waits (not after an error
    // or a cancel by the user).
    if (!failed && !m_prefetchStopped && !m_pending && m_wantedSlice >= 0 && m_case && m_case->imaging)
        for (int neighbour : {m_wantedSlice + 1, m_wantedSlice - 1})
            if (neighbour >= 0 && neighbour < m_case->imaging->slices() && !heatmaps(neighbour) &&
                !m_failedKeys.count(cacheKey(neighbour))) {
                m_pending = Job{neighbour, true};
                break;
            }
    startNext();
}

} // namespace weaksight::ui
