// Label surfaces of the 3D view: placed in millimetres in the canonical frame, the size of the
// labelled shape, one per label present, and added to and removed from the scene by kind.
#include "../core/TestSupport.h"
#include "render/SurfaceScene.h"

#include <gtest/gtest.h>
#include <vtkActorCollection.h>
#include <vtkMassProperties.h>
#include <vtkPolyData.h>
#include <vtkRenderer.h>
#include <vtkTriangleFilter.h>

#include <cmath>

using namespace weaksight;
using namespace weaksight::test;

TEST(SurfaceScene, ABallBecomesASurfaceOfItsSizeWhereItIs)
{
    // Anisotropic voxels as in CT: 2.5 mm slices, 0.8 mm pixels.
    LabelVolume labels = makeLabels({40, 96, 96}, {2.5, 0.8, 0.8});
    const double cz = 20 * 2.5, cy = 40 * 0.8, cx = 56 * 0.8, radius = 18.0;
    for (int k = 0; k < 40; ++k)
        for (int r = 0; r < 96; ++r)
            for (int c = 0; c < 96; ++c) {
                const double dz = k * 2.5 - cz, dy = r * 0.8 - cy, dx = c * 0.8 - cx;
                if (dx * dx + dy * dy + dz * dz <= radius * radius)
                    labels.at(k, r, c) = labels::Tumour;
            }
    labels.at(2, 2, 2) = labels::Kidney; // a second label, one voxel

    const auto surfaces = render::buildLabelSurfaces(labels, {labels::Kidney, labels::Tumour, labels::Cyst}, false);
    ASSERT_EQ(surfaces.size(), 2u) << "no cyst in the volume: no cyst surface";
    const auto& ball = surfaces[1];
    EXPECT_EQ(ball.label, labels::Tumour);
    double bounds[6];
    ball.mesh->GetBounds(bounds);
    EXPECT_NEAR((bounds[0] + bounds[1]) / 2, cx, 0.5);
    EXPECT_NEAR((bounds[2] + bounds[3]) / 2, cy, 0.5);
    EXPECT_NEAR((bounds[4] + bounds[5]) / 2, cz, 1.3);
    EXPECT_NEAR((bounds[1] - bounds[0]) / 2, radius, 1.0);
    EXPECT_NEAR((bounds[5] - bounds[4]) / 2, radius, 2.5);
    auto triangles = vtkSmartPointer<vtkTriangleFilter>::New();
    triangles->SetInputData(ball.mesh);
    auto mass = vtkSmartPointer<vtkMassProperties>::New();
    mass->SetInputConnection(triangles->GetOutputPort());
    mass->Update();
    const double expected = 4.0 / 3.0 * M_PI * radius * radius * radius;
    EXPECT_NEAR(mass->GetVolume(), expected, 0.1 * expected);

    render::SurfaceScene scene;
    scene.setSurfaces(surfaces, false);
    EXPECT_EQ(scene.surfaceCount(), 2u);
    LabelVolume curated = makeLabels({40, 96, 96}, {2.5, 0.8, 0.8});
    for (int k = 18; k < 22; ++k)
        for (int r = 38; r < 42; ++r)
            for (int c = 54; c < 58; ++c)
                curated.at(k, r, c) = 2;
    scene.setSurfaces(render::buildLabelSurfaces(curated, {2}, true), true);
    EXPECT_EQ(scene.surfaceCount(), 3u);
    EXPECT_EQ(render::SurfaceScene::surfaceColour(2, true)[1], 0.25) << "curated masks in magenta";
    scene.setSurfaces({}, false); // new ground truth replaces the old, the curated stays
    EXPECT_EQ(scene.surfaceCount(), 1u);
    EXPECT_EQ(scene.renderer()->GetActors()->GetNumberOfItems(), 2)
        << "the curated surface and the slice plane";
    EXPECT_TRUE(render::buildLabelSurfaces(makeLabels({4, 4, 4}, {1, 1, 1}), {1, 2}, false).empty());
}
