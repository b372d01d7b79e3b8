#include "core/cases/KitsCase.h"

#include "core/common/Error.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <sstream>

namespace fs = std::filesystem;

namespace weaksight {

std::string toString(KitsLayout layout)
{
    switch (layout) {
    case KitsLayout::Kits19: return "kits19";
    case KitsLayout::Kits21: return "kits21";
    case KitsLayout::Kits23: return "kits23";
    case KitsLayout::SingleFile: return "single-file";
    case KitsLayout::Unknown: break;
    }
    return "unknown";
}

std::string CaseFiles::contentDescription() const
{
    if (hasImaging() && hasSegmentation())
        return "imaging and labels";
    return hasImaging() ? "imaging only" : "labels only";
}

namespace {

std::optional<fs::path> existing(const fs::path& p)
{
    std::error_code ec;
    if (fs::is_regular_file(p, ec))
        return p;
    return std::nullopt;
}

std::vector<fs::path> niftiFilesIn(const fs::path& dir)
{
    std::vector<fs::path> files;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (e.is_regular_file() && (name.size() > 7 && name.substr(name.size() - 7) == ".nii.gz"))
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}


bool hasKits23Sibling(const fs::path& directory)
{
    std::error_code ec;
    const auto parent = directory.parent_path();
    if (parent.empty())
        return false;
    for (const auto& e : fs::directory_iterator(parent, ec))
        if (e.is_directory() && e.path() != directory && fs::is_directory(e.path() / "instances", ec))
            return true;
    return false;
}

CaseFiles describeCase(const fs::path& directory, bool inferFromSiblings)
{
    std::error_code ec;
    if (!fs::exists(directory, ec))
        throw InputError(directory, "case directory not found");
    if (!fs::is_directory(directory, ec))
        throw InputError(directory, "is not a directory");
    CaseFiles c;
    c.directory = directory;
    c.caseId = directory.filename().string();
    if (c.caseId.empty())
        c.caseId = directory.parent_path().filename().string();
    c.imaging = existing(directory / "imaging.nii.gz");
    const auto segmentation = existing(directory / "segmentation.nii.gz");
    const auto majority = existing(directory / "aggregated_MAJ_seg.nii.gz");
    if (majority) {
        c.layout = KitsLayout::Kits21;
        c.segmentation = majority;
        c.annotatorMasks = niftiFilesIn(directory / "segmentations");
    } else if (segmentation) {
        c.segmentation = segmentation;
        c.annotatorMasks = niftiFilesIn(directory / "instances");
        // KiTS19 and KiTS23 share file names; instances/ marks KiTS23. A KiTS23 case without
        // it (cases copied without their instances) is recognised by its siblings, or later by
        // its labels (KiTS19 has no cyst label), see loadCase().
        const bool kits23 = fs::is_directory(directory / "instances", ec) ||
                            (inferFromSiblings && hasKits23Sibling(directory));
        c.layout = kits23 ? KitsLayout::Kits23 : KitsLayout::Kits19;
    } else if (c.imaging) {
        c.layout = KitsLayout::Unknown; // imaging only: any release
    }
    if (!c.imaging && !c.segmentation)
        throw InputError(directory, "holds neither imaging.nii.gz nor a segmentation "
                                    "(segmentation.nii.gz or aggregated_MAJ_seg.nii.gz)");
    if (c.segmentation)
        c.labelTable = LabelTable::kits();
    return c;
}

} // namespace

bool looksLikeCaseDirectory(const fs::path& dir)
{
    for (const char* name : {"imaging.nii.gz", "segmentation.nii.gz", "aggregated_MAJ_seg.nii.gz"})
        if (existing(dir / name))
            return true;
    return false;
}

CaseFiles describeCaseDirectory(const fs::path& directory) { return describeCase(directory, true); }

CaseFiles describeVolumeFile(const fs::path& path, VolumeRole role)
{
    CaseFiles c;
    c.directory = path.parent_path();
    c.caseId = path.filename().string();
    c.layout = KitsLayout::SingleFile;
    std::error_code ec;
    bool labels = role == VolumeRole::Labels;
    if (role == VolumeRole::Auto && !fs::is_directory(path, ec))
        labels = readVolumeHeader(path).looksLikeLabels();
    if (labels) {
        c.segmentation = path;
        // The table the file carries or sits beside; else KiTS's for a KiTS case's own
        // segmentation opened as a file (its folder a KiTS case: the imaging or instances/ beside
        // it, or a case_* name); else none.
        const std::string name = path.filename().string();
        const fs::path folder = path.parent_path();
        const bool kitsFile =
            (name == "segmentation.nii.gz" || name == "aggregated_MAJ_seg.nii.gz") &&
            (fs::exists(folder / "imaging.nii.gz", ec) || fs::is_directory(folder / "instances", ec) ||
             folder.filename().string().rfind("case_", 0) == 0);
        c.labelTable =
            LabelTable::besideSegmentation(path).value_or(kitsFile ? LabelTable::kits() : LabelTable::none());
    } else {
        c.imaging = path;
    }
    return c;
}

CaseFiles pairedCase(const fs::path& image, const fs::path& segmentation,
                     const std::optional<fs::path>& labelTable)
{
    std::error_code ec;
    if (!fs::exists(segmentation, ec))
        throw InputError(segmentation, "segmentation not found");
    CaseFiles c = describeVolumeFile(image, VolumeRole::Imaging);
    c.segmentation = segmentation;
    c.labelTable = labelTable ? LabelTable::read(*labelTable)
                              : LabelTable::besideSegmentation(segmentation).value_or(LabelTable::none());
    return c;
}

std::vector<CaseFiles> scanDataset(const fs::path& root)
{
    std::error_code ec;
    if (!fs::exists(root, ec))
        throw InputError(root, "dataset folder not found");
    if (!fs::is_directory(root, ec))
        throw InputError(root, "is not a directory");
    if (looksLikeCaseDirectory(root))
        return {describeCaseDirectory(root)};
    std::vector<CaseFiles> cases;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        if (!e.is_directory() || !looksLikeCaseDirectory(e.path()))
            continue;
        cases.push_back(describeCase(e.path(), false));
    }
    // One KiTS23 case makes the whole folder KiTS23 (cases without instances/ included).
    if (std::any_of(cases.begin(), cases.end(), [](const CaseFiles& c) { return c.layout == KitsLayout::Kits23; }))
        for (auto& c : cases)
            if (c.layout == KitsLayout::Kits19)
                c.layout = KitsLayout::Kits23;
    std::sort(cases.begin(), cases.end(), [](const CaseFiles& a, const CaseFiles& b) { return a.caseId < b.caseId; });
    if (cases.empty())
        throw InputError(root, "no KiTS case directories found (expected case_XXXXX/ folders with "
                               "imaging.nii.gz and/or segmentation.nii.gz)");
    return cases;
}

