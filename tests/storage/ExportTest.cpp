// Export round trip on a KiTS-oriented synthetic case, and merging annotators' stores.
#include "core/cases/KitsCase.h"
#include "core/cases/LabelTable.h"
#include "core/io/VolumeIo.h"
#include "core/phantom/Phantom.h"
#include "storage/Exporter.h"
#include "storage/Statement.h"
#include "storage/StoreTools.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sqlite3.h>
#include <sys/wait.h>
#include <zlib.h>

using namespace weaksight;
using namespace weaksight::storage;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
    fs::path path =
        fs::temp_directory_path() / ("weaksight-export-" + std::to_string(std::random_device{}()));
    TempFolder() { fs::create_directories(path); }
    ~TempFolder()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<uint8_t> niftiHeader(const fs::path& file)
{
    gzFile f = gzopen(file.c_str(), "rb");
    std::vector<uint8_t> h(348);
    gzread(f, h.data(), 348);
    gzclose(f);
    return h;
}

/// A small phantom dataset with lesions, imported into a fresh store.
struct Scene {
    TempFolder dir;
    fs::path dataset = dir.path / "dataset";
    fs::path db = dir.path / "store.sqlite";
    LabelVolume truth;
    int lesionSlice = 0;
    Scene()
    {
        PhantomOptions options;
        options.seed = 77;
        options.minInPlace = options.maxInPlace = 128;
        options.sliceThicknesses = {5.0};
        options.lesionFreeFraction = 0.0;
        writePhantomDataset(options, dataset, 1);
        truth = readLabelVolume(dataset / "case_00000" / "segmentation.nii.gz");
        size_t best = 0;
        for (int k = 0; k < truth.slices(); ++k) {
            const auto n = lesionMask(truth, k, {0, 0, truth.rows(), truth.cols()}).count();
            if (static_cast<size_t>(n) > best) {
                best = static_cast<size_t>(n);
                lesionSlice = k;
            }
        }
        AnnotationStore store(db);
        importDataset(store, dataset);
    }
};

} // namespace

