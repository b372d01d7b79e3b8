// The annotation store's mask BLOB format (encodeMask / decodeMask).
//
// Format version 1, byte by byte
// ------------------------------
// varint = unsigned LEB128: 7 value bits per byte, least significant group first, bit 7 (0x80) set on
//          every byte except the last. Encodings must be minimal (a multi-byte varint never ends in
//          0x00) and at most 5 bytes long; every varint in this format is <= 2^28 + 1.
//
//   offset  size     field
//   0       1        version, always 0x01
//   1       varint   rows, 0 <= rows <= 2^28
//   .       varint   cols, 0 <= cols <= 2^28, and rows * cols <= 2^28 (= 268,435,456 pixels)
//   .       1        flags: bit 0 (0x01) = payload is zlib-compressed; bits 1..7 must be 0
//   .       rest     payload, running to the very end of the blob
//
// Run list (the uncompressed payload): varints r0 r1 r2 ... rn, the run lengths of alternating
// 0 and 1 pixels in row-major order (pixel (r, c) is number r * cols + c), starting with a run of
// 0s: r0 counts the leading 0s and may be 0 (mask starts with a 1), r1 the following 1s, r2 the
// following 0s, and so on. Every run after r0 is >= 1, and the runs sum to exactly rows * cols.
// The final run is written too (it is not left implied), so a blob cut off at a varint boundary
// is still detected. An all-zero mask is the single run rows * cols; an empty grid
// (rows * cols == 0) is the single run 0, i.e. the byte 0x00.
//
// flags bit 0 clear: payload = the run list bytes, nothing else.
// flags bit 0 set:   payload = varint L, the length in bytes of the run list (1 <= L <= rows*cols + 1),
//                    followed by one zlib stream (RFC 1950: zlib header, deflate data, Adler-32; any
//                    window size) that inflates to exactly those L bytes; the stream ends exactly at
//                    the end of the blob. zlib's uncompress() reads it directly.
//
// Example: the 2 x 3 mask  0 1 1 / 1 0 0  is runs 1, 3, 2 -> bytes 01 02 03 00 01 03 02.
//
// Integrity: the format carries no checksum of its own. Decoding rejects every structurally invalid
// blob, but a blob damaged in storage can still decode to a different valid mask (always for raw
// payloads, rarely for compressed ones, where zlib's Adler-32 catches most damage).
//
// Encoding: the encoder compresses only when that makes the blob strictly shorter. How it deflates
// is its own choice, not part of the format: run lists up to 4 KiB (smooth outlines, whose rows
// repeat) get LZ77 + Huffman at level 6; longer ones (texture / noise, where LZ77 matching is slow
// and barely helps) get Huffman coding only, which lands within 1 % of the entropy of 50 % noise.
//
// Decoding validates everything above and throws std::invalid_argument on any violation. It checks
// the whole run list before allocating the mask, and grows the inflate buffer only as the stream
// actually produces output, so a hostile blob cannot make it allocate much more than it contains.
#include "core/masks/BinaryMask.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <zlib.h>

namespace weaksight {

namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kFlagZlib = 0x01;
constexpr uint64_t kMaxPixels = uint64_t(1) << 28;
constexpr int kMaxVarintBytes = 5;  // 35 bits: enough for 2^28 + 1, small enough not to overflow
constexpr size_t kLz77Limit = 4096; // run lists longer than this are deflated with Huffman coding only

[[noreturn]] void fail(const std::string& problem)
{
    throw std::invalid_argument("decodeMask: " + problem);
}

/// Writes a varint at out (room for 5 bytes required) and returns the end of it.
inline uint8_t* writeVarint(uint8_t* out, uint64_t value)
{
    while (value >= 0x80) {
        *out++ = static_cast<uint8_t>(value | 0x80);
        value >>= 7;
    }
    *out++ = static_cast<uint8_t>(value);
    return out;
}

void putVarint(std::vector<uint8_t>& out, uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<uint8_t>(value | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<uint8_t>(value));
}

/// Reads one varint at p (advancing it), enforcing minimal encoding and value <= maxValue.
uint64_t getVarintSlow(const uint8_t*& p, const uint8_t* end, uint64_t maxValue, const char* what)
{
    uint64_t value = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
        if (p == end)
            fail(std::string("blob truncated inside ") + what);
        const uint8_t byte = *p++;
        value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            if (byte == 0 && i > 0)
                fail(std::string("non-minimal varint for ") + what);
            if (value > maxValue)
                fail(std::string(what) + " " + std::to_string(value) + " exceeds the limit " +
                     std::to_string(maxValue));
            return value;
        }
    }
    fail(std::string("varint for ") + what + " is longer than " + std::to_string(kMaxVarintBytes) + " bytes");
}

