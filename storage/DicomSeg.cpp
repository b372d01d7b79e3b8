#include "storage/DicomSeg.h"

#include "core/cases/LabelTable.h"
#include "core/common/Error.h"
#include "core/io/AtomicFile.h"

#include <array>
#include <cmath>
#include <dcmtk/config/osconfig.h> // first, as DCMTK wants
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmiod/iodmacro.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <dcmtk/dcmseg/segutils.h>
#include <map>
#include <memory>
#include <spdlog/fmt/fmt.h>
#include <vector>

namespace fs = std::filesystem;

namespace weaksight::storage {

namespace {

void check(const OFCondition& condition, const fs::path& path, const std::string& what)
{
    if (condition.bad())
        throw InputError(path, "DICOM SEG: " + what + ": " + condition.text());
}

/// A decimal string (DICOM DS: at most 16 characters).
OFString decimal(double value)
{
    return fmt::format("{:.8g}", std::abs(value) < 1e-9 ? 0.0 : value).c_str();
}

std::string uid()
{
    char buffer[100];
    return dcmGenerateUniqueIdentifier(buffer, SITE_INSTANCE_UID_ROOT);
}

/// The segment's codes (SNOMED CT, as DICOM's CID 7150/7151 use them) by what the value means.
struct SegmentCodes {
    CodeSequenceMacro category, type;
};
SegmentCodes codesOf(uint8_t value)
{
    const CodeSequenceMacro altered("49755003", "SCT", "Morphologically Altered Structure");
    switch (LabelTable::kits().meaningOf(value)) {
    case LabelMeaning::Kidney:
        return {CodeSequenceMacro("123037004", "SCT", "Anatomical Structure"),
                CodeSequenceMacro("64033007", "SCT", "Kidney")};
    case LabelMeaning::Cyst:
        return {altered, CodeSequenceMacro("367643001", "SCT", "Cyst")};
    default: // tumour, or a lesion value of the user's choice
        return {altered, CodeSequenceMacro("108369006", "SCT", "Neoplasm")};
    }
}

/// A CT slice of the source series: where it is and its identity.
struct SourceSlice {
    std::array<double, 3> position{};
    OFString sopClass, sopInstance;
    fs::path file;
};

/// The slices of the series the reader took from `folder` (the one with most files), and one of
/// its files (for the patient, study and frame of reference).
std::vector<SourceSlice> sourceSlices(const fs::path& folder, OFString& anyFile)
{
    std::map<std::string, std::vector<std::pair<SourceSlice, fs::path>>> bySeries;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        if (!entry.is_regular_file())
            continue;
        DcmFileFormat file;
        // The header is enough: the pixel data is not read.
        if (file.loadFileUntilTag(entry.path().string().c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                  ERM_autoDetect, DCM_PixelData)
                .bad())
            continue; // not DICOM
        DcmDataset* data = file.getDataset();
        OFString series, x, y, z;
        SourceSlice slice;
        if (data->findAndGetOFString(DCM_SeriesInstanceUID, series).bad() ||
            data->findAndGetOFString(DCM_SOPClassUID, slice.sopClass).bad() ||
            data->findAndGetOFString(DCM_SOPInstanceUID, slice.sopInstance).bad() ||
            data->findAndGetOFString(DCM_ImagePositionPatient, x, 0).bad() ||
            data->findAndGetOFString(DCM_ImagePositionPatient, y, 1).bad() ||
            data->findAndGetOFString(DCM_ImagePositionPatient, z, 2).bad())
            continue;
        if (slice.sopInstance.empty() || slice.sopClass.empty())
            continue; // an anonymised file without its identity cannot be referenced
        slice.position = {std::atof(x.c_str()), std::atof(y.c_str()), std::atof(z.c_str())};
        bySeries[series.c_str()].emplace_back(slice, entry.path());
    }
    const std::vector<std::pair<SourceSlice, fs::path>>* largest = nullptr;
    for (const auto& [series, slices] : bySeries)
        if (!largest || slices.size() > largest->size())
            largest = &slices;
    std::vector<SourceSlice> out;
    if (!largest)
        return out;
    anyFile = largest->front().second.string().c_str();
    for (const auto& [slice, file] : *largest) {
        out.push_back(slice);
        out.back().file = file;
    }
    return out;
}

/// The source slice at a frame's position (within 0.05 mm), if any.
const SourceSlice* sliceAt(const std::vector<SourceSlice>& slices, const std::array<double, 3>& position)
{
    for (const auto& s : slices)
        if (std::abs(s.position[0] - position[0]) < 0.05 && std::abs(s.position[1] - position[1]) < 0.05 &&
            std::abs(s.position[2] - position[2]) < 0.05)
            return &s;
    return nullptr;
}

std::array<double, 3> unit(const std::array<double, 3>& from, const std::array<double, 3>& to)
{
    const std::array<double, 3> d{to[0] - from[0], to[1] - from[1], to[2] - from[2]};
    const double n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    return {d[0] / n, d[1] / n, d[2] / n};
}

/// One frame to write: a segment on a slice.
struct Frame {
    Uint16 segment;
    int slice;
    std::vector<Uint8> pixels; ///< rows x cols, 0/1
};

std::unique_ptr<DcmSegmentation> makeSegmentation(const LabelVolume& labels, const DicomSegSource& source,
                                                  const std::vector<SourceSlice>& sources,
                                                  const OFString& anyFile, const fs::path& path)
{
    DcmSegmentation* created = nullptr;
    check(DcmSegmentation::createBinarySegmentation(
              created, static_cast<Uint16>(labels.rows()), static_cast<Uint16>(labels.cols()),
              IODGeneralEquipmentModule::EquipmentInfo("Weaksight", "Weaksight", "1", "weaksight"),
              ContentIdentificationMacro("1", "WEAKSIGHT", "Curated kidney lesion masks", "Weaksight")),
          path, "creating the segmentation");
    std::unique_ptr<DcmSegmentation> seg(created);
    if (!sources.empty()) {
        check(seg->importFromSourceImage(anyFile), path, "taking patient and study from the CT");
        // Study codes as the CT has them are not ours to vouch for (and a CT whose code lacks its
        // scheme cannot be written again): the SEG names the study by its UID.
        for (auto* list : {&seg->getStudy().getProcedureCodeSequence(),
                           &seg->getStudy().getReasonForPerformedProcedureCodeSequence()}) {
            for (CodeSequenceMacro* code : *list)
                delete code;
            list->clear();
        }
    } else {
        seg->getPatient().setPatientName(source.caseKey.c_str());
        seg->getPatient().setPatientID(source.caseKey.c_str());
        seg->getStudy().setStudyInstanceUID(uid().c_str());
        seg->getFrameOfReference().setFrameOfReferenceUID(uid().c_str());
    }
    seg->getSeries().setSeriesNumber("900");
    const OFString dimensions = uid().c_str();
    check(seg->getDimensions().addDimensionIndex(DCM_ReferencedSegmentNumber, dimensions,
                                                 DCM_SegmentIdentificationSequence,
                                                 "ReferencedSegmentNumber"),
          path, "dimensions");
    check(seg->getDimensions().addDimensionIndex(DCM_ImagePositionPatient, dimensions,
                                                 DCM_PlanePositionSequence, "ImagePositionPatient"),
          path, "dimensions");
    FGPixelMeasures measures;
    measures.setPixelSpacing((decimal(labels.spacing[1]) + "\\" + decimal(labels.spacing[2])).c_str());
    measures.setSliceThickness(decimal(labels.spacing[0]));
    check(seg->addForAllFrames(measures), path, "pixel measures");
    // Rows run along canonical columns, columns along canonical rows (LPS, from the grid).
    const auto& g = labels.geometry;
    const auto along = unit(g.physicalPoint(0, 0, 0), g.physicalPoint(0, 0, 1));
    const auto down = unit(g.physicalPoint(0, 0, 0), g.physicalPoint(0, 1, 0));
    std::unique_ptr<FGPlaneOrientationPatient> orientation(
        FGPlaneOrientationPatient::createMinimal(decimal(along[0]), decimal(along[1]), decimal(along[2]),
                                                 decimal(down[0]), decimal(down[1]), decimal(down[2])));
    check(seg->addForAllFrames(*orientation), path, "orientation");
    return seg;
}

/// The frames of `labels`: per label value present (a segment), each slice that has it.
std::vector<Frame> framesOf(const LabelVolume& labels, std::map<uint8_t, Uint16>& segmentOf)
{
    std::vector<Frame> frames;
    const size_t pixels = labels.sliceSize();
    for (const auto& [value, segment] : segmentOf)
        for (int k = 0; k < labels.slices(); ++k) {
            const uint8_t* s = labels.slice(k);
            Frame frame{segment, k, std::vector<Uint8>(pixels)};
            bool any = false;
            for (size_t i = 0; i < pixels; ++i)
                any |= (frame.pixels[i] = s[i] == value) != 0;
            if (any)
                frames.push_back(std::move(frame));
        }
    return frames;
}

void addFrames(DcmSegmentation& seg, const LabelVolume& labels, const std::vector<Frame>& frames,
               const std::vector<SourceSlice>& sources, const fs::path& path)
{
    OFVector<OFString> referenced; // the CT files the frames name, for the Referenced Series Sequence
    for (const Frame& frame : frames) {
        const auto p = labels.geometry.physicalPoint(frame.slice, 0, 0);
        std::unique_ptr<FGPlanePosPatient> position(
            FGPlanePosPatient::createMinimal(decimal(p[0]), decimal(p[1]), decimal(p[2])));
        FGFrameContent content;
        content.setDimensionIndexValues(frame.segment, 0);
        content.setDimensionIndexValues(static_cast<Uint32>(frame.slice + 1), 1);
        OFVector<FGBase*> groups{position.get(), &content};
        // The CT slice this frame segments (a DICOM CT): its SOP instance, as the source image.
        FGDerivationImage derivation;
        if (const SourceSlice* ct = sliceAt(sources, p)) {
            DerivationImageItem* item = nullptr;
            check(derivation.addDerivationImageItem(CodeSequenceMacro("113076", "DCM", "Segmentation"),
                                                    "Curated by Weaksight's labellers", item),
                  path, "derivation of slice " + std::to_string(frame.slice));
            SourceImageItem* sourceItem = nullptr;
            check(item->addSourceImageItem(
                      ct->file.string().c_str(),
                      CodeSequenceMacro("121322", "DCM", "Source image for image processing operation"),
                      sourceItem),
                  path, "referencing " + ct->file.string());
            groups.push_back(&derivation);
            referenced.push_back(ct->file.string().c_str());
        }
        check(seg.addFrame(const_cast<Uint8*>(frame.pixels.data()), frame.segment, groups), path,
              "frame of slice " + std::to_string(frame.slice));
    }
    if (!referenced.empty()) {
        IODReferences references;
        references.addFromFiles(referenced); // to the study level: its series and instances
        OFString study;
        seg.getStudy().getStudyInstanceUID(study);
        seg.getCommonInstanceReference().addReferences(references, study);
    }
}

/// The written file read back with DCMTK: as many frames, each with the pixels written.
void verify(const fs::path& written, const fs::path& path, const LabelVolume& labels,
            const std::vector<Frame>& frames, size_t segments)
{
    DcmSegmentation* loaded = nullptr;
    check(DcmSegmentation::loadFile(written.string().c_str(), loaded), path, "reading it back");
    std::unique_ptr<DcmSegmentation> back(loaded);
    if (back->getNumberOfFrames() != frames.size() || back->getNumberOfSegments() != segments)
        throw InputError(path,
                         fmt::format("DICOM SEG read back with {} frames and {} segments, not {} and {}",
                                     back->getNumberOfFrames(), back->getNumberOfSegments(), frames.size(),
                                     segments));
    const auto rows = static_cast<Uint16>(labels.rows()), cols = static_cast<Uint16>(labels.cols());
    for (size_t i = 0; i < frames.size(); ++i) {
        std::unique_ptr<DcmIODTypes::Frame> unpacked(
            DcmSegUtils::unpackBinaryFrame(back->getFrame(i), rows, cols));
        if (!unpacked || unpacked->length != frames[i].pixels.size())
            throw InputError(path, "DICOM SEG frame " + std::to_string(i) + " cannot be read back");
        for (size_t p = 0; p < frames[i].pixels.size(); ++p)
            if ((unpacked->pixData[p] != 0) != (frames[i].pixels[p] != 0))
                throw InputError(path,
                                 "DICOM SEG frame " + std::to_string(i) + " differs from what was written");
    }
}

} // namespace

