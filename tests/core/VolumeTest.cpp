#include "core/io/Volume.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace weaksight;

TEST(StorageGeometry, KitsStorageMapsFirstArrayAxisToAxialFlipped)
{
    const auto g = StorageGeometry::kitsStorage({34, 512, 400}, {5.0, 0.8, 0.8});
    EXPECT_EQ(g.orientationCode(), "IPL");
    EXPECT_EQ(g.storageAxisOf[Axial], 0);
    EXPECT_EQ(g.storageAxisOf[Row], 1);
    EXPECT_EQ(g.storageAxisOf[Column], 2);
    EXPECT_TRUE(g.flipped[Axial]); // stored superior -> inferior, shown inferior -> superior
    EXPECT_FALSE(g.flipped[Row]);
    EXPECT_FALSE(g.flipped[Column]);
    EXPECT_EQ(g.canonicalShape(), (std::array<int, 3>{34, 512, 400}));
    EXPECT_EQ(g.canonicalSpacing(), (std::array<double, 3>{5.0, 0.8, 0.8}));
    // Canonical slice 0 is the most inferior: the last stored slice.
    EXPECT_EQ(g.storageIndex(0, 7, 9), (std::array<int, 3>{33, 7, 9}));
    // Superior slices have larger LPS z.
    EXPECT_GT(g.physicalPoint(10, 0, 0)[2], g.physicalPoint(9, 0, 0)[2]);
}

TEST(StorageGeometry, IdentityDirectionIsCanonical)
{
    const auto g = StorageGeometry::canonical({20, 30, 40}, {2.5, 0.7, 0.6}, {-10, 5, 100});
    EXPECT_EQ(g.orientationCode(), "LPS");
    EXPECT_EQ(g.canonicalShape(), (std::array<int, 3>{20, 30, 40}));
    const auto p = g.physicalPoint(2, 3, 4);
    EXPECT_DOUBLE_EQ(p[0], -10 + 4 * 0.6);
    EXPECT_DOUBLE_EQ(p[1], 5 + 3 * 0.7);
    EXPECT_DOUBLE_EQ(p[2], 100 + 2 * 2.5);
}

TEST(StorageGeometry, RasStoredFileIsFlippedInPlane)
{
    StorageGeometry g;
    g.size = {10, 11, 12};
    g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1}; // NIfTI RAS identity, seen from LPS
    g.deriveCanonicalMapping();
    EXPECT_EQ(g.orientationCode(), "RAS");
    EXPECT_TRUE(g.flipped[Column]);
    EXPECT_TRUE(g.flipped[Row]);
    EXPECT_FALSE(g.flipped[Axial]);
    EXPECT_EQ(g.storageIndex(0, 0, 0), (std::array<int, 3>{9, 10, 0}));
}

TEST(StorageGeometry, RefusesAxesAtFortyFiveDegrees)
{
    StorageGeometry g;
    const double s = std::sqrt(0.5);
    g.direction = {s, -s, 0, s, s, 0, 0, 0, 1};
    EXPECT_THROW(g.deriveCanonicalMapping(), std::invalid_argument);
}

TEST(StorageGeometry, SameGridDetectsDifferences)
{
    const auto a = StorageGeometry::kitsStorage({10, 20, 30}, {5, 1, 1});
    auto b = a;
    EXPECT_TRUE(a.sameGrid(b));
    b.spacing[1] = 1.1;
    EXPECT_FALSE(a.sameGrid(b));
    b = a;
    b.size[0] = 11;
    EXPECT_FALSE(a.sameGrid(b));
    b = a;
    b.direction[0] = 1;
    b.direction[2] = 0;
    EXPECT_FALSE(a.sameGrid(b));
}
