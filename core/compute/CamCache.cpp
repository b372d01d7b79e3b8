#include "core/compute/CamCache.h"

#include "core/common/LogLine.h"
#include "core/compute/CropDataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>

namespace weaksight::compute {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'W', 'S', 'C', 'A', 'M', 'v', '1', '\0'};

template <typename T> void put(std::string& out, T value)
{
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T> bool get(const char*& p, const char* end, T& value)
{
    if (static_cast<size_t>(end - p) < sizeof value)
        return false;
    std::memcpy(&value, p, sizeof value);
    p += sizeof value;
    return true;
}

std::string readAll(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Parses the header; returns the model hash and moves `p` past it.
std::string parseHeader(const fs::path& file, const char*& p, const char* end)
{
    uint32_t length = 0;
    if (static_cast<size_t>(end - p) < sizeof kMagic || std::memcmp(p, kMagic, sizeof kMagic) != 0)
        throw std::runtime_error(file.string() + ": not a Weaksight heatmap file");
    p += sizeof kMagic;
    if (!get(p, end, length) || static_cast<size_t>(end - p) < length)
        throw std::runtime_error(file.string() + ": heatmap file header is truncated");
    std::string hash(p, length);
    p += length;
    return hash;
}

/// Opens `file` for appending (creating its folder) and takes the one-writer lock.
std::FILE* openLockedForAppending(const fs::path& file)
{
    if (!file.parent_path().empty())
        fs::create_directories(file.parent_path());
    std::FILE* out = std::fopen(file.c_str(), "ab");
    if (!out)
        throw std::runtime_error(file.string() + ": cannot open for writing");
    if (::flock(fileno(out), LOCK_EX | LOCK_NB) != 0) {
        std::fclose(out);
        throw std::runtime_error(file.string() +
                                 ": in use by another process (one writer per heatmap file; give "
                                 "each shard its own file and merge them)");
    }
    return out;
}

/// Reads the record at `p` and moves `p` past it; false at a truncated or corrupt record.
bool readRecord(const char*& p, const char* end, uint64_t& cropKey, std::string& methodKey, CachedCam& cam)
{
    uint32_t bytes = 0;
    const char* q = p;
    if (!get(q, end, bytes) || static_cast<size_t>(end - q) < static_cast<size_t>(bytes) + 8u)
        return false;
    const char* payload = q;
    uint64_t checksum = 0;
    q = payload + bytes;
    get(q, end, checksum);
    if (checksum != fnv1a64(payload, bytes))
        return false;
    const char* r = payload;
    const char* payloadEnd = payload + bytes;
    uint16_t keyLength = 0, rows = 0, cols = 0;
    uint8_t degenerate = 0;
    if (!get(r, payloadEnd, cropKey) || !get(r, payloadEnd, keyLength) ||
        static_cast<size_t>(payloadEnd - r) < keyLength)
        return false;
    methodKey.assign(r, keyLength);
    r += keyLength;
    if (!get(r, payloadEnd, rows) || !get(r, payloadEnd, cols) || !get(r, payloadEnd, cam.targetScore) ||
        !get(r, payloadEnd, degenerate) ||
        static_cast<size_t>(payloadEnd - r) != static_cast<size_t>(rows) * cols * sizeof(float))
        return false;
    cam.raw = {rows, cols, std::vector<float>(static_cast<size_t>(rows) * cols)};
    std::memcpy(cam.raw.values.data(), r, cam.raw.values.size() * sizeof(float));
    cam.degenerate = degenerate != 0;
    p = q;
    return true;
}

} // namespace

std::string camMethodKey(const CamOptions& o, const std::string& targetLayer)
{
    std::ostringstream key;
    key << toString(o.method) << " layer=" << (o.targetLayer.empty() ? targetLayer : o.targetLayer)
        << " target=" << o.targetClass << " score=" << (o.score == CamScore::Logit ? "logit" : "probability");
    if (o.flavour != CamFlavour::Weaksight) // older keys stay valid: they are all Weaksight's
        key << " flavour=" << toString(o.flavour);
    if (o.method == CamMethod::SmoothGradCamPlusPlus)
        key << " samples=" << o.smoothSamples << " noise=" << o.smoothNoise << " seed=" << o.smoothSeed;
    if (o.method == CamMethod::FastScoreCam)
        key << " topk=" << o.fastScoreTopK;
    if ((o.method == CamMethod::ScoreCam || o.method == CamMethod::FastScoreCam) && o.scoreReducedPrecision)
        key << " precision=reduced";
    return key.str();
}

CamMap upsampleBilinear(const CamMap& raw, int rows, int cols)
{
    CamMap out{rows, cols, std::vector<float>(static_cast<size_t>(rows) * cols)};
    if (raw.values.empty())
        return out;
    const auto source = [](int dst, int in, int outSize, int& i0, int& i1, float& w) {
        const float scale = static_cast<float>(in) / static_cast<float>(outSize);
        const float s = std::max(0.0f, (static_cast<float>(dst) + 0.5f) * scale - 0.5f);
        i0 = std::min(static_cast<int>(s), in - 1);
        i1 = std::min(i0 + 1, in - 1);
        w = s - static_cast<float>(i0);
    };
    for (int r = 0; r < rows; ++r) {
        int r0, r1;
        float wr;
        source(r, raw.rows, rows, r0, r1, wr);
        for (int c = 0; c < cols; ++c) {
            int c0, c1;
            float wc;
            source(c, raw.cols, cols, c0, c1, wc);
            const auto at = [&](int y, int x) {
                return raw.values[static_cast<size_t>(y) * raw.cols + x];
            };
            out.values[static_cast<size_t>(r) * cols + c] =
                (1 - wr) * ((1 - wc) * at(r0, c0) + wc * at(r0, c1)) +
                wr * ((1 - wc) * at(r1, c0) + wc * at(r1, c1));
        }
    }
    return out;
}

CamCache::CamCache(const fs::path& file, const std::string& modelHash, Mode mode)
    : m_file(file)
    , m_modelHash(modelHash)
{
    std::error_code ec;
    if (mode == Mode::ReadWrite)
        m_out = openLockedForAppending(file);
    else if (!fs::exists(file, ec))
        throw std::runtime_error(file.string() + ": heatmap file not found");
    size_t validEnd = 0;
    if (fs::exists(file, ec) && fs::file_size(file, ec) > 0) {
        const std::string data = readAll(file);
        const char* begin = data.data();
        const char* p = begin;
        const char* end = begin + data.size();
        const std::string stored = parseHeader(file, p, end);
        if (stored != modelHash)
            throw std::runtime_error(file.string() + ": heatmaps of model " + stored + ", not of " +
                                     modelHash + " (use another file for another model)");
        validEnd = static_cast<size_t>(p - begin);
        while (p < end) {
            uint64_t cropKey = 0;
            std::string methodKey;
            CachedCam cam;
            if (!readRecord(p, end, cropKey, methodKey, cam))
                break;
            m_entries[{cropKey, methodKey}] = std::move(cam);
            validEnd = static_cast<size_t>(p - begin);
        }
        if (validEnd < data.size()) {
            // The tail of a killed writer: cut off (in ReadWrite mode) so appends continue from a
            // valid record.
            m_dropped = 1;
            logging::writeLine(logging::Level::Warning,
                               file.string() + ": " + (m_out ? "dropped" : "ignored") +
                                   " an incomplete record at byte " + std::to_string(validEnd) +
                                   " (interrupted writer); " + std::to_string(m_entries.size()) +
                                   " heatmaps kept");
            if (m_out)
                fs::resize_file(file, validEnd);
        }
    }
    if (m_out && validEnd == 0) {
        std::string header(kMagic, sizeof kMagic);
        put(header, static_cast<uint32_t>(modelHash.size()));
        header += modelHash;
        std::fwrite(header.data(), 1, header.size(), m_out);
    }
}

CamCache::~CamCache()
{
    if (m_out) {
        std::fflush(m_out);
        ::fsync(fileno(m_out));
        std::fclose(m_out);
    }
}

const CachedCam* CamCache::find(uint64_t cropKey, const std::string& methodKey) const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_entries.find({cropKey, methodKey});
    return it == m_entries.end() ? nullptr : &it->second;
}

