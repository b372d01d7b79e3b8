// Binary masks: overlap statistics, the annotation store's BLOB codec (round trips, sizes, hostile
// input) and COCO RLE compatibility with pycocotools. Pure C++, no ITK, so it runs anywhere.
#include "core/masks/BinaryMask.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <gtest/gtest.h>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace weaksight;

namespace {

using Blob = std::vector<uint8_t>;

BinaryMask noiseMask(int rows, int cols, double density, std::mt19937& rng)
{
    BinaryMask m(rows, cols);
    std::bernoulli_distribution on(density);
    for (auto& p : m.pixels)
        p = on(rng) ? 1 : 0;
    return m;
}

void addDisc(BinaryMask& m, double cy, double cx, double radius)
{
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c)
            if ((r - cy) * (r - cy) + (c - cx) * (c - cx) <= radius * radius)
                m.at(r, c) = 1;
}

void addRect(BinaryMask& m, int r0, int c0, int r1, int c1)
{
    for (int r = std::max(r0, 0); r < std::min(r1, m.rows); ++r)
        for (int c = std::max(c0, 0); c < std::min(c1, m.cols); ++c)
            m.at(r, c) = 1;
}

/// An organ-like blob: a closed curve whose radius wobbles with a few random harmonics, which
/// gives the irregular outlines (kidney, tumour) that annotators actually draw.
void addWobblyBlob(BinaryMask& m, double cy, double cx, double radius, std::mt19937& rng)
{
    std::uniform_real_distribution<double> amp(0.0, 0.15), phase(0.0, 6.283185307179586);
    const double a2 = amp(rng), a3 = amp(rng), a5 = amp(rng) / 2;
    const double p2 = phase(rng), p3 = phase(rng), p5 = phase(rng);
    // The radius never exceeds 1.375 * radius, so only that box needs visiting.
    const double reach = 1.4 * radius;
    for (int r = std::max(0, int(cy - reach)); r < std::min(m.rows, int(cy + reach) + 1); ++r)
        for (int c = std::max(0, int(cx - reach)); c < std::min(m.cols, int(cx + reach) + 1); ++c) {
            const double dy = r - cy, dx = c - cx;
            const double t = std::atan2(dy, dx);
            const double edge = radius * (1 + a2 * std::sin(2 * t + p2) + a3 * std::sin(3 * t + p3) +
                                          a5 * std::sin(5 * t + p5));
            if (dy * dy + dx * dx <= edge * edge)
                m.at(r, c) = 1;
        }
}

/// A 512 x 512 slice with 1-4 blobs of typical organ / lesion sizes.
BinaryMask typicalSlice(std::mt19937& rng)
{
    BinaryMask m(512, 512);
    std::uniform_int_distribution<int> blobs(1, 4), kind(0, 2);
    std::uniform_real_distribution<double> centre(80, 432), radius(5, 70);
    for (int b = blobs(rng); b > 0; --b) {
        const double cy = centre(rng), cx = centre(rng), rad = radius(rng);
        switch (kind(rng)) {
        case 0:
            addDisc(m, cy, cx, rad);
            break;
        case 1:
            addRect(m, int(cy - rad), int(cx - rad / 2), int(cy + rad), int(cx + rad / 2));
            break;
        default:
            addWobblyBlob(m, cy, cx, rad, rng);
            break;
        }
    }
    return m;
}

void expectRoundTrip(const BinaryMask& m, const std::string& what)
{
    const Blob blob = encodeMask(m);
    const BinaryMask back = decodeMask(blob);
    EXPECT_EQ(back.rows, m.rows) << what;
    EXPECT_EQ(back.cols, m.cols) << what;
    EXPECT_TRUE(back == m) << what << ": decode(encode(m)) differs";
}

/// Decoding must either succeed with a self-consistent mask or throw std::invalid_argument;
/// any other exception escapes to gtest and fails the test. Returns true when it threw.
bool decodeRejects(const Blob& blob)
{
    try {
        const BinaryMask m = decodeMask(blob);
        EXPECT_EQ(m.pixels.size(), static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols));
        EXPECT_TRUE(decodeMask(encodeMask(m)) == m);
        return false;
    } catch (const std::invalid_argument&) {
        return true;
    }
}