TEST(Export, NiftiPngAndCocoRoundTripOnAKitsOrientedCase)
{
    Scene s;
    AnnotationStore store(s.db);
    const auto caseId = *store.findCase("case_00000");
    const auto settings = store.registerCamSettings({"gradcam", "layer4", "lesion", "minmax", "{}"});
    const int half = s.truth.cols() / 2;
    const int k = s.lesionSlice;

    // Left half of the lesion slice: accepted as proposed (the ground-truth lesion itself).
    const BinaryMask left = lesionMask(s.truth, k, {0, 0, s.truth.rows(), half});
    const auto p1 = store.addProposal({caseId, k, {0, 0, s.truth.rows(), half}, {}, settings, 0.2, left});
    store.recordDecision({p1, "ana", DecisionKind::Accept, {}, left, 1000, ""});
    // Right half: corrected to a 10 x 10 square.
    BinaryMask square(s.truth.rows(), s.truth.cols() - half);
    for (int r = 20; r < 30; ++r)
        for (int c = 5; c < 15; ++c)
            square.at(r, c) = 1;
    const auto p2 =
        store.addProposal({caseId,
                           k,
                           {0, half, s.truth.rows(), s.truth.cols() - half},
                           {},
                           settings,
                           0.3,
                           lesionMask(s.truth, k, {0, half, s.truth.rows(), s.truth.cols() - half})});
    store.recordDecision({p2, "ana", DecisionKind::Correct, square, {}, 5000, "trimmed"});
    // Another slice: rejected, so it must not appear.
    const int other = k > 0 ? k - 1 : k + 1;
    const auto p3 = store.addProposal({caseId, other, {0, 0, 8, 8}, {}, settings, 0.2, BinaryMask(8, 8)});
    store.recordDecision({p3, "ben", DecisionKind::Reject, {}, {}, 200, ""});

    ExportOptions options;
    options.outDir = s.dir.path / "out";
    options.formats = {"nifti", "seg-nrrd", "png", "coco"};
    const auto report = exportMasks(store, options);
    EXPECT_EQ(report.cases, 1);
    EXPECT_EQ(report.slices, 1);
    EXPECT_EQ(report.decisions, 2);

    // The expected volume, painted independently of the exporter.
    LabelVolume expected(s.truth.geometry);
    for (int r = 0; r < s.truth.rows(); ++r)
        for (int c = 0; c < half; ++c)
            if (labels::isLesion(s.truth.at(k, r, c)))
                expected.at(k, r, c) = 2;
    for (int r = 20; r < 30; ++r)
        for (int c = 5; c < 15; ++c)
            expected.at(k, r, half + c) = 2;

    const fs::path nifti = options.outDir / "nifti" / "case_00000.nii.gz";
    const LabelVolume back = readLabelVolume(nifti);
    EXPECT_EQ(back.geometry.orientationCode(), "IPL");
    EXPECT_TRUE(back.geometry.sameGrid(s.truth.geometry));
    EXPECT_EQ(back.voxels, expected.voxels);
    // Header geometry byte-identical to the source: dims, pixdim, qform/sform codes and matrices.
    const auto source = niftiHeader(s.dataset / "case_00000" / "segmentation.nii.gz");
    const auto exported = niftiHeader(nifti);
    EXPECT_TRUE(std::equal(source.begin() + 40, source.begin() + 56, exported.begin() + 40)) << "dim";
    EXPECT_TRUE(std::equal(source.begin() + 76, source.begin() + 108, exported.begin() + 76)) << "pixdim";
    EXPECT_TRUE(std::equal(source.begin() + 252, source.begin() + 328, exported.begin() + 252)) << "q/sform";

    // Sidecar provenance.
    std::ifstream sidecarFile(options.outDir / "nifti" / "case_00000.json");
    const auto sidecar = nlohmann::json::parse(sidecarFile);
    ASSERT_EQ(sidecar["slices"].size(), 1u);
    EXPECT_EQ(sidecar["slices"][0]["slice"], k);
    const auto& entries = sidecar["slices"][0]["decisions"];
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0]["decision"], "accept");
    EXPECT_EQ(entries[0]["method"], "gradcam");
    EXPECT_DOUBLE_EQ(entries[0]["iou_proposal_vs_truth"].get<double>(), 1.0);
    EXPECT_EQ(entries[1]["decision"], "correct");
    EXPECT_EQ(entries[1]["annotator"], "ana");

    // PNG: 255 where the slice's curated lesion is.
    int rows = 0, cols = 0;
    const auto png =
        readPng8(options.outDir / "png" / "case_00000" /
                     ("slice_" + std::string(4 - std::to_string(k).size(), '0') + std::to_string(k) + ".png"),
                 rows, cols);
    ASSERT_EQ(rows, s.truth.rows());
    const uint8_t* slice = expected.slice(k);
    for (size_t i = 0; i < png.size(); ++i)
        ASSERT_EQ(png[i], slice[i] ? 255 : 0) << "pixel " << i;

    // COCO: the RLE decodes to the same slice mask.
    std::ifstream cocoFile(options.outDir / "coco.json");
    const auto coco = nlohmann::json::parse(cocoFile);
    ASSERT_EQ(coco["annotations"].size(), 1u);
    const auto& seg = coco["annotations"][0]["segmentation"];
    const BinaryMask decoded =
        cocoRleDecode(cocoRleCountsFromString(seg["counts"]), seg["size"][0], seg["size"][1]);
    for (size_t i = 0; i < decoded.pixels.size(); ++i)
        ASSERT_EQ(decoded.pixels[i], slice[i] ? 1 : 0);
    // ... and the image it names exists beside coco.json: the CT slice windowed at W 350 / L 40.
    const std::string sliceName =
        "slice_" + std::string(4 - std::to_string(k).size(), '0') + std::to_string(k);
    ASSERT_EQ(coco["images"].size(), 1u);
    EXPECT_EQ(coco["images"][0]["file_name"], "images/case_00000/" + sliceName + ".png");
    EXPECT_EQ(coco["images"][0]["slice"], k) << "0-based, as in the file name";
    const auto image =
        readPng8(options.outDir / coco["images"][0]["file_name"].get<std::string>(), rows, cols);
    const CtVolume ct = readCtVolume(s.dataset / "case_00000" / "imaging.nii.gz");
    ASSERT_EQ(rows, ct.rows());
    ASSERT_EQ(cols, ct.cols());
    for (size_t i = 0; i < image.size(); ++i) {
        const double windowed = std::clamp((ct.slice(k)[i] - (40.0 - 175.0)) / 350.0, 0.0, 1.0) * 255;
        ASSERT_NEAR(image[i], windowed, 0.51) << "pixel " << i;
    }

    // 3D Slicer's segmentation: the same voxels on the same grid, its segment named in the header.
    const fs::path segNrrd = options.outDir / "seg-nrrd" / "case_00000.seg.nrrd";
    const LabelVolume slicer = readLabelVolume(segNrrd);
    EXPECT_TRUE(slicer.geometry.sameGrid(s.truth.geometry));
    EXPECT_EQ(slicer.voxels, expected.voxels);
    const LabelTable segments = LabelTable::read(segNrrd);
    ASSERT_EQ(segments.entries().size(), 1u);
    EXPECT_EQ(segments.entries()[0].value, 2);
    EXPECT_EQ(segments.entries()[0].name, "tumour") << "decisions that did not say which lesion: --label (2)";
    EXPECT_EQ(segments.meaningOf(2), LabelMeaning::Tumour);
}

