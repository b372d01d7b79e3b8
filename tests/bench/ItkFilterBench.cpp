// Hand-written code against the ITK filter that does the same job (issue 20): the mask operations
// of the editor (fill holes, keep the largest component, remove small islands), the phantom's
// slice blur, and the reorientation of a KiTS-ordered volume to the canonical layout. Prints the
// median time of each on a 512 x 512 slice (the volume: a phantom case stored as KiTS stores it),
// the ratio ITK / ours, and whether the results agree. Usage: weaksight_bench_itk [repeats]

#include "MedianTime.h"
#include "core/io/Volume.h"
#include "core/io/VolumeIo.h"
#include "core/masks/MaskEditing.h"
#include "core/phantom/Phantom.h"
#include "core/phantom/SliceBlur.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <itkBinaryFillholeImageFilter.h>
#include <itkBinaryThresholdImageFilter.h>
#include <itkConnectedComponentImageFilter.h>
#include <itkDiscreteGaussianImageFilter.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkOrientImageFilter.h>
#include <itkRelabelComponentImageFilter.h>
#include <random>
#include <unistd.h>
#include <vector>

using namespace weaksight;
namespace fs = std::filesystem;

namespace {

using Mask2D = itk::Image<uint8_t, 2>;
using Labels2D = itk::Image<uint32_t, 2>;
using Float2D = itk::Image<float, 2>;

using bench::medianMs;

void report(const char* what, double ours, double itk, const std::string& agreement)
{
    std::printf("  %-34s ours %8.3f ms   ITK %8.3f ms   ITK / ours %5.2f   %s\n", what, ours, itk, itk / ours,
                agreement.c_str());
}

/// A 512 x 512 mask like a corrected proposal: blobs of several sizes, with holes and specks.
BinaryMask blobMask()
{
    BinaryMask m(512, 512);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    for (int blob = 0; blob < 40; ++blob) {
        const double cr = 30 + 450 * u(rng), cc = 30 + 450 * u(rng), radius = 2 + 25 * u(rng);
        for (int r = 0; r < 512; ++r)
            for (int c = 0; c < 512; ++c) {
                const double d = std::hypot(r - cr, c - cc);
                if (d < radius && !(d < radius / 3 && blob % 3 == 0)) // every third blob has a hole
                    m.at(r, c) = 1;
            }
    }
    for (int speck = 0; speck < 300; ++speck)
        m.at(static_cast<int>(511 * u(rng)), static_cast<int>(511 * u(rng))) ^= 1;
    return m;
}

Mask2D::Pointer toItk(const BinaryMask& m)
{
    auto image = Mask2D::New();
    image->SetRegions(Mask2D::RegionType(
        {{0, 0}}, {{static_cast<itk::SizeValueType>(m.cols), static_cast<itk::SizeValueType>(m.rows)}}));
    image->Allocate();
    std::copy(m.pixels.begin(), m.pixels.end(), image->GetBufferPointer());
    return image;
}

BinaryMask fromItk(const Mask2D* image, int rows, int cols)
{
    BinaryMask m(rows, cols);
    const uint8_t* p = image->GetBufferPointer();
    for (size_t i = 0; i < m.pixels.size(); ++i)
        m.pixels[i] = p[i] ? 1 : 0;
    return m;
}

/// The hand-written fill the project had before: 4-connected background not reached from the border.
BinaryMask floodFillHoles(const BinaryMask& m)
{
    std::vector<uint8_t> outside(m.pixels.size(), 0);
    std::vector<size_t> stack;
    const auto push = [&](int r, int c) {
        const size_t at = static_cast<size_t>(r) * m.cols + c;
        if (!m.pixels[at] && !outside[at]) {
            outside[at] = 1;
            stack.push_back(at);
        }
    };
    for (int r = 0; r < m.rows; ++r) {
        push(r, 0);
        push(r, m.cols - 1);
    }
    for (int c = 0; c < m.cols; ++c) {
        push(0, c);
        push(m.rows - 1, c);
    }
    while (!stack.empty()) {
        const size_t at = stack.back();
        stack.pop_back();
        const int r = static_cast<int>(at / static_cast<size_t>(m.cols)),
                  c = static_cast<int>(at % static_cast<size_t>(m.cols));
        if (r > 0)
            push(r - 1, c);
        if (r + 1 < m.rows)
            push(r + 1, c);
        if (c > 0)
            push(r, c - 1);
        if (c + 1 < m.cols)
            push(r, c + 1);
    }
    BinaryMask out(m.rows, m.cols);
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = !outside[i];
    return out;
}

BinaryMask itkFillHoles(const BinaryMask& m)
{
    auto fill = itk::BinaryFillholeImageFilter<Mask2D>::New();
    fill->SetInput(toItk(m));
    fill->SetForegroundValue(1);
    fill->FullyConnectedOff(); // holes face-connected, as a 4-connected flood
    fill->Update();
    return fromItk(fill->GetOutput(), m.rows, m.cols);
}

/// Components 8-connected, relabelled by size (largest = 1); objects below `minimum` dropped.
Labels2D::Pointer itkComponentsBySize(const BinaryMask& m, itk::SizeValueType minimum)
{
    auto components = itk::ConnectedComponentImageFilter<Mask2D, Labels2D>::New();
    components->SetInput(toItk(m));
    components->FullyConnectedOn();
    auto relabel = itk::RelabelComponentImageFilter<Labels2D, Labels2D>::New();
    relabel->SetInput(components->GetOutput());
    relabel->SetMinimumObjectSize(minimum);
    relabel->Update();
    return relabel->GetOutput();
}

BinaryMask itkKeepLargest(const BinaryMask& m)
{
    const auto labels = itkComponentsBySize(m, 0);
    BinaryMask out(m.rows, m.cols);
    const uint32_t* p = labels->GetBufferPointer();
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = p[i] == 1;
    return out;
}

BinaryMask itkRemoveIslands(const BinaryMask& m, long long minPixels)
{
    const auto labels = itkComponentsBySize(m, static_cast<itk::SizeValueType>(minPixels));
    BinaryMask out(m.rows, m.cols);
    const uint32_t* p = labels->GetBufferPointer();
    for (size_t i = 0; i < out.pixels.size(); ++i)
        out.pixels[i] = p[i] != 0;
    return out;
}

std::string agreement(const BinaryMask& a, const BinaryMask& b)
{
    long long differ = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i)
        differ += a.pixels[i] != b.pixels[i];
    return differ == 0 ? "same result" : "DIFFERENT: " + std::to_string(differ) + " pixels";
}

