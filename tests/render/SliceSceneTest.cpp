// The render layer without any widget: scene state, contours and world/voxel mapping.
#include "render/SliceScene.h"

#include "../core/TestSupport.h"

#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>

using namespace weaksight;
using namespace weaksight::test;

namespace {
struct Volumes {
    CtVolume ct = makeCt({4, 32, 40}, {2.0, 0.5, 0.75}, -1000);
    LabelVolume labels = makeLabels({4, 32, 40}, {2.0, 0.5, 0.75});
    Volumes()
    {
        for (int r = 10; r < 20; ++r)
            for (int c = 5; c < 15; ++c)
                labels.at(2, r, c) = labels::Kidney;
        for (int r = 12; r < 16; ++r)
            for (int c = 8; c < 12; ++c)
                labels.at(2, r, c) = labels::Tumour;
    }
};
} // namespace

TEST(SliceScene, ContoursFollowTheLabelBoundariesInMillimetres)
{
    Volumes v;
    render::SliceScene scene;
    scene.setVolumes(&v.ct, &v.labels);
    EXPECT_EQ(scene.sliceCount(), 4);
    scene.setSlice(0);
    EXPECT_EQ(scene.labelContour(labels::Kidney)->GetNumberOfPoints(), 0);

    scene.setSlice(2);
    vtkPolyData* kidney = scene.labelContour(labels::Kidney);
    ASSERT_GT(kidney->GetNumberOfLines(), 0);
    double bounds[6];
    kidney->GetBounds(bounds);
    // The kidney square spans columns 5..14 (x = c * 0.75) and rows 10..19 (y = r * 0.5);
    // the contour runs between label and background pixel centres.
    EXPECT_NEAR(bounds[0], 4.5 * 0.75, 0.4);
    EXPECT_NEAR(bounds[1], 14.5 * 0.75, 0.4);
    EXPECT_NEAR(bounds[2], 9.5 * 0.5, 0.3);
    EXPECT_NEAR(bounds[3], 19.5 * 0.5, 0.3);
    vtkPolyData* tumour = scene.labelContour(labels::Tumour);
    ASSERT_GT(tumour->GetNumberOfLines(), 0);
    tumour->GetBounds(bounds);
    EXPECT_NEAR(bounds[0], 7.5 * 0.75, 0.4);
    EXPECT_NEAR(bounds[1], 11.5 * 0.75, 0.4);
    EXPECT_EQ(scene.labelContour(labels::Cyst)->GetNumberOfPoints(), 0);
}

TEST(SliceScene, SliceIsClampedAndWindowIsPositive)
{
    Volumes v;
    render::SliceScene scene;
    EXPECT_EQ(scene.setSlice(3), 0); // no volume yet
    scene.setVolumes(&v.ct, &v.labels);
    EXPECT_EQ(scene.setSlice(99), 3);
    EXPECT_EQ(scene.setSlice(-5), 0);
    scene.setWindowLevel({-20, 40});
    EXPECT_GE(scene.windowLevel().window, 1.0);
}

TEST(SliceScene, WorldToVoxelAndCameraFit)
{
    Volumes v;
    render::SliceScene scene;
    scene.setVolumes(&v.ct, nullptr);
    auto voxel = scene.voxelAtWorld(7 * 0.75, 3 * 0.5);
    ASSERT_TRUE(voxel.has_value());
    EXPECT_EQ((*voxel)[0], 3);
    EXPECT_EQ((*voxel)[1], 7);
    EXPECT_FALSE(scene.voxelAtWorld(-2, 0).has_value());
    EXPECT_FALSE(scene.voxelAtWorld(0, 32 * 0.5 + 1).has_value());

    // Radiological view: looking along +z with -y up (row 0 at the top, column 0 on the left).
    scene.resetCamera(1.0);
    auto* camera = scene.renderer()->GetActiveCamera();
    double up[3], direction[3];
    camera->GetViewUp(up);
    camera->GetDirectionOfProjection(direction);
    EXPECT_DOUBLE_EQ(up[1], -1.0);
    EXPECT_DOUBLE_EQ(direction[2], 1.0);
    // The 30 mm wide slice (40 x 0.75) is wider than tall (16 mm): width decides the fit.
    EXPECT_NEAR(camera->GetParallelScale(), 15.0, 1e-9);
}

TEST(SliceScene, LabelsOnAnotherGridAreNotDrawn)
{
    Volumes v;
    LabelVolume other = makeLabels({4, 30, 40}, {2.0, 0.5, 0.75});
    render::SliceScene scene;
    scene.setVolumes(&v.ct, &other);
    EXPECT_EQ(scene.labels(), nullptr);
}

TEST(SliceScene, LabelColoursAreDistinct)
{
    EXPECT_NE(render::SliceScene::labelColour(labels::Kidney), render::SliceScene::labelColour(labels::Tumour));
    EXPECT_NE(render::SliceScene::labelColour(labels::Tumour), render::SliceScene::labelColour(labels::Cyst));
}