namespace {

/// tools/dicom_seg_summary.py on `arguments` (pydicom, Debian's): its JSON, or nullopt when pydicom
/// is missing (the caller skips).
std::optional<nlohmann::json> pydicomSummary(const std::string& arguments)
{
    const std::string command = std::string("/usr/bin/python3 ") + WEAKSIGHT_SOURCE_DIR +
                                "/tools/dicom_seg_summary.py " + arguments + " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[65536];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    const int status = pclose(pipe);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        return std::nullopt;
    EXPECT_EQ(status, 0) << command;
    return nlohmann::json::parse(out);
}

/// Every (label, slice) of `expected` as the DICOM SEG's frames say it: the frame's segment label
/// and position mapped back onto `expected`'s grid.
void expectSegMatches(const nlohmann::json& seg, const LabelVolume& expected)
{
    std::map<int, uint8_t> labelOfSegment;
    for (const auto& s : seg["segments"])
        labelOfSegment[s["number"].get<int>()] = s["label"] == "cyst" ? labels::Cyst : labels::Tumour;
    std::set<std::pair<int, int>> seen;
    for (const auto& frame : seg["frames"]) {
        const auto p = frame["position"].get<std::array<double, 3>>();
        int slice = -1;
        for (int k = 0; k < expected.slices(); ++k) {
            const auto q = expected.geometry.physicalPoint(k, 0, 0);
            if (std::abs(p[0] - q[0]) < 1e-3 && std::abs(p[1] - q[1]) < 1e-3 && std::abs(p[2] - q[2]) < 1e-3)
                slice = k;
        }
        ASSERT_GE(slice, 0) << "a frame at a position of no slice";
        const uint8_t label = labelOfSegment.at(frame["segment"].get<int>());
        std::vector<int> want;
        const uint8_t* s = expected.slice(slice);
        for (size_t i = 0; i < expected.sliceSize(); ++i)
            if (s[i] == label)
                want.push_back(static_cast<int>(i));
        EXPECT_EQ(frame["set"].get<std::vector<int>>(), want) << "slice " << slice << " label " << int(label);
        EXPECT_TRUE(seen.insert({label, slice}).second) << "one frame per segment and slice";
    }
    for (int k = 0; k < expected.slices(); ++k)
        for (const uint8_t label : {labels::Tumour, labels::Cyst}) {
            const uint8_t* s = expected.slice(k);
            if (std::find(s, s + expected.sliceSize(), label) != s + expected.sliceSize()) {
                EXPECT_TRUE(seen.count({label, k})) << "slice " << k << " label " << int(label) << " missing";
            }
        }
}

} // namespace