size_t writeDicomSeg(const LabelVolume& labels, const DicomSegSource& source, const fs::path& path)
{
    if (labels.rows() > 65535 || labels.cols() > 65535)
        throw InputError(path, "DICOM SEG: slices larger than 65535 pixels");
    std::vector<SourceSlice> sources;
    OFString anyFile;
    if (source.dicomSeries)
        sources = sourceSlices(*source.dicomSeries, anyFile);
    auto seg = makeSegmentation(labels, source, sources, anyFile, path);
    std::array<bool, 256> present{};
    for (const uint8_t v : labels.voxels)
        present[v] = true;
    std::map<uint8_t, Uint16> segmentOf;
    for (int value = 1; value < 256; ++value) {
        if (!present[static_cast<size_t>(value)])
            continue;
        const auto label = static_cast<uint8_t>(value);
        const SegmentCodes codes = codesOf(label);
        const std::string name =
            value <= labels::Cyst ? LabelTable::kits().nameOf(label) : std::string("lesion");
        DcmSegment* segment = nullptr;
        check(DcmSegment::create(segment, name.c_str(), codes.category, codes.type,
                                 DcmSegTypes::SAT_SEMIAUTOMATIC, "Weaksight CAM proposal, curated"),
              path, "segment " + name);
        Uint16 number = 0;
        check(seg->addSegment(segment, number), path, "segment " + name);
        segmentOf[label] = number;
    }
    const std::vector<Frame> frames = framesOf(labels, segmentOf);
    if (frames.empty())
        throw InputError(path, "DICOM SEG: no curated voxels to write");
    addFrames(*seg, labels, frames, sources, path);
    io::writeAtomically(
        path,
        [&](const fs::path& temporary) {
            check(seg->saveFile(temporary.string().c_str(), EXS_LittleEndianExplicit), path, "writing");
        },
        [&](const fs::path& temporary) { verify(temporary, path, labels, frames, segmentOf.size()); });
    return frames.size();
}

} // namespace weaksight::storage
