#include "core/cases/LabelTable.h"

#include "core/common/Error.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace weaksight {

std::string toString(LabelMeaning meaning)
{
    switch (meaning) {
    case LabelMeaning::Background:
        return "background";
    case LabelMeaning::Kidney:
        return "kidney";
    case LabelMeaning::Tumour:
        return "tumour";
    case LabelMeaning::Cyst:
        return "cyst";
    case LabelMeaning::Other:
        break;
    }
    return "other";
}

LabelMeaning labelMeaningFromString(const std::string& name)
{
    for (const auto meaning : {LabelMeaning::Background, LabelMeaning::Kidney, LabelMeaning::Tumour,
                               LabelMeaning::Cyst, LabelMeaning::Other})
        if (name == toString(meaning))
            return meaning;
    if (name == "tumor")
        return LabelMeaning::Tumour;
    throw InputError("no label meaning '" + name + "' (background, kidney, tumour, cyst or other)");
}

LabelMeaning meaningOfName(const std::string& name, int value)
{
    if (value == 0)
        return LabelMeaning::Background;
    // Whole words only: "adrenal" is no "renal", "cystic duct" no cyst.
    std::set<std::string> words;
    std::string word;
    for (const char c : name + " ") {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            words.insert(word);
            word.clear();
        }
    }
    const auto has = [&](std::initializer_list<const char*> wanted) {
        return std::any_of(wanted.begin(), wanted.end(), [&](const char* w) { return words.count(w) > 0; });
    };
    // A "kidney cyst" is a cyst and a "renal tumour" a tumour: the lesion words win.
    if (has({"cyst", "cysts"}))
        return LabelMeaning::Cyst;
    if (has({"tumour", "tumor", "tumours", "tumors", "lesion", "lesions", "cancer", "carcinoma", "mass",
             "masses", "neoplasm"}))
        return LabelMeaning::Tumour;
    if (has({"kidney", "kidneys", "renal"}))
        return LabelMeaning::Kidney;
    return LabelMeaning::Other;
}