TEST(Export, DicomSegIsReadByPydicomVoxelForVoxel)
{
    Scene s;
    AnnotationStore store(s.db);
    const auto caseId = *store.findCase("case_00000");
    const int k = s.lesionSlice;
    const BinaryMask lesion = lesionMask(s.truth, k, {0, 0, s.truth.rows(), s.truth.cols()});
    DecisionInput tumour{
        store.addProposal({caseId, k, {0, 0, s.truth.rows(), s.truth.cols()}, {}, {}, 0.5, lesion}), "ana",
        DecisionKind::Accept};
    tumour.label = labels::Tumour;
    store.recordDecision(tumour);
    BinaryMask square(6, 6);
    for (auto& v : square.pixels)
        v = 1;
    const int other = k > 0 ? k - 1 : k + 1;
    DecisionInput cyst{store.addProposal({caseId, other, {20, 20, 6, 6}, {}, {}, 0.5, square}), "ana",
                       DecisionKind::Accept};
    cyst.label = labels::Cyst;
    store.recordDecision(cyst);

    ExportOptions options;
    options.outDir = s.dir.path / "out";
    options.formats = {"nifti", "dicom-seg"};
    exportMasks(store, options);
    const LabelVolume nifti = readLabelVolume(options.outDir / "nifti" / "case_00000.nii.gz");
    EXPECT_EQ(std::count(nifti.voxels.begin(), nifti.voxels.end(), labels::Cyst), 36);
    const auto seg = pydicomSummary((options.outDir / "dicom-seg" / "case_00000.dcm").string());
    if (!seg)
        GTEST_SKIP() << "pydicom (python3-pydicom) is not installed";
    EXPECT_EQ((*seg)["modality"], "SEG");
    EXPECT_EQ((*seg)["sop_class"], "1.2.840.10008.5.1.4.1.1.66.4") << "Segmentation Storage";
    EXPECT_EQ((*seg)["rows"], nifti.rows());
    EXPECT_EQ((*seg)["columns"], nifti.cols());
    EXPECT_NEAR((*seg)["pixel_spacing"][0].get<double>(), nifti.spacing[1], 1e-6);
    EXPECT_EQ((*seg)["patient_id"], "case_00000") << "a NIfTI case: a study of its own, named after the case";
    ASSERT_EQ((*seg)["segments"].size(), 2u);
    EXPECT_EQ((*seg)["segments"][0]["type"], "Neoplasm");
    EXPECT_EQ((*seg)["segments"][1]["type"], "Cyst");
    expectSegMatches(*seg, nifti);
}

TEST(Export, DicomSegOfADicomCtJoinsItsStudyAndNamesItsSourceSlices)
{
    const char* configured = std::getenv("WEAKSIGHT_REAL_DATA");
    const fs::path root =
        configured ? fs::path(configured) : fs::path(WEAKSIGHT_SOURCE_DIR) / ".." / "shared" / "data";
    // A real contrast CT series (with its UIDs; TotalSegmentator's DICOM fixture has none).
    const fs::path series = root / "dicom-series" / "dupe-positions";
    if (!fs::exists(series))
        GTEST_SKIP() << "real data not present (dicom-series/dupe-positions); set WEAKSIGHT_REAL_DATA or "
                        "provide ../shared/data";
    TempFolder dir;
    AnnotationStore store(dir.path / "store.sqlite");
    const int64_t dataset = store.registerDataset(series.parent_path().string(), "single-file");
    const int64_t caseId = registerCaseFiles(store, dataset, describeVolumeFile(series, VolumeRole::Imaging));
    const CtVolume ct = readCtVolume(series);
    BinaryMask mask(ct.rows(), ct.cols());
    for (int r = 200; r < 240; ++r)
        for (int c = 250; c < 300; ++c)
            mask.at(r, c) = 1;
    for (const int slice : {0, ct.slices() - 1}) {
        DecisionInput d{store.addProposal({caseId, slice, {0, 0, ct.rows(), ct.cols()}, {}, {}, 0.5, mask}),
                        "ana", DecisionKind::Accept};
        d.label = labels::Tumour;
        store.recordDecision(d);
    }
    ExportOptions options;
    options.outDir = dir.path / "out";
    options.formats = {"dicom-seg"};
    exportMasks(store, options);
    const auto seg =
        pydicomSummary((options.outDir / "dicom-seg" / (series.filename().string() + ".dcm")).string());
    const auto slices = pydicomSummary("--ct-series " + series.string());
    if (!seg || !slices)
        GTEST_SKIP() << "pydicom (python3-pydicom) is not installed";
    ASSERT_EQ((*seg)["frames"].size(), 2u);
    EXPECT_EQ((*seg)["study"], (*slices)["slices"][0]["study"]) << "the CT's study";
    EXPECT_EQ((*seg)["referenced_series"], (*slices)["series"]) << "the CT's series, referenced";
    int named = 0;
    for (const auto& frame : (*seg)["frames"]) {
        std::string expected;
        for (const auto& slice : (*slices)["slices"]) {
            const auto p = slice["position"].get<std::array<double, 3>>();
            const auto q = frame["position"].get<std::array<double, 3>>();
            if (std::abs(p[0] - q[0]) < 0.05 && std::abs(p[1] - q[1]) < 0.05 && std::abs(p[2] - q[2]) < 0.05)
                expected = slice["sop_instance"];
        }
        EXPECT_EQ(frame["set"].size(), 40u * 50u);
        // This series' spacing is uneven (its slices are scattered): the volume's slices lie on a
        // file's position only where the series is even; there the frame names that file.
        if (expected.empty()) {
            EXPECT_TRUE(frame["source"].is_null());
            continue;
        }
        EXPECT_EQ(frame["source"], expected) << "a frame on a CT slice names it";
        ++named;
    }
    EXPECT_GE(named, 1) << "the first slice is a file of the series";
}