std::string decodeError(const Blob& blob)
{
    try {
        decodeMask(blob);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

/// Appends an unsigned LEB128 varint (test-side, written independently of the codec).
void putVarint(Blob& out, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        out.push_back(byte);
    } while (v);
}

/// A raw (uncompressed) version-1 blob with the given header and run list.
Blob rawBlob(uint64_t rows, uint64_t cols, const std::vector<uint64_t>& runs)
{
    Blob b{1};
    putVarint(b, rows);
    putVarint(b, cols);
    b.push_back(0);
    for (uint64_t r : runs)
        putVarint(b, r);
    return b;
}

/// The two 4 x 4 masks used for the hand-computed statistics.
///   A          B
///   1 1 . .    . . . .
///   1 1 . .    1 1 . .
///   . . . .    . . 1 .
///   . . . .    . . . .
/// |A| = 4, |B| = 3, A∩B = {(1,0), (1,1)} = 2, A∪B = 5.
BinaryMask handMaskA()
{
    BinaryMask a(4, 4);
    a.at(0, 0) = a.at(0, 1) = a.at(1, 0) = a.at(1, 1) = 1;
    return a;
}

BinaryMask handMaskB()
{
    BinaryMask b(4, 4);
    b.at(1, 0) = b.at(1, 1) = b.at(2, 2) = 1;
    return b;
}

} // namespace

// ---- BinaryMask basics ------------------------------------------------------------------------

TEST(MaskBasics, ConstructsZeroFilledAndCounts)
{
    BinaryMask m(3, 5);
    EXPECT_EQ(m.rows, 3);
    EXPECT_EQ(m.cols, 5);
    EXPECT_EQ(m.size(), 15u);
    EXPECT_EQ(m.count(), 0);
    EXPECT_TRUE(m.empty());
    m.at(2, 4) = 1;
    m.at(0, 1) = 1;
    EXPECT_EQ(m.count(), 2);
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m.pixels[2 * 5 + 4], 1); // row-major
    EXPECT_EQ(BinaryMask(0, 7).size(), 0u);
}

TEST(MaskBasics, NegativeSizeThrows)
{
    EXPECT_THROW(BinaryMask(-1, 4), std::invalid_argument);
    EXPECT_THROW(BinaryMask(4, -1), std::invalid_argument);
}

TEST(MaskBasics, EqualityComparesGridAndPixels)
{
    BinaryMask a(2, 3), b(2, 3), c(3, 2);
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == c); // same pixel count, different grid
    b.at(1, 2) = 1;
    EXPECT_TRUE(a != b);
}

// ---- Overlap and edit statistics ---------------------------------------------------------------

TEST(MaskOverlap, HandComputedIouAndDice)
{
    const OverlapScores s = overlap(handMaskA(), handMaskB());
    EXPECT_EQ(s.intersection, 2);
    EXPECT_EQ(s.sizeA, 4);
    EXPECT_EQ(s.sizeB, 3);
    EXPECT_EQ(s.unionSize, 5);
    EXPECT_DOUBLE_EQ(s.iou, 2.0 / 5.0);  // |A∩B| / |A∪B|
    EXPECT_DOUBLE_EQ(s.dice, 4.0 / 7.0); // 2|A∩B| / (|A| + |B|)

    const OverlapScores same = overlap(handMaskA(), handMaskA());
    EXPECT_DOUBLE_EQ(same.iou, 1.0);
    EXPECT_DOUBLE_EQ(same.dice, 1.0);
}

TEST(MaskOverlap, EmptyMasks)
{
    const OverlapScores both = overlap(BinaryMask(4, 4), BinaryMask(4, 4));
    EXPECT_EQ(both.unionSize, 0);
    EXPECT_DOUBLE_EQ(both.iou, 1.0);
    EXPECT_DOUBLE_EQ(both.dice, 1.0);

    const OverlapScores one = overlap(handMaskA(), BinaryMask(4, 4));
    EXPECT_DOUBLE_EQ(one.iou, 0.0);
    EXPECT_DOUBLE_EQ(one.dice, 0.0);
    EXPECT_EQ(one.sizeA, 4);
    EXPECT_EQ(one.sizeB, 0);

    // Zero-pixel grids agree trivially as well.
    EXPECT_DOUBLE_EQ(overlap(BinaryMask(0, 0), BinaryMask(0, 0)).iou, 1.0);
}