void requireMatchingGrid(const StorageGeometry& image, const StorageGeometry& labels, const fs::path& labelFile)
{
    if (image.sameGrid(labels))
        return;
    std::ostringstream msg;
    msg << "label grid does not match the image grid: image " << image.size[0] << "x" << image.size[1] << "x"
        << image.size[2] << " spacing " << image.spacing[0] << "/" << image.spacing[1] << "/" << image.spacing[2]
        << " orientation " << image.orientationCode() << ", labels " << labels.size[0] << "x" << labels.size[1]
        << "x" << labels.size[2] << " spacing " << labels.spacing[0] << "/" << labels.spacing[1] << "/"
        << labels.spacing[2] << " orientation " << labels.orientationCode();
    throw InputError(labelFile, msg.str());
}

LoadedCase loadCase(const CaseFiles& files)
{
    LoadedCase loaded;
    loaded.files = files;
    // Labels are read on a second thread while the (larger) imaging is read here.
    ReadReport labelReport;
    std::future<LabelVolume> labels;
    if (files.segmentation)
        labels = std::async(std::launch::async, [&] { return readLabelVolume(*files.segmentation, &labelReport); });
    if (files.imaging) {
        ReadReport report;
        try {
            loaded.imaging = readCtVolume(*files.imaging, &report);
        } catch (...) {
            if (labels.valid())
                labels.wait();
            throw;
        }
        loaded.warnings.insert(loaded.warnings.end(), report.warnings.begin(), report.warnings.end());
    }
    if (files.segmentation) {
        loaded.labels = labels.get();
        loaded.warnings.insert(loaded.warnings.end(), labelReport.warnings.begin(), labelReport.warnings.end());
        if (loaded.imaging)
            requireMatchingGrid(loaded.imaging->geometry, loaded.labels->geometry, *files.segmentation);
        loaded.fileLabels = files.labelTable.apply(*loaded.labels);
        if (files.labelTable.hasMeanings())
            loaded.lesionSlices = loaded.fileLabels.lesionSlices; // found in the same pass
        if (!files.labelTable.hasMeanings() && !loaded.fileLabels.voxelsWithLabel.empty())
            loaded.warnings.push_back(
                files.segmentation->filename().string() +
                ": the meaning of its labels is unknown (no label table); they are shown, but no kidney, "
                "tumour or cyst is taken from them. Give a table: File > Load label table, or --label-table");
        if (loaded.files.layout == KitsLayout::Kits19 &&
            std::find(loaded.labels->voxels.begin(), loaded.labels->voxels.end(), labels::Cyst) !=
                loaded.labels->voxels.end())
            loaded.files.layout = KitsLayout::Kits23; // KiTS19 has no cyst label
    }
    return loaded;
}

BinaryMask lesionMask(const LabelVolume& labels, int slice, const CropBox& box)
{
    BinaryMask mask(box.rows, box.cols);
    if (slice < 0 || slice >= labels.slices())
        return mask;
    for (int r = std::max(0, -box.row0); r < box.rows && box.row0 + r < labels.rows(); ++r)
        for (int c = std::max(0, -box.col0); c < box.cols && box.col0 + c < labels.cols(); ++c)
            mask.at(r, c) = labels::isLesion(labels.at(slice, box.row0 + r, box.col0 + c));
    return mask;
}

} // namespace weaksight