TEST(Export, NewestDecisionWinsAndMissingSourcesAreReported)
{
    Scene s;
    AnnotationStore store(s.db);
    const auto caseId = *store.findCase("case_00000");
    BinaryMask a(4, 4), b(4, 4);
    a.at(0, 0) = 1;
    b.at(3, 3) = 1;
    const auto p = store.addProposal({caseId, 2, {10, 10, 4, 4}, {}, {}, 0.5, a});
    store.recordDecision({p, "ana", DecisionKind::Accept, {}, {}, 0, ""});
    store.recordDecision({p, "ana", DecisionKind::Correct, b, {}, 0, "second thoughts"});
    ExportOptions options;
    options.outDir = s.dir.path / "out";
    const auto report = exportMasks(store, options);
    EXPECT_EQ(report.superseded, 1);
    const LabelVolume back = readLabelVolume(options.outDir / "nifti" / "case_00000.nii.gz");
    EXPECT_EQ(back.at(2, 13, 13), 2);
    EXPECT_EQ(back.at(2, 10, 10), 0);

    fs::remove(s.dataset / "case_00000" / "segmentation.nii.gz");
    fs::remove(s.dataset / "case_00000" / "imaging.nii.gz");
    try {
        exportMasks(store, options);
        FAIL() << "expected an error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("original grid"), std::string::npos) << e.what();
    }
}

