#include "storage/Exporter.h"

#include "core/common/Error.h"
#include "core/cases/CaseKey.h"
#include "core/io/AtomicFile.h"
#include "core/io/VolumeIo.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace weaksight::storage {

namespace {

struct SliceCrop {
    int slice;
    int row, col, rows, cols;
    bool operator<(const SliceCrop& o) const
    {
        return std::tie(slice, row, col, rows, cols) < std::tie(o.slice, o.row, o.col, o.rows, o.cols);
    }
};

nlohmann::json optionalJson(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json provenance(const StoredDecision& d)
{
    return {{"decision_id", d.id},
            {"decision", toString(d.kind)},
            {"slice", d.slice},
            {"crop", {{"row", d.crop.row}, {"col", d.crop.col}, {"rows", d.crop.rows}, {"cols", d.crop.cols}}},
            {"annotator", d.annotator},
            {"model_hash", d.modelHash},
            {"method", d.method},
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
        auto& slot = byCase[d.caseKey][{d.slice, d.crop.row, d.crop.col, d.crop.rows, d.crop.cols}];
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
            const int row = d.crop.row + r, col = d.crop.col + c;
            if (mask.at(r, c) && d.slice >= 0 && d.slice < labels.slices() && row >= 0 && row < labels.rows() &&
                col >= 0 && col < labels.cols())
                labels.at(d.slice, row, col) = label;
        }
}

} // namespace

LabelVolume curatedLesionMask(const AnnotationStore& store, const std::string& caseKey, const StorageGeometry& geometry,
                              const std::vector<DecisionKind>& kinds, uint8_t label)
{
    std::map<std::string, std::map<SliceCrop, StoredDecision>> byCase;
    newestDecisions(store, kinds, {caseKey}, byCase);
    LabelVolume labels(geometry);
    for (const auto& [key, d] : byCase[caseKey])
        paintFinalMask(labels, d, label);
    return labels;
}

ExportReport exportMasks(const AnnotationStore& store, const ExportOptions& options,
                         const std::function<void(int, int)>& progress)
{
    for (const auto& f : options.formats)
        if (f != "nifti" && f != "png" && f != "coco")
            throw std::invalid_argument("unknown export format '" + f + "' (nifti, png or coco)");
    ExportReport report;

    // Newest standing decision per case, slice and crop.
    std::map<std::string, std::map<SliceCrop, StoredDecision>> byCase;
    report.superseded = newestDecisions(store, options.statuses, options.cases, byCase);
    for (const auto& wanted : options.cases)
        if (!byCase.count(wanted))
            spdlog::warn("export: case {} has no standing decisions of the requested kinds", wanted);

    nlohmann::json coco = {{"info", {{"description", "Weaksight curated lesion masks"}, {"version", "1.0"}}},
                           {"images", nlohmann::json::array()},
                           {"annotations", nlohmann::json::array()},
                           {"categories", {{{"id", 1}, {"name", "lesion"}, {"supercategory", "kidney"}}}}};
    int imageId = 0;
    int done = 0;
    const int total = static_cast<int>(byCase.size());
    // Every output path comes from a case key: a store made by an older version, or edited by
    // hand, may hold keys like "../x"; refuse them before anything is written.
    for (const auto& [caseKey, decisions] : byCase)
        checkCaseKey(caseKey, store.file().string());
    const auto inside = [&](const fs::path& path) {
        io::checkInside(options.outDir, path);
        return path;
    };
    for (const auto& [caseKey, decisions] : byCase) {
        const auto caseId = store.findCase(caseKey);
        const CaseRegistration registration = store.caseRegistration(*caseId);
        const fs::path source = sourceOf(registration);
        const VolumeHeader header = readVolumeHeader(source);
        LabelVolume labels(header.geometry);
        if (labels.shape != registration.shape)
            throw InputError(source, fmt::format("has shape {}x{}x{} but the store registered {}x{}x{} for {}",
                                                 labels.shape[0], labels.shape[1], labels.shape[2],
                                                 registration.shape[0], registration.shape[1],
                                                 registration.shape[2], caseKey));
        std::map<int, nlohmann::json> sliceProvenance;
        for (const auto& [key, d] : decisions) {
            paintFinalMask(labels, d, options.label);
            sliceProvenance[d.slice].push_back(provenance(d));
            ++report.decisions;
        }
        report.slices += static_cast<int>(sliceProvenance.size());

        if (options.formats.count("nifti")) {
            const fs::path out = inside(options.outDir / "nifti" / (caseKey + ".nii.gz"));
            writeLabelsLikeSource(labels, source, out);
            const LabelVolume back = readLabelVolume(out);
            if (back.voxels != labels.voxels || !back.geometry.sameGrid(header.geometry))
                throw InputError(out, "read-back differs from what was exported");
            nlohmann::json sidecar = {{"case", caseKey},
                                      {"source", source.string()},
                                      {"source_fingerprint", registration.labelsFingerprint.empty()
                                                                 ? registration.imagingFingerprint
                                                                 : registration.labelsFingerprint},
                                      {"label_value", options.label},
                                      {"orientation", header.geometry.orientationCode()},
                                      {"axial_order", "inferior_to_superior"},
                                      {"slices", nlohmann::json::array()}};
            for (const auto& [slice, entries] : sliceProvenance)
                sidecar["slices"].push_back({{"slice", slice}, {"decisions", entries}});
            const fs::path sidecarPath = inside(options.outDir / "nifti" / (caseKey + ".json"));
            writeJson(sidecarPath, sidecar);
            report.files.push_back(out);
            report.files.push_back(sidecarPath);
        }
        for (const auto& [slice, entries] : sliceProvenance) {
            BinaryMask sliceMask(labels.rows(), labels.cols());
            const uint8_t* s = labels.slice(slice);
            for (size_t i = 0; i < sliceMask.pixels.size(); ++i)
                sliceMask.pixels[i] = s[i] == options.label;
            const std::string name = fmt::format("slice_{:04d}", slice);
            if (options.formats.count("png")) {
                const fs::path out = inside(options.outDir / "png" / caseKey / (name + ".png"));
                std::vector<uint8_t> pixels(sliceMask.pixels.size());
                for (size_t i = 0; i < pixels.size(); ++i)
                    pixels[i] = sliceMask.pixels[i] ? 255 : 0;
                writePng8(pixels, sliceMask.rows, sliceMask.cols, out);
                int rows = 0, cols = 0;
                if (readPng8(out, rows, cols) != pixels || rows != sliceMask.rows || cols != sliceMask.cols)
                    throw InputError(out, "read-back differs from what was exported");
                report.files.push_back(out);
            }
            if (options.formats.count("coco")) {
                ++imageId;
                coco["images"].push_back({{"id", imageId},
                                          {"file_name", caseKey + "/" + name},
                                          {"width", sliceMask.cols},
                                          {"height", sliceMask.rows},
                                          {"case", caseKey},
                                          {"slice", slice}});
                const auto counts = cocoRleCounts(sliceMask);
                int top = sliceMask.rows, left = sliceMask.cols, bottom = -1, right = -1;
                for (int r = 0; r < sliceMask.rows; ++r)
                    for (int c = 0; c < sliceMask.cols; ++c)
                        if (sliceMask.at(r, c)) {
                            top = std::min(top, r), bottom = std::max(bottom, r);
                            left = std::min(left, c), right = std::max(right, c);
                        }
                const bool any = bottom >= 0;
                coco["annotations"].push_back(
                    {{"id", imageId},
                     {"image_id", imageId},
                     {"category_id", 1},
                     {"iscrowd", 0},
                     {"area", sliceMask.count()},
                     {"bbox", any ? nlohmann::json{left, top, right - left + 1, bottom - top + 1}
                                  : nlohmann::json{0, 0, 0, 0}},
                     {"segmentation", {{"size", {sliceMask.rows, sliceMask.cols}}, {"counts", cocoRleString(counts)}}},
                     {"provenance", entries}});
            }
        }
        ++report.cases;
        if (progress)
            progress(++done, total);
    }
    if (options.formats.count("coco")) {
        const fs::path out = inside(options.outDir / "coco.json");
        writeJson(out, coco);
        // Read back: every annotation decodes to the slice mask it came from.
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
    spdlog::info("export: {} cases, {} slices, {} decisions ({} superseded) to {}", report.cases, report.slices,
                 report.decisions, report.superseded, options.outDir.string());
    return report;
}

} // namespace weaksight::storage
