// The CAM overlay's VTK pipeline without a widget: colour mapping, patch placement, the proposal
// contour at a threshold and the crop boxes, in the slice's millimetre coordinates.
#include "core/common/ColorMaps.h"
#include "render/HeatmapLayer.h"

#include <gtest/gtest.h>
#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkScalarsToColors.h>

#include <cmath>

using namespace weaksight;
using render::HeatmapLayer;
using HeatmapPatch = review::CropHeatmap;

namespace {

HeatmapPatch makePatch(CropBox box, std::vector<float> values, bool degenerate = false)
{
    HeatmapPatch p;
    p.box = box;
    p.values = std::move(values);
    p.degenerate = degenerate;
    return p;
}

/// A 256-entry table stored as bytes: one table step of the steepest map plus one byte.
constexpr double kTableTolerance = 0.012;

/// A cone: 1 at the patch centre, falling linearly to 0 at `radius` pixels.
HeatmapPatch cone(int row0, int col0, int size, double radius)
{
    HeatmapPatch p = makePatch({row0, col0, size, size}, std::vector<float>(static_cast<size_t>(size) * size));
    const double centre = (size - 1) / 2.0;
    for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c)
            p.values[static_cast<size_t>(r) * size + c] =
                static_cast<float>(std::max(0.0, 1.0 - std::hypot(r - centre, c - centre) / radius));
    return p;
}

} // namespace

TEST(HeatmapLayer, ColoursFollowThePerceptualMapAndOpacity)
{
    HeatmapLayer layer;
    layer.setOpacity(0.6);
    for (const auto& name : colorMapNames()) {
        layer.setColorMap(name);
        for (double v : {0.0, 0.25, 0.5, 0.9, 1.0}) {
            const auto rgba = layer.colourOf(v);
            const Rgb expected = colorMapValue(name, v);
            EXPECT_NEAR(rgba[0], expected.r, kTableTolerance) << name << " " << v;
            EXPECT_NEAR(rgba[1], expected.g, kTableTolerance) << name << " " << v;
            EXPECT_NEAR(rgba[2], expected.b, kTableTolerance) << name << " " << v;
            EXPECT_NEAR(rgba[3], 0.6, 1e-9);
        }
        EXPECT_EQ(layer.colourOf(-0.5)[3], 0.0) << "outside the patches is transparent";
    }
    // Viridis runs dark purple -> yellow: luminance rises monotonically.
    layer.setColorMap("viridis");
    double previous = -1;
    for (int i = 0; i <= 10; ++i) {
        const auto c = layer.colourOf(i / 10.0);
        const double luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        EXPECT_GT(luminance, previous);
        previous = luminance;
    }
    EXPECT_THROW(layer.setColorMap("jet"), std::invalid_argument);
}

TEST(HeatmapLayer, PatchesLandOnTheirCropBoxesAndAreClippedAtTheSliceEdge)
{
    HeatmapLayer layer;
    layer.setSliceGeometry(100, 120, 0.8, 0.7);
    layer.setPatches({cone(10, 20, 30, 10.0), cone(90, 110, 30, 10.0)});
    EXPECT_EQ(layer.patchCount(), 2u);
    vtkImageData* image = layer.heatmapImage();
    // The image spans the patches' bounding box, clipped to the slice; its origin is the box's corner.
    int dims[3];
    image->GetDimensions(dims);
    const int c0 = static_cast<int>(std::lround(image->GetOrigin()[0] / 0.7));
    const int r0 = static_cast<int>(std::lround(image->GetOrigin()[1] / 0.8));
    EXPECT_EQ(c0, 20);
    EXPECT_EQ(r0, 10);
    EXPECT_EQ(dims[0], 100);
    EXPECT_EQ(dims[1], 90);
    const auto at = [&](int row, int col) {
        if (col < c0 || col >= c0 + dims[0] || row < r0 || row >= r0 + dims[1])
            return -1.0f; // outside the image: nothing drawn
        return *static_cast<float*>(image->GetScalarPointer(col - c0, row - r0, 0));
    };
    const auto patch = cone(10, 20, 30, 10.0);
    EXPECT_FLOAT_EQ(at(10 + 14, 20 + 15), patch.values[14 * 30 + 15]);
    EXPECT_FLOAT_EQ(at(10, 20), patch.values[0]);
    EXPECT_LT(at(5, 5), 0.0f) << "outside the patches: below the value range";
    EXPECT_LT(at(9, 20), 0.0f);
    EXPECT_FLOAT_EQ(at(99, 119), cone(90, 110, 30, 10.0).values[9 * 30 + 9]); // clipped patch
    // Boxes around the pixel footprints, in mm.
    vtkPolyData* boxes = layer.boxes();
    ASSERT_EQ(boxes->GetNumberOfPoints(), 8);
    double p[3];
    boxes->GetPoint(0, p);
    EXPECT_NEAR(p[0], 19.5 * 0.7, 1e-5);
    EXPECT_NEAR(p[1], 9.5 * 0.8, 1e-5);
    boxes->GetPoint(2, p);
    EXPECT_NEAR(p[0], 49.5 * 0.7, 1e-5);
    EXPECT_NEAR(p[1], 39.5 * 0.8, 1e-5);
    EXPECT_THROW(layer.setPatches({makePatch({0, 0, 2, 2}, {1.f})}), std::invalid_argument);
}