TEST(MaskOverlap, GridMismatchThrowsNamingBothSizes)
{
    try {
        overlap(BinaryMask(4, 4), BinaryMask(4, 5));
        FAIL() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("4x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("4x5"), std::string::npos) << msg;
    }
    // Same pixel count, transposed grid: still a mismatch.
    EXPECT_THROW(overlap(BinaryMask(2, 8), BinaryMask(8, 2)), std::invalid_argument);
}

TEST(MaskOverlap, EditCountsHandComputed)
{
    // A -> B adds (2,2) and removes (0,0), (0,1).
    const EditCounts e = editCounts(handMaskA(), handMaskB());
    EXPECT_EQ(e.added, 1);
    EXPECT_EQ(e.removed, 2);
    const EditCounts back = editCounts(handMaskB(), handMaskA());
    EXPECT_EQ(back.added, 2);
    EXPECT_EQ(back.removed, 1);
    const EditCounts none = editCounts(handMaskA(), handMaskA());
    EXPECT_EQ(none.added, 0);
    EXPECT_EQ(none.removed, 0);
    EXPECT_THROW(editCounts(BinaryMask(4, 4), BinaryMask(3, 4)), std::invalid_argument);
}

// ---- BLOB codec: layout -------------------------------------------------------------------------

TEST(MaskCodec, SmallMaskExactBytes)
{
    // 2 x 3 mask 0 1 1 / 1 0 0 -> runs 1, 3, 2 (the example in MaskCodec.cpp's format comment).
    BinaryMask m(2, 3);
    m.at(0, 1) = m.at(0, 2) = m.at(1, 0) = 1;
    EXPECT_EQ(encodeMask(m), (Blob{0x01, 0x02, 0x03, 0x00, 0x01, 0x03, 0x02}));

    // A mask starting with a 1 has an empty leading 0-run.
    BinaryMask ones(1, 2);
    ones.at(0, 0) = ones.at(0, 1) = 1;
    EXPECT_EQ(encodeMask(ones), (Blob{0x01, 0x01, 0x02, 0x00, 0x00, 0x02}));

    // Empty grid: the single run 0.
    EXPECT_EQ(encodeMask(BinaryMask(0, 0)), (Blob{0x01, 0x00, 0x00, 0x00, 0x00}));

    // All-zero 512 x 512: 512 = varint 80 04, 262144 = 2^18 = varint 80 80 10.
    EXPECT_EQ(encodeMask(BinaryMask(512, 512)), (Blob{0x01, 0x80, 0x04, 0x80, 0x04, 0x00, 0x80, 0x80, 0x10}));
}

TEST(MaskCodec, CompressedLayout)
{
    // Many equal-length runs compress well, so this blob takes the zlib branch.
    BinaryMask m(64, 64);
    addRect(m, 8, 8, 56, 40);
    const Blob blob = encodeMask(m);
    ASSERT_GE(blob.size(), 8u);
    EXPECT_EQ(blob[0], 1);
    EXPECT_EQ(blob[1], 64);
    EXPECT_EQ(blob[2], 64);
    EXPECT_EQ(blob[3], 0x01); // zlib flag
    // Run list: 8*64+8, then 48 x (32 ones, 32 zeros) with the last 0-run 8*64+24 -> 97 runs;
    // 520 and 536 take 2 bytes each, the others 1 byte: L = 2 + 95 + 2 = 99 = one varint byte.
    EXPECT_EQ(blob[4], 99);
    EXPECT_EQ(blob[5] & 0x0f, 8);                 // zlib header: deflate (the window size may vary)
    EXPECT_EQ((blob[5] * 256 + blob[6]) % 31, 0); // zlib header check bits
    EXPECT_TRUE(decodeMask(blob) == m);
}

// ---- BLOB codec: round trips --------------------------------------------------------------------

TEST(MaskCodec, RoundTripEdgeShapes)
{
    std::mt19937 rng(1234);
    expectRoundTrip(BinaryMask(0, 0), "0x0");
    expectRoundTrip(BinaryMask(0, 9), "0x9");
    expectRoundTrip(BinaryMask(9, 0), "9x0");
    BinaryMask one(1, 1);
    expectRoundTrip(one, "1x1 off");
    one.at(0, 0) = 1;
    expectRoundTrip(one, "1x1 on");
    for (int n : {2, 3, 7, 8, 9, 63, 64, 65, 511, 512, 513, 4099}) {
        for (double d : {0.0, 0.01, 0.5, 0.99, 1.0}) {
            const std::string tag = " n=" + std::to_string(n) + " d=" + std::to_string(d);
            expectRoundTrip(noiseMask(1, n, d, rng), "1xN" + tag);
            expectRoundTrip(noiseMask(n, 1, d, rng), "Nx1" + tag);
        }
    }
    for (auto [rows, cols] : {std::pair{3, 5}, {17, 13}, {101, 99}, {255, 257}, {511, 513}, {7, 1031}}) {
        BinaryMask full(rows, cols);
        std::fill(full.pixels.begin(), full.pixels.end(), 1);
        expectRoundTrip(full, "full " + std::to_string(rows) + "x" + std::to_string(cols));
        expectRoundTrip(BinaryMask(rows, cols), "empty " + std::to_string(rows) + "x" + std::to_string(cols));
        for (double d : {0.01, 0.5, 0.99})
            expectRoundTrip(noiseMask(rows, cols, d, rng), "noise " + std::to_string(rows) + "x" +
                                                               std::to_string(cols) +
                                                               " d=" + std::to_string(d));
    }
}

TEST(MaskCodec, RoundTripRandomSizesAndDensities)
{
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> side(1, 200);
    std::uniform_real_distribution<double> density(0.0, 1.0);
    for (int i = 0; i < 300; ++i) {
        const int rows = side(rng), cols = side(rng);
        // Cube the density now and then so very sparse and very dense masks are common too.
        double d = density(rng);
        if (i % 3 == 1)
            d = d * d * d;
        else if (i % 3 == 2)
            d = 1 - d * d * d;
        expectRoundTrip(noiseMask(rows, cols, d, rng), "random #" + std::to_string(i));
    }
}

TEST(MaskCodec, RoundTripNoise512)
{
    std::mt19937 rng(7);
    for (double d : {0.01, 0.5, 0.99})
        expectRoundTrip(noiseMask(512, 512, d, rng), "512x512 noise d=" + std::to_string(d));
}

TEST(MaskCodec, RoundTripShapes512)
{
    std::mt19937 rng(99);
    std::uniform_real_distribution<double> pos(-40, 552), rad(1, 120);
    std::uniform_int_distribution<int> corner(-50, 560);
    for (int i = 0; i < 40; ++i) {
        BinaryMask m(512, 512);
        for (int k = 0; k < 1 + i % 5; ++k) {
            addDisc(m, pos(rng), pos(rng), rad(rng));
            const int r0 = corner(rng), c0 = corner(rng);
            addRect(m, r0, c0, r0 + corner(rng) / 4, c0 + corner(rng) / 4);
        }
        expectRoundTrip(m, "shapes #" + std::to_string(i));
        expectRoundTrip(typicalSlice(rng), "typical #" + std::to_string(i));
    }
}

// ---- BLOB codec: sizes and speed ----------------------------------------------------------------

TEST(MaskCodec, EncodedSizes)
{
    BinaryMask discs(512, 512);
    addDisc(discs, 200, 180, 60);
    addDisc(discs, 230, 330, 45);
    addDisc(discs, 380, 260, 20);
    const size_t discBytes = encodeMask(discs).size();
    EXPECT_LT(discBytes, 1024u);

    // 50 % noise carries 1 bit per pixel of entropy: 32,768 bytes for 512 x 512 is the floor for
    // any format. Huffman-coded run lengths land within 1 % of it (about 33,000 bytes).
    std::mt19937 rng(2024);
    const size_t noiseBytes = encodeMask(noiseMask(512, 512, 0.5, rng)).size();
    EXPECT_LT(noiseBytes, 34000u);

    size_t worstTypical = 0, sumTypical = 0;
    const int slices = 60;
    for (int i = 0; i < slices; ++i) {
        const size_t n = encodeMask(typicalSlice(rng)).size();
        worstTypical = std::max(worstTypical, n);
        sumTypical += n;
    }
    EXPECT_LE(worstTypical, 4096u);
    std::cout << "[ sizes    ] 3 discs " << discBytes << " B, 50% noise " << noiseBytes << " B, typical mean "
              << sumTypical / slices << " B / max " << worstTypical << " B\n";
}

TEST(MaskCodec, EncodeDecodeSpeed)
{
    // Generous bound (an optimized build takes tens of microseconds): it catches an accidental
    // quadratic or per-pixel-allocation codec, not normal noise on a busy or unoptimized build.
    std::mt19937 rng(5);
    std::vector<BinaryMask> masks;
    for (int i = 0; i < 20; ++i)
        masks.push_back(typicalSlice(rng));
    std::vector<Blob> blobs;
    using Clock = std::chrono::steady_clock;
    const int reps = 10;
    auto t0 = Clock::now();
    for (int rep = 0; rep < reps; ++rep)
        for (const auto& m : masks)
            blobs.push_back(encodeMask(m));
    auto t1 = Clock::now();
    size_t checksum = 0;
    for (const auto& b : blobs)
        checksum += decodeMask(b).pixels.size();
    auto t2 = Clock::now();
    EXPECT_EQ(checksum, blobs.size() * 512u * 512u);
    const double n = double(reps * masks.size());
    const double encUs = std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
    const double decUs = std::chrono::duration<double, std::micro>(t2 - t1).count() / n;
    EXPECT_LT(encUs, 5000.0);
    EXPECT_LT(decUs, 5000.0);

    const BinaryMask noise = noiseMask(512, 512, 0.5, rng);
    auto t3 = Clock::now();
    const Blob noiseBlob = encodeMask(noise);
    auto t4 = Clock::now();
    const BinaryMask noiseBack = decodeMask(noiseBlob);
    auto t5 = Clock::now();
    EXPECT_TRUE(noiseBack == noise);
    std::cout << "[ speed    ] typical 512x512: encode " << encUs << " us, decode " << decUs
              << " us; 50% noise: encode " << std::chrono::duration<double, std::micro>(t4 - t3).count()
              << " us, decode " << std::chrono::duration<double, std::micro>(t5 - t4).count() << " us\n";
}

// ---- BLOB codec: hostile input ------------------------------------------------------------------

TEST(MaskCodec, EveryTruncationThrows)
{
    std::mt19937 rng(11);
    std::vector<BinaryMask> masks;
    BinaryMask small(2, 3);
    small.at(0, 1) = small.at(1, 0) = 1;
    masks.push_back(small);
    masks.push_back(BinaryMask(0, 0));
    masks.push_back(BinaryMask(512, 512));
    masks.push_back(noiseMask(40, 50, 0.5, rng)); // compressed
    masks.push_back(noiseMask(300, 1, 0.3, rng));
    BinaryMask rect(64, 64);
    addRect(rect, 8, 8, 56, 40); // compressed, long runs
    masks.push_back(rect);
    BinaryMask disc(512, 512);
    addDisc(disc, 256, 256, 100);
    masks.push_back(disc);
    for (const auto& m : masks) {
        const Blob blob = encodeMask(m);
        for (size_t len = 0; len < blob.size(); ++len) {
            const Blob cut(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(len));
            EXPECT_THROW(decodeMask(cut), std::invalid_argument)
                << m.rows << "x" << m.cols << " blob of " << blob.size() << " bytes cut to " << len;
        }
        // Trailing garbage is rejected too, compressed or not.
        for (uint8_t extra : {0x00, 0x01, 0x7f, 0x80}) {
            Blob longer = blob;
            longer.push_back(extra);
            EXPECT_THROW(decodeMask(longer), std::invalid_argument)
                << m.rows << "x" << m.cols << " + byte " << int(extra);
        }
    }
    EXPECT_THROW(decodeMask(nullptr, 0), std::invalid_argument);
}

TEST(MaskCodec, WrongVersionThrows)
{
    Blob blob = encodeMask(handMaskA());
    for (uint8_t v : {0, 2, 0x81, 255}) {
        blob[0] = v;
        EXPECT_THROW(decodeMask(blob), std::invalid_argument) << "version " << int(v);
    }
    blob[0] = 2;
    EXPECT_NE(decodeError(blob).find("version 2"), std::string::npos) << decodeError(blob);
}

TEST(MaskCodec, AbsurdSizesThrow)
{
    const uint64_t limit = uint64_t(1) << 28;
    // Within limits: fine. (2^14 x 2^14 would be valid too, but would allocate 256 MB here.)
    EXPECT_NO_THROW(decodeMask(rawBlob(1 << 12, 1 << 12, {uint64_t(1) << 24})));
    EXPECT_NO_THROW(decodeMask(rawBlob(limit, 0, {0}))); // the largest side, zero pixels
    EXPECT_THROW(decodeMask(rawBlob(limit + 1, 1, {limit + 1})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(1, limit + 1, {limit + 1})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(1 << 15, 1 << 14, {1})), std::invalid_argument); // 2^29 pixels
    EXPECT_THROW(decodeMask(rawBlob(65536, 65536, {1})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(uint64_t(1) << 31, 1, {1})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(uint64_t(1) << 62, 1, {1})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(UINT64_MAX, UINT64_MAX, {1})), std::invalid_argument);
    EXPECT_NE(decodeError(rawBlob(1 << 15, 1 << 14, {1})).find("32768x16384"), std::string::npos);

    // A varint that never ends, and one with six bytes.
    EXPECT_THROW(decodeMask(Blob{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}),
                 std::invalid_argument);
    EXPECT_THROW(decodeMask(Blob{1, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x00, 0x01}),
                 std::invalid_argument);
    // Non-minimal varints: 3 written as 83 00; 0 written as 80 00.
    EXPECT_THROW(decodeMask(Blob{1, 0x83, 0x00, 0x01, 0x00, 0x03}), std::invalid_argument);
    EXPECT_THROW(decodeMask(Blob{1, 0x01, 0x01, 0x00, 0x80, 0x00, 0x01}), std::invalid_argument);
    // Sanity: the minimal forms of the same blobs are fine.
    EXPECT_NO_THROW(decodeMask(Blob{1, 0x03, 0x01, 0x00, 0x03}));
    EXPECT_NO_THROW(decodeMask(Blob{1, 0x01, 0x01, 0x00, 0x00, 0x01}));
}

TEST(MaskCodec, RunListViolationsThrow)
{
    EXPECT_NO_THROW(decodeMask(rawBlob(2, 3, {1, 3, 2})));
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {1, 3, 1})), std::invalid_argument);    // sums to 5
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {1, 3, 3})), std::invalid_argument);    // sums to 7
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {7})), std::invalid_argument);          // one run too long
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {1, 3, 2, 1})), std::invalid_argument); // extra run
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {1, 0, 3, 2})), std::invalid_argument); // empty middle run
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {1, 3, 2, 0})), std::invalid_argument); // empty last run
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {})), std::invalid_argument);           // no runs at all
    EXPECT_THROW(decodeMask(rawBlob(0, 0, {})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(0, 0, {0, 0})), std::invalid_argument);
    EXPECT_THROW(decodeMask(rawBlob(2, 3, {UINT32_MAX, 1})), std::invalid_argument);
    EXPECT_NE(decodeError(rawBlob(2, 3, {1, 3, 1})).find("sum to 5"), std::string::npos)
        << decodeError(rawBlob(2, 3, {1, 3, 1}));

    // Unknown flag bits.
    Blob flagged = rawBlob(2, 3, {1, 3, 2});
    for (uint8_t f : {0x02, 0x80, 0xfe}) {
        flagged[3] = f;
        EXPECT_THROW(decodeMask(flagged), std::invalid_argument) << "flags " << int(f);
    }
    // The zlib flag on a payload that is not a zlib stream.
    flagged[3] = 0x01;
    EXPECT_THROW(decodeMask(flagged), std::invalid_argument);
}