TEST(Export, AFinalMaskPaintedOutsideItsCropIsStoredScoredExportedAndMergedOnItsBox)
{
    Scene s;
    AnnotationStore store(s.db);
    const auto caseId = *store.findCase("case_00000");
    // The proposal: 4 x 4 crop at (10, 10), two pixels. The correction keeps one and paints two
    // pixels outside the crop, at (8, 12) and (15, 9): its box is rows 8..15, columns 9..13.
    BinaryMask proposal(4, 4);
    proposal.at(0, 0) = proposal.at(1, 1) = 1;
    const CropBox crop{10, 10, 4, 4}, finalBox{8, 9, 8, 5};
    BinaryMask corrected(8, 5);
    corrected.at(10 - 8, 10 - 9) = 1; // the proposal's (10, 10)
    corrected.at(8 - 8, 12 - 9) = 1;
    corrected.at(15 - 8, 9 - 9) = 1;
    BinaryMask truth(8, 5); // the ground truth on the final box: (8, 12) and (11, 11)
    truth.at(0, 3) = truth.at(3, 2) = 1;
    DecisionInput d{0, "ana", DecisionKind::Correct, corrected, truth, 900, "painted outside"};
    d.finalBox = finalBox;
    int64_t proposalId = 0;
    const auto result =
        store.recordProposalDecision({caseId, 2, crop, {}, {}, 0.5, proposal}, d, &proposalId);
    // Proposal vs truth on the crop: (10, 10), (11, 11) against (11, 11) -> 1/2.
    EXPECT_DOUBLE_EQ(*result.overlap.proposalGtIou, 0.5);
    // Proposal vs final on the final box: {(10,10), (11,11)} vs {(10,10), (8,12), (15,9)} -> 1/4.
    EXPECT_DOUBLE_EQ(*result.overlap.proposalFinalIou, 0.25);
    EXPECT_EQ(*result.overlap.voxelsAdded, 2);
    EXPECT_EQ(*result.overlap.voxelsRemoved, 1);
    // Final vs truth on the final box: {(10,10), (8,12), (15,9)} vs {(8,12), (11,11)} -> 1/4.
    EXPECT_DOUBLE_EQ(*result.overlap.finalGtIou, 0.25);
    const auto stored = store.standingDecisions({DecisionKind::Correct});
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].crop, crop);
    EXPECT_EQ(stored[0].finalBox, finalBox);
    EXPECT_EQ(*stored[0].finalMask, corrected);

    // The export paints every pixel, outside the crop too, and its sidecar names the box.
    ExportOptions options;
    options.outDir = s.dir.path / "out";
    exportMasks(store, options);
    const LabelVolume back = readLabelVolume(options.outDir / "nifti" / "case_00000.nii.gz");
    EXPECT_EQ(back.at(2, 8, 12), 2);
    EXPECT_EQ(back.at(2, 15, 9), 2);
    EXPECT_EQ(back.at(2, 10, 10), 2);
    EXPECT_EQ(back.at(2, 11, 11), 0);
    std::ifstream sidecar(options.outDir / "nifti" / "case_00000.json");
    ASSERT_TRUE(sidecar.good());
    const auto provenance = nlohmann::json::parse(sidecar);
    EXPECT_NE(provenance.dump().find("\"final_box\""), std::string::npos);

    // A box that does not hold the crop, a mask of another size and a box on a rejection: refused.
    EXPECT_THROW(
        store.recordDecision(
            {proposalId, "ana", DecisionKind::Correct, corrected, {}, 0, "", {}, CropBox{11, 9, 7, 5}}),
        std::invalid_argument);
    EXPECT_THROW(
        store.recordDecision({proposalId, "ana", DecisionKind::Correct, proposal, {}, 0, "", {}, finalBox}),
        std::invalid_argument);
    EXPECT_THROW(store.recordDecision({proposalId, "ana", DecisionKind::Reject, {}, {}, 0, "", {}, finalBox}),
                 std::invalid_argument);

    // A merged store keeps the box.
    const fs::path merged = s.dir.path / "merged.sqlite";
    mergeStores(merged, {s.db});
    AnnotationStore mergedStore(merged);
    const auto copied = mergedStore.standingDecisions({DecisionKind::Correct});
    ASSERT_EQ(copied.size(), 1u);
    EXPECT_EQ(copied[0].finalBox, finalBox);
    EXPECT_EQ(*copied[0].finalMask, corrected);
    EXPECT_TRUE(mergedStore.integrityOk());
}

TEST(Merge, KeepsProvenanceReportsAgreementAndSkipsDuplicates)
{
    Scene s;
    const fs::path anaDb = s.dir.path / "ana.sqlite", benDb = s.dir.path / "ben.sqlite";
    fs::copy_file(s.db, anaDb);
    fs::copy_file(s.db, benDb);
    // Both annotators decide the same crop of slice 3; their masks overlap on 2 of 6 pixels.
    auto decide = [](const fs::path& db, const std::string& who, const BinaryMask& mask) {
        AnnotationStore store(db);
        const auto caseId = *store.findCase("case_00000");
        const auto p = store.addProposal({caseId, 3, {0, 0, 2, 3}, {}, {}, 0.2, mask});
        store.recordDecision({p, who, DecisionKind::Accept, {}, {}, 100, ""});
    };
    BinaryMask anaMask(2, 3), benMask(2, 3);
    anaMask.pixels = {1, 1, 1, 0, 0, 0};
    benMask.pixels = {0, 1, 1, 1, 1, 0};
    decide(anaDb, "ana", anaMask);
    decide(benDb, "ben", benMask);

    const fs::path merged = s.dir.path / "merged.sqlite";
    const auto report = mergeStores(merged, {anaDb, benDb});
    EXPECT_EQ(report.sources, 2);
    EXPECT_EQ(report.decisionsCopied, 2);
    ASSERT_EQ(report.agreement.size(), 1u);
    EXPECT_EQ(report.agreement[0].slices, 1);
    EXPECT_DOUBLE_EQ(report.agreement[0].meanIou, 2.0 / 5.0);
    {
        AnnotationStore store(merged);
        EXPECT_EQ(store.annotatorProgress().size(), 2u);
        EXPECT_EQ(store.caseProgress().size(), 1u);
        EXPECT_TRUE(store.integrityOk());
    }
    const auto auditRows = [&] {
        AnnotationStore store(merged);
        Statement count(store.database().handle(), "SELECT count(*) FROM audit_log WHERE action != 'merge'");
        count.step();
        return count.int64(0);
    };
    const auto auditBefore = auditRows();
    const auto again = mergeStores(merged, {anaDb});
    EXPECT_EQ(again.decisionsCopied, 0);
    EXPECT_EQ(again.duplicatesSkipped, 1);
    EXPECT_EQ(auditRows(), auditBefore) << "re-merging a source does not duplicate its audit log";

    // A store whose case holds other data under the same name is refused.
    const fs::path otherDb = s.dir.path / "other.sqlite";
    {
        AnnotationStore other(otherDb);
        const auto dataset =
            other.registerDataset(fs::absolute(s.dataset).lexically_normal().string(), "kits23");
        other.registerCase(dataset, {"case_00000", "", "", "x", "y", {1, 1, 1}});
    }
    EXPECT_THROW(mergeStores(merged, {otherDb}), DatabaseError);
}

