#include "core/dataset/KidneyCrops.h"

#include "core/compute/PhysicalScale.h"

#include <algorithm>
#include <cmath>

namespace weaksight {

namespace {

/// Crop origin along one axis: centred, shifted inside [0, extent) when the extent allows it.
int boxOrigin(double centre, int cropSize, int extent)
{
    int origin = static_cast<int>(std::lround(centre)) - cropSize / 2;
    if (extent >= cropSize)
        origin = std::clamp(origin, 0, extent - cropSize);
    return origin;
}

constexpr const char* kSideNames[2] = {"right", "left"};

} // namespace

void cutCrop(const CtVolume& ct, int slice, int row0, int col0, int rows, int cols, int16_t* out)
{
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const int sr = row0 + r, sc = col0 + c;
            const bool inside = sr >= 0 && sr < ct.rows() && sc >= 0 && sc < ct.cols();
            out[static_cast<size_t>(r) * cols + c] = inside ? ct.at(slice, sr, sc) : int16_t{-1024};
        }
}

void cutResampledCrop(const CtVolume& ct, const LabelVolume* labels, int slice, int row0, int col0,
                      double rowStep, double colStep, int rows, int cols, int16_t* out, uint8_t* labelsOut)
{
    const auto hu = [&](int r, int c) -> double {
        return r >= 0 && r < ct.rows() && c >= 0 && c < ct.cols() ? ct.at(slice, r, c) : -1024.0;
    };
    for (int r = 0; r < rows; ++r) {
        // Pixel centres: crop pixel r covers [row0 + r * step, row0 + (r + 1) * step) of the slice.
        const double y = row0 + (r + 0.5) * rowStep - 0.5;
        const int y0 = static_cast<int>(std::floor(y));
        const double fy = y - y0;
        for (int c = 0; c < cols; ++c) {
            const double x = col0 + (c + 0.5) * colStep - 0.5;
            const int x0 = static_cast<int>(std::floor(x));
            const double fx = x - x0;
            const double v = (1 - fy) * ((1 - fx) * hu(y0, x0) + fx * hu(y0, x0 + 1)) +
                             fy * ((1 - fx) * hu(y0 + 1, x0) + fx * hu(y0 + 1, x0 + 1));
            const size_t at = static_cast<size_t>(r) * cols + c;
            out[at] = static_cast<int16_t>(std::lround(std::clamp(v, -32768.0, 32767.0)));
            if (labelsOut) {
                const int ny = static_cast<int>(std::floor(row0 + (r + 0.5) * rowStep));
                const int nx = static_cast<int>(std::floor(col0 + (c + 0.5) * colStep));
                labelsOut[at] = labels && ny >= 0 && ny < labels->rows() && nx >= 0 && nx < labels->cols()
                                    ? labels->at(slice, ny, nx)
                                    : uint8_t{0};
            }
        }
    }
}

void cutContextPlanes(const CtVolume& ct, int slice, const compute::SliceContext& context, size_t planePixels,
                      const std::function<void(int, int16_t*)>& cutSlice, int16_t* out)
{
    std::vector<int16_t> below(planePixels), above(planePixels);
    const double lastSlice = ct.slices() - 1;
    for (int channel = 0; channel < context.channels(); ++channel) {
        const int offset = context.offsetOf(channel);
        if (offset == 0)
            continue;
        const double z = std::clamp(slice + offset * context.spacingMm / ct.spacing[0], 0.0, lastSlice);
        const int z0 = static_cast<int>(std::floor(z));
        const double f = z - z0;
        cutSlice(z0, below.data());
        if (f < 1e-6) {
            std::copy(below.begin(), below.end(), out);
        } else {
            cutSlice(z0 + 1, above.data());
            for (size_t p = 0; p < planePixels; ++p)
                out[p] = static_cast<int16_t>(std::lround((1 - f) * below[p] + f * above[p]));
        }
        out += planePixels;
    }
}

compute::Image2D cutModelInput(const CtVolume& ct, int slice, const compute::SliceContext& context, int rows,
                               int cols, const std::function<void(int, int16_t*)>& cutSlice)
{
    const size_t pixels = static_cast<size_t>(rows) * cols;
    std::vector<int16_t> planes(pixels * static_cast<size_t>(context.channels()));
    // Planes -n .. -1, then the slice itself, then +1 .. +n.
    int16_t* own = planes.data() + static_cast<size_t>(context.slices) * pixels;
    cutSlice(slice, own);
    if (context.slices > 0) {
        std::vector<int16_t> others(2 * static_cast<size_t>(context.slices) * pixels);
        cutContextPlanes(ct, slice, context, pixels, cutSlice, others.data());
        const auto half = others.begin() + static_cast<std::ptrdiff_t>(context.slices * pixels);
        std::copy(others.begin(), half, planes.begin());
        std::copy(half, others.end(), own + pixels);
    }
    return {rows, cols, std::vector<float>(planes.begin(), planes.end()), context.channels()};
}

KidneyCentres::KidneyCentres(const LabelVolume& labels, bool (*isCentreVoxel)(uint8_t))
    : m_slices(labels.slices())
    , m_rows(labels.rows())
    , m_cols(labels.cols())
{
    // Canonical columns run from the patient's right to left: the image's left half is the
    // patient's right side.
    const int half = labels.cols() / 2;
    for (int s = 0; s < 2; ++s) {
        const int begin = s == 0 ? 0 : half, end = s == 0 ? half : labels.cols();
        auto& centroids = m_centroids[static_cast<size_t>(s)];
        centroids.assign(static_cast<size_t>(labels.slices()), std::nullopt);
        for (int k = 0; k < labels.slices(); ++k) {
            const uint8_t* slice = labels.slice(k);
            double sumRow = 0, sumCol = 0;
            long long n = 0;
            for (int r = 0; r < labels.rows(); ++r) {
                const uint8_t* row = slice + static_cast<size_t>(r) * labels.cols();
                for (int c = begin; c < end; ++c)
                    if (isCentreVoxel ? isCentreVoxel(row[c]) : row[c] == labels::Kidney) {
                        sumRow += r;
                        sumCol += c;
                        ++n;
                    }
            }
            if (n > 0)
                centroids[static_cast<size_t>(k)] =
                    Centroid{sumRow / static_cast<double>(n), sumCol / static_cast<double>(n)};
        }
    }
}