/// Fast path for the one-byte varints that make up most run lists of detailed masks.
inline uint64_t getVarint(const uint8_t*& p, const uint8_t* end, uint64_t maxValue, const char* what)
{
    if (p != end && *p < 0x80 && *p <= maxValue)
        return *p++;
    return getVarintSlow(p, end, maxValue, what);
}

uint64_t loadLittleEndian(const uint8_t* p)
{
    uint64_t w;
    std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/// The run list of n pixels (see the format above).
///
/// Works on 8 pixels at a time without a branch per pixel: each byte becomes 0x01 if the pixel is
/// set, XOR with the same bytes shifted by one pixel marks every transition, and each marked byte
/// ends a run. Uniform 32-pixel stretches, where masks spend most of their pixels, are skipped
/// with a single test. Random noise costs one count-trailing-zeros per run instead of a
/// mispredicted branch per pixel.
std::vector<uint8_t> runList(const uint8_t* p, size_t n)
{
    constexpr uint64_t ones = 0x0101010101010101ull;
    constexpr uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    std::vector<uint8_t> runs(256); // most slice masks need less: no regrowth for them
    size_t used = 0;
    auto room = [&](size_t bytes) {
        if (used + bytes > runs.size())
            runs.resize(std::max(2 * runs.size(), used + bytes));
        return runs.data() + used;
    };
    uint64_t previous = 0; // value (0 or 1) of the pixel before the current word; pixel -1 counts as 0
    size_t runStart = 0;
    auto word = [&](uint64_t w, size_t at) {
        const uint64_t set = ((((w & low7) + low7) | w) >> 7) & ones; // 0x01 per nonzero byte
        uint64_t changes = set ^ ((set << 8) | previous);
        previous = set >> 56;
        // At most 8 runs end here: the first up to 5 varint bytes, the others (<= 8 pixels) 1 byte.
        uint8_t* out = room(40);
        while (changes) {
            const size_t pos = at + static_cast<size_t>(__builtin_ctzll(changes)) / 8;
            out = writeVarint(out, pos - runStart);
            runStart = pos;
            changes &= changes - 1;
        }
        used = static_cast<size_t>(out - runs.data());
    };
    size_t i = 0;
    while (i + 32 <= n) {
        const uint64_t w0 = loadLittleEndian(p + i), w1 = loadLittleEndian(p + i + 8);
        const uint64_t w2 = loadLittleEndian(p + i + 16), w3 = loadLittleEndian(p + i + 24);
        // All zero after a 0, or all odd (hence nonzero) after a 1: no transition in here.
        const bool uniform = previous ? ((w0 & w1 & w2 & w3 & ones) == ones) : ((w0 | w1 | w2 | w3) == 0);
        if (!uniform) {
            word(w0, i);
            word(w1, i + 8);
            word(w2, i + 16);
            word(w3, i + 24);
        }
        i += 32;
    }
    for (; i + 8 <= n; i += 8)
        word(loadLittleEndian(p + i), i);
    for (; i < n; ++i) {
        const uint64_t set = p[i] != 0;
        if (set != previous) {
            used = static_cast<size_t>(writeVarint(room(5), i - runStart) - runs.data());
            runStart = i;
            previous = set;
        }
    }
    used = static_cast<size_t>(writeVarint(room(5), n - runStart) - runs.data()); // final run, always written
    runs.resize(used);
    return runs;
}

/// Checks a run list against the rules above without touching the mask.
void validateRuns(const uint8_t* p, const uint8_t* end, uint64_t total)
{
    if (p == end)
        fail("run list is empty");
    uint64_t sum = 0;
    for (uint64_t index = 0; p != end; ++index) {
        const uint64_t run = getVarint(p, end, kMaxPixels, "run length");
        if (run == 0 && index > 0)
            fail("zero-length run at position " + std::to_string(index));
        if (run > total - sum)
            fail("runs exceed rows*cols = " + std::to_string(total) + " pixels");
        sum += run;
    }
    if (sum != total)
        fail("runs sum to " + std::to_string(sum) + " pixels, expected rows*cols = " + std::to_string(total));
}

/// Inflates exactly `expected` bytes from a zlib stream that must end exactly at `end`.
std::vector<uint8_t> inflateExactly(const uint8_t* p, const uint8_t* end, size_t expected)
{
    const size_t inSize = static_cast<size_t>(end - p);
    if (inSize > UINT32_MAX)
        fail("compressed payload too large");
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        fail("zlib inflateInit failed");
    struct Guard {
        z_stream* zs;
        ~Guard() { inflateEnd(zs); }
    } guard{&zs};

    zs.next_in = const_cast<Bytef*>(p);
    zs.avail_in = static_cast<uInt>(inSize);
    // Room for one byte more than declared, so an over-long stream is caught rather than cut off.
    // The buffer grows only as output arrives, so a lying length cannot make us allocate much.
    const size_t cap = expected + 1;
    std::vector<uint8_t> out(std::min<size_t>(cap, std::max<size_t>(4096, 4 * inSize)));
    size_t produced = 0;
    for (;;) {
        zs.next_out = out.data() + produced;
        zs.avail_out = static_cast<uInt>(out.size() - produced);
        const int ret = inflate(&zs, Z_NO_FLUSH);
        produced = out.size() - zs.avail_out;
        if (ret == Z_STREAM_END)
            break;
        if (ret == Z_NEED_DICT || ret == Z_DATA_ERROR || ret == Z_MEM_ERROR || ret == Z_STREAM_ERROR)
            fail(std::string("zlib stream is corrupt (") +
                 (zs.msg ? zs.msg : "error " + std::to_string(ret)) + ")");
        if (zs.avail_out == 0) {
            if (out.size() == cap)
                fail("zlib stream inflates to more than the declared " + std::to_string(expected) + " bytes");
            out.resize(std::min(cap, out.size() * 2));
        } else if (zs.avail_in == 0) {
            fail("zlib stream is truncated");
        }
    }
    if (zs.avail_in != 0)
        fail(std::to_string(zs.avail_in) + " trailing bytes after the zlib stream");
    if (produced != expected)
        fail("zlib stream inflates to " + std::to_string(produced) + " bytes, declared " +
             std::to_string(expected));
    out.resize(produced);
    return out;
}

/// Deflates a run list into one zlib stream (see the policy at the top). Returns false if zlib
/// fails, in which case the caller stores the run list uncompressed.
bool deflateRuns(const std::vector<uint8_t>& in, std::vector<uint8_t>& out)
{
    if (in.size() > UINT32_MAX)
        return false;
    // The smallest window that covers the input: same stream, far less memory to set up.
    int windowBits = 9;
    while (windowBits < 15 && (size_t(1) << windowBits) < in.size())
        ++windowBits;
    const int strategy = in.size() <= kLz77Limit ? Z_DEFAULT_STRATEGY : Z_HUFFMAN_ONLY;
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, windowBits, 8, strategy) != Z_OK)
        return false;
    out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int ret = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return ret == Z_STREAM_END;
}

} // namespace

