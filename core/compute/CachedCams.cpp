// The one cache-or-compute step of every heatmap consumer: the research pipeline's camsForCrops
// (crops of a dataset) and the workstation's CAM jobs (crops cut from the scan on screen).
// Torch-free: it drives the CAM engine through its public API.

#include "core/compute/Evaluation.h"

namespace weaksight::compute {

namespace {

/// Score-CAM runs minutes per batch on a CPU: its masked chunks are the progress, and a cancel
/// is honoured between them.
CamOptions batchOptions(const CamOptions& options, size_t done, size_t count, size_t total,
                        const std::function<void(size_t, size_t)>& progress, const std::atomic<bool>* cancel)
{
    CamOptions batch = options;
    batch.progress = [options, done, count, total, progress, cancel](int64_t inner, int64_t innerTotal) {
        if (options.progress && !options.progress(inner, innerTotal))
            return false;
        if (progress && innerTotal > 0)
            progress(done + static_cast<size_t>(static_cast<double>(count) * static_cast<double>(inner) /
                                                static_cast<double>(innerTotal)),
                     total);
        return !(cancel && cancel->load());
    };
    return batch;
}

} // namespace

std::vector<CamResult> cachedCams(const Classifier& classifier, const CropSource& crops,
                                  const CamOptions& options, CamCache* cache, int batchSize,
                                  const std::function<void(size_t, size_t)>& progress,
                                  const std::atomic<bool>* cancel, size_t* computed)
{
    if (batchSize < 1)
        throw std::invalid_argument("the CAM batch size must be 1 or more");
    const std::string methodKey = camMethodKey(options, classifier.description().targetLayer);
    std::vector<CamResult> results(crops.count);
    std::vector<size_t> missing;
    for (size_t n = 0; n < crops.count; ++n) {
        const CachedCam* hit = cache ? cache->find(crops.contentKey(n), methodKey) : nullptr;
        if (!hit) {
            missing.push_back(n);
            continue;
        }
        results[n].raw = hit->raw;
        results[n].targetScore = hit->targetScore;
        results[n].degenerate = hit->degenerate;
        results[n].degenerateReason = hit->degenerate ? "degenerate (cached)" : "";
    }
    if (computed)
        *computed = missing.size();
    size_t done = crops.count - missing.size();
    if (progress)
        progress(done, crops.count);
    for (size_t start = 0; start < missing.size(); start += static_cast<size_t>(batchSize)) {
        if (cancel && cancel->load())
            throw CamCancelled();
        const size_t count = std::min(static_cast<size_t>(batchSize), missing.size() - start);
        std::vector<Image2D> images;
        for (size_t j = 0; j < count; ++j)
            images.push_back(crops.image(missing[start + j]));
        auto batch = computeCams(classifier, images,
                                 batchOptions(options, done, count, crops.count, progress, cancel));
        for (size_t j = 0; j < count; ++j) {
            const size_t n = missing[start + j];
            if (cache)
                cache->insert(crops.contentKey(n), methodKey,
                              CachedCam{batch[j].raw, batch[j].targetScore, batch[j].degenerate});
            results[n] = std::move(batch[j]);
        }
        if (cache)
            cache->flush();
        done += count;
        if (progress)
            progress(done, crops.count);
    }
    return results;
}

} // namespace weaksight::compute