TEST(MaskCodec, CorruptCompressedPayloadThrows)
{
    std::mt19937 rng(3);
    const BinaryMask m = noiseMask(48, 48, 0.3, rng);
    const Blob blob = encodeMask(m);
    ASSERT_EQ(blob[3], 0x01) << "expected the zlib branch";
    // Header is 1 + 1 + 1 + 1 bytes here; then the length varint (2 bytes for this run list).
    const size_t lengthAt = 4;
    const bool twoByteLength = (blob[lengthAt] & 0x80) != 0;
    const size_t streamAt = lengthAt + (twoByteLength ? 2 : 1);

    // Nearly every single-byte corruption inside the zlib stream is caught (header check, Huffman
    // structure, Adler-32, output length, trailing bytes). Not all: padding bits after the final
    // block are ignored, and Adler-32 misses some rearrangements of equal-sum bytes (with seed 3
    // two flips swap run lengths 1,5,3 -> 3,1,5 at alternate positions, which leaves both Adler
    // sums unchanged). Those must still yield a valid mask on the same grid, never a crash.
    int caught = 0, tried = 0;
    for (size_t i = streamAt; i < blob.size(); ++i) {
        for (uint8_t flip : {0x01, 0x10, 0x80, 0xff}) {
            Blob bad = blob;
            bad[i] ^= flip;
            ++tried;
            try {
                const BinaryMask got = decodeMask(bad);
                EXPECT_EQ(got.rows, m.rows);
                EXPECT_EQ(got.cols, m.cols);
                EXPECT_TRUE(decodeMask(encodeMask(got)) == got);
            } catch (const std::invalid_argument&) {
                ++caught;
            }
        }
    }
    EXPECT_GE(caught, tried * 95 / 100);

    // Lying about the run list length: too short, too long, zero, above rows*cols + 1.
    auto withLength = [&](uint64_t length) {
        Blob b(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(lengthAt));
        putVarint(b, length);
        b.insert(b.end(), blob.begin() + static_cast<std::ptrdiff_t>(streamAt), blob.end());
        return b;
    };
    uint64_t trueLength = blob[lengthAt] & 0x7f;
    if (twoByteLength)
        trueLength |= uint64_t(blob[lengthAt + 1]) << 7;
    EXPECT_NO_THROW(decodeMask(withLength(trueLength)));
    for (uint64_t length :
         {trueLength - 1, trueLength + 1, uint64_t(0), uint64_t(48 * 48 + 2), uint64_t(1) << 27})
        EXPECT_THROW(decodeMask(withLength(length)), std::invalid_argument) << "length " << length;

    // A well-formed zlib stream of a bad run list is still a bad run list. Maximum declared
    // length with a tiny stream: rejected without allocating the declared size.
    Blob tiny{1};
    putVarint(tiny, 1 << 14);
    putVarint(tiny, 1 << 14);
    tiny.push_back(0x01);
    putVarint(tiny, (uint64_t(1) << 28) + 1);
    for (uint8_t b : {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) // zlib stream of zero bytes
        tiny.push_back(b);
    EXPECT_THROW(decodeMask(tiny), std::invalid_argument);
}

TEST(MaskCodec, RandomBytesNeverCrash)
{
    std::mt19937 rng(8);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 48);
    int rejected = 0;
    const int trials = 30000;
    for (int i = 0; i < trials; ++i) {
        Blob blob(static_cast<size_t>(len(rng)));
        for (auto& b : blob)
            b = static_cast<uint8_t>(byte(rng));
        // Most trials get a plausible header so the deeper checks are exercised too.
        if (!blob.empty() && i % 4 != 0)
            blob[0] = 1;
        if (blob.size() > 3 && i % 4 == 2)
            blob[3] = static_cast<uint8_t>(byte(rng) & 1);
        rejected += decodeRejects(blob);
    }
    EXPECT_GT(rejected, trials * 9 / 10);
}