std::vector<uint8_t> encodeMask(const BinaryMask& mask)
{
    const uint64_t total = static_cast<uint64_t>(mask.pixels.size());
    if (mask.rows < 0 || mask.cols < 0 ||
        total != static_cast<uint64_t>(mask.rows) * static_cast<uint64_t>(mask.cols))
        throw std::invalid_argument("encodeMask: pixel count does not match the " +
                                    std::to_string(mask.rows) + "x" + std::to_string(mask.cols) + " grid");
    if (total > kMaxPixels)
        throw std::invalid_argument("encodeMask: " + std::to_string(mask.rows) + "x" +
                                    std::to_string(mask.cols) + " mask exceeds 2^28 pixels");

    const std::vector<uint8_t> runs = runList(mask.pixels.data(), static_cast<size_t>(total));

    std::vector<uint8_t> blob(1, kFormatVersion); // (not push_back after reserve: GCC 12 warns falsely)
    blob.reserve(16 + runs.size());
    putVarint(blob, static_cast<uint64_t>(mask.rows));
    putVarint(blob, static_cast<uint64_t>(mask.cols));
    const size_t flagsAt = blob.size();
    blob.push_back(0);

    // A zlib stream costs at least 8 bytes plus the length varint, so tiny run lists never shrink.
    std::vector<uint8_t> packed;
    if (runs.size() > 9 && deflateRuns(runs, packed)) {
        std::vector<uint8_t> lengthPrefix;
        putVarint(lengthPrefix, runs.size());
        if (lengthPrefix.size() + packed.size() < runs.size()) {
            blob[flagsAt] = kFlagZlib;
            blob.insert(blob.end(), lengthPrefix.begin(), lengthPrefix.end());
            blob.insert(blob.end(), packed.begin(), packed.end());
            return blob;
        }
    }
    blob.insert(blob.end(), runs.begin(), runs.end());
    return blob;
}