// ---- Untrusted keys and output folders (issue 14) -------------------------------------------

namespace {

/// The store's one case renamed behind its back, as an old or hand-edited store could hold it.
void renameCaseInStore(const fs::path& db, const std::string& key)
{
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(handle, "UPDATE cases SET case_key = ?", -1, &statement, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(statement, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE);
    sqlite3_finalize(statement);
    sqlite3_close(handle);
}

void decideOnce(AnnotationStore& store, const std::string& key)
{
    BinaryMask mask(4, 4);
    mask.at(1, 1) = 1;
    const auto p = store.addProposal({*store.findCase(key), 2, {10, 10, 4, 4}, {}, {}, 0.5, mask, {}});
    store.recordDecision({p, "ana", DecisionKind::Accept, {}, {}, 0, ""});
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(UntrustedKeys, RegisteringACaseRefusesKeysThatAreNotOneFileName)
{
    Scene s;
    AnnotationStore store(s.db);
    const auto datasetId = store.registerDataset((s.dir.path / "other").string(), "kits23");
    for (const std::string& key :
         std::vector<std::string>{"../../escape", "/etc/cron.d/x", "", ".", "..", ".hidden", "a/b", "a\\b",
                                  "line\nbreak", " padded", std::string(129, 'k')}) {
        CaseRegistration c;
        c.caseKey = key;
        const auto message = errorOf([&] { store.registerCase(datasetId, c); });
        EXPECT_NE(message.find("must be usable as one file name"), std::string::npos)
            << key << ": " << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << "control characters are not echoed";
    }
    for (const std::string& key :
         std::vector<std::string>{"case_00000", "Patient 7 (arterial)", "пацієнт-3", std::string(128, 'k')}) {
        CaseRegistration c;
        c.caseKey = key;
        EXPECT_GT(store.registerCase(datasetId, c), 0) << key;
    }
}

TEST(UntrustedKeys, ExportRefusesAStoredKeyThatWouldLeaveTheOutputFolder)
{
    Scene s;
    {
        AnnotationStore store(s.db);
        decideOnce(store, "case_00000");
    }
    for (const std::string& key :
         std::vector<std::string>{"../../escape", "/tmp/weaksight-absolute-escape", ".."}) {
        renameCaseInStore(s.db, key);
        AnnotationStore store(s.db);
        ExportOptions options;
        options.outDir = s.dir.path / "out" / "deep";
        options.formats = {"nifti", "png", "coco"};
        const auto message = errorOf([&] { exportMasks(store, options); });
        EXPECT_NE(message.find("must be usable as one file name"), std::string::npos) << message;
        EXPECT_FALSE(fs::exists(options.outDir)) << "nothing is written for a refused store";
        EXPECT_FALSE(fs::exists(s.dir.path / "escape.nii.gz"));
        EXPECT_FALSE(fs::exists("/tmp/weaksight-absolute-escape.nii.gz"));
    }
}

TEST(UntrustedKeys, ExportRefusesADecisionOnASliceOutsideTheCase)
{
    Scene s;
    {
        AnnotationStore store(s.db);
        decideOnce(store, "case_00000");
    }
    // The store refuses such a proposal; a store changed by another tool may still hold one.
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(s.db.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(handle, "UPDATE proposals SET slice = 9999", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(handle);
    AnnotationStore store(s.db);
    ExportOptions options;
    options.outDir = s.dir.path / "out";
    options.formats = {"nifti", "png", "coco"};
    const auto message = errorOf([&] { exportMasks(store, options); });
    EXPECT_NE(message.find("is on slice 9999, outside the case's"), std::string::npos) << message;
    EXPECT_NE(message.find(s.db.filename().string()), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(options.outDir / "nifti" / "case_00000.nii.gz"));
}

TEST(UntrustedKeys, ExportNeverWritesThroughALinkPlantedInItsFolder)
{
    Scene s;
    AnnotationStore store(s.db);
    decideOnce(store, "case_00000");
    const fs::path victim = s.dir.path / "victim.txt";
    std::ofstream(victim) << "precious";
    ExportOptions options;
    options.outDir = s.dir.path / "out";
    fs::create_directories(options.outDir / "nifti");
    // A link at the output file's name, pointing outside: refused, the target untouched.
    fs::create_symlink(victim, options.outDir / "nifti" / "case_00000.nii.gz");
    EXPECT_NE(errorOf([&] { exportMasks(store, options); }).find("outside the output folder"),
              std::string::npos);
    std::ifstream in(victim);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious");
    // A planted folder link: refused too.
    fs::remove_all(options.outDir);
    fs::create_directories(options.outDir);
    fs::create_symlink(s.dir.path, options.outDir / "png");
    options.formats = {"png"};
    EXPECT_NE(errorOf([&] { exportMasks(store, options); }).find("outside the output folder"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(s.dir.path / "case_00000"));
    // A link inside the folder that points inside it is replaced by the file, not followed.
    fs::remove_all(options.outDir);
    fs::create_directories(options.outDir / "nifti");
    std::ofstream(options.outDir / "keep.txt") << "mine";
    fs::create_symlink(options.outDir / "keep.txt", options.outDir / "nifti" / "case_00000.json");
    options.formats = {"nifti"};
    exportMasks(store, options);
    EXPECT_FALSE(fs::is_symlink(options.outDir / "nifti" / "case_00000.json"));
    std::ifstream keep(options.outDir / "keep.txt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(keep), {}), "mine");
}

TEST(UntrustedKeys, MergeRefusesASourceWithAnUnsafeKey)
{
    Scene s;
    {
        AnnotationStore store(s.db);
        decideOnce(store, "case_00000");
    }
    renameCaseInStore(s.db, "../../escape");
    const auto message = errorOf([&] { mergeStores(s.dir.path / "merged.sqlite", {s.db}); });
    EXPECT_NE(message.find("must be usable as one file name"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(s.dir.path / "merged.sqlite"))
        << "the target is made only once every source passed";
}

TEST(UntrustedKeys, MergeRefusesDamagedMaskBlobsAndItsOwnTargetBeforeWritingAnything)
{
    Scene s;
    {
        AnnotationStore store(s.db);
        decideOnce(store, "case_00000");
    }
    const fs::path clean = s.dir.path / "clean.sqlite";
    fs::copy_file(s.db, clean);
    // A 13-byte blob declaring a 16,384 x 16,384 mask in a 4 x 4 crop.
    {
        sqlite3* handle = nullptr;
        ASSERT_EQ(sqlite3_open(s.db.c_str(), &handle), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(handle, "UPDATE proposals SET mask = X'01808001808001008080808001'", nullptr,
                               nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(handle);
    }
    const fs::path target = s.dir.path / "merged.sqlite";
    auto message = errorOf([&] { mergeStores(target, {clean, s.db}); });
    EXPECT_NE(message.find("damaged proposal mask in row 1"), std::string::npos) << message;
    EXPECT_NE(message.find("16384x16384"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(target)) << "not even the clean source was merged";
    // Merging a store into itself would double its audit log.
    mergeStores(target, {clean});
    AnnotationStore merged(target, Database::Mode::ReadOnly);
    const auto audits = merged.auditCount();
    message = errorOf([&] { mergeStores(target, {target}); });
    EXPECT_NE(message.find("is the merge's target itself"), std::string::npos) << message;
    EXPECT_EQ(AnnotationStore(target, Database::Mode::ReadOnly).auditCount(), audits);
}
