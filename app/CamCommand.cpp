// weaksight cam: class-activation maps of one crop with a saved model, written as NIfTI.
#include "app/Commands.h"
#include "core/cases/KitsCase.h"
#include "core/common/Error.h"
#include "core/compute/CamEngine.h"
#include "core/compute/Device.h"
#include "core/compute/PhysicalScale.h"
#include "core/dataset/KidneyCrops.h"
#include "core/io/VolumeIo.h"
#include "core/research/TrainingReport.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace weaksight::app {

namespace {

/// "map.nii.gz" + "gradcam" -> "map_gradcam.nii.gz" (for --method all).
fs::path withSuffix(const fs::path& path, const std::string& suffix)
{
    std::string name = path.filename().string();
    std::string extension;
    for (const char* ext : {".nii.gz", ".nii", ".nrrd", ".mha"})
        if (name.size() > std::string(ext).size() && name.compare(name.size() - std::string(ext).size(), std::string::npos, ext) == 0) {
            extension = ext;
            name.resize(name.size() - extension.size());
            break;
        }
    return path.parent_path() / (name + "_" + suffix + extension);
}

/// The image resampled (bilinear) to square pixels of `spacing` mm: the scale a model was trained at.
Image2DFile resampledTo(const Image2DFile& image, double spacing)
{
    CtVolume slice(StorageGeometry::canonical({1, image.rows, image.cols}, {1.0, image.rowSpacing, image.colSpacing}));
    for (size_t i = 0; i < image.pixels.size(); ++i)
        slice.voxels[i] = static_cast<int16_t>(std::lround(std::clamp(image.pixels[i], -32768.0f, 32767.0f)));
    const double rowStep = spacing / image.rowSpacing, colStep = spacing / image.colSpacing;
    const int rows = std::max(8, static_cast<int>(std::lround(image.rows / rowStep)));
    const int cols = std::max(8, static_cast<int>(std::lround(image.cols / colStep)));
    std::vector<int16_t> hu(static_cast<size_t>(rows) * cols);
    cutResampledCrop(slice, nullptr, 0, 0, 0, rowStep, colStep, rows, cols, hu.data(), nullptr);
    return {rows, cols, spacing, spacing, std::vector<float>(hu.begin(), hu.end())};
}

/// A crop of `cam`: the model's input (planes of HU) and the grid its maps are written on.
struct CamInput {
    compute::Image2D input;
    Image2DFile grid; ///< size and pixel spacing (its pixels unused)
    std::string side; ///< a kidney crop's side ("right", "left"); empty for a whole image
    CropBox box;      ///< a kidney crop's box on the slice
};

/// The scale note, and whether the model's pixel spacing needs the image resampled.
bool resampleToModel(const compute::ModelDescription& model, int rows, int cols, double rowSpacing,
                     double colSpacing)
{
    const bool resample = compute::needsResampling(model, rowSpacing, colSpacing);
    const auto note = compute::physicalScaleNote(model, rows, cols, rowSpacing, colSpacing);
    if (resample)
        std::cout << fmt::format("note: {}; resampled from {:.2f} x {:.2f} mm to {:.2f} mm pixels\n", note,
                                 rowSpacing, colSpacing, model.pixelSpacingMm);
    else if (!note.empty())
        std::cout << "note: " << note << "\n";
    return resample;
}

/// The whole canonical axial slice of a volume (--crop whole), with a 2.5D model's context
/// planes, at the model's scale.
CamInput wholeSliceInput(const CamCommandOptions& o, const compute::ModelDescription& model)
{
    const CtVolume ct = readCtVolume(o.input);
    if (o.slice >= ct.slices())
        throw InputError(o.input,
                         fmt::format("has {} axial slices; --slice {} does not exist", ct.slices(), o.slice));
    CamInput in;
    in.grid = {ct.rows(), ct.cols(), ct.spacing[1], ct.spacing[2], {}};
    double rowStep = 1, colStep = 1;
    const bool resample = resampleToModel(model, ct.rows(), ct.cols(), ct.spacing[1], ct.spacing[2]);
    if (resample) {
        rowStep = model.pixelSpacingMm / ct.spacing[1];
        colStep = model.pixelSpacingMm / ct.spacing[2];
        in.grid = {std::max(8, static_cast<int>(std::lround(ct.rows() / rowStep))),
                   std::max(8, static_cast<int>(std::lround(ct.cols() / colStep))),
                   model.pixelSpacingMm,
                   model.pixelSpacingMm,
                   {}};
    }
    in.input =
        cutModelInput(ct, o.slice, model.context, in.grid.rows, in.grid.cols, [&](int k, int16_t* out) {
            if (resample)
                cutResampledCrop(ct, nullptr, k, 0, 0, rowStep, colStep, in.grid.rows, in.grid.cols, out,
                                 nullptr);
            else
                cutCrop(ct, k, 0, 0, in.grid.rows, in.grid.cols, out);
        });
    return in;
}

/// The case of `cam`'s volume: with --labels that segmentation (and --label-table); a KiTS case's
/// imaging file with its case's labels; else the volume alone.
CaseFiles caseOfVolume(const CamCommandOptions& o)
{
    const fs::path input = o.input;
    if (!o.labels.empty())
        return pairedCase(input, o.labels,
                          o.labelTable.empty() ? std::nullopt : std::optional<fs::path>(o.labelTable));
    if (input.filename() == "imaging.nii.gz" && looksLikeCaseDirectory(input.parent_path()))
        return describeCaseDirectory(input.parent_path());
    return describeVolumeFile(input, VolumeRole::Imaging);
}

/// The workstation's crops of one axial slice (--crop kidney, the default): a box per kidney where
/// the case has kidney labels, else one per half of the slice, of the model's crop size at its
/// physical scale; with a 2.5D model's context planes.
std::vector<CamInput> kidneyCropInputs(const CamCommandOptions& o, const compute::ModelDescription& model)
{
    const LoadedCase loaded = loadCase(caseOfVolume(o));
    const CtVolume& ct = *loaded.imaging;
    if (o.slice >= ct.slices())
        throw InputError(o.input,
                         fmt::format("has {} axial slices; --slice {} does not exist", ct.slices(), o.slice));
    const int trained = trainedCropRows(o.model);
    const int size = o.cropSize > 0 ? o.cropSize : trained > 0 ? trained : 150;
    resampleToModel(model, size, size, ct.spacing[1], ct.spacing[2]);
    const CropSampling sampling = cropSampling(model, size, ct.spacing[1], ct.spacing[2]);
    const auto centres =
        loaded.labels ? std::optional<KidneyCentres>(KidneyCentres(*loaded.labels)) : std::nullopt;
    const auto [rows, cols] = sampling.extent();
    const double rowSpacing = sampling.steps ? model.pixelSpacingMm : ct.spacing[1];
    const double colSpacing = sampling.steps ? model.pixelSpacingMm : ct.spacing[2];
    std::vector<CamInput> inputs;
    for (const auto& crop :
         cropsOnSlice(centres ? &*centres : nullptr, o.slice, ct.rows(), ct.cols(), rows, cols))
        inputs.push_back({cutCropForModel(ct, o.slice, crop.box, sampling, model.context),
                          {size, size, rowSpacing, colSpacing, {}},
                          crop.side,
                          crop.box});
    if (inputs.empty())
        throw InputError(o.input, fmt::format("has no kidney on or near slice {} (its labels place no crop): "
                                              "give another slice or --crop whole",
                                              o.slice));
    std::cout << fmt::format("crops: {} ({}x{} pixels, {} x {} slice pixels each)\n",
                             centres && centres->hasKidney() ? "on the kidneys of the labels"
                                                             : "the slice's halves (no kidney labels)",
                             size, size, rows, cols);
    return inputs;
}

/// A 2D image file (a crop), at the model's scale.
CamInput imageInput(const CamCommandOptions& o, const compute::ModelDescription& model)
{
    if (model.context.slices > 0)
        throw InputError(o.input, "is one 2D image; the model reads slice context (" +
                                      model.context.describe() + "): give a volume and --slice");
    Image2DFile crop = readImage2D(o.input);
    if (resampleToModel(model, crop.rows, crop.cols, crop.rowSpacing, crop.colSpacing))
        crop = resampledTo(crop, model.pixelSpacingMm);
    CamInput in;
    in.input = {crop.rows, crop.cols, crop.pixels};
    in.grid = {crop.rows, crop.cols, crop.rowSpacing, crop.colSpacing, {}};
    return in;
}

/// One crop's maps of every method, printed and written (NAME_SIDE_METHOD.nii.gz as needed).
void writeCropMaps(const CamCommandOptions& o, const compute::Classifier& model, const CamInput& in,
                   const std::vector<compute::CamMethod>& methods, compute::CamFlavour flavour,
                   bool manyCrops)
{
    const Image2DFile& crop = in.grid;
    const std::vector<compute::Image2D> crops{in.input};
    std::cout << fmt::format("{}crop {}x{}; lesion probability {:.4f}\n",
                             in.side.empty()
                                 ? std::string()
                                 : fmt::format("{} kidney: box at row {}, column {} of the slice; ", in.side,
                                               in.box.row0, in.box.col0),
                             crop.rows, crop.cols, model.lesionProbability(crops)[0]);
    const auto fileFor = [&](const std::string& path, const std::string& method) {
        fs::path file = path;
        if (manyCrops)
            file = withSuffix(file, in.side);
        return methods.size() > 1 ? withSuffix(file, method) : file;
    };
    for (const auto method : methods) {
        compute::CamOptions options;
        options.method = method;
        options.flavour = flavour;
        options.targetClass = o.target;
        options.score = o.score == "probability" ? compute::CamScore::Probability : compute::CamScore::Logit;
        options.fastScoreTopK = o.topK;
        options.scoreReducedPrecision = o.reducedPrecision;
        const auto start = std::chrono::steady_clock::now();
        auto result = compute::computeCams(model, crops, options).front();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (o.normalise == "minmax")
            compute::normaliseMinMax(result.upsampled);
        const std::string name = compute::toString(method);
        std::cout << fmt::format("{:<16} {:8.1f} ms  score {:.4f}  raw {}x{} max {:.4g}{}\n", name, ms,
                                 result.targetScore, result.raw.rows, result.raw.cols, result.raw.max(),
                                 result.degenerate ? "  DEGENERATE (" + result.degenerateReason + ")" : "");
        if (!o.out.empty()) {
            Image2DFile map{crop.rows, crop.cols, crop.rowSpacing, crop.colSpacing, result.upsampled.values};
            writeImage2D(map, fileFor(o.out, name));
        }
        if (!o.outRaw.empty()) {
            // One raw cell covers (crop / map) pixels.
            Image2DFile raw{result.raw.rows, result.raw.cols, crop.rowSpacing * crop.rows / result.raw.rows,
                            crop.colSpacing * crop.cols / result.raw.cols, result.raw.values};
            writeImage2D(raw, fileFor(o.outRaw, name));
        }
    }
}

} // namespace

int runCam(const CamCommandOptions& o)
{
    compute::configureCpuThreads(o.threads);
    const auto model = compute::Classifier::load(o.model, o.device);
    // The crops: a 2D image, or a volume's slice (its kidney crops, or the whole slice), with a
    // 2.5D model's context planes.
    const std::vector<CamInput> inputs =
        o.slice < 0         ? std::vector<CamInput>{imageInput(o, model.description())}
        : o.crop == "whole" ? std::vector<CamInput>{wholeSliceInput(o, model.description())}
                            : kidneyCropInputs(o, model.description());
    const auto flavour = compute::camFlavourFromString(o.flavour);
    std::vector<compute::CamMethod> methods;
    if (o.method == "all")
        methods = compute::camMethodsOf(flavour);
    else
        methods.push_back(compute::camMethodFromString(o.method));

    std::cout << fmt::format("model {} ({}, hash {}) on {}\n", o.model, model.description().architecture,
                             model.contentHash(), model.deviceName());
    for (const CamInput& in : inputs)
        writeCropMaps(o, model, in, methods, flavour, inputs.size() > 1);
    return 0;
}

} // namespace weaksight::app