namespace {

uint8_t internalOf(LabelMeaning meaning)
{
    switch (meaning) {
    case LabelMeaning::Background:
        return labels::Background;
    case LabelMeaning::Kidney:
        return labels::Kidney;
    case LabelMeaning::Tumour:
        return labels::Tumour;
    case LabelMeaning::Cyst:
        return labels::Cyst;
    case LabelMeaning::Other:
        break;
    }
    return labels::Other;
}

/// {"labels": [{"value": 2, "name": "kidney_right", "meaning": "kidney"}, ...]}
std::vector<LabelEntry> readJsonTable(const fs::path& file, std::istream& in)
{
    std::vector<LabelEntry> entries;
    try {
        const auto json = nlohmann::json::parse(in);
        for (const auto& label : json.at("labels")) {
            LabelEntry entry;
            entry.value = label.at("value").get<int>();
            entry.name = label.value("name", std::string());
            entry.meaning = label.contains("meaning")
                                ? labelMeaningFromString(label["meaning"].get<std::string>())
                                : meaningOfName(entry.name, entry.value);
            entries.push_back(entry);
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(file, std::string("is not a label table ({\"labels\": [{\"value\": 1, \"name\": "
                                           "\"kidney\", \"meaning\": \"kidney\"}, ...]}): ") +
                                   e.what());
    } catch (const InputError& e) {
        throw InputError(file, e.problem());
    }
    return entries;
}

/// ITK-SNAP's label description file: `IDX R G B A VIS MSH "LABEL"` per line, '#' comments.
std::vector<LabelEntry> readItkSnapTable(const fs::path& file, std::istream& in)
{
    std::vector<LabelEntry> entries;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        std::istringstream fields(line);
        int value = 0, red = 0, green = 0, blue = 0, visible = 0, mesh = 0;
        double alpha = 0;
        const auto open = line.find('"'), close = line.rfind('"');
        if (!(fields >> value >> red >> green >> blue >> alpha >> visible >> mesh) ||
            open == std::string::npos || close <= open)
            throw InputError(file,
                             "line " + std::to_string(number) +
                                 " is not an ITK-SNAP label description (IDX R G B A VIS MSH \"LABEL\")");
        LabelEntry entry;
        entry.value = value;
        entry.name = line.substr(open + 1, close - open - 1);
        entry.meaning = meaningOfName(entry.name, value);
        entries.push_back(entry);
    }
    return entries;
}

/// The header of a NRRD file: the text up to its first blank line.
std::string nrrdHeader(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::string header, line;
    if (!std::getline(in, line) || line.rfind("NRRD", 0) != 0)
        throw InputError(file, "is not a NRRD file");
    while (std::getline(in, line) && !line.empty() && line != "\r" && header.size() < (1u << 20))
        header += line + "\n";
    return header;
}

/// Slicer's segmentation: SegmentN_Name / SegmentN_LabelValue (/ SegmentN_Layer) key:=value fields.
std::vector<LabelEntry> readSlicerSegments(const fs::path& file)
{
    std::map<int, LabelEntry> segments;
    std::map<int, bool> hasValue;
    std::istringstream header(nrrdHeader(file));
    std::string line;
    while (std::getline(header, line)) {
        const auto separator = line.find(":=");
        if (line.rfind("Segment", 0) != 0 || separator == std::string::npos)
            continue;
        const auto underscore = line.find('_');
        if (underscore == std::string::npos || underscore > separator)
            continue;
        int index = 0;
        try {
            index = std::stoi(line.substr(7, underscore - 7));
        } catch (const std::exception&) {
            continue;
        }
        const std::string key = line.substr(underscore + 1, separator - underscore - 1);
        const std::string value = line.substr(separator + 2);
        if (key == "Name")
            segments[index].name = value;
        else if (key == "LabelValue") {
            try {
                segments[index].value = std::stoi(value);
            } catch (const std::exception&) {
                throw InputError(file, "Segment" + std::to_string(index) + "_LabelValue is not a number");
            }
            hasValue[index] = true;
        }
    }
    if (segments.empty())
        throw InputError(file, "has no segment fields (SegmentN_Name, SegmentN_LabelValue): not a Slicer "
                               ".seg.nrrd");
    std::vector<LabelEntry> entries;
    for (auto& [index, entry] : segments) {
        if (!hasValue[index])
            throw InputError(file,
                             "Segment" + std::to_string(index) +
                                 " has no LabelValue (a Slicer segmentation older than 4.11: save it again)");
        entry.meaning = meaningOfName(entry.name, entry.value);
        entries.push_back(entry);
    }
    return entries;
}

bool endsWith(const std::string& text, const std::string& suffix)
{
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

LabelTable LabelTable::fromEntries(const std::string& source, std::vector<LabelEntry> entries)
{
    std::vector<bool> seen(256, false);
    for (const auto& entry : entries) {
        if (entry.value < 0 || entry.value > 255)
            throw InputError(source, "label value " + std::to_string(entry.value) + " is outside 0..255");
        if (seen[static_cast<size_t>(entry.value)])
            throw InputError(source, "lists label value " + std::to_string(entry.value) + " twice");
        seen[static_cast<size_t>(entry.value)] = true;
    }
    LabelTable table;
    table.m_source = source;
    table.m_internal.fill(labels::Other);
    for (auto& entry : entries) {
        if (entry.value == 0)
            entry.meaning = LabelMeaning::Background;
        table.m_internal[static_cast<size_t>(entry.value)] = internalOf(entry.meaning);
    }
    table.m_internal[0] = labels::Background;
    std::sort(entries.begin(), entries.end(),
              [](const LabelEntry& a, const LabelEntry& b) { return a.value < b.value; });
    table.m_entries = std::move(entries);
    return table;
}

LabelTable LabelTable::kits()
{
    return fromEntries("KiTS", {{1, "kidney", LabelMeaning::Kidney},
                                {2, "tumour", LabelMeaning::Tumour},
                                {3, "cyst", LabelMeaning::Cyst}});
}

LabelTable LabelTable::none()
{
    return fromEntries("none", {});
}

LabelTable LabelTable::read(const fs::path& file)
{
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw InputError(file, "label table not found");
    const std::string name = file.filename().string();
    if (endsWith(name, ".nrrd"))
        return fromEntries(file.string(), readSlicerSegments(file));
    std::ifstream in(file);
    if (!in)
        throw InputError(file, "cannot be read");
    if (endsWith(name, ".json"))
        return fromEntries(file.string(), readJsonTable(file, in));
    return fromEntries(file.string(), readItkSnapTable(file, in));
}

std::optional<LabelTable> LabelTable::besideSegmentation(const fs::path& segmentation)
{
    const std::string name = segmentation.filename().string();
    if (endsWith(name, ".seg.nrrd"))
        return read(segmentation);
    const std::string stem = name.substr(0, name.find('.'));
    std::error_code ec;
    for (const auto& candidate :
         {segmentation.parent_path() / (stem + ".labels.json"),
          segmentation.parent_path() / (stem + ".label"), segmentation.parent_path() / (stem + ".txt"),
          segmentation.parent_path() / "labels.json"})
        if (fs::is_regular_file(candidate, ec))
            return read(candidate);
    return std::nullopt;
}

LabelMeaning LabelTable::meaningOf(int value) const
{
    if (value == 0)
        return LabelMeaning::Background;
    for (const auto& entry : m_entries)
        if (entry.value == value)
            return entry.meaning;
    return LabelMeaning::Other;
}

std::string LabelTable::nameOf(int value) const
{
    for (const auto& entry : m_entries)
        if (entry.value == value && !entry.name.empty())
            return entry.name;
    return toString(meaningOf(value));
}

uint8_t LabelTable::internalValue(int value) const
{
    return value >= 0 && value < 256 ? m_internal[static_cast<size_t>(value)] : labels::Other;
}

bool LabelTable::hasMeanings() const
{
    return std::any_of(m_entries.begin(), m_entries.end(), [](const LabelEntry& e) {
        return e.meaning == LabelMeaning::Kidney || e.meaning == LabelMeaning::Tumour ||
               e.meaning == LabelMeaning::Cyst;
    });
}

LabelStatistics LabelTable::apply(LabelVolume& labels) const
{
    LabelStatistics stats;
    const size_t sliceSize = labels.sliceSize();
    for (int k = 0; k < labels.slices(); ++k) {
        std::array<long long, 256> counts{};
        uint8_t* s = labels.slice(k);
        for (size_t i = 0; i < sliceSize; ++i) {
            ++counts[s[i]];
            s[i] = m_internal[s[i]];
        }
        bool lesion = false;
        for (int v = 1; v < 256; ++v)
            if (counts[static_cast<size_t>(v)]) {
                ++stats.slicesWithLabel[v];
                stats.voxelsWithLabel[v] += counts[static_cast<size_t>(v)];
                lesion = lesion || labels::isLesion(m_internal[static_cast<size_t>(v)]);
            }
        if (lesion)
            stats.lesionSlices.push_back(k);
    }
    return stats;
}

} // namespace weaksight
