// The render layer without any widget: scene state, contours and world/voxel mapping.
#include "../core/TestSupport.h"
#include "render/SliceScene.h"

#include <gtest/gtest.h>
#include <vtkCamera.h>
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
