#include "storage/Exporter.h"

#include "core/cases/CaseKey.h"
#include "core/cases/LabelTable.h"
#include "core/common/Error.h"
#include "core/io/AtomicFile.h"
#include "core/io/VolumeIo.h"
#include "storage/DicomSeg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace fs = std::filesystem;

namespace weaksight::storage {

namespace {

/// Where a decision was made: its slice and crop box (the newest standing one per place wins).
using SliceCrop = std::pair<int, CropBox>;

nlohmann::json optionalJson(const std::optional<double>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json();
}

/// The name of a curated label value in the exports (COCO categories, Slicer segments): KiTS's
/// for its values, else "lesion" (a --label of the user's choice).
std::string labelName(uint8_t label)
{
    return label >= labels::Kidney && label <= labels::Cyst ? LabelTable::kits().nameOf(label) : "lesion";
}

nlohmann::json provenance(const StoredDecision& d)
{
    nlohmann::json entry = {
        {"decision_id", d.id},
        {"decision", toString(d.kind)},
        {"slice", d.slice},
        {"crop", {{"row", d.crop.row0}, {"col", d.crop.col0}, {"rows", d.crop.rows}, {"cols", d.crop.cols}}},
        {"annotator", d.annotator},
        {"model_hash", d.modelHash},
        {"method", d.method},
        {"proposal", d.proposal},
        {"label", d.label ? labelName(*d.label) : std::string("lesion (not said)")},
        {"threshold", d.threshold},
        {"time_spent_ms", d.timeSpentMs},
        {"decided_at", d.createdAt},
        {"iou_proposal_vs_truth", optionalJson(d.overlap.proposalGtIou)},
        {"iou_proposal_vs_final", optionalJson(d.overlap.proposalFinalIou)},
        {"iou_final_vs_truth", optionalJson(d.overlap.finalGtIou)}};
    if (d.finalBox != d.crop) // the labeller painted outside the crop
        entry["final_box"] = {{"row", d.finalBox.row0},
                              {"col", d.finalBox.col0},
                              {"rows", d.finalBox.rows},
                              {"cols", d.finalBox.cols}};
    return entry;
}

/// The case's source file whose grid the export must match: labels first, else imaging.
fs::path sourceOf(const CaseRegistration& c)
{
    std::error_code ec;
    for (const auto& p : {c.labelsPath, c.imagingPath})
        if (!p.empty() && fs::exists(p, ec))
            return p;
    throw InputError(c.caseKey + ": neither its labels nor its imaging file exists any more (" +
                     (c.labelsPath.empty() ? c.imagingPath : c.labelsPath) +
                     "); the export needs the original grid");
}

void writeJson(const fs::path& path, const nlohmann::json& json)
{
    io::writeAtomically(path, [&](const fs::path& temporary) {
        std::ofstream out(temporary);
        out << json.dump(2) << "\n";
        if (!out.flush())
            throw InputError(path, "cannot write (disk full or no permission?)");
    });
}

/// The newest standing decision with a final mask per case, slice and crop; returns how many
/// older ones they superseded.
int newestDecisions(const AnnotationStore& store, const std::vector<DecisionKind>& kinds,
                    const std::vector<std::string>& cases,
                    std::map<std::string, std::map<SliceCrop, StoredDecision>>& byCase)
{
    int superseded = 0;
    const std::string onlyCase = cases.size() == 1 ? cases.front() : std::string();
    for (auto& d : store.standingDecisions(kinds, onlyCase)) {
        if (!cases.empty() && std::find(cases.begin(), cases.end(), d.caseKey) == cases.end())
            continue;
        if (!d.finalMask)
            continue;
        auto& slot = byCase[d.caseKey][{d.slice, d.crop}];
        if (slot.id != 0)
            ++superseded;
        slot = std::move(d);
    }
    return superseded;
}

void paintFinalMask(LabelVolume& labels, const StoredDecision& d, uint8_t label)
{
    const BinaryMask& mask = *d.finalMask;
    for (int r = 0; r < mask.rows; ++r)
        for (int c = 0; c < mask.cols; ++c) {
            const int row = d.finalBox.row0 + r, col = d.finalBox.col0 + c;
            if (mask.at(r, c) && d.slice >= 0 && d.slice < labels.slices() && row >= 0 &&
                row < labels.rows() && col >= 0 && col < labels.cols())
                labels.at(d.slice, row, col) = label;
        }
}

} // namespace

LabelVolume curatedLesionMask(const AnnotationStore& store, const std::string& caseKey,
                              const StorageGeometry& geometry, const std::vector<DecisionKind>& kinds,
                              uint8_t label)
{
    std::map<std::string, std::map<SliceCrop, StoredDecision>> byCase;
    newestDecisions(store, kinds, {caseKey}, byCase);
    LabelVolume labels(geometry);
    for (const auto& [key, d] : byCase[caseKey])
        paintFinalMask(labels, d, label);
    return labels;
}

namespace {

void checkFormats(const std::set<std::string>& formats)
{
    for (const auto& f : formats)
        if (f != "nifti" && f != "png" && f != "coco" && f != "seg-nrrd" && f != "dicom-seg")
            throw std::invalid_argument("unknown export format '" + f +
                                        "' (nifti, seg-nrrd, dicom-seg, png or coco)");
}

/// The CT window of the COCO images: abdomen (W 350 / L 40), as the workstation opens.
constexpr double kCocoWindow = 350, kCocoLevel = 40;

nlohmann::json emptyCoco(uint8_t unsaidLabel)
{
    nlohmann::json coco = {
        {"info",
         {{"description", "Weaksight curated lesion masks"},
          {"version", "1.0"},
          {"images", "images/CASE/slice_NNNN.png: the CT slice (0-based, inferior first) windowed at W 350 / "
                     "L 40 HU, anterior up, the patient's right on the left"}}},
        {"images", nlohmann::json::array()},
        {"annotations", nlohmann::json::array()},
        // Category ids are the label values of the NIfTI export.
        {"categories",
         {{{"id", labels::Tumour}, {"name", labelName(labels::Tumour)}, {"supercategory", "kidney lesion"}},
          {{"id", labels::Cyst}, {"name", labelName(labels::Cyst)}, {"supercategory", "kidney lesion"}}}}};
    // Decisions that did not say tumour or cyst are written as --label: a category of its own.
    if (unsaidLabel != labels::Tumour && unsaidLabel != labels::Cyst)
        coco["categories"].push_back(
            {{"id", unsaidLabel}, {"name", labelName(unsaidLabel)}, {"supercategory", "kidney lesion"}});
    return coco;
}

/// `path`, after checking that it lies inside the output folder.
fs::path inside(const ExportOptions& options, const fs::path& path)
{
    io::checkInside(options.outDir, path);
    return path;
}

/// One case's curated labels on its original grid, with where that grid came from.
struct CuratedCase {
    CaseRegistration registration;
    fs::path source;
    StorageGeometry geometry; ///< the source's grid
    LabelVolume labels;
    std::map<int, nlohmann::json> sliceProvenance; ///< per decided slice, its decisions
    std::optional<CtVolume> ct;                    ///< for the COCO images (read when asked for and present)
};

CuratedCase paintCase(const AnnotationStore& store, const std::string& caseKey,
                      const std::map<SliceCrop, StoredDecision>& decisions, uint8_t label,
                      ExportReport& report)
{
    CuratedCase curated;
    const auto caseId = store.findCase(caseKey);
    curated.registration = store.caseRegistration(*caseId);
    curated.source = sourceOf(curated.registration);
    // A DICOM series folder has no one header: its grid is the series' as read.
    std::error_code ec;
    curated.geometry = fs::is_directory(curated.source, ec) ? readCtVolume(curated.source).geometry
                                                            : readVolumeHeader(curated.source).geometry;
    curated.labels = LabelVolume(curated.geometry);
    const auto& shape = curated.labels.shape;
    const auto& registered = curated.registration.shape;
    if (shape != registered)
        throw InputError(curated.source,
                         fmt::format("has shape {}x{}x{} but the store registered {}x{}x{} for {}", shape[0],
                                     shape[1], shape[2], registered[0], registered[1], registered[2],
                                     caseKey));
    for (const auto& [key, d] : decisions) {
        // The store refuses such proposals; a store written elsewhere may still hold one.
        if (d.slice < 0 || d.slice >= shape[0])
            throw DatabaseError(store.file().string() + ": decision " + std::to_string(d.id) + " of " +
                                caseKey + " is on slice " + std::to_string(d.slice) +
                                ", outside the case's " + std::to_string(shape[0]) + " slices");
        // Tumour and cyst as the labeller said; decisions that did not say: `label`.
        paintFinalMask(curated.labels, d, d.label.value_or(label));
        curated.sliceProvenance[d.slice].push_back(provenance(d));
        ++report.decisions;
    }
    report.slices += static_cast<int>(curated.sliceProvenance.size());
    return curated;
}

/// The case's CT for the COCO images, on the grid of its labels; nullopt (with a warning) when the
/// case has no imaging file: its slices are then left out of coco.json, which would name images
/// that do not exist.
std::optional<CtVolume> cocoImaging(const CuratedCase& curated, const std::string& caseKey)
{
    std::error_code ec;
    const fs::path imaging = curated.registration.imagingPath;
    if (imaging.empty() || !fs::exists(imaging, ec)) {
        spdlog::warn("export: {} has no imaging file; its masks are left out of coco.json (COCO needs the "
                     "images)",
                     caseKey);
        return std::nullopt;
    }
    CtVolume ct = readCtVolume(imaging);
    if (ct.shape != curated.labels.shape)
        throw InputError(imaging, fmt::format("has shape {}x{}x{}, its labels {}x{}x{}", ct.shape[0],
                                              ct.shape[1], ct.shape[2], curated.labels.shape[0],
                                              curated.labels.shape[1], curated.labels.shape[2]));
    return ct;
}

/// The case as Slicer's segmentation (.seg.nrrd: the labels on the source grid with one segment per
/// label value), read back and compared.
void writeSegNrrd(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                  ExportReport& report)
{
    const fs::path out = inside(options, options.outDir / "seg-nrrd" / (caseKey + ".seg.nrrd"));
    const auto& size = curated.labels.geometry.size;
    std::map<std::string, std::string> fields{
        {"Segmentation_MasterRepresentation", "Binary labelmap"},
        {"Segmentation_ContainedRepresentationNames", "Binary labelmap|"},
        {"Segmentation_ReferenceImageExtentOffset", "0 0 0"}};
    std::array<bool, 256> present{};
    for (const uint8_t v : curated.labels.voxels)
        present[v] = true;
    int segment = 0;
    for (int value = 1; value < 256; ++value) {
        if (!present[static_cast<size_t>(value)])
            continue;
        const std::string key = "Segment" + std::to_string(segment++) + "_";
        const auto label = static_cast<uint8_t>(value);
        fields[key + "ID"] = "Segment_" + std::to_string(value);
        fields[key + "Name"] = labelName(label);
        fields[key + "LabelValue"] = std::to_string(value);
        fields[key + "Layer"] = "0";
        fields[key + "Color"] = label == labels::Kidney ? "0.9 0.75 0.3"
                                : label == labels::Cyst ? "0.2 0.6 0.95"
                                                        : "0.9 0.25 0.2";
        fields[key + "Extent"] = fmt::format("0 {} 0 {} 0 {}", size[0] - 1, size[1] - 1, size[2] - 1);
        fields[key + "Tags"] = "Source:Weaksight|";
    }
    writeVolume(curated.labels, out, fields);
    const LabelVolume back = readLabelVolume(out);
    if (back.voxels != curated.labels.voxels || !back.geometry.sameGrid(curated.geometry))
        throw InputError(out, "read-back differs from what was exported");
    report.files.push_back(out);
}

/// The case as a DICOM Segmentation (referencing the CT's series when it is DICOM), read back.
void writeDicomSegOf(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                     ExportReport& report)
{
    const fs::path out = inside(options, options.outDir / "dicom-seg" / (caseKey + ".dcm"));
    DicomSegSource source{caseKey, std::nullopt};
    std::error_code ec;
    const fs::path imaging = curated.registration.imagingPath;
    if (!imaging.empty() && fs::is_directory(imaging, ec))
        source.dicomSeries = imaging;
    writeDicomSeg(curated.labels, source, out);
    report.files.push_back(out);
}

/// The case's NIfTI, read back and compared, and its provenance sidecar.
void writeNifti(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                ExportReport& report)
{
    const fs::path out = inside(options, options.outDir / "nifti" / (caseKey + ".nii.gz"));
    std::error_code ec;
    if (fs::is_directory(curated.source, ec))
        writeVolume(curated.labels, out); // a DICOM CT: its series' geometry, through ITK
    else
        writeLabelsLikeSource(curated.labels, curated.source, out);
    const LabelVolume back = readLabelVolume(out);
    if (back.voxels != curated.labels.voxels || !back.geometry.sameGrid(curated.geometry))
        throw InputError(out, "read-back differs from what was exported");
    const CaseRegistration& registration = curated.registration;
    nlohmann::json sidecar = {{"case", caseKey},
                              {"source", curated.source.string()},
                              {"source_fingerprint", registration.labelsFingerprint.empty()
                                                         ? registration.imagingFingerprint
                                                         : registration.labelsFingerprint},
                              {"label_value", options.label},
                              {"orientation", curated.geometry.orientationCode()},
                              {"axial_order", "inferior_to_superior"},
                              {"slices", nlohmann::json::array()}};
    for (const auto& [slice, entries] : curated.sliceProvenance)
        sidecar["slices"].push_back({{"slice", slice}, {"decisions", entries}});
    const fs::path sidecarPath = inside(options, options.outDir / "nifti" / (caseKey + ".json"));
    writeJson(sidecarPath, sidecar);
    report.files.push_back(out);
    report.files.push_back(sidecarPath);
}

/// One slice's mask as a 0/255 PNG, read back and compared.
void writePng(const BinaryMask& sliceMask, const fs::path& out, ExportReport& report)
{
    std::vector<uint8_t> pixels(sliceMask.pixels.size());
    for (size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = sliceMask.pixels[i] ? 255 : 0;
    writePng8(pixels, sliceMask.rows, sliceMask.cols, out);
    int rows = 0, cols = 0;
    if (readPng8(out, rows, cols) != pixels || rows != sliceMask.rows || cols != sliceMask.cols)
        throw InputError(out, "read-back differs from what was exported");
    report.files.push_back(out);
}

/// Where one slice's mask goes in the COCO file.
struct CocoSlice {
    const std::string& caseKey;
    const std::string& name;
    int slice;
    const nlohmann::json& provenance;
};

/// The CT slice windowed to 8 bits: COCO's image of a slice, read back and compared.
void writeCocoImage(const CtVolume& ct, int slice, const fs::path& out, ExportReport& report)
{
    std::vector<uint8_t> pixels(ct.sliceSize());
    const int16_t* hu = ct.slice(slice);
    const double low = kCocoLevel - kCocoWindow / 2;
    for (size_t i = 0; i < pixels.size(); ++i)
        pixels[i] =
            static_cast<uint8_t>(std::lround(std::clamp((hu[i] - low) / kCocoWindow, 0.0, 1.0) * 255));
    writePng8(pixels, ct.rows(), ct.cols(), out);
    int rows = 0, cols = 0;
    if (readPng8(out, rows, cols) != pixels || rows != ct.rows() || cols != ct.cols())
        throw InputError(out, "read-back differs from what was exported");
    report.files.push_back(out);
}

void addCocoImage(nlohmann::json& coco, int imageId, const CocoSlice& at, const LabelVolume& labels)
{
    coco["images"].push_back({{"id", imageId},
                              {"file_name", "images/" + at.caseKey + "/" + at.name + ".png"},
                              {"width", labels.cols()},
                              {"height", labels.rows()},
                              {"case", at.caseKey},
                              {"slice", at.slice}});
}

void addCocoAnnotation(nlohmann::json& coco, int imageId, const CocoSlice& at, const BinaryMask& mask,
                       const LabelVolume& labels, uint8_t label)
{
    const auto counts = cocoRleCounts(mask);
    // COCO's bbox: [left, top, width, height] of the slice's pixels of this label.
    const auto bounds = labelBounds(labels, at.slice, {label});
    const nlohmann::json bbox = bounds ? nlohmann::json{bounds->first[Column], bounds->first[Row],
                                                        bounds->last[Column] - bounds->first[Column] + 1,
                                                        bounds->last[Row] - bounds->first[Row] + 1}
                                       : nlohmann::json{0, 0, 0, 0};
    coco["annotations"].push_back(
        {{"id", coco["annotations"].size() + 1},
         {"image_id", imageId},
         {"category_id", label},
         {"iscrowd", 0},
         {"area", mask.count()},
         {"bbox", bbox},
         {"segmentation", {{"size", {mask.rows, mask.cols}}, {"counts", cocoRleString(counts)}}},
         {"provenance", at.provenance}});
}

/// The PNG and COCO outputs of each decided slice of one case.
void writeSlices(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                 nlohmann::json& coco, int& imageId, ExportReport& report)
{
    const LabelVolume& labels = curated.labels;
    const auto maskOf = [&](int slice, const std::function<bool(uint8_t)>& wanted) {
        BinaryMask sliceMask(labels.rows(), labels.cols());
        const uint8_t* s = labels.slice(slice);
        for (size_t i = 0; i < sliceMask.pixels.size(); ++i)
            sliceMask.pixels[i] = wanted(s[i]);
        return sliceMask;
    };
    for (const auto& [slice, entries] : curated.sliceProvenance) {
        const std::string name = fmt::format("slice_{:04d}", slice);
        if (options.formats.count("png"))
            writePng(maskOf(slice, [](uint8_t v) { return v != 0; }),
                     inside(options, options.outDir / "png" / caseKey / (name + ".png")), report);
        if (options.formats.count("coco") && curated.ct) {
            writeCocoImage(*curated.ct, slice,
                           inside(options, options.outDir / "images" / caseKey / (name + ".png")), report);
            addCocoImage(coco, ++imageId, {caseKey, name, slice, entries}, labels);
            // One annotation per curated label on the slice (tumour and cyst apart).
            for (const uint8_t label : std::set<uint8_t>{labels::Tumour, labels::Cyst, options.label}) {
                const BinaryMask mask = maskOf(slice, [label](uint8_t v) { return v == label; });
                if (mask.count() > 0)
                    addCocoAnnotation(coco, imageId, {caseKey, name, slice, entries}, mask, labels, label);
            }
        }
    }
}

/// coco.json, then read back: every annotation decodes to the slice mask it came from.
void writeCoco(const nlohmann::json& coco, const ExportOptions& options, ExportReport& report)
{
    const fs::path out = inside(options, options.outDir / "coco.json");
    writeJson(out, coco);
    std::ifstream in(out);
    const auto back = nlohmann::json::parse(in);
    if (back["annotations"].size() != coco["annotations"].size())
        throw InputError(out, "read-back lost annotations");
    for (size_t i = 0; i < back["annotations"].size(); ++i) {
        const auto& a = back["annotations"][i];
        const auto mask = cocoRleDecode(cocoRleCountsFromString(a["segmentation"]["counts"]),
                                        a["segmentation"]["size"][0], a["segmentation"]["size"][1]);
        if (mask.count() != a["area"].get<long long>())
            throw InputError(out, "read-back of annotation " + std::to_string(i) + " differs");
    }
    report.files.push_back(out);
}

} // namespace

ExportReport exportMasks(const AnnotationStore& store, const ExportOptions& options,
                         const std::function<void(int, int)>& progress)
{
    checkFormats(options.formats);
    ExportReport report;

    // Newest standing decision per case, slice and crop.
    std::map<std::string, std::map<SliceCrop, StoredDecision>> byCase;
    report.superseded = newestDecisions(store, options.statuses, options.cases, byCase);
    for (const auto& wanted : options.cases)
        if (!byCase.count(wanted))
            spdlog::warn("export: case {} has no standing decisions of the requested kinds", wanted);

    nlohmann::json coco = emptyCoco(options.label);
    int imageId = 0;
    int done = 0;
    const int total = static_cast<int>(byCase.size());
    // Every output path comes from a case key: a store made by an older version, or edited by
    // hand, may hold keys like "../x"; refuse them before anything is written.
    for (const auto& [caseKey, decisions] : byCase)
        checkCaseKey(caseKey, store.file().string());
    for (const auto& [caseKey, decisions] : byCase) {
        CuratedCase curated = paintCase(store, caseKey, decisions, options.label, report);
        if (options.formats.count("coco"))
            curated.ct = cocoImaging(curated, caseKey);
        if (options.formats.count("nifti"))
            writeNifti(curated, caseKey, options, report);
        if (options.formats.count("seg-nrrd"))
            writeSegNrrd(curated, caseKey, options, report);
        if (options.formats.count("dicom-seg"))
            writeDicomSegOf(curated, caseKey, options, report);
        writeSlices(curated, caseKey, options, coco, imageId, report);
        ++report.cases;
        if (progress)
            progress(++done, total);
    }
    if (options.formats.count("coco"))
        writeCoco(coco, options, report);
    spdlog::info("export: {} cases, {} slices, {} decisions ({} superseded) to {}", report.cases,
                 report.slices, report.decisions, report.superseded, options.outDir.string());
    return report;
}

} // namespace weaksight::storage