TEST(SliceScene, CoronalAndSagittalPlanesShowTheirLabelsSuperiorUp)
{
    Volumes v; // kidney and tumour on axial slice 2 of 4 (superior at plane row 4 - 1 - 2 = 1)
    render::SliceScene coronal(review::ViewPlane::Coronal);
    coronal.setVolumes(&v.ct, &v.labels);
    EXPECT_EQ(coronal.sliceCount(), 32); // one plane per canonical row
    EXPECT_EQ(coronal.grid().rows, 4);
    EXPECT_DOUBLE_EQ(coronal.grid().rowSpacing, 2.0);
    coronal.setSlice(5);
    EXPECT_EQ(coronal.labelContour(labels::Kidney)->GetNumberOfPoints(), 0);
    coronal.setSlice(15); // crosses the kidney (rows 10..19) and the tumour (rows 12..15)
    double bounds[6];
    vtkPolyData* kidney = coronal.labelContour(labels::Kidney);
    ASSERT_GT(kidney->GetNumberOfLines(), 0);
    kidney->GetBounds(bounds);
    EXPECT_NEAR(bounds[0], 4.5 * 0.75, 0.4); // columns 5..14
    EXPECT_NEAR(bounds[1], 14.5 * 0.75, 0.4);
    EXPECT_NEAR(bounds[2], 0.5 * 2.0, 0.6); // plane row 1 (slice 2), one slice thick
    EXPECT_NEAR(bounds[3], 1.5 * 2.0, 0.6);
    EXPECT_EQ(coronal.voxelAt(1, 9), (std::array<int, 3>{2, 15, 9}));

    render::SliceScene sagittal(review::ViewPlane::Sagittal);
    sagittal.setVolumes(&v.ct, &v.labels);
    EXPECT_EQ(sagittal.sliceCount(), 40);
    sagittal.setSlice(10); // crosses the tumour (columns 8..11) at rows 12..15
    vtkPolyData* tumour = sagittal.labelContour(labels::Tumour);
    ASSERT_GT(tumour->GetNumberOfLines(), 0);
    tumour->GetBounds(bounds);
    EXPECT_NEAR(bounds[0], 11.5 * 0.5, 0.3); // x = canonical row * row spacing
    EXPECT_NEAR(bounds[1], 15.5 * 0.5, 0.3);
}

TEST(SliceScene, CrosshairCrossesEachPlaneAtTheSharedVoxel)
{
    Volumes v;
    render::SliceScene axial, coronal(review::ViewPlane::Coronal);
    axial.setVolumes(&v.ct, nullptr);
    coronal.setVolumes(&v.ct, nullptr);
    EXPECT_FALSE(axial.crosshairShown());
    for (auto* scene : {&axial, &coronal})
        scene->setCrosshair(std::array<int, 3>{3, 20, 7});
    EXPECT_TRUE(axial.crosshairShown());
    double bounds[6];
    axial.crosshairLines()->GetBounds(bounds);
    // A vertical line at column 7 and a horizontal one at row 20, edge to edge.
    vtkPoints* points = axial.crosshairLines()->GetPoints();
    EXPECT_DOUBLE_EQ(points->GetPoint(0)[0], 7 * 0.75);
    EXPECT_DOUBLE_EQ(points->GetPoint(2)[1], 20 * 0.5);
    EXPECT_DOUBLE_EQ(bounds[0], -0.5 * 0.75);
    EXPECT_DOUBLE_EQ(bounds[3], 31.5 * 0.5);
    // Coronal: column 7 across, slice 3 = plane row 0 (the top).
    points = coronal.crosshairLines()->GetPoints();
    EXPECT_DOUBLE_EQ(points->GetPoint(0)[0], 7 * 0.75);
    EXPECT_DOUBLE_EQ(points->GetPoint(2)[1], 0.0);
    coronal.setCrosshairVisible(false);
    EXPECT_FALSE(coronal.crosshairShown());
}

TEST(SliceScene, ZoomAboutAPointKeepsItInPlace)
{
    Volumes v;
    render::SliceScene scene;
    scene.setVolumes(&v.ct, nullptr);
    scene.resetCamera(1.0);
    vtkCamera* camera = scene.renderer()->GetActiveCamera();
    // A point's place on screen is its offset from the focal point over the parallel scale.
    const auto onScreen = [&](double x, double y) {
        double focal[3];
        camera->GetFocalPoint(focal);
        return std::array<double, 2>{(x - focal[0]) / camera->GetParallelScale(),
                                     (y - focal[1]) / camera->GetParallelScale()};
    };
    const auto before = onScreen(20, 4);
    scene.zoomAbout(3.0, 20, 4);
    const auto after = onScreen(20, 4);
    EXPECT_NEAR(scene.zoomFactor(), 3.0, 1e-9);
    EXPECT_NEAR(before[0], after[0], 1e-9);
    EXPECT_NEAR(before[1], after[1], 1e-9);
}