void CamCache::insert(uint64_t cropKey, const std::string& methodKey, const CachedCam& cam)
{
    if (!m_out)
        throw std::logic_error(m_file.string() + ": opened read-only");
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (m_entries.count({cropKey, methodKey}))
        return;
    std::string payload;
    put(payload, cropKey);
    put(payload, static_cast<uint16_t>(methodKey.size()));
    payload += methodKey;
    put(payload, static_cast<uint16_t>(cam.raw.rows));
    put(payload, static_cast<uint16_t>(cam.raw.cols));
    put(payload, cam.targetScore);
    put(payload, static_cast<uint8_t>(cam.degenerate ? 1 : 0));
    payload.append(reinterpret_cast<const char*>(cam.raw.values.data()),
                   cam.raw.values.size() * sizeof(float));
    std::string record;
    put(record, static_cast<uint32_t>(payload.size()));
    record += payload;
    put(record, fnv1a64(payload.data(), payload.size()));
    if (std::fwrite(record.data(), 1, record.size(), m_out) != record.size())
        throw std::runtime_error(m_file.string() + ": writing a heatmap failed (disk full?)");
    m_entries[{cropKey, methodKey}] = cam;
}

void CamCache::flush()
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (m_out && std::fflush(m_out) != 0)
        throw std::runtime_error(m_file.string() + ": writing heatmaps failed (disk full?)");
}

std::string CamCache::modelHashOf(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    const char* p = head.data();
    return parseHeader(file, p, head.data() + head.size());
}

size_t CamCache::merge(const std::vector<fs::path>& inputs, const fs::path& out)
{
    if (inputs.empty())
        throw std::invalid_argument("no heatmap files to merge");
    const std::string hash = modelHashOf(inputs.front());
    CamCache target(out, hash);
    const size_t before = target.size();
    for (const auto& input : inputs) {
        if (modelHashOf(input) != hash)
            throw std::runtime_error(input.string() + ": heatmaps of model " + modelHashOf(input) +
                                     ", the others are of " + hash);
        const CamCache source(input, hash, Mode::ReadOnly);
        source.forEach([&](uint64_t cropKey, const std::string& methodKey, const CachedCam& cam) {
            target.insert(cropKey, methodKey, cam);
        });
    }
    target.flush();
    return target.size() - before;
}

} // namespace weaksight::compute