void benchMasks(int repeats)
{
    const BinaryMask mask = blobMask();
    std::printf("mask operations, 512 x 512 mask (%lld pixels set)\n", mask.count());
    // fillHoles() is ITK's filter since this benchmark: against the project's own flood fill.
    report("fill holes (fillHoles = ITK now)", medianMs(repeats, [&] { floodFillHoles(mask); }),
           medianMs(repeats, [&] { fillHoles(mask); }), agreement(floodFillHoles(mask), fillHoles(mask)));
    report("keep the largest component", medianMs(repeats, [&] { keepLargestComponent(mask); }),
           medianMs(repeats, [&] { itkKeepLargest(mask); }),
           agreement(keepLargestComponent(mask), itkKeepLargest(mask)));
    report("remove islands < 10 pixels", medianMs(repeats, [&] { removeSmallIslands(mask, 10); }),
           medianMs(repeats, [&] { itkRemoveIslands(mask, 10); }),
           agreement(removeSmallIslands(mask, 10), itkRemoveIslands(mask, 10)));
}

void benchBlur(int repeats)
{
    const int n = 512;
    std::vector<float> slice(static_cast<size_t>(n) * n), tmp(slice.size());
    std::mt19937 rng(3);
    std::normal_distribution<float> noise(40, 20);
    for (float& v : slice)
        v = noise(rng);
    const double sigma = 0.65; // the phantom draws 0.5-0.8
    const auto kernel = phantom::gaussianKernel(sigma);
    std::vector<float> ours = slice;
    const double oursMs = medianMs(repeats, [&] {
        ours = slice;
        phantom::blurSlice(ours, tmp, n, kernel);
    });
    auto image = Float2D::New();
    image->SetRegions(Float2D::RegionType({{0, 0}}, {{n, n}}));
    image->Allocate();
    std::copy(slice.begin(), slice.end(), image->GetBufferPointer());
    Float2D::Pointer blurred;
    const double itkMs = medianMs(repeats, [&] {
        auto gauss = itk::DiscreteGaussianImageFilter<Float2D, Float2D>::New();
        gauss->SetInput(image);
        gauss->SetVariance(sigma * sigma);
        gauss->SetUseImageSpacing(false);
        gauss->Update();
        blurred = gauss->GetOutput();
    });
    double most = 0;
    for (size_t i = 0; i < ours.size(); ++i)
        most = std::max(most, static_cast<double>(std::abs(ours[i] - blurred->GetBufferPointer()[i])));
    std::printf("phantom slice blur, 512 x 512, sigma %.2f px\n", sigma);
    report("separable Gaussian", oursMs, itkMs, "largest difference " + std::to_string(most) + " HU");
}