TEST(HeatmapLayer, ProposalContourIsTheThresholdsIsolineAndShrinksAsItRises)
{
    HeatmapLayer layer;
    const double spacing = 0.5;
    layer.setSliceGeometry(80, 80, spacing, spacing);
    layer.setPatches({cone(20, 20, 41, 16.0)}); // centre pixel (40, 40)
    double lastRadius = 1e9;
    for (double t : {0.1, 0.3, 0.5, 0.7}) {
        layer.setThreshold(t);
        vtkPolyData* contour = layer.proposalContour();
        ASSERT_GT(contour->GetNumberOfPoints(), 8) << "t = " << t;
        // {map > t} on a cone is a disc of radius (1 - t) * 16 pixels around the centre.
        const double expected = (1 - t) * 16 * spacing;
        double sum = 0;
        for (vtkIdType i = 0; i < contour->GetNumberOfPoints(); ++i) {
            double p[3];
            contour->GetPoint(i, p);
            const double radius = std::hypot(p[0] - 40 * spacing, p[1] - 40 * spacing);
            EXPECT_NEAR(radius, expected, 0.75 * spacing) << "t = " << t;
            sum += radius;
        }
        const double mean = sum / static_cast<double>(contour->GetNumberOfPoints());
        EXPECT_LT(mean, lastRadius);
        lastRadius = mean;
    }
    layer.setThreshold(1.0);
    EXPECT_EQ(layer.proposalContour()->GetNumberOfPoints(), 0) << "nothing is above the maximum";
    layer.clear();
    layer.setThreshold(0.3);
    EXPECT_EQ(layer.proposalContour()->GetNumberOfPoints(), 0);
    EXPECT_EQ(layer.patchCount(), 0u);
}

TEST(HeatmapLayer, JoinsARendererAndKeepsItsRangeForRawMaps)
{
    auto renderer = vtkSmartPointer<vtkRenderer>::New();
    HeatmapLayer layer;
    layer.addTo(renderer);
    EXPECT_EQ(renderer->GetViewProps()->GetNumberOfItems(), 4); // heatmap, contour, boxes, colour bar
    layer.setSliceGeometry(10, 10, 1, 1);
    // Raw (unnormalised) maps: the colour bar's range is the maps' own.
    layer.setPatches({makePatch({0, 0, 2, 2}, {0.f, 2.f, 4.f, 8.f})}, 0.0, 8.0);
    EXPECT_EQ(layer.valueRange()[1], 8.0);
    const Rgb top = colorMapValue("viridis", 1.0);
    EXPECT_NEAR(layer.colourOf(8.0)[1], top.g, kTableTolerance);
    EXPECT_THROW(layer.setPatches({}, 1.0, 1.0), std::invalid_argument);
    // The colour bar shows the same table and range, and only with a visible heatmap.
    EXPECT_EQ(layer.colorBar()->GetLookupTable()->GetRange()[1], 8.0);
    EXPECT_TRUE(layer.colorBar()->GetVisibility());
    layer.setHeatmapVisible(false);
    EXPECT_FALSE(layer.colorBar()->GetVisibility());
}

#include "render/SliceScene.h"
#include <vtkCamera.h>

TEST(SliceScene, ZoomAndPanMoveTheCameraWithinLimits)
{
    CtVolume ct(StorageGeometry::canonical({2, 40, 60}, {2.0, 0.5, 0.5}));
    render::SliceScene scene;
    scene.setVolumes(&ct, nullptr);
    scene.resetCamera(1.0);
    EXPECT_DOUBLE_EQ(scene.zoomFactor(), 1.0);
    scene.zoom(2.0);
    EXPECT_NEAR(scene.zoomFactor(), 2.0, 1e-12);
    scene.zoom(1000.0);
    EXPECT_NEAR(scene.zoomFactor(), 64.0, 1e-9) << "magnification is capped";
    scene.zoom(1e-6);
    EXPECT_NEAR(scene.zoomFactor(), 0.25, 1e-9);
    double before[3], after[3];
    scene.renderer()->GetActiveCamera()->GetFocalPoint(before);
    scene.pan(3.0, -2.0);
    scene.renderer()->GetActiveCamera()->GetFocalPoint(after);
    EXPECT_NEAR(after[0] - before[0], 3.0, 1e-12);
    EXPECT_NEAR(after[1] - before[1], -2.0, 1e-12);
    scene.resetCamera(1.0);
    EXPECT_DOUBLE_EQ(scene.zoomFactor(), 1.0);
}

TEST(HeatmapLayer, ADegenerateMapIsDrawnAsNothingWithARedBox)
{
    render::HeatmapLayer layer;
    layer.setSliceGeometry(20, 20, 1.0, 1.0);
    const HeatmapPatch good = makePatch({2, 2, 4, 4}, std::vector<float>(16, 0.7f));
    const HeatmapPatch flat = makePatch({10, 10, 4, 4}, std::vector<float>(16, 0.0f), true);
    layer.setPatches({good, flat});
    auto* image = layer.heatmapImage();
    // Origin at the first patch's corner (2, 2).
    const auto at = [&](int row, int col) {
        return *static_cast<const float*>(image->GetScalarPointer(col - 2, row - 2, 0));
    };
    EXPECT_NEAR(image->GetOrigin()[0], 2.0, 1e-9);
    EXPECT_FLOAT_EQ(at(3, 3), 0.7f);
    EXPECT_LT(at(11, 11), 0.0f) << "below the range: transparent";
    EXPECT_EQ(layer.colourOf(at(11, 11))[3], 0.0);
    auto* colours = layer.boxes()->GetCellData()->GetScalars();
    ASSERT_NE(colours, nullptr);
    ASSERT_EQ(colours->GetNumberOfTuples(), 2);
    EXPECT_GT(colours->GetComponent(1, 0), 200);
    EXPECT_LT(colours->GetComponent(1, 1), 100) << "red for the degenerate map";
    EXPECT_GT(colours->GetComponent(0, 1), 200) << "yellow for a normal one";
}
