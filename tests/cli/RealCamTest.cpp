// The CAM engine on real CT (../shared/data, never copied into the repo; skipped when absent):
// kidney crops of the TotalSegmentator abdominal CT, cut where the workstation cuts them, give the
// same maps through the optimised engine as through the reference path (eager forwards, backward
// passes), by every method.
#include "../core/TestSupport.h"
#include "core/compute/CamEngine.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <gtest/gtest.h>
#include <iostream>

using namespace weaksight;
namespace fs = std::filesystem;

TEST(RealData, OptimisedCamEngineGivesTheReferenceMapsOnRealCtCrops)
{
    const auto root = test::realDataDirectory();
    if (!root || !fs::exists(*root / "totalsegmentator/example_ct.nii.gz"))
        GTEST_SKIP()
            << "real data not present (totalsegmentator); set WEAKSIGHT_REAL_DATA or provide ../shared/data";
    const auto dir = *root / "totalsegmentator";
    const CtVolume ct = readCtVolume(dir / "example_ct.nii.gz");
    // The model-made mask labels the kidneys 2 (right) and 3 (left); the crop boxes follow label 1.
    LabelVolume kidneys = readLabelVolume(dir / "example_seg_fast_force_split.nii.gz");
    for (auto& v : kidneys.voxels)
        v = (v == 2 || v == 3) ? 1 : 0;
    const KidneyCentres centres(kidneys);

    constexpr int kCrop = 150; // the crop size of the method (450 mm at this CT's 3 mm pixels)
    std::vector<compute::Image2D> crops;
    std::vector<int16_t> pixels(kCrop * kCrop);
    for (const int slice : {80, 95})
        for (const auto& box : centres.boxes(slice, kCrop, kCrop)) {
            cutCrop(ct, slice, box.box.row0, box.box.col0, kCrop, kCrop, pixels.data());
            crops.push_back({kCrop, kCrop, std::vector<float>(pixels.begin(), pixels.end())});
        }
    ASSERT_EQ(crops.size(), 4u) << "both kidneys on both slices";

    for (const char* architecture : {"tiny", "resnet18"}) {
        compute::ModelDescription description;
        description.architecture = architecture;
        description.targetLayer = std::string(architecture) == "tiny" ? "layer3" : "layer4";
        const auto model = compute::Classifier::create(description, 4);
        for (const auto method : compute::allCamMethods()) {
            if (method == compute::CamMethod::ScoreCam && description.architecture != "tiny")
                continue; // 512 masked forwards per crop twice over; the tiny model covers it
            SCOPED_TRACE(std::string(architecture) + " " + compute::toString(method));
            // Both classes: with random weights one class's map can be all zero on a crop.
            compute::CamOptions options;
            options.method = method;
            int shown = 0;
            const bool scoreCam =
                method == compute::CamMethod::ScoreCam || method == compute::CamMethod::FastScoreCam;
            for (const int target : {1, 0}) {
                if (scoreCam && target == 0)
                    break; // seconds a crop on this CPU; its weights are softmax scores, never all cancelling
                options.targetClass = target;
                options.referencePath = true;
                auto start = std::chrono::steady_clock::now();
                const auto reference = compute::computeCams(model, crops, options);
                const double referenceMs =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                        .count();
                options.referencePath = false;
                start = std::chrono::steady_clock::now();
                const auto optimised = compute::computeCams(model, crops, options);
                const double optimisedMs =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                        .count();
                float largest = 0;
                for (size_t i = 0; i < crops.size(); ++i) {
                    shown += !reference[i].degenerate;
                    EXPECT_NEAR(reference[i].targetScore, optimised[i].targetScore,
                                1e-4f * (1 + std::abs(reference[i].targetScore)));
                    EXPECT_EQ(reference[i].degenerate, optimised[i].degenerate);
                    const float scale = std::max(1e-6f, reference[i].raw.max());
                    for (size_t j = 0; j < reference[i].raw.values.size(); ++j)
                        largest = std::max(largest,
                                           std::abs(reference[i].raw.values[j] - optimised[i].raw.values[j]) /
                                               scale);
                }
                std::cout << architecture << " " << compute::toString(method) << " (class " << target
                          << ") on 4 real crops: reference path " << referenceMs << " ms, optimised "
                          << optimisedMs << " ms (the first call includes making the "
                          << "optimised module); max |difference| " << largest << " of the map's maximum\n";
                // Random ResNet-18 weights on real crops: the class-1 map of the linear methods (CAM,
                // Grad-CAM, XGradCAM, HiResCAM) is a small residue of 512 cancelling channel terms,
                // so float32 rounding of the activations (folded vs separate batch norm) shows at up to
                // 1.3e-4 of that map's maximum; every other method and class stays below 1e-5.
                EXPECT_LE(largest, 2e-4f);
            }
            EXPECT_GT(shown, 0) << "every map was all zero: the comparison would prove nothing";
        }
    }
}