void benchReorientation(int repeats)
{
    // A phantom case at the KiTS size, stored as KiTS stores it (axial slices on the first axis).
    PhantomOptions options;
    options.seed = 11;
    const PhantomCase c = generatePhantomCase(options, 0);
    const fs::path file =
        fs::temp_directory_path() / ("weaksight-bench-itk-" + std::to_string(getpid()) + ".nii");
    writeVolume(c.imaging, file);
    std::printf(
        "reorientation to the canonical layout, %d x %d x %d case stored as KiTS (%s), uncompressed\n",
        c.imaging.slices(), c.imaging.rows(), c.imaging.cols(), c.imaging.geometry.orientationCode().c_str());
    // Ours reads the voxels as float (any stored type) and reorients, rounds, clamps and checks
    // them in one blocked pass; with ITK, OrientImageFilter reorients and the same checks follow.
    CtVolume ours;
    const double oursMs = medianMs(repeats, [&] { ours = readCtVolume(file); });
    using Volume3D = itk::Image<float, 3>;
    std::vector<int16_t> theirs;
    const double itkMs = medianMs(repeats, [&] {
        auto reader = itk::ImageFileReader<Volume3D>::New();
        reader->SetFileName(file.string());
        auto orient = itk::OrientImageFilter<Volume3D, Volume3D>::New();
        orient->SetInput(reader->GetOutput());
        orient->UseImageDirectionOn();
        // Index order x = right to left, y = anterior to posterior, z = inferior to superior: the
        // canonical layout, slice-major in memory.
        orient->SetDesiredCoordinateOrientation(itk::SpatialOrientation::ITK_COORDINATE_ORIENTATION_RAI);
        orient->Update();
        const float* data = orient->GetOutput()->GetBufferPointer();
        theirs.resize(orient->GetOutput()->GetPixelContainer()->Size());
        for (size_t i = 0; i < theirs.size(); ++i) {
            const float v = std::isfinite(data[i]) ? std::round(data[i]) : -1024.f;
            theirs[i] = static_cast<int16_t>(std::clamp(v, -32768.f, 32767.f));
        }
    });
    report("read + reorient + HU checks", oursMs, itkMs,
           ours.voxels == theirs ? "same voxels" : "DIFFERENT voxels");
    fs::remove(file);
}

} // namespace

int main(int argc, char** argv)
{
    const int repeats = argc > 1 ? std::max(3, std::atoi(argv[1])) : 31;
    std::printf(
        "weaksight_bench_itk: hand-written code against ITK 5.2 filters, median of %d runs, one thread\n",
        repeats);
    itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(1); // both sides on one core
    benchMasks(repeats);
    benchBlur(repeats);
    benchReorientation(std::max(3, repeats / 6));
    return 0;
}
