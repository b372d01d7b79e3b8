#include "core/review/EditSession.h"

#include "core/dataset/KidneyCrops.h"

#include <algorithm>
#include <stdexcept>

namespace weaksight::review {

EditSession::EditSession(const CropBox& box, BinaryMask start)
    : m_crop(box)
    , m_box(box)
    , m_editor(std::move(start))
{
}

EditSession::EditSession(const CropBox& crop, const PlacedMask& start, const CropBox& canvas)
    : m_crop(crop)
    , m_box(canvas)
    , m_editor(placeMask(start.mask, start.box, canvas))
{
    if (!holds(canvas, crop))
        throw std::invalid_argument("an edit's canvas must hold its crop box");
}

PlacedMask EditSession::finalMask() const
{
    const BinaryMask& mask = m_editor.mask();
    const CropBox box = unionOf(m_crop, setPixelBounds(mask, m_box));
    return {box, box == m_box ? mask : placeMask(mask, m_box, box)};
}

void EditSession::beginStroke(double sliceRow, double sliceCol, double radius, bool paint)
{
    m_editor.beginStroke(paint);
    m_editor.dab(sliceRow - m_box.row0, sliceCol - m_box.col0, radius);
}

void EditSession::strokeTo(double sliceRow, double sliceCol, double radius)
{
    m_editor.dabTo(sliceRow - m_box.row0, sliceCol - m_box.col0, radius);
}

void EditSession::endStroke()
{
    m_editor.endStroke();
}

void EditSession::startPolygon(bool subtract)
{
    m_polygon.clear();
    m_drawingPolygon = true;
    m_polygonSubtract = subtract;
}

void EditSession::addPolygonCorner(double sliceRow, double sliceCol)
{
    if (m_drawingPolygon)
        m_polygon.push_back({sliceRow, sliceCol});
}

std::vector<std::array<double, 2>> EditSession::closedPolygon() const
{
    auto closed = m_polygon;
    if (!closed.empty())
        closed.push_back(closed.front());
    return closed;
}

bool EditSession::applyPolygon()
{
    if (!m_drawingPolygon || m_polygon.size() < 3) {
        cancelPolygon();
        return false;
    }
    std::vector<std::array<double, 2>> corners; // crop pixels: x = column, y = row
    for (const auto& p : m_polygon)
        corners.push_back({p[1] - m_box.col0, p[0] - m_box.row0});
    const bool changed = m_editor.apply(fillPolygon(m_editor.mask(), corners, !m_polygonSubtract));
    cancelPolygon();
    return changed;
}

void EditSession::cancelPolygon()
{
    m_polygon.clear();
    m_drawingPolygon = false;
}

bool EditSession::keepHuRange(const CtVolume& ct, int slice, int low, int high)
{
    std::vector<int16_t> hu(m_box.pixelCount());
    cutCrop(ct, slice, m_box.row0, m_box.col0, m_box.rows, m_box.cols, hu.data());
    return m_editor.apply(thresholdWithin(m_editor.mask(), hu, std::min(low, high), std::max(low, high)));
}

bool EditSession::apply(const std::function<BinaryMask(const BinaryMask&)>& operation)
{
    return m_editor.apply(operation(m_editor.mask()));
}

} // namespace weaksight::review
