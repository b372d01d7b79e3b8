#include "render/HeatmapLayer.h"

#include "core/common/ColorMaps.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkFloatArray.h>
#include <vtkFlyingEdges2D.h>
#include <vtkImageData.h>
#include <vtkImageProperty.h>
#include <vtkImageSlice.h>
#include <vtkImageSliceMapper.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextProperty.h>
#include <vtkUnsignedCharArray.h>

namespace weaksight::render {

namespace {
// Layers in front of the CT (the camera looks along +z): heatmap, then contours and boxes.
constexpr double kHeatmapDepth = -0.2;
constexpr double kLineDepth = -0.6;
constexpr int kTableSize = 256;
} // namespace

void useUnicodeFont(vtkTextProperty* text)
{
    // VTK's built-in fonts (Arial, Courier, Times) have no Cyrillic: a Ukrainian title would render
    // as nothing. Debian's DejaVu Sans has it (fonts-dejavu-core, a dependency of the package).
    static const char* const kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::error_code ec;
    if (!std::filesystem::exists(kFont, ec))
        return;
    text->SetFontFamily(VTK_FONT_FILE);
    text->SetFontFile(kFont);
}

HeatmapLayer::HeatmapLayer()
    : m_image(vtkSmartPointer<vtkImageData>::New())
    , m_lookupTable(vtkSmartPointer<vtkLookupTable>::New())
    , m_heatmapActor(vtkSmartPointer<vtkImageSlice>::New())
    , m_contourFilter(vtkSmartPointer<vtkFlyingEdges2D>::New())
    , m_contourActor(vtkSmartPointer<vtkActor>::New())
    , m_boxes(vtkSmartPointer<vtkPolyData>::New())
    , m_boxActor(vtkSmartPointer<vtkActor>::New())
    , m_colorBar(vtkSmartPointer<vtkScalarBarActor>::New())
{
    m_image->SetDimensions(1, 1, 1);
    m_image->AllocateScalars(VTK_FLOAT, 1);
    rebuildLookupTable();
    auto mapper = vtkSmartPointer<vtkImageSliceMapper>::New();
    mapper->SetInputData(m_image);
    m_heatmapActor->SetMapper(mapper);
    m_heatmapActor->GetProperty()->SetLookupTable(m_lookupTable);
    m_heatmapActor->GetProperty()->UseLookupTableScalarRangeOn();
    m_heatmapActor->GetProperty()->SetInterpolationTypeToNearest(); // one map value per slice pixel
    m_heatmapActor->GetProperty()->SetOpacity(m_opacity);
    m_heatmapActor->SetPosition(0, 0, kHeatmapDepth);

    m_contourFilter->SetInputData(m_image);
    m_contourFilter->ComputeScalarsOff();
    m_contourFilter->SetValue(0, m_threshold);
    auto contourMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    contourMapper->SetInputConnection(m_contourFilter->GetOutputPort());
    contourMapper->ScalarVisibilityOff();
    m_contourActor->SetMapper(contourMapper);
    m_contourActor->GetProperty()->SetColor(1, 1, 1);
    m_contourActor->GetProperty()->LightingOff();
    m_contourActor->SetPosition(0, 0, kLineDepth);

    auto boxMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    boxMapper->SetInputData(m_boxes);
    boxMapper->SetScalarModeToUseCellData();
    boxMapper->SetColorModeToDirectScalars();
    m_boxActor->SetMapper(boxMapper);
    m_boxActor->GetProperty()->LightingOff();
    m_boxActor->SetPosition(0, 0, kLineDepth);

    m_colorBar->SetLookupTable(m_lookupTable);
    m_colorBar->SetNumberOfLabels(3);
    m_colorBar->SetLabelFormat("%.2g");
    m_colorBar->SetMaximumWidthInPixels(70);
    m_colorBar->SetPosition(0.9, 0.1);
    m_colorBar->SetWidth(0.08);
    m_colorBar->SetHeight(0.8);
    m_colorBar->GetTitleTextProperty()->SetFontSize(12);
    m_colorBar->GetLabelTextProperty()->SetFontSize(11);
    useUnicodeFont(m_colorBar->GetTitleTextProperty());
    useUnicodeFont(m_colorBar->GetLabelTextProperty());
    updateVisibility();
}

HeatmapLayer::~HeatmapLayer() = default;

void HeatmapLayer::addTo(vtkRenderer* renderer)
{
    renderer->AddViewProp(m_heatmapActor);
    renderer->AddActor(m_contourActor);
    renderer->AddActor(m_boxActor);
    renderer->AddViewProp(m_colorBar);
}

void HeatmapLayer::setColorBarTitle(const std::string& title)
{
    // An unchanged title must not modify the bar: it would rebuild its text textures every frame.
    const char* current = m_colorBar->GetTitle();
    if (!current || title != current)
        m_colorBar->SetTitle(title.c_str());
}

void HeatmapLayer::setColorBarVisible(bool visible)
{
    m_colorBarVisible = visible;
    updateVisibility();
}

vtkScalarBarActor* HeatmapLayer::colorBar() const
{
    return m_colorBar;
}

void HeatmapLayer::setSliceGeometry(int rows, int cols, double rowSpacing, double colSpacing)
{
    m_rows = rows;
    m_cols = cols;
    m_image->SetSpacing(colSpacing, rowSpacing, 1);
    m_image->SetOrigin(0, 0, 0);
    clear();
}

void HeatmapLayer::clear()
{
    setPatches({}, m_low, m_high);
}

void HeatmapLayer::setPatches(const std::vector<review::CropHeatmap>& patches, double low, double high)
{
    if (!(high > low))
        throw std::invalid_argument("heatmap value range must have high > low");
    const bool rangeChanged = low != m_low || high != m_high;
    m_low = low;
    m_high = high;
    // The image covers only the patches' bounding box on the slice (its corner is the image's
    // origin; flying edges ignores a non-zero extent start): a slice change uploads and
    // colour-maps two crops, not the whole slice.
    std::vector<CropBox> boxes;
    for (const auto& patch : patches)
        boxes.push_back(patch.box);
    const CropBox bounds = boundsOnSlice(boxes, m_rows, m_cols);
    const int r0 = bounds.row0, c0 = bounds.col0;
    const int r1 = bounds.empty() ? 0 : bounds.row0 + bounds.rows - 1;
    const int c1 = bounds.empty() ? 0 : bounds.col0 + bounds.cols - 1;
    const int width = c1 - c0 + 1;
    const double* spacing = m_image->GetSpacing();
    m_image->SetExtent(0, c1 - c0, 0, r1 - r0, 0, 0);
    m_image->SetOrigin(c0 * spacing[0], r0 * spacing[1], 0);
    m_image->AllocateScalars(VTK_FLOAT, 1);
    // Outside every patch: one step below the range, which the table shows transparent.
    const float outside = static_cast<float>(low - (high - low));
    auto* pixels = static_cast<float*>(m_image->GetScalarPointer());
    std::fill(pixels, pixels + static_cast<size_t>(width) * (r1 - r0 + 1), outside);
    const auto at = [&](int row, int col) -> float& {
        return pixels[static_cast<size_t>(row - r0) * width + (col - c0)];
    };
    m_boxList.clear();
    for (const auto& patch : patches) {
        if (patch.values.size() != static_cast<size_t>(patch.box.rows) * patch.box.cols)
            throw std::invalid_argument("heatmap patch values do not match its size");
        for (int r = std::max(0, -patch.box.row0);
             patch.degenerate && r < patch.box.rows && patch.box.row0 + r < m_rows; ++r)
            for (int c = std::max(0, -patch.box.col0); c < patch.box.cols && patch.box.col0 + c < m_cols; ++c)
                at(patch.box.row0 + r, patch.box.col0 + c) = outside;
        for (int r = std::max(0, -patch.box.row0); r < patch.box.rows && patch.box.row0 + r < m_rows; ++r)
            for (int c = std::max(0, -patch.box.col0);
                 !patch.degenerate && c < patch.box.cols && patch.box.col0 + c < m_cols; ++c)
                at(patch.box.row0 + r, patch.box.col0 + c) =
                    patch.values[static_cast<size_t>(r) * patch.box.cols + c];
        m_boxList.emplace_back(patch.box, patch.degenerate);
    }
    rebuildBoxes();
    m_image->Modified();
    m_patchCount = patches.size();
    if (rangeChanged)
        rebuildLookupTable();
    updateVisibility();
}

void HeatmapLayer::setColorMap(const std::string& name)
{
    (void)colorMapValue(name, 0); // throws for an unknown name
    m_colorMap = name;
    rebuildLookupTable();
}

void HeatmapLayer::setOpacity(double opacity)
{
    m_opacity = std::clamp(opacity, 0.0, 1.0);
    m_heatmapActor->GetProperty()->SetOpacity(m_opacity);
}

void HeatmapLayer::setThreshold(double threshold)
{
    m_threshold = threshold;
    // Just above t: a pixel equal to t is not in the proposal {map > t}.
    m_contourFilter->SetValue(0, threshold + 1e-6 * (m_high - m_low));
}

void HeatmapLayer::setHeatmapVisible(bool visible)
{
    m_heatmapVisible = visible;
    updateVisibility();
}

void HeatmapLayer::setProposalVisible(bool visible)
{
    m_proposalVisible = visible;
    updateVisibility();
}

void HeatmapLayer::setProposalOpacity(double opacity)
{
    m_proposalOpacity = std::clamp(opacity, 0.0, 1.0);
    m_contourActor->GetProperty()->SetOpacity(m_proposalOpacity);
}

HeatmapLayer::Style HeatmapLayer::style() const
{
    return {m_colorMap, m_opacity, m_threshold, m_proposalOpacity, m_heatmapVisible, m_proposalVisible};
}

void HeatmapLayer::setStyle(const Style& style)
{
    if (style.colorMap != m_colorMap)
        setColorMap(style.colorMap);
    setOpacity(style.opacity);
    setThreshold(style.threshold);
    setProposalOpacity(style.proposalOpacity);
    m_heatmapVisible = style.heatmapVisible;
    m_proposalVisible = style.proposalVisible;
    updateVisibility();
}

void HeatmapLayer::setBoxesOpacity(double opacity)
{
    m_boxActor->GetProperty()->SetOpacity(std::clamp(opacity, 0.0, 1.0));
}

void HeatmapLayer::setBoxesVisible(bool visible)
{
    m_boxesVisible = visible;
    updateVisibility();
}

std::array<double, 4> HeatmapLayer::colourOf(double value) const
{
    if (value < m_low)
        return {0, 0, 0, 0};
    double rgba[4];
    m_lookupTable->GetColor(value, rgba);
    rgba[3] = m_lookupTable->GetOpacity(value) * m_opacity;
    return {rgba[0], rgba[1], rgba[2], rgba[3]};
}

vtkImageData* HeatmapLayer::heatmapImage() const
{
    return m_image;
}

vtkPolyData* HeatmapLayer::boxes() const
{
    return m_boxes;
}

vtkPolyData* HeatmapLayer::proposalContour()
{
    m_contourFilter->Update();
    return m_contourFilter->GetOutput();
}

void HeatmapLayer::rebuildLookupTable()
{
    m_lookupTable->SetNumberOfTableValues(kTableSize);
    m_lookupTable->SetTableRange(m_low, m_high);
    for (int i = 0; i < kTableSize; ++i) {
        const Rgb c = colorMapValue(m_colorMap, i / double(kTableSize - 1));
        m_lookupTable->SetTableValue(i, c.r, c.g, c.b, 1.0);
    }
    m_lookupTable->SetBelowRangeColor(0, 0, 0, 0);
    m_lookupTable->UseBelowRangeColorOn();
    const Rgb top = colorMapValue(m_colorMap, 1);
    m_lookupTable->SetAboveRangeColor(top.r, top.g, top.b, 1.0);
    m_lookupTable->UseAboveRangeColorOn();
    m_lookupTable->Build();
    m_lookupTable->Modified();
}

void HeatmapLayer::setHighlightedBox(const std::optional<CropBox>& box)
{
    if (box == m_highlighted)
        return;
    m_highlighted = box;
    rebuildBoxes();
}

void HeatmapLayer::rebuildBoxes()
{
    const double* spacing = m_image->GetSpacing();
    auto points = vtkSmartPointer<vtkPoints>::New();
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
    colours->SetNumberOfComponents(3);
    colours->SetName("box colours");
    const auto outline = [&](const CropBox& box, const std::array<unsigned char, 3>& colour) {
        // Around the box's pixel footprints (pixel centres sit at index * spacing).
        const double x0 = (box.col0 - 0.5) * spacing[0], x1 = (box.col0 + box.cols - 0.5) * spacing[0];
        const double y0 = (box.row0 - 0.5) * spacing[1], y1 = (box.row0 + box.rows - 0.5) * spacing[1];
        const vtkIdType first = points->InsertNextPoint(x0, y0, 0);
        points->InsertNextPoint(x1, y0, 0);
        points->InsertNextPoint(x1, y1, 0);
        points->InsertNextPoint(x0, y1, 0);
        const vtkIdType loop[5] = {first, first + 1, first + 2, first + 3, first};
        lines->InsertNextCell(5, loop);
        colours->InsertNextTypedTuple(colour.data());
    };
    bool highlightedDrawn = false;
    for (const auto& [box, degenerate] : m_boxList) {
        const bool highlighted = m_highlighted == box;
        highlightedDrawn = highlightedDrawn || highlighted;
        outline(box, degenerate ? kDegenerateBoxColour : highlighted ? kHighlightedBoxColour : kBoxColour);
    }
    // A highlighted box of no patch (a crop being resized) is drawn too.
    if (m_highlighted && !highlightedDrawn && !m_boxList.empty())
        outline(*m_highlighted, kHighlightedBoxColour);
    m_boxes->SetPoints(points);
    m_boxes->SetLines(lines);
    m_boxes->GetCellData()->SetScalars(colours);
    m_boxes->Modified();
}

void HeatmapLayer::updateVisibility()
{
    const bool any = m_patchCount > 0 && m_rows > 0;
    m_heatmapActor->SetVisibility(any && m_heatmapVisible);
    m_contourActor->SetVisibility(any && m_proposalVisible);
    m_boxActor->SetVisibility(any && m_boxesVisible);
    m_colorBar->SetVisibility(any && m_heatmapVisible && m_colorBarVisible);
}

} // namespace weaksight::render