TEST(MaskCodec, MutatedBlobsNeverCrash)
{
    std::mt19937 rng(9);
    std::vector<Blob> seeds;
    seeds.push_back(encodeMask(noiseMask(30, 40, 0.2, rng)));
    seeds.push_back(encodeMask(noiseMask(5, 7, 0.5, rng)));
    BinaryMask disc(128, 128);
    addDisc(disc, 60, 70, 30);
    seeds.push_back(encodeMask(disc));
    for (const Blob& seed : seeds) {
        for (int i = 0; i < 3000; ++i) {
            Blob b = seed;
            const int edits = 1 + i % 3;
            for (int e = 0; e < edits; ++e) {
                std::uniform_int_distribution<size_t> at(0, b.size() - 1);
                switch (i % 4) {
                case 0:
                    b[at(rng)] ^= static_cast<uint8_t>(1u << (rng() % 8));
                    break;
                case 1:
                    b[at(rng)] = static_cast<uint8_t>(rng());
                    break;
                case 2:
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(at(rng)), static_cast<uint8_t>(rng()));
                    break;
                default:
                    if (b.size() > 1)
                        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at(rng)));
                    break;
                }
            }
            decodeRejects(b);
        }
    }
}

// ---- COCO RLE ------------------------------------------------------------------------------------

