#include "core/phantom/Phantom.h"
#include "core/phantom/SliceBlur.h"

#include "core/common/Error.h"
#include "core/io/VolumeIo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace weaksight {

namespace {

// ---------------------------------------------------------------------------------------------
// Deterministic randomness. Everything is derived from (seed, index) through our own hashing and
// our own distributions: std::normal_distribution and friends are implementation-defined, and a
// phantom data set must come out the same with any standard library.

constexpr double kPi = 3.14159265358979323846;

uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double unitFromBits(uint64_t bits)
{
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

class Rng {
public:
    explicit Rng(uint64_t seed)
        : m_engine(seed)
    {
    }
    double uniform() { return unitFromBits(m_engine()); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Integer in [lo, hi] inclusive.
    int uniformInt(int lo, int hi)
    {
        return lo + static_cast<int>(std::min<double>(hi - lo, std::floor(uniform() * (hi - lo + 1))));
    }
    bool chance(double p) { return uniform() < p; }
    double sign() { return chance(0.5) ? 1.0 : -1.0; }
    uint64_t bits() { return m_engine(); }

private:
    std::mt19937_64 m_engine;
};

/// Value noise in [0, 1) on a unit lattice: cheap, smooth, and good enough for organ textures.
double latticeValue(uint64_t seed, int64_t x, int64_t y, int64_t z)
{
    const uint64_t h = seed ^ (static_cast<uint64_t>(x) * 0x9E3779B97F4A7C15ULL) ^
                       (static_cast<uint64_t>(y) * 0xC2B2AE3D27D4EB4FULL) ^
                       (static_cast<uint64_t>(z) * 0x165667B19E3779F9ULL);
    return unitFromBits(mix64(h));
}

double valueNoise(uint64_t seed, double x, double y, double z)
{
    const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
    const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy), iz = static_cast<int64_t>(fz);
    auto smooth = [](double t) {
        return t * t * (3 - 2 * t);
    };
    const double u = smooth(x - fx), v = smooth(y - fy), w = smooth(z - fz);
    auto lerp = [](double a, double b, double t) {
        return a + (b - a) * t;
    };
    const double c00 = lerp(latticeValue(seed, ix, iy, iz), latticeValue(seed, ix + 1, iy, iz), u);
    const double c10 = lerp(latticeValue(seed, ix, iy + 1, iz), latticeValue(seed, ix + 1, iy + 1, iz), u);
    const double c01 = lerp(latticeValue(seed, ix, iy, iz + 1), latticeValue(seed, ix + 1, iy, iz + 1), u);
    const double c11 =
        lerp(latticeValue(seed, ix, iy + 1, iz + 1), latticeValue(seed, ix + 1, iy + 1, iz + 1), u);
    return lerp(lerp(c00, c10, v), lerp(c01, c11, v), w);
}

/// Zero-mean noise in [-1, 1] at a feature size of `scaleMm`.
double texture(uint64_t seed, double x, double y, double z, double scaleMm)
{
    return 2.0 * valueNoise(seed, x / scaleMm, y / scaleMm, z / scaleMm) - 1.0;
}

// ---------------------------------------------------------------------------------------------
// Geometry. Patient coordinates in mm with the body centre at x = y = 0: x towards the patient's
// left, y towards posterior, z towards superior (LPS, as the canonical layout).

struct Vec3 {
    double x = 0, y = 0, z = 0;
};
Vec3 operator+(Vec3 a, Vec3 b)
{
    return {a.x + b.x, a.y + b.y, a.z + b.z};
}
Vec3 operator-(Vec3 a, Vec3 b)
{
    return {a.x - b.x, a.y - b.y, a.z - b.z};
}
Vec3 operator*(Vec3 a, double s)
{
    return {a.x * s, a.y * s, a.z * s};
}
double dot(Vec3 a, Vec3 b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
double length(Vec3 a)
{
    return std::sqrt(dot(a, a));
}

/// Orthonormal axes (in patient coordinates) of a rotated object.
struct Frame {
    Vec3 u{1, 0, 0}, v{0, 1, 0}, w{0, 0, 1};
    Vec3 toLocal(Vec3 d) const { return {dot(d, u), dot(d, v), dot(d, w)}; }
    Vec3 toWorld(Vec3 l) const { return u * l.x + v * l.y + w * l.z; }
};

/// Rotation by rx about x, then ry about y, then rz about z (radians).
Frame rotatedFrame(double rx, double ry, double rz)
{
    auto rotate = [&](Vec3 p) {
        p = {p.x, p.y * std::cos(rx) - p.z * std::sin(rx), p.y * std::sin(rx) + p.z * std::cos(rx)};
        p = {p.x * std::cos(ry) + p.z * std::sin(ry), p.y, -p.x * std::sin(ry) + p.z * std::cos(ry)};
        p = {p.x * std::cos(rz) - p.y * std::sin(rz), p.x * std::sin(rz) + p.y * std::cos(rz), p.z};
        return p;
    };
    return {rotate({1, 0, 0}), rotate({0, 1, 0}), rotate({0, 0, 1})};
}

/// Half extents along x, y, z of an ellipsoid with the given frame and semi-axes.
Vec3 ellipsoidExtent(const Frame& f, Vec3 semi)
{
    auto ext = [&](double ux, double vx, double wx) {
        return std::sqrt(ux * ux * semi.x * semi.x + vx * vx * semi.y * semi.y + wx * wx * semi.z * semi.z);
    };
    return {ext(f.u.x, f.v.x, f.w.x), ext(f.u.y, f.v.y, f.w.y), ext(f.u.z, f.v.z, f.w.z)};
}

double squaredNorm(Vec3 l, Vec3 semi)
{
    const double a = l.x / semi.x, b = l.y / semi.y, c = l.z / semi.z;
    return a * a + b * b + c * c;
}

double segmentDistance(Vec3 p, Vec3 a, Vec3 b)
{
    const Vec3 ab = b - a;
    const double len2 = dot(ab, ab);
    const double t = len2 > 0 ? std::clamp(dot(p - a, ab) / len2, 0.0, 1.0) : 0.0;
    return length(p - (a + ab * t));
}

// ---------------------------------------------------------------------------------------------
// Tissues, for clipping one structure against what is already painted (an organ only fills
// visceral fat, so it hugs the abdominal wall and never covers a rib).

enum Tissue : uint8_t {
    Air,
    Skin,
    SubcutFat,
    WallMuscle,
    VisceralFat,
    Bone,
    Liver,
    Spleen,
    Organ,
    Bowel,
    Vessel,
    KidneyTissue,
    LesionTissue,
    Table,
    Muscle,
};

constexpr uint32_t bit(Tissue t)
{
    return 1u << t;
}
constexpr uint32_t kAnyTissue = ~0u;
constexpr uint32_t kFatOnly = bit(VisceralFat);
constexpr uint32_t kInsideBody = ~(bit(Air) | bit(Table) | bit(Skin) | bit(SubcutFat));

/// One axial sub-slice being painted: HU plus the tissue that put it there.
struct Canvas {
    int n = 0;
    double pixel = 1;
    double x0 = 0, y0 = 0; ///< patient x, y (mm) of the centre of pixel (0, 0)
    std::vector<float> hu;
    std::vector<uint8_t> tissue;

    /// Calls f(x, y, i) for every pixel whose centre lies in the box.
    template <typename F> void forBox(double xMin, double xMax, double yMin, double yMax, F&& f) const
    {
        auto clampIndex = [&](double v) {
            return static_cast<int>(std::clamp(v, -1.0, double(n)));
        };
        const int c0 = std::max(0, clampIndex(std::ceil((xMin - x0) / pixel)));
        const int c1 = std::min(n - 1, clampIndex(std::floor((xMax - x0) / pixel)));
        const int r0 = std::max(0, clampIndex(std::ceil((yMin - y0) / pixel)));
        const int r1 = std::min(n - 1, clampIndex(std::floor((yMax - y0) / pixel)));
        for (int r = r0; r <= r1; ++r) {
            const double y = y0 + r * pixel;
            size_t i = static_cast<size_t>(r) * n + c0;
            for (int c = c0; c <= c1; ++c, ++i)
                f(x0 + c * pixel, y, i);
        }
    }
    bool allows(size_t i, uint32_t mask) const { return (mask >> tissue[i]) & 1u; }
    void set(size_t i, double value, Tissue t)
    {
        hu[i] = static_cast<float>(value);
        tissue[i] = t;
    }
};

/// A tube along a polyline (vessel, bowel loop): a wall around a lumen.
struct Tube {
    std::vector<Vec3> points;
    double radius = 5;
    double wall = 0; ///< 0: solid (vessel)
    double huWall = 0;
    double huLumen = 0;
    enum Content { Solid, Fluid, Gas, GasFluid, Stool } content = Solid;
    double gasLevelY = 0;   ///< GasFluid/Stool: gas anterior (y smaller) of this
    double gasFraction = 0; ///< Stool: share of gas bubbles
    double lobulation = 0;  ///< relative radius modulation (pancreas)
    double textureHu = 0;
    uint64_t seed = 0;
    Tissue tissue = Vessel;
    uint32_t paintsOver = kAnyTissue;
};

// ---------------------------------------------------------------------------------------------
// Kidney model. Local coordinates of a kidney are side-normalised: u lateral (away from the
// spine), v posterior, w superior; the right kidney is the mirror image of the left one.

enum class KidneyPart { Outside, Cortex, Medulla, Sinus, Pelvis };

struct Kidney {
    int side = 1;
    Vec3 centre;
    Vec3 semi; ///< lateral, AP, craniocaudal half axes (mm)
    Frame frame;
    double cortexMm = 6;
    double huCortex = 200, huMedulla = 125, huSinus = -90, huPelvis = 20;
    /// Axes of the medullary pyramids (unit vectors, sinus-centred normalised coordinates).
    std::vector<Vec3> pyramids;
    double pyramidHalfAngle = 0.5;
    double perirenalMm = 10;
    uint64_t seed = 0;

    Vec3 toLocal(Vec3 p) const
    {
        Vec3 d = p - centre;
        d.x *= side;
        return frame.toLocal(d);
    }
    Vec3 toWorld(Vec3 l) const
    {
        Vec3 d = frame.toWorld(l);
        d.x *= side;
        return centre + d;
    }
    Vec3 extent(double margin = 0) const
    {
        return ellipsoidExtent(frame, {semi.x + margin, semi.y + margin, semi.z + margin});
    }

    KidneyPart classify(Vec3 p) const
    {
        const Vec3 l = toLocal(p);
        if (squaredNorm(l, semi) >= 1)
            return KidneyPart::Outside;
        // Renal pelvis and sinus fat sit at the medial hilum; the hilum notch opens the sinus
        // to the perirenal fat so the kidney looks like a bean, not an egg.
        const Vec3 pelvisCentre{-semi.x * 0.5, 0, -semi.z * 0.08};
        const Vec3 pelvisSemi{semi.x * 0.32, semi.y * 0.28, semi.z * 0.2};
        if (squaredNorm(l - pelvisCentre, pelvisSemi) < 1)
            return KidneyPart::Pelvis;
        const Vec3 sinusCentre{-semi.x * 0.3, 0, 0};
        const Vec3 sinusSemi{semi.x * 0.48, semi.y * 0.42, semi.z * 0.55};
        if (squaredNorm(l - sinusCentre, sinusSemi) < 1)
            return KidneyPart::Sinus;
        if (l.x < -semi.x * 0.3) {
            const double a = l.y / (semi.y * 0.42), b = l.z / (semi.z * 0.3);
            if (a * a + b * b < 1)
                return KidneyPart::Sinus;
        }
        const Vec3 inner{semi.x - cortexMm, semi.y - cortexMm, semi.z - cortexMm};
        if (squaredNorm(l, inner) >= 1)
            return KidneyPart::Cortex;
        // Pyramids are cones with the papilla at the sinus and the base under the cortex;
        // cortex (columns of Bertin) fills between them.
        const Vec3 d{(l.x + semi.x * 0.3) / semi.x, l.y / semi.y, l.z / semi.z};
        const double len = length(d);
        if (len < 1e-9)
            return KidneyPart::Medulla;
        const double threshold =
            std::cos(pyramidHalfAngle * (0.35 + 0.65 * std::sqrt(squaredNorm(l, inner))));
        for (const Vec3& axis : pyramids)
            if (dot(d, axis) > threshold * len)
                return KidneyPart::Medulla;
        return KidneyPart::Cortex;
    }
};

struct Lesion {
    PhantomLesion info;
    Vec3 centre;
    Vec3 semi;
    Frame frame;
    double lumpAmplitude = 0; ///< relative radius modulation (tumours are lumpy, cysts smooth)
    double lumpScaleMm = 10;
    double hu = 50, textureHu = 0, textureScaleMm = 10;
    double necroticFraction = 0, huNecrotic = 15;
    uint64_t seed = 0;

    Vec3 extent() const { return ellipsoidExtent(frame, semi * (1 + lumpAmplitude)); }
    /// Normalised radius: < 1 inside.
    double field(Vec3 p) const
    {
        const double r = std::sqrt(squaredNorm(frame.toLocal(p - centre), semi));
        if (lumpAmplitude <= 0 || r > 1 + lumpAmplitude)
            return r;
        return r + lumpAmplitude * texture(seed, p.x, p.y, p.z, lumpScaleMm);
    }
    double huAt(Vec3 p, double r) const
    {
        if (necroticFraction > 0 &&
            r < necroticFraction * (1 + 0.25 * texture(seed ^ 0x55, p.x, p.y, p.z, lumpScaleMm * 0.7)))
            return huNecrotic + 3 * texture(seed ^ 0x77, p.x, p.y, p.z, 4);
        return hu + textureHu * texture(seed ^ 0x99, p.x, p.y, p.z, textureScaleMm);
    }
};

// ---------------------------------------------------------------------------------------------
// Everything drawn for one case.

struct Anatomy {
    uint64_t seed = 0;
    // Body outline and wall.
    double bodyA = 165, bodyB = 120; ///< half width, half AP (mm)
    double bodyWavePhase = 0;
    double backSquareness = 0.6, bellySquareness = 0.2;
    double skinMm = 2, fatAnteriorMm = 20, fatPosteriorMm = 15, fatFlankMm = 20, muscleMm = 10;
    double cavityA = 130, cavityB = 90;
    double huSkin = 30, huSubcutFat = -100, huMuscle = 50, huVisceralFat = -90;
    // Table.
    double tableY = 140, tableCurvatureMm = 1500;
    // Spine.
    double vertebraY = 30, vertebraA = 22, vertebraB = 16, canalRadius = 9, archMm = 5;
    double spinePeriod = 35, discMm = 8, spinePhase = 0;
    double huCancellous = 240, huCortical = 700, huDisc = 80, huCanal = 20, huPosterior = 450;
    double backMuscleBump = 80, backMuscleWidth = 55;
    // Ribs: bone in the wall above a bottom line that rises towards anterior.
    double ribPeriod = 27, ribHeight = 10, ribSlope = 110, ribPhaseRight = 0, ribPhaseLeft = 0;
    double ribBottomPosterior = 10, ribBottomAnterior = 90;
    double huRibCortex = 800, huRibMarrow = 300, huCartilage = 140;
    // Psoas.
    double psoasTop = 40, huPsoas = 50;
    // Vessels.
    double aortaX = 12, aortaY = 0, aortaR = 11, aortaBifurcation = -100, huAorta = 210;
    double ivcX = -24, ivcY = 0, ivcA = 12, ivcB = 9, huIvc = 140;
    // Organs.
    double zRight = 0, zLeft = 10; ///< kidney centres
    double liverTip = -40, liverTop = 140, huLiver = 105;
    double spleenBottom = 30, spleenTop = 140, huSpleen = 110;
    double stomachBottom = 50, huStomachContent = 10, stomachGasLevel = -60;
    bool hasGallbladder = true;
    Vec3 gallbladderCentre, gallbladderSemi{14, 13, 32};
    double huBowelWall = 50;
    std::vector<Tube> organTubes;   ///< pancreas, colon, small bowel, mesenteric vessels
    std::vector<Tube> liverVessels; ///< hepatic and portal branches, painted inside the liver only
    std::vector<Tube> vessels;      ///< renal vessels, SMA, SMV, portal vein
    Kidney kidneys[2];              ///< [0] right, [1] left
    std::vector<Lesion> lesions;
};

// ---------------------------------------------------------------------------------------------
// Painters. Each paints one structure over its bounding box at height z.

double bodyScale(const Anatomy& a, double z)
{
    return 1.0 + 0.03 * std::sin(z / 70.0 + a.bodyWavePhase);
}

/// A wall pixel where a rib may cross, depending on z.
struct RibCandidate {
    uint32_t index;
    float across;   ///< -1..1 across the rib's thickness
    float anterior; ///< 0 posterior .. 1 anterior
    bool left;
};

/// A rib crossing the slice obliquely: an oval in the wall where the rib's height (its phase
/// along z, which shifts with the angle around the body as ribs run down anteriorly) and its
/// thickness (depth) both fit. Ribs exist above a bottom line that rises towards anterior.
void paintRibs(const Anatomy& a, double z, const std::vector<RibCandidate>& ribs, Canvas& cv)
{
    if (z <= a.zRight + a.ribBottomPosterior)
        return;
    const double half = 0.5 * a.ribHeight;
    for (const RibCandidate& c : ribs) {
        if (z <= a.zRight + a.ribBottomPosterior + (a.ribBottomAnterior - a.ribBottomPosterior) * c.anterior)
            continue;
        double phase =
            std::fmod(z + a.ribSlope * c.anterior - (c.left ? a.ribPhaseLeft : a.ribPhaseRight), a.ribPeriod);
        if (phase < 0)
            phase += a.ribPeriod;
        const double along = (phase - half) / half;
        const double q = along * along + double(c.across) * c.across;
        if (q < 1)
            cv.set(c.index, c.anterior > 0.72 ? a.huCartilage : (q > 0.45 ? a.huRibCortex : a.huRibMarrow),
                   Bone);
    }
}

void paintTable(const Anatomy& a, Canvas& cv)
{
    const double thickness = 9, shell = 2;
    const double halfWidth = 230;
    cv.forBox(-halfWidth, halfWidth, a.tableY - 15, a.tableY + thickness, [&](double x, double y, size_t i) {
        const double top = a.tableY - x * x / (2 * a.tableCurvatureMm);
        const double d = y - top;
        if (d < 0 || d > thickness)
            return;
        cv.set(i, (d < shell || d > thickness - shell) ? 200.0 : -880.0, Table);
    });
}

/// Skin, subcutaneous fat, wall muscles (with the paraspinal mass) and visceral fat in one pass
/// over the body: per pixel, the depth below the skin along the ray from the body centre decides
/// the layer. The outline hardly changes across one slice, so this is painted once per slice and
/// reused for its sub-slices; the pixels where ribs may cross are collected for paintRibs.
void paintBody(const Anatomy& a, double z, Canvas& cv, std::vector<RibCandidate>& ribs)
{
    ribs.clear();
    const double s = bodyScale(a, z);
    const double A = a.bodyA * s, B = a.bodyB * s;
    const double invA = 1 / A, invB = 1 / B;
    cv.forBox(-A, A, -B, B, [&](double x, double y, size_t i) {
        // Boundary: X^2 + Y^2 - c X^2 Y^2 = 1, a rounded rectangle for c -> 1; the back is
        // flatter than the belly (patients lie on it).
        const double X = x * invA, Y = y * invB;
        const double alpha = X * X + Y * Y;
        const double beta = (Y > 0 ? a.backSquareness : a.bellySquareness) * X * X * Y * Y;
        if (alpha - beta >= 1)
            return;
        // Scale t^2 along the ray from the centre that reaches the boundary.
        const double t2 = beta > 1e-12 ? (alpha - std::sqrt(alpha * alpha - 4 * beta)) / (2 * beta)
                                       : (alpha > 1e-12 ? 1 / alpha : 1e12);
        const double r = std::sqrt(x * x + y * y);
        const double depth = r * (std::sqrt(t2) - 1);
        if (depth < a.skinMm) {
            cv.set(i, a.huSkin, Skin);
            return;
        }
        const double ny = r > 1e-9 ? y / r : 0, nx = r > 1e-9 ? x / r : 0;
        const double fat = a.fatAnteriorMm * 0.5 * (1 - ny) + a.fatPosteriorMm * 0.5 * (1 + ny) +
                           (a.fatFlankMm - 0.5 * (a.fatAnteriorMm + a.fatPosteriorMm)) * nx * nx;
        const double fatEnd = a.skinMm + fat;
        if (depth < fatEnd) {
            cv.set(i, a.huSubcutFat, SubcutFat);
            return;
        }
        // Obliques laterally are thicker than the recti; the linea alba is a thin seam.
        double muscle = a.muscleMm * (0.75 + 0.5 * nx * nx);
        if (ny < -0.8 && std::abs(x) < 5)
            muscle = 2.5;
        double bump = 0;
        if (ny > 0) {
            const double t = x / a.backMuscleWidth;
            bump = a.backMuscleBump * std::exp(-t * t) * ny * ny;
            muscle += bump;
        }
        const double wallEnd = fatEnd + muscle;
        // Ribs straddle the inner edge of the wall; none in the posterior muscle mass or midline.
        const double ribCentre = wallEnd - 1.5;
        const double anterior = 0.5 * (1 - ny);
        if (bump < 12 && std::abs(depth - ribCentre) < 3.2 && anterior > 0.1 && anterior < 0.93)
            ribs.push_back({static_cast<uint32_t>(i), static_cast<float>((depth - ribCentre) / 3.2),
                            static_cast<float>(anterior), x > 0});
        if (depth < wallEnd)
            cv.set(i, a.huMuscle, WallMuscle);
        else
            cv.set(i, a.huVisceralFat, VisceralFat);
    });
}

/// An axial ellipse rotated by `angle`, painted where the mask allows; f(x, y, q) gives the HU.
template <typename F>
void paintEllipse(Canvas& cv, double cx, double cy, double ax, double ay, double angle, uint32_t mask,
                  Tissue t, F&& hu)
{
    if (ax <= 0 || ay <= 0)
        return;
    const double c = std::cos(angle), s = std::sin(angle);
    const double ex = std::sqrt(ax * ax * c * c + ay * ay * s * s);
    const double ey = std::sqrt(ax * ax * s * s + ay * ay * c * c);
    cv.forBox(cx - ex, cx + ex, cy - ey, cy + ey, [&](double x, double y, size_t i) {
        const double dx = x - cx, dy = y - cy;
        const double u = (dx * c + dy * s) / ax, v = (-dx * s + dy * c) / ay;
        const double q = u * u + v * v;
        if (q < 1 && cv.allows(i, mask))
            cv.set(i, hu(x, y, q), t);
    });
}

void paintTube(const Tube& tube, double z, Canvas& cv)
{
    const double rMax = tube.radius * (1 + tube.lobulation);
    struct Segment {
        Vec3 a, b;
    };
    Segment active[16];
    int count = 0;
    double xMin = 1e9, xMax = -1e9, yMin = 1e9, yMax = -1e9;
    for (size_t k = 0; k + 1 < tube.points.size() && count < 16; ++k) {
        const Vec3 a = tube.points[k], b = tube.points[k + 1];
        if (z < std::min(a.z, b.z) - rMax || z > std::max(a.z, b.z) + rMax)
            continue;
        double t0 = 0, t1 = 1;
        if (std::abs(b.z - a.z) > 1e-6) {
            t0 = (z - rMax - a.z) / (b.z - a.z);
            t1 = (z + rMax - a.z) / (b.z - a.z);
            if (t0 > t1)
                std::swap(t0, t1);
            t0 = std::clamp(t0, 0.0, 1.0);
            t1 = std::clamp(t1, 0.0, 1.0);
        }
        const Vec3 p0 = a + (b - a) * t0, p1 = a + (b - a) * t1;
        xMin = std::min({xMin, p0.x - rMax, p1.x - rMax});
        xMax = std::max({xMax, p0.x + rMax, p1.x + rMax});
        yMin = std::min({yMin, p0.y - rMax, p1.y - rMax});
        yMax = std::max({yMax, p0.y + rMax, p1.y + rMax});
        active[count++] = {a, b};
    }
    if (count == 0)
        return;
    cv.forBox(xMin, xMax, yMin, yMax, [&](double x, double y, size_t i) {
        if (!cv.allows(i, tube.paintsOver))
            return;
        const Vec3 p{x, y, z};
        double d = 1e9;
        for (int k = 0; k < count; ++k)
            d = std::min(d, segmentDistance(p, active[k].a, active[k].b));
        if (d >= rMax)
            return;
        double radius = tube.radius;
        if (tube.lobulation > 0 && d > tube.radius * (1 - tube.lobulation))
            radius *= 1 + tube.lobulation * texture(tube.seed, x, y, z, 6);
        if (d >= radius)
            return;
        if (tube.content == Tube::Solid) {
            double hu = tube.huLumen;
            if (tube.textureHu > 0)
                hu += tube.textureHu * texture(tube.seed ^ 0x1234, x, y, z, 4);
            cv.set(i, hu, tube.tissue);
            return;
        }
        if (d >= radius - tube.wall) {
            cv.set(i, tube.huWall, tube.tissue);
            return;
        }
        double hu = tube.huLumen;
        switch (tube.content) {
        case Tube::Gas:
            break;
        case Tube::GasFluid:
            if (y < tube.gasLevelY)
                hu = -960;
            break;
        case Tube::Stool:
            // Faeces: mottled soft tissue with gas bubbles, gas rising anteriorly.
            if (y < tube.gasLevelY || valueNoise(tube.seed, x / 4.5, y / 4.5, z / 4.5) < tube.gasFraction)
                hu = -950;
            else
                hu += 35 * texture(tube.seed ^ 0x4321, x, y, z, 3);
            break;
        default:
            break;
        }
        cv.set(i, hu, tube.tissue);
    });
}

void paintLiver(const Anatomy& a, double z, Canvas& cv)
{
    const double t = (z - a.liverTip) / (a.liverTop - a.liverTip);
    if (t <= 0 || t >= 1)
        return;
    double s = std::pow(std::min(1.0, t * 1.3), 1.2);
    if (t > 0.85)
        s *= std::sqrt(std::max(0.0, 1 - std::pow((t - 0.85) / 0.15, 2))); // dome
    auto lerp = [](double p, double q, double f) {
        return p + (q - p) * f;
    };
    const double A = a.cavityA, B = a.cavityB;
    const uint64_t seed = a.seed ^ 0x11u;
    auto liverHu = [&](double x, double y, double) {
        return a.huLiver + 8 * texture(seed, x, y, z, 8);
    };
    // Right lobe, then the left lobe crossing the midline anteriorly in the upper part.
    // The inferior tip hugs the right lateral wall; the cavity clips the ellipse into a crescent.
    const double cx = lerp(-0.9 * A, -0.42 * A, s), cy = lerp(-0.05 * B, 0.02 * B, s);
    const double ax = lerp(0.22 * A, 0.72 * A, s), ay = lerp(0.4 * B, 0.92 * B, s);
    cv.forBox(cx - ax * 1.1, cx + ax * 1.1, cy - ay * 1.1, cy + ay * 1.1, [&](double x, double y, size_t i) {
        if (!cv.allows(i, kFatOnly))
            return;
        const double u = (x - cx) / ax, v = (y - cy) / ay;
        const double q = u * u + v * v;
        // The outline noise only matters near the outline.
        if (q < 0.88 || (q < 1.12 && q + 0.12 * texture(seed ^ 3, x, y, z, 30) < 1))
            cv.set(i, liverHu(x, y, 0), Liver);
    });
    if (t > 0.55) {
        const double sl = std::min(1.0, (t - 0.55) / 0.25) * s;
        paintEllipse(cv, lerp(-0.1 * A, 0.12 * A, sl), -0.58 * B, 0.5 * A * sl + 3, 0.3 * B * sl + 3, 0.15,
                     kFatOnly, Liver, liverHu);
    }
    for (const Tube& v : a.liverVessels)
        paintTube(v, z, cv);
}

void paintUpperOrgans(const Anatomy& a, double z, Canvas& cv)
{
    const double A = a.cavityA, B = a.cavityB;
    // Spleen: along the left posterolateral wall, oriented with the wall.
    if (z > a.spleenBottom && z < a.spleenTop) {
        const double t = (z - a.spleenBottom) / (a.spleenTop - a.spleenBottom);
        const double s = std::pow(std::sin(kPi * t), 0.6);
        const double cx = 0.66 * A, cy = 0.32 * B;
        const double angle = std::atan2(-cx / (A * A), cy / (B * B)); // wall tangent
        const uint64_t seed = a.seed ^ 0x22u;
        paintEllipse(cv, cx, cy, 0.45 * B * s + 4, 0.2 * A * s + 4, angle, kFatOnly, Spleen,
                     [&](double x, double y, double) { return a.huSpleen + 5 * texture(seed, x, y, z, 8); });
    }
    // Stomach in the left upper quadrant, gas floating anteriorly above its fluid.
    if (z > a.stomachBottom) {
        const double s = std::min(1.0, (z - a.stomachBottom) / 50.0);
        const double cx = 0.3 * A, cy = -0.35 * B, ax = 0.3 * A * s + 5, ay = 0.3 * B * s + 5;
        const double wall = 4;
        paintEllipse(cv, cx, cy, ax, ay, -0.3, kFatOnly, Organ, [&](double, double y, double q) {
            if (std::sqrt(q) * std::min(ax, ay) > std::min(ax, ay) - wall)
                return a.huBowelWall + 10;
            return y < a.stomachGasLevel ? -960.0 : a.huStomachContent;
        });
    }
    if (a.hasGallbladder) {
        const Vec3 c = a.gallbladderCentre, sm = a.gallbladderSemi;
        if (std::abs(z - c.z) < sm.z) {
            const double f = std::sqrt(1 - std::pow((z - c.z) / sm.z, 2));
            paintEllipse(cv, c.x, c.y, sm.x * f, sm.y * f, 0.4, bit(VisceralFat) | bit(Liver), Organ,
                         [&](double, double, double q) { return q > 0.8 ? a.huBowelWall + 10 : 8.0; });
        }
    }
}

void paintPerirenalFat(const Anatomy& a, double z, Canvas& cv)
{
    for (const Kidney& k : a.kidneys) {
        const Vec3 semi{k.semi.x + k.perirenalMm, k.semi.y + k.perirenalMm, k.semi.z + k.perirenalMm};
        const Vec3 e = k.extent(k.perirenalMm);
        if (std::abs(z - k.centre.z) > e.z)
            continue;
        cv.forBox(
            k.centre.x - e.x, k.centre.x + e.x, k.centre.y - e.y, k.centre.y + e.y,
            [&](double x, double y, size_t i) {
                // The kidney indents liver and spleen (hepatorenal and splenorenal fossae).
                if (!cv.allows(i, bit(VisceralFat) | bit(Bowel) | bit(WallMuscle) | bit(Liver) | bit(Spleen)))
                    return;
                double q = squaredNorm(k.toLocal({x, y, z}), semi);
                if (q >= 1.12)
                    return;
                if (q > 0.85)
                    q += 0.12 * texture(k.seed ^ 0x5a, x, y, z, 18);
                if (q < 1)
                    cv.set(i, q > 0.965 ? -30.0 : a.huVisceralFat - 5, VisceralFat); // Gerota's fascia
            });
    }
}

void paintPsoas(const Anatomy& a, double z, Canvas& cv)
{
    if (z > a.psoasTop)
        return;
    const double s = std::clamp((a.psoasTop - z) / 120.0, 0.0, 1.0);
    const double ax = 7 + 15 * s, ay = 6 + 12 * s;
    for (int side : {-1, 1}) {
        const double cx = side * (a.vertebraA + ax * 0.75 + 1);
        paintEllipse(cv, cx, a.vertebraY + 2 + 4 * s, ax, ay, side * 0.3, kInsideBody, Muscle,
                     [&](double, double, double) { return a.huPsoas; });
    }
}

void paintSpine(const Anatomy& a, double z, Canvas& cv)
{
    double s = std::fmod(z - a.spinePhase, a.spinePeriod);
    if (s < 0)
        s += a.spinePeriod;
    const bool disc = s < a.discMm;
    const bool endplate = !disc && (s < a.discMm + 1.5 || s > a.spinePeriod - 1.5);
    const double f = (s - a.discMm) / (a.spinePeriod - a.discMm); // 0..1 within the vertebra
    const uint64_t seed = a.seed ^ 0x33u;
    const double vy = a.vertebraY, va = a.vertebraA, vb = a.vertebraB;
    const double canalY = vy + vb + a.canalRadius + 1.5;

    // Vertebral body with a cortical rim, or the disc between two of them.
    cv.forBox(-va, va, vy - vb, vy + vb, [&](double x, double y, size_t i) {
        const double u = x / va, v = (y - vy) / vb;
        const double q = u * u + v * v;
        if (q >= 1)
            return;
        const double pu = x / (va * 0.35), pv = (y - (vy + vb * 1.15)) / (vb * 0.45);
        if (pu * pu + pv * pv < 1)
            return; // posterior concavity facing the canal
        if (disc) {
            cv.set(i, a.huDisc + (q > 0.7 ? 20 : 0), Bone);
            return;
        }
        const double ui = x / (va - 1.8), vi = (y - vy) / (vb - 1.8);
        if (endplate || ui * ui + vi * vi >= 1)
            cv.set(i, a.huCortical, Bone);
        else
            cv.set(i, a.huCancellous + 45 * texture(seed, x, y, z, 2.5), Bone);
    });

    auto bone = [&](double q, double minSemi) {
        return std::sqrt(q) * minSemi > minSemi - 1.5 ? a.huCortical : a.huPosterior;
    };
    const double rc = a.canalRadius, arch = a.archMm;
    if (!disc && f < 0.75) {
        // Pedicles and laminae: a bony ring around the canal (behind the vertebral body).
        cv.forBox(
            -rc - arch, rc + arch, canalY - rc - arch, canalY + rc + arch, [&](double x, double y, size_t i) {
                const double d = std::sqrt(x * x + (y - canalY) * (y - canalY));
                if (d >= rc && d < rc + arch && y > canalY - rc * 0.5)
                    cv.set(i, (d < rc + 1.2 || d > rc + arch - 1.2) ? a.huCortical : a.huPosterior, Bone);
            });
    } else {
        for (int side : {-1, 1}) // facet joints
            paintEllipse(cv, side * (rc + 3), canalY + rc * 0.6, 5, 6, side * 0.5, kAnyTissue, Bone,
                         [&](double, double, double q) { return bone(q, 5); });
    }
    if (!disc && f > 0.25 && f < 0.95) {
        const double sa = 3.5, sb = 15;
        paintEllipse(cv, 0, canalY + rc + arch + sb - 3, sa, sb, 0, kAnyTissue, Bone,
                     [&](double, double, double q) { return bone(q, sa); });
    }
    if (!disc && f > 0.35 && f < 0.7) {
        for (int side : {-1, 1})
            paintEllipse(cv, side * (rc + 19), canalY - 3, 17, 4.5, side * 0.18, kAnyTissue, Bone,
                         [&](double, double, double q) { return bone(q, 4.5); });
    }
    cv.forBox(-rc, rc, canalY - rc, canalY + rc, [&](double x, double y, size_t i) {
        const double d2 = x * x + (y - canalY) * (y - canalY);
        if (d2 < rc * rc)
            cv.set(i, d2 < 0.35 * rc * rc ? a.huCanal + 15 : a.huCanal, Bone);
    });
}

void paintGreatVessels(const Anatomy& a, double z, Canvas& cv)
{
    const uint32_t notBone = ~bit(Bone);
    for (const Tube& v : a.vessels)
        paintTube(v, z, cv);
    auto flat = [](double hu) {
        return [hu](double, double, double) {
            return hu;
        };
    };
    const double drift = 0.04 * (z - a.zRight);
    if (z > a.aortaBifurcation) {
        paintEllipse(cv, a.aortaX + drift, a.aortaY, a.aortaR, a.aortaR, 0, notBone, Vessel, flat(a.huAorta));
    } else {
        const double spread = std::min(40.0, 0.45 * (a.aortaBifurcation - z)) + a.aortaR * 0.5;
        for (int side : {-1, 1})
            paintEllipse(cv, a.aortaX + drift + side * spread, a.aortaY + 0.1 * (a.aortaBifurcation - z),
                         a.aortaR * 0.7, a.aortaR * 0.7, 0, notBone, Vessel, flat(a.huAorta));
    }
    // The IVC runs forward into the liver in the upper abdomen.
    const double forward = std::max(0.0, z - (a.zRight + 50)) * 0.35;
    paintEllipse(cv, a.ivcX, a.ivcY - forward, a.ivcA, a.ivcB, 0.2, notBone, Vessel, flat(a.huIvc));
}

void paintKidneys(const Anatomy& a, double z, Canvas& cv)
{
    for (const Kidney& k : a.kidneys) {
        const Vec3 e = k.extent();
        if (std::abs(z - k.centre.z) > e.z)
            continue;
        cv.forBox(k.centre.x - e.x, k.centre.x + e.x, k.centre.y - e.y, k.centre.y + e.y,
                  [&](double x, double y, size_t i) {
                      const Vec3 p{x, y, z};
                      switch (k.classify(p)) {
                      case KidneyPart::Cortex:
                          cv.set(i, k.huCortex + 6 * texture(k.seed, x, y, z, 5), KidneyTissue);
                          break;
                      case KidneyPart::Medulla:
                          cv.set(i, k.huMedulla + 6 * texture(k.seed, x, y, z, 5), KidneyTissue);
                          break;
                      case KidneyPart::Sinus:
                          cv.set(i, k.huSinus, KidneyTissue);
                          break;
                      case KidneyPart::Pelvis:
                          cv.set(i, k.huPelvis, KidneyTissue);
                          break;
                      default:
                          break;
                      }
                  });
    }
}

void paintLesions(const Anatomy& a, double z, Canvas& cv)
{
    for (const Lesion& l : a.lesions) {
        const Vec3 e = l.extent();
        if (std::abs(z - l.centre.z) > e.z)
            continue;
        cv.forBox(l.centre.x - e.x, l.centre.x + e.x, l.centre.y - e.y, l.centre.y + e.y,
                  [&](double x, double y, size_t i) {
                      const Vec3 p{x, y, z};
                      const double r = l.field(p);
                      if (r < 1)
                          cv.set(i, l.huAt(p, r), LesionTissue);
                  });
    }
}

/// Air, table and body wall of one slice, shared by its sub-slices.
struct BodyLayer {
    std::vector<float> hu;
    std::vector<uint8_t> tissue;
    std::vector<RibCandidate> ribs;
};

void paintBodyLayer(const Anatomy& a, double z, Canvas& cv, BodyLayer& body)
{
    std::fill(cv.hu.begin(), cv.hu.end(), -1000.0f);
    std::fill(cv.tissue.begin(), cv.tissue.end(), static_cast<uint8_t>(Air));
    paintTable(a, cv);
    paintBody(a, z, cv, body.ribs);
    body.hu = cv.hu;
    body.tissue = cv.tissue;
}

void paintScene(const Anatomy& a, double z, const BodyLayer& body, Canvas& cv)
{
    std::copy(body.hu.begin(), body.hu.end(), cv.hu.begin());
    std::copy(body.tissue.begin(), body.tissue.end(), cv.tissue.begin());
    paintRibs(a, z, body.ribs, cv);
    paintLiver(a, z, cv);
    paintUpperOrgans(a, z, cv);
    for (const Tube& t : a.organTubes)
        paintTube(t, z, cv);
    paintPerirenalFat(a, z, cv);
    paintPsoas(a, z, cv);
    paintSpine(a, z, cv);
    paintGreatVessels(a, z, cv);
    paintKidneys(a, z, cv);
    paintLesions(a, z, cv);
}

/// Labels at the voxel centre. Label 1 is the renal parenchyma only (cortex and medulla): sinus fat
/// and the pelvis are left out, as they are not kidney tissue a tumour model should learn.
void paintLabels(const Anatomy& a, double z, const Canvas& cv, uint8_t* labels)
{
    for (const Kidney& k : a.kidneys) {
        const Vec3 e = k.extent();
        if (std::abs(z - k.centre.z) > e.z)
            continue;
        cv.forBox(k.centre.x - e.x, k.centre.x + e.x, k.centre.y - e.y, k.centre.y + e.y,
                  [&](double x, double y, size_t i) {
                      const KidneyPart part = k.classify({x, y, z});
                      if (part == KidneyPart::Cortex || part == KidneyPart::Medulla)
                          labels[i] = labels::Kidney;
                  });
    }
    for (const Lesion& l : a.lesions) {
        const Vec3 e = l.extent();
        if (std::abs(z - l.centre.z) > e.z)
            continue;
        cv.forBox(l.centre.x - e.x, l.centre.x + e.x, l.centre.y - e.y, l.centre.y + e.y,
                  [&](double x, double y, size_t i) {
                      if (l.field({x, y, z}) < 1)
                          labels[i] = l.info.label;
                  });
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing the anatomy of one case.

Tube makeBowelLoop(Rng& rng, const Anatomy& a, double zLow, double zHigh, double pFluid, double pGas)
{
    Tube t;
    t.radius = rng.uniform(9, 15);
    t.wall = rng.uniform(2, 3);
    t.huWall = a.huBowelWall + rng.uniform(-5, 10);
    const double u = rng.uniform();
    if (u < pFluid) {
        t.content = Tube::Fluid;
        t.huLumen = rng.uniform(0, 20);
    } else if (u < pFluid + pGas) {
        t.content = Tube::Gas;
        t.huLumen = rng.uniform(-1000, -920);
    } else {
        t.content = Tube::GasFluid;
        t.huLumen = rng.uniform(0, 20);
    }
    t.tissue = Bowel;
    t.paintsOver = kFatOnly;
    t.seed = rng.bits();
    const double A = a.cavityA, B = a.cavityB;
    Vec3 p{rng.uniform(-0.6, 0.6) * A, rng.uniform(-0.8, 0.0) * B, rng.uniform(zLow, zHigh)};
    const int points = rng.uniformInt(3, 7);
    double heading = rng.uniform(0, 2 * kPi);
    for (int k = 0; k < points; ++k) {
        t.points.push_back(p);
        heading += rng.uniform(-1.4, 1.4);
        const double step = rng.uniform(25, 45);
        p = {std::clamp(p.x + step * std::cos(heading), -0.7 * A, 0.7 * A),
             std::clamp(p.y + step * std::sin(heading), -0.85 * B, 0.1 * B), p.z + rng.uniform(-15, 15)};
    }
    // The lumen gas floats to the anterior part of each loop.
    double yMin = 1e9, yMax = -1e9;
    for (const Vec3& q : t.points) {
        yMin = std::min(yMin, q.y - t.radius);
        yMax = std::max(yMax, q.y + t.radius);
    }
    t.gasLevelY = yMin + rng.uniform(0.3, 0.6) * (yMax - yMin);
    return t;
}

Tube makeColon(Rng& rng, const Anatomy& a, std::vector<Vec3> points, double radius)
{
    Tube t;
    t.points = std::move(points);
    t.radius = radius;
    t.wall = 2.5;
    t.huWall = a.huBowelWall;
    t.content = Tube::Stool;
    t.huLumen = rng.uniform(-20, 40);
    t.gasFraction = rng.uniform(0.15, 0.7);
    double yMin = 1e9;
    for (const Vec3& q : t.points)
        yMin = std::min(yMin, q.y - radius);
    t.gasLevelY = yMin + rng.uniform(0.0, 0.5) * radius;
    t.tissue = Bowel;
    t.paintsOver = kFatOnly;
    t.seed = rng.bits();
    return t;
}

Tube makeVessel(std::vector<Vec3> points, double radius, double hu, uint32_t paintsOver = ~bit(Bone))
{
    Tube t;
    t.points = std::move(points);
    t.radius = radius;
    t.huLumen = hu;
    t.tissue = Vessel;
    t.paintsOver = paintsOver;
    return t;
}

Kidney makeKidney(Rng& rng, const Anatomy& a, int side)
{
    Kidney k;
    k.side = side;
    k.semi = {rng.uniform(25, 30), rng.uniform(20, 25), rng.uniform(50, 60)};
    // Upper pole medial and posterior, hilum turned anteromedially.
    k.frame = rotatedFrame(-rng.uniform(0.1, 0.3), -rng.uniform(0.1, 0.3), rng.uniform(0.35, 0.65));
    const double lateral = std::max(rng.uniform(55, 80), a.vertebraA + 14 + k.semi.x * 0.9);
    k.centre = {side * lateral, a.vertebraY + rng.uniform(0, 15), side > 0 ? a.zLeft : a.zRight};
    k.cortexMm = rng.uniform(5, 7);
    k.huCortex = rng.uniform(180, 230);
    k.huMedulla = rng.uniform(100, 150);
    k.huSinus = rng.uniform(-100, -80);
    k.huPelvis = rng.uniform(10, 30);
    // Pyramids in a ring around the sinus (anterior, lateral, posterior) plus both poles.
    const int ring = rng.uniformInt(7, 10);
    const double phase = rng.uniform(0, 2 * kPi);
    for (int i = 0; i < ring; ++i) {
        const double theta = phase + 2 * kPi * (i + rng.uniform(-0.2, 0.2)) / ring;
        Vec3 axis{rng.uniform(0.5, 1.0), std::cos(theta), 1.6 * std::sin(theta)};
        k.pyramids.push_back(axis * (1 / length(axis)));
    }
    for (double pole : {-1.0, 1.0}) {
        Vec3 axis{rng.uniform(0.1, 0.4), rng.uniform(-0.2, 0.2), pole};
        k.pyramids.push_back(axis * (1 / length(axis)));
    }
    k.pyramidHalfAngle = rng.uniform(0.55, 0.75);
    k.perirenalMm = rng.uniform(4, 12);
    k.seed = rng.bits();
    return k;
}

/// Plants a lesion on kidney k; returns false when it would collide with an earlier lesion.
bool placeLesion(Rng& rng, const Kidney& k, uint8_t label, std::vector<Lesion>& lesions)
{
    Lesion l;
    l.info.label = label;
    l.info.side = k.side;
    const bool tumour = label == labels::Tumour;
    l.info.diameterMm =
        tumour ? 10 + 70 * std::pow(rng.uniform(), 1.6) : 10 + 30 * std::pow(rng.uniform(), 1.3);
    const double radius = l.info.diameterMm / 2;
    // A point on the kidney surface, avoiding the medial side (hilum, spine).
    Vec3 d;
    do {
        d = {rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
    } while (dot(d, d) > 1 || dot(d, d) < 1e-4);
    d = d * (1 / length(d));
    if (d.x < -0.25)
        d.x = -d.x;
    const Vec3 surface{d.x * k.semi.x, d.y * k.semi.y, d.z * k.semi.z};
    const double surfaceDistance = length(surface);
    l.info.exophytic = rng.chance(tumour ? 0.55 : 0.5);
    double scale;
    if (l.info.exophytic)
        scale = 1 + radius * rng.uniform(-0.3, 0.35) / surfaceDistance;
    else
        scale = std::max(0.15, 1 - radius * rng.uniform(1.0, 1.3) / surfaceDistance);
    l.centre = k.toWorld(surface * scale);
    if (tumour) {
        l.semi = Vec3{1, rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0)} * (radius / 1.08);
        l.frame = rotatedFrame(rng.uniform(0, kPi), rng.uniform(0, kPi), rng.uniform(0, kPi));
        l.lumpAmplitude = rng.uniform(0.05, 0.12);
        l.lumpScaleMm = std::max(6.0, radius * rng.uniform(0.5, 0.8));
        l.hu = rng.uniform(35, 85);
        l.textureHu = rng.uniform(8, 18);
        l.textureScaleMm = rng.uniform(6, 12);
        if (l.info.diameterMm > 30 && rng.chance(0.4)) {
            l.necroticFraction = rng.uniform(0.3, 0.55);
            l.huNecrotic = rng.uniform(10, 25);
        }
    } else {
        l.semi = {radius, radius, radius};
        l.hu = rng.uniform(0, 20);
    }
    l.seed = rng.bits();
    for (const Lesion& other : lesions)
        if (length(other.centre - l.centre) < 0.95 * (radius + other.info.diameterMm / 2))
            return false;
    lesions.push_back(l);
    return true;
}

// makeAnatomy's parts, in the order it calls them: each one's random draws must stay in this
// order (and in the same expressions), or every phantom case changes.

/// Body outline, skin, fat and muscle layers, the table.
void drawBodyWall(Rng& rng, Anatomy& a)
{
    a.bodyA = rng.uniform(300, 360) / 2;
    a.bodyB = rng.uniform(220, 260) / 2;
    a.bodyWavePhase = rng.uniform(0, 2 * kPi);
    a.backSquareness = rng.uniform(0.45, 0.8);
    a.bellySquareness = rng.uniform(0.05, 0.35);
    a.skinMm = rng.uniform(1.5, 2.5);
    a.fatAnteriorMm = rng.uniform(10, 30);
    a.fatPosteriorMm = rng.uniform(10, 22);
    a.fatFlankMm = rng.uniform(12, 30);
    a.muscleMm = rng.uniform(8, 13);
    a.cavityA = a.bodyA - a.skinMm - a.fatFlankMm - a.muscleMm;
    a.cavityB = a.bodyB - a.skinMm - 0.5 * (a.fatAnteriorMm + a.fatPosteriorMm) - a.muscleMm;
    a.huSkin = rng.uniform(20, 40);
    a.huSubcutFat = rng.uniform(-110, -90);
    a.huMuscle = rng.uniform(45, 60);
    a.huVisceralFat = rng.uniform(-100, -85);
    a.tableY = a.bodyB * 1.03 + rng.uniform(0, 6);
    a.tableCurvatureMm = rng.uniform(1200, 2500);
}

/// Vertebrae, discs, spinal canal and the back muscles around them.
void drawSpine(Rng& rng, Anatomy& a)
{
    a.vertebraA = rng.uniform(20, 24);
    a.vertebraB = rng.uniform(14, 17);
    a.canalRadius = rng.uniform(8, 10);
    a.archMm = rng.uniform(4, 6);
    const double erector = rng.uniform(35, 45);
    a.vertebraY = a.bodyB - a.skinMm - a.fatPosteriorMm - erector - 2 * a.canalRadius - a.vertebraB;
    a.backMuscleBump = a.bodyB - (a.vertebraY - a.vertebraB) - a.skinMm - a.fatPosteriorMm - a.muscleMm;
    a.backMuscleWidth = rng.uniform(50, 60);
    a.spinePeriod = rng.uniform(32, 38);
    a.discMm = rng.uniform(7, 10);
    a.spinePhase = rng.uniform(0, a.spinePeriod);
    a.huCancellous = rng.uniform(200, 280);
    a.huCortical = rng.uniform(650, 800);
    a.huDisc = rng.uniform(70, 90);
    a.huCanal = rng.uniform(15, 30);
    a.huPosterior = rng.uniform(380, 480);
}

/// Ribs, costal cartilage and psoas.
void drawRibsAndPsoas(Rng& rng, Anatomy& a)
{
    a.zRight = 0;
    a.zLeft = rng.uniform(5, 20);
    a.ribPeriod = rng.uniform(24, 30);
    a.ribHeight = rng.uniform(8, 11);
    a.ribSlope = rng.uniform(130, 190);
    a.ribPhaseRight = rng.uniform(0, a.ribPeriod);
    a.ribPhaseLeft = a.ribPhaseRight + rng.uniform(-5, 5);
    a.ribBottomPosterior = rng.uniform(0, 25);
    a.ribBottomAnterior = rng.uniform(70, 100);
    a.huRibCortex = rng.uniform(700, 900);
    a.huRibMarrow = rng.uniform(250, 350);
    a.huCartilage = rng.uniform(100, 180);
    a.psoasTop = rng.uniform(25, 50);
    a.huPsoas = a.huMuscle + rng.uniform(-3, 5);
}

void drawAortaAndIvc(Rng& rng, Anatomy& a)
{
    a.aortaR = rng.uniform(10, 12);
    a.aortaX = rng.uniform(8, 20);
    a.aortaY = a.vertebraY - a.vertebraB - a.aortaR - rng.uniform(1, 4);
    a.aortaBifurcation = a.zRight - rng.uniform(80, 110);
    a.huAorta = rng.uniform(180, 250);
    a.ivcA = rng.uniform(11, 14);
    a.ivcB = rng.uniform(8, 11);
    a.ivcX = -rng.uniform(18, 28);
    a.ivcY = a.vertebraY - a.vertebraB - a.ivcB - rng.uniform(2, 8);
    a.huIvc = rng.uniform(120, 160);
}

/// Liver, spleen, stomach, gallbladder and the bowel wall.
void drawUpperOrgans(Rng& rng, Anatomy& a)
{
    const double A = a.cavityA, B = a.cavityB;
    a.liverTip = a.zRight - rng.uniform(10, 60);
    a.liverTop = a.zRight + rng.uniform(120, 160);
    a.huLiver = rng.uniform(90, 120);
    a.spleenBottom = a.zLeft + rng.uniform(10, 35);
    a.spleenTop = a.zLeft + rng.uniform(110, 140);
    a.huSpleen = a.huLiver + rng.uniform(0, 15);
    a.stomachBottom = a.zLeft + rng.uniform(30, 60);
    a.huStomachContent = rng.uniform(0, 20);
    a.stomachGasLevel = -0.35 * B - rng.uniform(0, 0.25) * B;
    a.hasGallbladder = rng.chance(0.8);
    a.gallbladderCentre = {-rng.uniform(0.2, 0.4) * A, -rng.uniform(0.3, 0.45) * B,
                           a.zRight + rng.uniform(10, 40)};
    a.gallbladderSemi = {rng.uniform(11, 16), rng.uniform(10, 14), rng.uniform(25, 40)};
    a.huBowelWall = rng.uniform(40, 60);
}

// Liver vessels: branches from the IVC / porta hepatis into the right lobe.
void addLiverVessels(Rng& rng, Anatomy& a)
{
    const uint32_t liverOnly = bit(Liver);
    for (int k = rng.uniformInt(5, 9); k > 0; --k) {
        const Vec3 start{a.ivcX - rng.uniform(0, 25), a.ivcY - rng.uniform(10, 40),
                         a.zRight + rng.uniform(40, 120)};
        const Vec3 mid{start.x - rng.uniform(20, 50), start.y + rng.uniform(-40, 30),
                       start.z + rng.uniform(-20, 20)};
        const Vec3 end{mid.x - rng.uniform(20, 40), mid.y + rng.uniform(-40, 40),
                       mid.z + rng.uniform(-25, 25)};
        a.liverVessels.push_back(
            makeVessel({start, mid, end}, rng.uniform(2.5, 6), a.huLiver + rng.uniform(40, 70), liverOnly));
    }
}

/// The pancreas with the splenic vein behind it; returns the pancreas's height (z).
double addPancreas(Rng& rng, Anatomy& a)
{
    const double A = a.cavityA, B = a.cavityB;
    const double zPancreas = a.zRight + rng.uniform(5, 25);
    const double pancreasR = rng.uniform(9, 12);
    std::vector<Vec3> pancreas{{-0.25 * A, a.ivcY - a.ivcB - pancreasR - 4, zPancreas},
                               {0.0, a.aortaY - a.aortaR - pancreasR - 14, zPancreas + 15},
                               {0.3 * A, a.aortaY - a.aortaR - pancreasR - 2, zPancreas + 25},
                               {0.55 * A, 0.1 * B, a.zLeft + rng.uniform(30, 50)}};
    Tube p = makeVessel(pancreas, pancreasR, a.huLiver + rng.uniform(-10, 10), bit(VisceralFat) | bit(Bowel));
    p.tissue = Organ;
    p.lobulation = 0.2;
    p.textureHu = 10;
    p.seed = rng.bits();
    a.organTubes.push_back(p);
    std::vector<Vec3> splenicVein;
    for (size_t k = 1; k < pancreas.size(); ++k)
        splenicVein.push_back(pancreas[k] + Vec3{0, pancreasR * 0.9, 0});
    a.organTubes.push_back(makeVessel(splenicVein, rng.uniform(3.5, 5), a.huIvc + 20, kFatOnly));
    return zPancreas;
}

/// Colon, small-bowel loops and mesenteric vessels; returns the root of the superior mesenteric artery.
Vec3 addBowel(Rng& rng, Anatomy& a)
{
    const double A = a.cavityA, B = a.cavityB;
    const double zMinAll = a.zRight - 160;
    const double zHepatic = a.zRight + rng.uniform(5, 35), zSplenic = a.zLeft + rng.uniform(40, 70);
    const Vec3 ascendingTop{-0.78 * A, -0.1 * B, zHepatic};
    const Vec3 descendingTop{0.8 * A, 0.1 * B, zSplenic};
    a.organTubes.push_back(
        makeColon(rng, a, {{-0.75 * A, -0.15 * B, zMinAll}, ascendingTop}, rng.uniform(18, 25)));
    a.organTubes.push_back(makeColon(rng, a,
                                     {ascendingTop,
                                      {-0.45 * A, -0.65 * B, zHepatic - 5},
                                      {0.0, -0.72 * B, zHepatic - rng.uniform(15, 60)},
                                      {0.45 * A, -0.6 * B, zSplenic - 15},
                                      descendingTop},
                                     rng.uniform(16, 22)));
    a.organTubes.push_back(
        makeColon(rng, a, {descendingTop, {0.78 * A, 0.05 * B, zMinAll}}, rng.uniform(13, 17)));
    const double pFluid = rng.uniform(0.2, 0.7), pGas = rng.uniform(0.1, 1 - pFluid);
    for (int k = rng.uniformInt(16, 28); k > 0; --k)
        a.organTubes.push_back(makeBowelLoop(rng, a, a.zRight - 130, a.zRight + 45, pFluid, pGas));
    const Vec3 smaRoot{a.aortaX, a.aortaY - a.aortaR * 0.5, a.zRight + rng.uniform(25, 40)};
    for (int k = rng.uniformInt(6, 10); k > 0; --k) {
        const Vec3 end{rng.uniform(-0.6, 0.6) * A, -rng.uniform(0.3, 0.8) * B,
                       smaRoot.z - rng.uniform(40, 150)};
        const Vec3 mid = (smaRoot + end) * 0.5 + Vec3{rng.uniform(-20, 20), 0, 0};
        a.organTubes.push_back(
            makeVessel({mid, end}, rng.uniform(1.5, 2.8), rng.uniform(140, 200), kFatOnly));
    }
    return smaRoot;
}

// Renal arteries behind the renal veins; the left renal vein crosses in front of the aorta.
void addRenalVessels(Rng& rng, Anatomy& a)
{
    for (const Kidney& k : a.kidneys) {
        const Vec3 hilumVein = k.toWorld({-k.semi.x * 0.85, -k.semi.y * 0.2, 0});
        const Vec3 hilumArtery = k.toWorld({-k.semi.x * 0.85, k.semi.y * 0.05, k.semi.z * 0.05});
        const Vec3 aorta{a.aortaX, a.aortaY, hilumArtery.z + 6};
        std::vector<Vec3> artery{aorta};
        if (k.side < 0)
            artery.push_back({a.ivcX + 2, a.ivcY + a.ivcB + 4, hilumArtery.z + 3});
        artery.push_back(hilumArtery);
        a.vessels.push_back(makeVessel(artery, rng.uniform(2.5, 3.5), a.huAorta));
        std::vector<Vec3> vein{hilumVein};
        if (k.side > 0)
            vein.push_back({a.aortaX, a.aortaY - a.aortaR - 6, hilumVein.z - 3});
        vein.push_back({a.ivcX, a.ivcY, hilumVein.z - 6});
        a.vessels.push_back(
            makeVessel(vein, k.side > 0 ? rng.uniform(4.5, 6) : rng.uniform(4, 5), a.huIvc + 25));
    }
}

// SMA and SMV in front of the aorta, portal vein towards the liver hilum.
void addMesentericAndPortalVessels(Rng& rng, Anatomy& a, const Vec3& smaRoot, double zPancreas)
{
    const double A = a.cavityA, B = a.cavityB;
    const double smaR = rng.uniform(3, 4);
    const Vec3 smaMid{a.aortaX - 3, a.aortaY - a.aortaR - 14, smaRoot.z - 20};
    a.vessels.push_back(
        makeVessel({smaRoot, smaMid, {a.aortaX - 8, -0.6 * B, smaRoot.z - 150}}, smaR, a.huAorta));
    const Vec3 confluence{smaMid.x - 12, smaMid.y - 4, zPancreas + 12};
    a.vessels.push_back(makeVessel(
        {{smaMid.x - 14, -0.6 * B, smaRoot.z - 150}, {smaMid.x - 12, smaMid.y - 2, smaMid.z}, confluence},
        rng.uniform(4.5, 6), a.huIvc + 15));
    a.vessels.push_back(makeVessel({confluence, {-0.35 * A, -0.15 * B, confluence.z + 40}}, rng.uniform(6, 8),
                                   a.huIvc + 15, bit(VisceralFat) | bit(Liver) | bit(Organ) | bit(Bowel)));
}

void addLesions(Rng& rng, Anatomy& a)
{
    const double u = rng.uniform();
    const int count = 1 + (u < 0.35 ? 1 : 0) + (u < 0.12 ? 1 : 0);
    for (int n = 0; n < count; ++n) {
        const uint8_t label = rng.chance(0.7) ? labels::Tumour : labels::Cyst;
        const Kidney& k = a.kidneys[rng.chance(0.5) ? 1 : 0];
        for (int attempt = 0; attempt < 20; ++attempt)
            if (placeLesion(rng, k, label, a.lesions))
                break;
    }
}

Anatomy makeAnatomy(Rng& rng, uint64_t caseSeed, bool lesionFree)
{
    Anatomy a;
    a.seed = caseSeed;
    drawBodyWall(rng, a);
    drawSpine(rng, a);
    drawRibsAndPsoas(rng, a);
    drawAortaAndIvc(rng, a);
    drawUpperOrgans(rng, a);
    addLiverVessels(rng, a);
    const double zPancreas = addPancreas(rng, a);
    const Vec3 smaRoot = addBowel(rng, a);
    a.kidneys[0] = makeKidney(rng, a, -1);
    a.kidneys[1] = makeKidney(rng, a, +1);
    addRenalVessels(rng, a);
    addMesentericAndPortalVessels(rng, a, smaRoot, zPancreas);
    if (!lesionFree)
        addLesions(rng, a);
    return a;
}

// ---------------------------------------------------------------------------------------------
// Image formation: partial-volume slab, correlated noise, light blur.

/// Lesion-free cases are spread evenly: case i is lesion-free when the running count of
/// fraction * i steps up, so any 1/fraction consecutive cases hold one (seed-dependent offset).
bool isLesionFree(uint64_t seed, int index, double fraction)
{
    if (fraction <= 0)
        return false;
    if (fraction >= 1)
        return true;
    const double offset = unitFromBits(splitmix64(seed ^ 0xA5A5A5A5ULL));
    return std::floor((index + 1) * fraction + offset) > std::floor(index * fraction + offset);
}

void validate(const PhantomOptions& o)
{
    if (o.minInPlace < 32 || o.maxInPlace < o.minInPlace || o.maxInPlace > 2048)
        throw InputError("phantom in-plane size range " + std::to_string(o.minInPlace) + ".." +
                         std::to_string(o.maxInPlace) + " is invalid (need 32 <= min <= max <= 2048)");
    if (o.sliceThicknesses.empty())
        throw InputError("phantom slice thickness list is empty");
    for (double t : o.sliceThicknesses)
        if (!(t >= 0.3 && t <= 10))
            throw InputError("phantom slice thickness " + std::to_string(t) + " mm is outside 0.3..10 mm");
    if (!(o.lesionFreeFraction >= 0 && o.lesionFreeFraction <= 1))
        throw InputError("phantom lesion-free fraction must lie in 0..1");
}

/// A case's acquisition: matrix, field of view, slice thickness, coverage, noise; the first draws
/// of the case's generator, in this order.
struct Acquisition {
    int n = 0; ///< in-plane matrix (pixels)
    double thickness = 0;
    double coverageWanted = 0;
    double noiseSigma = 0;
    double blurSigma = 0;
    uint64_t anatomySeed = 0;
    uint64_t noiseSeed = 0;
    double shiftX = 0, shiftY = 0;
    double fovWanted = 0;
    double belowFraction = 0;
};

Acquisition drawAcquisition(Rng& rng, const PhantomOptions& options)
{
    Acquisition q;
    q.n = rng.uniformInt(options.minInPlace, options.maxInPlace);
    q.thickness =
        options.sliceThicknesses[rng.uniformInt(0, static_cast<int>(options.sliceThicknesses.size()) - 1)];
    q.coverageWanted = rng.uniform(150, 220);
    q.noiseSigma = rng.uniform(8, 20);
    q.blurSigma = rng.uniform(0.5, 0.8);
    q.anatomySeed = rng.bits();
    q.noiseSeed = rng.bits();
    q.shiftX = rng.uniform(-8, 8);
    q.shiftY = rng.uniform(-25, -5);
    q.fovWanted = rng.uniform(330, 420);
    q.belowFraction = rng.uniform(0.3, 0.7);
    return q;
}

/// The axial range the case covers: slice count and the lower edge (mm) of slice 0.
struct Slab {
    int slices = 0;
    double zMin = 0;
};

/// Both kidneys and every lesion centre, then the wanted coverage around them.
Slab axialSlab(const Anatomy& a, const Acquisition& q)
{
    double zLow = 1e9, zHigh = -1e9;
    for (const Kidney& k : a.kidneys) {
        const double ez = k.extent().z;
        zLow = std::min(zLow, k.centre.z - ez);
        zHigh = std::max(zHigh, k.centre.z + ez);
    }
    for (const Lesion& l : a.lesions) {
        zLow = std::min(zLow, l.centre.z - 0.5 * l.info.diameterMm);
        zHigh = std::max(zHigh, l.centre.z + 0.5 * l.info.diameterMm);
    }
    const double span = zHigh - zLow;
    const double coverage = std::max(q.coverageWanted, span + 10);
    Slab slab;
    slab.slices = std::max(4, static_cast<int>(std::lround(coverage / q.thickness)));
    slab.zMin = zLow - q.belowFraction * (slab.slices * q.thickness - span);
    return slab;
}

/// The case with its name, grid and lesion list, its volumes still empty.
PhantomCase emptyCase(int index, const Anatomy& a, int slices, int n, double thickness, double pixel)
{
    PhantomCase out;
    char id[32];
    std::snprintf(id, sizeof id, "case_%05d", index);
    out.caseId = id;
    const StorageGeometry geometry = StorageGeometry::kitsStorage({slices, n, n}, {thickness, pixel, pixel});
    out.imaging = CtVolume(geometry);
    out.segmentation = LabelVolume(geometry);
    if (out.imaging.shape != std::array<int, 3>{slices, n, n})
        throw std::logic_error("KiTS storage geometry does not map back to the canonical shape");
    for (const Lesion& l : a.lesions)
        out.lesions.push_back(l.info);
    return out;
}

Canvas makeCanvas(const Acquisition& q, double pixel)
{
    const int n = q.n;
    Canvas canvas;
    canvas.n = n;
    canvas.pixel = pixel;
    canvas.x0 = -0.5 * (n - 1) * pixel - q.shiftX;
    canvas.y0 = -0.5 * (n - 1) * pixel - q.shiftY;
    canvas.hu.assign(static_cast<size_t>(n) * n, 0.0f);
    canvas.tissue.assign(static_cast<size_t>(n) * n, 0);
    return canvas;
}

/// How each slice is formed from the scene: partial volume, correlated noise, blur.
struct SliceFormation {
    double zMin = 0;
    double thickness = 0;
    int subSamples = 1;
    std::vector<float> kernel;
    double preBlurSigma = 0;
    uint64_t noiseSeed = 0;
};

SliceFormation sliceFormation(const Acquisition& q, double zMin)
{
    SliceFormation f;
    f.zMin = zMin;
    f.thickness = q.thickness;
    // Partial volume across the slab: average sub-slices about 1.25 mm apart.
    f.subSamples = std::clamp(static_cast<int>(std::ceil(q.thickness / 1.25)), 1, 8);
    f.kernel = phantom::gaussianKernel(q.blurSigma);
    // Noise is added before the blur (CT noise is spatially correlated); scale it so the final
    // standard deviation is noiseSigma.
    double kernelEnergy = 0;
    for (float w : f.kernel)
        kernelEnergy += double(w) * w;
    f.preBlurSigma = q.noiseSigma / kernelEnergy; // 2D: (sqrt of 1D energy)^2
    f.noiseSeed = q.noiseSeed;
    return f;
}

/// Buffers reused from slice to slice.
struct SliceWork {
    std::vector<float> accum, tmp;
    BodyLayer body;
};

/// Slice k of the case: CT values (partial volume, noise, blur) and labels.
void formSlice(const Anatomy& a, const SliceFormation& f, int k, Canvas& canvas, SliceWork& work,
               PhantomCase& out)
{
    const size_t pixels = static_cast<size_t>(canvas.n) * canvas.n;
    std::vector<float>& accum = work.accum;
    const double zCentre = f.zMin + (k + 0.5) * f.thickness;
    std::fill(accum.begin(), accum.end(), 0.0f);
    paintBodyLayer(a, zCentre, canvas, work.body);
    for (int s = 0; s < f.subSamples; ++s) {
        const double z = zCentre + ((s + 0.5) / f.subSamples - 0.5) * f.thickness;
        paintScene(a, z, work.body, canvas);
        for (size_t i = 0; i < pixels; ++i)
            accum[i] += canvas.hu[i];
    }
    const float inv = 1.0f / f.subSamples;
    // Near-Gaussian noise from the sum of four 16-bit uniforms of one hash (Irwin-Hall):
    // cheap, and identical on every platform.
    const float noiseScale = static_cast<float>(f.preBlurSigma * std::sqrt(12.0 / 4.0) / 65536.0);
    const uint64_t sliceKey = f.noiseSeed ^ (static_cast<uint64_t>(k) << 40);
    for (size_t i = 0; i < pixels; ++i) {
        const uint64_t h = mix64(sliceKey + i * 0x9E3779B97F4A7C15ULL);
        const auto sum =
            static_cast<int32_t>((h & 0xffff) + ((h >> 16) & 0xffff) + ((h >> 32) & 0xffff) + (h >> 48)) -
            131070;
        accum[i] = accum[i] * inv + noiseScale * static_cast<float>(sum);
    }
    phantom::blurSlice(accum, work.tmp, canvas.n, f.kernel);
    int16_t* dst = out.imaging.slice(k);
    for (size_t i = 0; i < pixels; ++i)
        dst[i] = static_cast<int16_t>(std::floor(std::clamp(accum[i], -1024.0f, 3071.0f) + 0.5f));
    paintLabels(a, zCentre, canvas, out.segmentation.slice(k));
}

} // namespace

PhantomCase generatePhantomCase(const PhantomOptions& options, int index)
{
    validate(options);
    if (index < 0)
        throw InputError("phantom case index must not be negative");
    const auto start = std::chrono::steady_clock::now();
    const uint64_t caseSeed = splitmix64(splitmix64(options.seed) ^
                                         (static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ULL + 0x5bd1e995));
    Rng rng(caseSeed);
    const Acquisition q = drawAcquisition(rng, options);

    Rng anatomyRng(q.anatomySeed);
    const Anatomy a =
        makeAnatomy(anatomyRng, q.anatomySeed, isLesionFree(options.seed, index, options.lesionFreeFraction));
    const double fov = std::max(q.fovWanted, 2 * a.bodyA * 1.04 + 15);
    const double pixel = fov / q.n;
    const Slab slab = axialSlab(a, q);

    PhantomCase out = emptyCase(index, a, slab.slices, q.n, q.thickness, pixel);
    Canvas canvas = makeCanvas(q, pixel);
    const SliceFormation formation = sliceFormation(q, slab.zMin);
    const size_t pixels = static_cast<size_t>(q.n) * q.n;
    SliceWork work;
    work.accum.resize(pixels);
    work.tmp.resize(pixels);
    for (int k = 0; k < slab.slices; ++k)
        formSlice(a, formation, k, canvas, work, out);

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::debug("phantom {}: {}x{}x{} voxels, {:.2f} mm pixels, {:.1f} mm slices, {} lesion(s), {:.2f} s",
                  out.caseId, q.n, q.n, slab.slices, pixel, q.thickness, out.lesions.size(), seconds);
    return out;
}

void writePhantomDataset(const PhantomOptions& options, const fs::path& outDir, int count,
                         const std::function<void(int, int)>& progress)
{
    validate(options);
    if (count < 0 || options.firstIndex < 0)
        throw InputError("phantom case count and first index must not be negative");
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec)
        throw InputError(outDir, "cannot create the output folder: " + ec.message());
    const int first = options.firstIndex;
    spdlog::info("writing phantom cases {}..{} to {} (seed {})", first, first + count - 1, outDir.string(),
                 options.seed);

    nlohmann::json summary;
    summary["generator"] = "weaksight phantom";
    summary["seed"] = options.seed;
    summary["labels"] = {{"0", "background"}, {"1", "kidney"}, {"2", "tumor"}, {"3", "cyst"}};
    summary["cases"] = nlohmann::json::array();
    for (int i = 0; i < count; ++i) {
        const PhantomCase c = generatePhantomCase(options, first + i);
        const fs::path dir = outDir / c.caseId;
        // An (empty) instances/ folder marks the KiTS23 layout.
        fs::create_directories(dir / "instances", ec);
        if (ec)
            throw InputError(dir, "cannot create the case folder: " + ec.message());
        writeVolume(c.imaging, dir / "imaging.nii.gz");
        writeVolume(c.segmentation, dir / "segmentation.nii.gz");

        nlohmann::json lesions = nlohmann::json::array();
        for (const PhantomLesion& l : c.lesions)
            lesions.push_back({{"label", l.label},
                               {"side", l.side < 0 ? "right" : "left"},
                               {"diameter_mm", std::round(l.diameterMm * 10) / 10},
                               {"exophytic", l.exophytic}});
        summary["cases"].push_back({{"case_id", c.caseId},
                                    {"shape", c.imaging.shape},
                                    {"spacing_mm", c.imaging.spacing},
                                    {"lesions", lesions}});
        // Per case at debug level: the command's progress line counts the cases.
        spdlog::debug("phantom {} written ({} lesion(s))", c.caseId, c.lesions.size());
        if (progress)
            progress(i + 1, count);
    }
    // Parts of a data set written by parallel runs must not overwrite each other's summary.
    std::string name = "dataset.json";
    if (first != 0) {
        char part[64];
        std::snprintf(part, sizeof part, "dataset_%05d-%05d.json", first, first + count - 1);
        name = part;
    }
    std::ofstream json(outDir / name);
    json << summary.dump(2) << '\n';
    if (!json)
        throw InputError(outDir / name, "cannot write the data set summary");
}

} // namespace weaksight
