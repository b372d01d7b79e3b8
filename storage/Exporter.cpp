#include "storage/Exporter.h"

#include "core/cases/CaseKey.h"
#include "core/common/Error.h"
#include "core/io/AtomicFile.h"
#include "core/io/VolumeIo.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
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

nlohmann::json provenance(const StoredDecision& d)
{
    return {
        {"decision_id", d.id},
        {"decision", toString(d.kind)},
        {"slice", d.slice},
        {"crop", {{"row", d.crop.row0}, {"col", d.crop.col0}, {"rows", d.crop.rows}, {"cols", d.crop.cols}}},
        {"annotator", d.annotator},
        {"model_hash", d.modelHash},
        {"method", d.method},
        {"proposal", d.proposal},
        {"threshold", d.threshold},
        {"time_spent_ms", d.timeSpentMs},
        {"decided_at", d.createdAt},
        {"iou_proposal_vs_truth", optionalJson(d.overlap.proposalGtIou)},
        {"iou_proposal_vs_final", optionalJson(d.overlap.proposalFinalIou)},
        {"iou_final_vs_truth", optionalJson(d.overlap.finalGtIou)}};
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
            const int row = d.crop.row0 + r, col = d.crop.col0 + c;
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
        if (f != "nifti" && f != "png" && f != "coco")
            throw std::invalid_argument("unknown export format '" + f + "' (nifti, png or coco)");
}

nlohmann::json emptyCoco()
{
    return {{"info", {{"description", "Weaksight curated lesion masks"}, {"version", "1.0"}}},
            {"images", nlohmann::json::array()},
            {"annotations", nlohmann::json::array()},
            {"categories", {{{"id", 1}, {"name", "lesion"}, {"supercategory", "kidney"}}}}};
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
    VolumeHeader header;
    LabelVolume labels;
    std::map<int, nlohmann::json> sliceProvenance; ///< per decided slice, its decisions
};

CuratedCase paintCase(const AnnotationStore& store, const std::string& caseKey,
                      const std::map<SliceCrop, StoredDecision>& decisions, uint8_t label,
                      ExportReport& report)
{
    CuratedCase curated;
    const auto caseId = store.findCase(caseKey);
    curated.registration = store.caseRegistration(*caseId);
    curated.source = sourceOf(curated.registration);
    curated.header = readVolumeHeader(curated.source);
    curated.labels = LabelVolume(curated.header.geometry);
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
        paintFinalMask(curated.labels, d, label);
        curated.sliceProvenance[d.slice].push_back(provenance(d));
        ++report.decisions;
    }
    report.slices += static_cast<int>(curated.sliceProvenance.size());
    return curated;
}

/// The case's NIfTI, read back and compared, and its provenance sidecar.
void writeNifti(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                ExportReport& report)
{
    const fs::path out = inside(options, options.outDir / "nifti" / (caseKey + ".nii.gz"));
    writeLabelsLikeSource(curated.labels, curated.source, out);
    const LabelVolume back = readLabelVolume(out);
    if (back.voxels != curated.labels.voxels || !back.geometry.sameGrid(curated.header.geometry))
        throw InputError(out, "read-back differs from what was exported");
    const CaseRegistration& registration = curated.registration;
    nlohmann::json sidecar = {{"case", caseKey},
                              {"source", curated.source.string()},
                              {"source_fingerprint", registration.labelsFingerprint.empty()
                                                         ? registration.imagingFingerprint
                                                         : registration.labelsFingerprint},
                              {"label_value", options.label},
                              {"orientation", curated.header.geometry.orientationCode()},
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

void addCocoSlice(nlohmann::json& coco, int imageId, const CocoSlice& at, const BinaryMask& sliceMask,
                  const LabelVolume& labels, uint8_t label)
{
    coco["images"].push_back({{"id", imageId},
                              {"file_name", at.caseKey + "/" + at.name},
                              {"width", sliceMask.cols},
                              {"height", sliceMask.rows},
                              {"case", at.caseKey},
                              {"slice", at.slice}});
    const auto counts = cocoRleCounts(sliceMask);
    // COCO's bbox: [left, top, width, height] of the slice's curated pixels.
    const auto bounds = labelBounds(labels, at.slice, {label});
    const nlohmann::json bbox = bounds ? nlohmann::json{bounds->first[Column], bounds->first[Row],
                                                        bounds->last[Column] - bounds->first[Column] + 1,
                                                        bounds->last[Row] - bounds->first[Row] + 1}
                                       : nlohmann::json{0, 0, 0, 0};
    coco["annotations"].push_back(
        {{"id", imageId},
         {"image_id", imageId},
         {"category_id", 1},
         {"iscrowd", 0},
         {"area", sliceMask.count()},
         {"bbox", bbox},
         {"segmentation", {{"size", {sliceMask.rows, sliceMask.cols}}, {"counts", cocoRleString(counts)}}},
         {"provenance", at.provenance}});
}

/// The PNG and COCO outputs of each decided slice of one case.
void writeSlices(const CuratedCase& curated, const std::string& caseKey, const ExportOptions& options,
                 nlohmann::json& coco, int& imageId, ExportReport& report)
{
    const LabelVolume& labels = curated.labels;
    for (const auto& [slice, entries] : curated.sliceProvenance) {
        BinaryMask sliceMask(labels.rows(), labels.cols());
        const uint8_t* s = labels.slice(slice);
        for (size_t i = 0; i < sliceMask.pixels.size(); ++i)
            sliceMask.pixels[i] = s[i] == options.label;
        const std::string name = fmt::format("slice_{:04d}", slice);
        if (options.formats.count("png"))
            writePng(sliceMask, inside(options, options.outDir / "png" / caseKey / (name + ".png")), report);
        if (options.formats.count("coco"))
            addCocoSlice(coco, ++imageId, {caseKey, name, slice, entries}, sliceMask, labels, options.label);
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

    nlohmann::json coco = emptyCoco();
    int imageId = 0;
    int done = 0;
    const int total = static_cast<int>(byCase.size());
    // Every output path comes from a case key: a store made by an older version, or edited by
    // hand, may hold keys like "../x"; refuse them before anything is written.
    for (const auto& [caseKey, decisions] : byCase)
        checkCaseKey(caseKey, store.file().string());
    for (const auto& [caseKey, decisions] : byCase) {
        const CuratedCase curated = paintCase(store, caseKey, decisions, options.label, report);
        if (options.formats.count("nifti"))
            writeNifti(curated, caseKey, options, report);
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