TEST(MaskCoco, CountsAreColumnMajor)
{
    // 3 x 3 mask (rows top to bottom):
    //   0 1 0
    //   0 1 1
    //   0 0 1
    // Column-major (column 0 top to bottom, then column 1, then column 2):
    //   0 0 0 | 1 1 0 | 0 1 1   -> runs: three 0s, two 1s, two 0s, two 1s = {3, 2, 2, 2}.
    BinaryMask m(3, 3);
    m.at(0, 1) = m.at(1, 1) = m.at(1, 2) = m.at(2, 2) = 1;
    EXPECT_EQ(cocoRleCounts(m), (std::vector<uint32_t>{3, 2, 2, 2}));
    EXPECT_EQ(cocoRleDecode({3, 2, 2, 2}, 3, 3), m);

    // Non-square: 2 x 3 mask  1 0 0 / 1 0 1  -> columns (1 1)(0 0)(0 1) -> {0, 2, 3, 1}.
    BinaryMask r(2, 3);
    r.at(0, 0) = r.at(1, 0) = r.at(1, 2) = 1;
    EXPECT_EQ(cocoRleCounts(r), (std::vector<uint32_t>{0, 2, 3, 1}));
    EXPECT_EQ(cocoRleDecode({0, 2, 3, 1}, 2, 3), r);

    // Shapes pycocotools' rleEncode gives for the degenerate cases.
    EXPECT_EQ(cocoRleCounts(BinaryMask(4, 5)), (std::vector<uint32_t>{20}));
    BinaryMask full(4, 5);
    std::fill(full.pixels.begin(), full.pixels.end(), 1);
    EXPECT_EQ(cocoRleCounts(full), (std::vector<uint32_t>{0, 20}));
    EXPECT_EQ(cocoRleCounts(BinaryMask(0, 0)), (std::vector<uint32_t>{0}));
    // Found by fuzz_coco_rle (UBSan): a 0 x 5 grid made the encoder offset a null pixel pointer.
    EXPECT_EQ(cocoRleCounts(BinaryMask(0, 5)), (std::vector<uint32_t>{0}));
    EXPECT_EQ(cocoRleCounts(cocoRleDecode({0}, 0, 5)), (std::vector<uint32_t>{0}));
}

