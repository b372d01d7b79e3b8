#include "core/cases/CaseInfo.h"
#include "core/common/Error.h"

#include <algorithm>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace weaksight {

namespace {

template <typename T> void putGeometry(nlohmann::json& info, const Volume<T>& v)
{
    info["axial_slices"] = v.slices();
    info["shape"] = {v.shape[0], v.shape[1], v.shape[2]};
    info["spacing_mm"] = {v.spacing[0], v.spacing[1], v.spacing[2]};
    info["orientation"] = v.geometry.orientationCode();
    info["storage_shape"] = {v.geometry.size[0], v.geometry.size[1], v.geometry.size[2]};
    info["origin_lps_mm"] = {v.geometry.origin[0], v.geometry.origin[1], v.geometry.origin[2]};
    info["axial_order"] = "inferior_to_superior";
}

bool isDicomDirectory(const fs::path& path, const CaseFiles& files)
{
    return files.layout == KitsLayout::SingleFile && fs::is_directory(path);
}

} // namespace

namespace {

/// A folder of case folders (a KiTS dataset root): what it holds, without reading voxels; nullopt
/// for any other folder.
std::optional<nlohmann::json> datasetInfo(const fs::path& path)
{
    std::vector<CaseFiles> cases;
    try {
        cases = scanDataset(path);
    } catch (const InputError&) {
        return std::nullopt; // not a dataset: a case or DICOM folder, or nothing readable
    }
    nlohmann::json info;
    info["path"] = path.string();
    info["dataset"] = true;
    info["layout"] = toString(cases.front().layout);
    info["case_count"] = cases.size();
    info["cases"] = nlohmann::json::array();
    for (const auto& c : cases)
        info["cases"].push_back({{"case_id", c.caseId}, {"content", c.contentDescription()}});
    return info;
}

} // namespace

nlohmann::json caseInfo(const fs::path& path, VolumeRole role, const std::optional<fs::path>& segmentation,
                        const std::optional<fs::path>& labelTable)
{
    std::error_code ec;
    CaseFiles files;
    if (!segmentation && fs::is_directory(path, ec) && !looksLikeCaseDirectory(path))
        if (auto dataset = datasetInfo(path))
            return *dataset;
    if (segmentation) {
        files = pairedCase(path, *segmentation, labelTable);
    } else if (fs::is_directory(path, ec)) {
        // A KiTS case directory, or else a DICOM series directory.
        files = looksLikeCaseDirectory(path) ? describeCaseDirectory(path)
                                             : describeVolumeFile(path, VolumeRole::Imaging);
    } else {
        files = describeVolumeFile(path, role);
    }
    if (labelTable)
        files.labelTable = LabelTable::read(*labelTable);

    nlohmann::json info;
    info["path"] = path.string();
    info["case_id"] = files.caseId;
    info["content"] = files.contentDescription();
    info["has_imaging"] = files.hasImaging();
    info["has_labels"] = files.hasSegmentation();
    if (files.imaging)
        info["imaging_file"] = files.imaging->string();
    if (files.segmentation)
        info["label_file"] = files.segmentation->string();
    if (!files.annotatorMasks.empty())
        info["annotator_masks"] = files.annotatorMasks.size();

    const LoadedCase loaded = loadCase(files);
    info["layout"] = toString(loaded.files.layout); // loading can refine KiTS19 vs KiTS23
    if (loaded.imaging) {
        const auto& ct = *loaded.imaging;
        putGeometry(info, ct);
        const auto [lo, hi] = std::minmax_element(ct.voxels.begin(), ct.voxels.end());
        info["hu_range"] = {*lo, *hi};
    }
    if (loaded.labels) {
        const auto& labels = *loaded.labels;
        if (!loaded.imaging)
            putGeometry(info, labels);
        const auto& stats = loaded.fileLabels;
        const LabelTable& table = loaded.files.labelTable;
        nlohmann::json slices = nlohmann::json::object(), voxels = nlohmann::json::object();
        nlohmann::json values = nlohmann::json::array();
        for (const auto& [label, count] : stats.slicesWithLabel) {
            slices[std::to_string(label)] = count;
            values.push_back({{"value", label},
                              {"name", table.nameOf(label)},
                              {"meaning", toString(table.meaningOf(label))},
                              {"slices", count},
                              {"voxels", stats.voxelsWithLabel.at(label)}});
        }
        for (const auto& [label, count] : stats.voxelsWithLabel)
            voxels[std::to_string(label)] = count;
        info["label_table"] = table.source();
        info["labels"] = values;
        info["slices_with_label"] = slices;
        info["voxels_with_label"] = voxels;
        // Lesions only where the table says what a lesion is: never KiTS's meanings on another file.
        if (loaded.lesionSlices)
            info["slices_with_lesion"] = loaded.lesionSlices->size();
    }
    if (isDicomDirectory(path, files))
        info["format"] = "DICOM series";
    info["warnings"] = loaded.warnings;
    return info;
}

std::string formatCaseInfo(const nlohmann::json& info)
{
    std::ostringstream out;
    if (info.value("dataset", false)) {
        out << info.value("path", std::string()) << ": a dataset folder ("
            << info.value("layout", std::string()) << " layout) with " << info["cases"].size()
            << " case(s); give one of them for its facts\n";
        for (const auto& c : info["cases"])
            out << "  " << c.value("case_id", std::string()) << "  " << c.value("content", std::string())
                << "\n";
        return out.str();
    }
    auto line = [&](const char* name, const std::string& key) {
        if (info.contains(key))
            out << "  " << name << ": "
                << (info[key].is_string() ? info[key].get<std::string>() : info[key].dump()) << "\n";
    };
    out << info.value("case_id", std::string()) << "\n";
    line("layout", "layout");
    line("content", "content");
    line("imaging", "imaging_file");
    line("labels", "label_file");
    line("axial slices", "axial_slices");
    line("shape [axial,rows,cols]", "shape");
    line("spacing mm [axial,row,col]", "spacing_mm");
    line("orientation (stored)", "orientation");
    line("axial order", "axial_order");
    line("HU range", "hu_range");
    line("label table", "label_table");
    for (const auto& label : info.value("labels", nlohmann::json::array())) {
        const auto name = label["name"].get<std::string>(), meaning = label["meaning"].get<std::string>();
        out << "  label " << label["value"].get<int>() << (name == meaning ? "" : " \"" + name + "\"") << " ("
            << meaning << "): " << label["slices"].get<int>() << " slices, "
            << label["voxels"].get<long long>() << " voxels\n";
    }
    line("slices with lesion", "slices_with_lesion");
    for (const auto& w : info.value("warnings", nlohmann::json::array()))
        out << "  warning: " << w.get<std::string>() << "\n";
    return out.str();
}

} // namespace weaksight