BinaryMask decodeMask(const std::vector<uint8_t>& blob, int rows, int cols)
{
    const uint8_t* p = blob.data();
    const uint8_t* const end = p + blob.size();
    if (p != end && *p == kFormatVersion) {
        ++p;
        const uint64_t declaredRows = getVarint(p, end, kMaxPixels, "rows");
        const uint64_t declaredCols = getVarint(p, end, kMaxPixels, "cols");
        if (declaredRows != static_cast<uint64_t>(rows) || declaredCols != static_cast<uint64_t>(cols))
            fail("declares a " + std::to_string(declaredRows) + "x" + std::to_string(declaredCols) +
                 " mask for a " + std::to_string(rows) + "x" + std::to_string(cols) + " crop box");
    }
    return decodeMask(blob.data(), blob.size()); // a wrong version or a truncated header fails there
}

BinaryMask decodeMask(const uint8_t* data, size_t size)
{
    if (size == 0 || data == nullptr)
        fail("blob is empty");
    const uint8_t* p = data;
    const uint8_t* const end = data + size;

    const uint8_t version = *p++;
    if (version != kFormatVersion)
        fail("unsupported format version " + std::to_string(version) + " (expected " +
             std::to_string(kFormatVersion) + ")");
    const uint64_t rows = getVarint(p, end, kMaxPixels, "rows");
    const uint64_t cols = getVarint(p, end, kMaxPixels, "cols");
    const uint64_t total = rows * cols; // both <= 2^28, so no overflow
    if (total > kMaxPixels)
        fail(std::to_string(rows) + "x" + std::to_string(cols) + " mask exceeds 2^28 pixels");
    if (p == end)
        fail("blob truncated before the flags byte");
    const uint8_t flags = *p++;
    if (flags & ~kFlagZlib)
        fail("unknown flag bits " + std::to_string(flags & ~kFlagZlib));

    std::vector<uint8_t> inflated;
    const uint8_t* runsBegin = p;
    const uint8_t* runsEnd = end;
    if (flags & kFlagZlib) {
        // Each run of n >= 1 pixels takes at most n bytes, plus one byte for an empty leading run.
        const uint64_t length = getVarint(p, end, total + 1, "run list length");
        if (length == 0)
            fail("run list length is 0");
        inflated = inflateExactly(p, end, static_cast<size_t>(length));
        runsBegin = inflated.data();
        runsEnd = inflated.data() + inflated.size();
    }
    validateRuns(runsBegin, runsEnd, total);

    // The run list is known good: allocate and paint. Every run starts with one 8-byte store of its
    // value, which is the whole job for short runs (noise) and also erases what the previous short
    // run's store spilled past its end; only the rest of a long 1-run needs a memset. The last few
    // pixels, where 8 bytes do not fit, are written exactly.
    BinaryMask mask(static_cast<int>(rows), static_cast<int>(cols));
    uint8_t* out = mask.pixels.data();
    uint8_t* const outEnd = out + total;
    constexpr uint64_t patterns[2] = {0, 0x0101010101010101ull};
    int value = 0;
    for (const uint8_t* q = runsBegin; q != runsEnd; value ^= 1) {
        const size_t run = static_cast<size_t>(getVarint(q, runsEnd, kMaxPixels, "run length"));
        if (outEnd - out >= 8) {
            std::memcpy(out, &patterns[value], 8);
            if (value && run > 8)
                std::memset(out + 8, 1, run - 8);
        } else if (run > 0) {
            std::memset(out, value, run);
        }
        out += run;
    }
    return mask;
}

} // namespace weaksight