TEST(MaskCoco, StringKnownEncodings)
{
    // {2, 3, 4}: each count fits in one 5-bit group without the sign bit -> '0' + n.
    // (No differencing yet: maskApi.c subtracts cnts[i-2] only for i > 2.)
    EXPECT_EQ(cocoRleString({2, 3, 4}), "234");
    // {0, 40, 1, 38}:
    //   i=0: 0 -> '0' (48).
    //   i=1: 40 = 0b1'01000: group 8, x -> 1, more -> 8|0x20 = 40 -> 'X' (88); group 1 -> '1'.
    //   i=2: 1 -> '1'.
    //   i=3: 38 - cnts[1] = 38 - 40 = -2: group -2 & 31 = 30, x -> -1, sign bit 0x10 set and
    //        x == -1, so no more -> 30 + 48 = 78 = 'N'.
    EXPECT_EQ(cocoRleString({0, 40, 1, 38}), "0X11N");
    EXPECT_EQ(cocoRleCountsFromString("234"), (std::vector<uint32_t>{2, 3, 4}));
    EXPECT_EQ(cocoRleCountsFromString("0X11N"), (std::vector<uint32_t>{0, 40, 1, 38}));
    EXPECT_EQ(cocoRleString({}), "");
    EXPECT_TRUE(cocoRleCountsFromString("").empty());
}