std::vector<KidneyCrop> KidneyCentres::boxes(int slice, int rows, int cols, bool keepNoKidney) const
{
    std::vector<KidneyCrop> result;
    if (slice < 0 || slice >= m_slices)
        return result;
    for (int s = 0; s < 2; ++s) {
        const auto& centroids = m_centroids[static_cast<size_t>(s)];
        std::optional<Centroid> centre = centroids[static_cast<size_t>(slice)];
        const bool kidneyOnSlice = centre.has_value();
        if (!centre && keepNoKidney)
            for (int d = 1; d < m_slices && !centre; ++d) {
                if (slice - d >= 0 && centroids[static_cast<size_t>(slice - d)])
                    centre = centroids[static_cast<size_t>(slice - d)];
                else if (slice + d < m_slices && centroids[static_cast<size_t>(slice + d)])
                    centre = centroids[static_cast<size_t>(slice + d)];
            }
        if (!centre)
            continue;
        result.push_back(
            {kSideNames[s],
             {boxOrigin(centre->row, rows, m_rows), boxOrigin(centre->col, cols, m_cols), rows, cols},
             kidneyOnSlice});
    }
    return result;
}

std::pair<int, int> CropSampling::extent() const
{
    if (!steps)
        return {cropSize, cropSize};
    return {std::max(1, static_cast<int>(std::lround(cropSize * steps->first))),
            std::max(1, static_cast<int>(std::lround(cropSize * steps->second)))};
}

CropSampling cropSampling(const compute::ModelDescription& model, int cropSize, double rowSpacing,
                          double colSpacing)
{
    CropSampling sampling;
    sampling.cropSize = cropSize;
    // As the dataset builder takes them, so resampled crops equal a `--spacing` dataset's.
    if (compute::needsResampling(model, rowSpacing, colSpacing))
        sampling.steps = std::make_pair(model.pixelSpacingMm / rowSpacing, model.pixelSpacingMm / colSpacing);
    return sampling;
}

int cropSizeCovering(const CropSampling& sampling, int rows, int cols)
{
    const double stepRows = sampling.steps ? sampling.steps->first : 1.0;
    const double stepCols = sampling.steps ? sampling.steps->second : 1.0;
    const double pixels = std::max(rows / stepRows, cols / stepCols);
    return std::clamp(static_cast<int>(std::lround(pixels / 8.0)) * 8, 32, 512);
}

compute::Image2D cutCropForModel(const CtVolume& ct, int slice, const CropBox& box,
                                 const CropSampling& sampling, const compute::SliceContext& context)
{
    const int size = sampling.cropSize;
    return cutModelInput(ct, slice, context, size, size, [&](int k, int16_t* out) {
        if (sampling.steps)
            cutResampledCrop(ct, nullptr, k, box.row0, box.col0, sampling.steps->first,
                             sampling.steps->second, size, size, out, nullptr);
        else
            cutCrop(ct, k, box.row0, box.col0, size, size, out);
    });
}

bool KidneyCentres::hasKidney() const
{
    for (const auto& centroids : m_centroids)
        if (std::any_of(centroids.begin(), centroids.end(), [](const auto& c) { return c.has_value(); }))
            return true;
    return false;
}

std::vector<KidneyCrop> cropsOnSlice(const KidneyCentres* centres, int slice, int sliceRows, int sliceCols,
                                     int rows, int cols, const PlacedCrops& placed)
{
    std::vector<KidneyCrop> automatic;
    if (centres && centres->hasKidney())
        automatic = centres->boxes(slice, rows, cols);
    else // no labels, or none that is a kidney (a segmentation without a label table): the halves
        automatic = {{"right", {sliceRows / 2 - rows / 2, sliceCols / 4 - cols / 2, rows, cols}, false},
                     {"left", {sliceRows / 2 - rows / 2, 3 * sliceCols / 4 - cols / 2, rows, cols}, false}};
    if (placed.placements.empty())
        return automatic;
    // A side the labeller placed is there on every slice; the other side stays automatic.
    std::vector<KidneyCrop> crops;
    for (const char* side : kSideNames) {
        const auto place = std::find_if(placed.placements.begin(), placed.placements.end(),
                                        [&](const CropPlacement& p) { return p.side == side; });
        if (place != placed.placements.end()) {
            const double row = place->rowMm / placed.rowSpacing, col = place->colMm / placed.colSpacing;
            crops.push_back(
                {side, {boxOrigin(row, rows, sliceRows), boxOrigin(col, cols, sliceCols), rows, cols}, true});
            continue;
        }
        for (const auto& crop : automatic)
            if (crop.side == side)
                crops.push_back(crop);
    }
    return crops;
}

CropPlacement placementAt(double row, double col, int sliceCols, double rowSpacing, double colSpacing)
{
    // Canonical columns run from the patient's right to left: the image's left half is the right.
    return {col < sliceCols / 2.0 ? "right" : "left", row * rowSpacing, col * colSpacing};
}

} // namespace weaksight