TEST(MaskCoco, StringRoundTripExtremeCounts)
{
    const std::vector<std::vector<uint32_t>> cases = {
        {0},
        {16, 15, 31, 32, 33, 1023, 1024, 1025},
        {0, UINT32_MAX, 0, UINT32_MAX, 0, 1, UINT32_MAX},
        {UINT32_MAX, 0, 0, UINT32_MAX, UINT32_MAX, 0},
        {1, 1, 1 << 20, 1, 1, 1 << 20, 7},
    };
    for (const auto& counts : cases)
        EXPECT_EQ(cocoRleCountsFromString(cocoRleString(counts)), counts) << cocoRleString(counts);
}

TEST(MaskCoco, RandomMasksRoundTrip)
{
    std::mt19937 rng(77);
    std::uniform_int_distribution<int> side(1, 120);
    std::uniform_real_distribution<double> density(0.0, 1.0);
    for (int i = 0; i < 200; ++i) {
        const BinaryMask m = noiseMask(side(rng), side(rng), i % 2 ? density(rng) : density(rng) * 0.05, rng);
        const std::vector<uint32_t> counts = cocoRleCounts(m);
        const std::string text = cocoRleString(counts);
        EXPECT_EQ(cocoRleCountsFromString(text), counts) << text;
        EXPECT_TRUE(cocoRleDecode(cocoRleCountsFromString(text), m.rows, m.cols) == m) << "mask #" << i;
    }
    for (int i = 0; i < 10; ++i) {
        const BinaryMask m = typicalSlice(rng);
        EXPECT_TRUE(cocoRleDecode(cocoRleCountsFromString(cocoRleString(cocoRleCounts(m))), 512, 512) == m);
    }
}

TEST(MaskCoco, MalformedInputThrows)
{
    EXPECT_THROW(cocoRleCountsFromString("23 4"), std::invalid_argument); // ' ' = 32 < 48
    EXPECT_THROW(cocoRleCountsFromString("23p"), std::invalid_argument);  // 'p' = 112 > 111
    EXPECT_THROW(cocoRleCountsFromString(std::string("2\x80", 2)), std::invalid_argument);
    EXPECT_THROW(cocoRleCountsFromString("0X"), std::invalid_argument);        // ends mid-count
    EXPECT_THROW(cocoRleCountsFromString("oooooooo1"), std::invalid_argument); // > 7 groups
    EXPECT_THROW(cocoRleCountsFromString("N"), std::invalid_argument);         // first count -2
    EXPECT_THROW(cocoRleCountsFromString("011N"), std::invalid_argument);      // 1 + (-2) = -1
    // 2^32 does not fit in a count: 2^32 = groups 0,0,0,0,0,0,4 -> "PPPPPP4".
    EXPECT_THROW(cocoRleCountsFromString("PPPPPP4"), std::invalid_argument);
    EXPECT_EQ(cocoRleCountsFromString("oooooo3"), (std::vector<uint32_t>{UINT32_MAX}));

    EXPECT_THROW(cocoRleDecode({3, 2, 2, 1}, 3, 3), std::invalid_argument); // sums to 8
    EXPECT_THROW(cocoRleDecode({3, 2, 2, 3}, 3, 3), std::invalid_argument); // sums to 10
    EXPECT_THROW(cocoRleDecode({UINT32_MAX, UINT32_MAX}, 3, 3), std::invalid_argument);
    EXPECT_THROW(cocoRleDecode({}, 3, 3), std::invalid_argument);
    EXPECT_THROW(cocoRleDecode({0}, -1, 3), std::invalid_argument);
    EXPECT_EQ(cocoRleDecode({}, 0, 0).size(), 0u);
}
