#include "core/compute/CropDataset.h"
#include "core/compute/KeyValueText.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weaksight::compute {

namespace fs = std::filesystem;

namespace {

constexpr const char* kParametersFile = "weaksight-dataset.txt";
constexpr const char* kIndexFile = "crops.tsv";
constexpr const char* kImagesFile = "images.npy";
constexpr const char* kMasksFile = "masks.npy";
constexpr const char* kLabelsFile = "labels.npy";
constexpr const char* kContextFile = "context.npy";
// Before the .npy files: the same bytes without a header.
constexpr const char* kLegacyImagesFile = "images.i16";
constexpr const char* kLegacyMasksFile = "masks.u8";
constexpr size_t kNpyHeaderBytes = 128;

} // namespace

std::string npyHeader(const char* descr, size_t count, int rows, int cols, int planes)
{
    const std::string shape = std::to_string(count) + ", " +
                              (planes > 0 ? std::to_string(planes) + ", " : "") + std::to_string(rows) +
                              ", " + std::to_string(cols);
    std::string dict =
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
    dict.resize(kNpyHeaderBytes - 10 - 1, ' ');
    dict += '\n';
    const uint16_t length = static_cast<uint16_t>(dict.size());
    std::string header("\x93NUMPY\x01\x00", 8);
    header += static_cast<char>(length & 0xff);
    header += static_cast<char>(length >> 8);
    return header + dict;
}

namespace {

constexpr int kFormatVersion = 1;

[[noreturn]] void fail(const fs::path& where, const std::string& what)
{
    throw std::runtime_error(where.string() + ": " + what);
}

void writeFileAtomically(const fs::path& path, const std::string& text)
{
    const fs::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out)
            fail(temporary, "cannot write (disk full or not writable?)");
    }
    fs::rename(temporary, path);
}

} // namespace

std::string toString(Split split)
{
    switch (split) {
    case Split::Train:
        return "train";
    case Split::Validation:
        return "val";
    case Split::Test:
        return "test";
    }
    return "train";
}

Split splitFromString(const std::string& name)
{
    if (name == "train")
        return Split::Train;
    if (name == "val" || name == "validation")
        return Split::Validation;
    if (name == "test")
        return Split::Test;
    throw std::invalid_argument("unknown split '" + name + "' (train, val, test)");
}

uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
        hash ^= p[i];
        hash *= 1099511628211ULL;
    }
    return hash;
}

// ---- Parameters -------------------------------------------------------------------------

std::string DatasetParameters::serialise() const
{
    std::ostringstream out;
    out << std::setprecision(17);
    out << "format: weaksight-crops " << kFormatVersion << "\n"
        << "rows: " << rows << "\n"
        << "cols: " << cols << "\n"
        << "hu_low: " << huLow << "\n"
        << "hu_high: " << huHigh << "\n"
        << "slice_step: " << sliceStep << "\n"
        << "keep_no_kidney: " << (keepNoKidney ? 1 : 0) << "\n"
        << "seed: " << seed << "\n"
        << "train_fraction: " << trainFraction << "\n"
        << "validation_fraction: " << validationFraction << "\n"
        << "source: " << source << "\n"
        << "source_layout: " << sourceLayout << "\n"
        << "synthetic: " << (synthetic ? 1 : 0) << "\n"
        << "sanity_square: " << sanitySquare << "\n"
        << "centring: " << centring << "\n"
        << "lesion_labels: " << lesionLabels << "\n"
        << "pixel_spacing_mm: " << pixelSpacingMm << "\n";
    if (context.slices > 0) // older readers ignore the lines; 2D datasets keep their identity
        out << "context_slices: " << context.slices << "\n"
            << "context_spacing_mm: " << context.spacingMm << "\n";
    return out.str();
}

DatasetParameters DatasetParameters::parse(const std::string& text)
{
    const auto values = parseKeyValueLines(text);
    const auto format = values.find("format");
    if (format == values.end() || format->second.rfind("weaksight-crops ", 0) != 0)
        throw std::runtime_error("not a Weaksight crop dataset (no 'format: weaksight-crops' line)");
    if (std::stoi(format->second.substr(16)) > kFormatVersion)
        throw std::runtime_error("dataset format " + format->second.substr(16) +
                                 " is newer than this program reads (" + std::to_string(kFormatVersion) + ")");
    DatasetParameters p;
    const auto get = [&](const char* key) -> const std::string* {
        const auto it = values.find(key);
        return it == values.end() ? nullptr : &it->second;
    };
    if (auto v = get("rows"))
        p.rows = std::stoi(*v);
    if (auto v = get("cols"))
        p.cols = std::stoi(*v);
    if (auto v = get("hu_low"))
        p.huLow = std::stod(*v);
    if (auto v = get("hu_high"))
        p.huHigh = std::stod(*v);
    if (auto v = get("slice_step"))
        p.sliceStep = std::stoi(*v);
    if (auto v = get("keep_no_kidney"))
        p.keepNoKidney = *v == "1";
    if (auto v = get("seed"))
        p.seed = std::stoull(*v);
    if (auto v = get("train_fraction"))
        p.trainFraction = std::stod(*v);
    if (auto v = get("validation_fraction"))
        p.validationFraction = std::stod(*v);
    if (auto v = get("source"))
        p.source = *v;
    if (auto v = get("source_layout"))
        p.sourceLayout = *v;
    if (auto v = get("synthetic"))
        p.synthetic = *v == "1";
    if (auto v = get("sanity_square"))
        p.sanitySquare = std::stoi(*v);
    if (auto v = get("centring"))
        p.centring = *v;
    if (auto v = get("lesion_labels"))
        p.lesionLabels = *v;
    if (auto v = get("pixel_spacing_mm"))
        p.pixelSpacingMm = std::stod(*v);
    if (auto v = get("context_slices"))
        p.context.slices = std::stoi(*v);
    if (auto v = get("context_spacing_mm"))
        p.context.spacingMm = std::stod(*v);
    p.context.check();
    if (p.rows <= 0 || p.cols <= 0)
        throw std::runtime_error("crop size " + std::to_string(p.rows) + " x " + std::to_string(p.cols) +
                                 " is not valid");
    return p;
}

// ---- Reading ----------------------------------------------------------------------------

struct CropDataset::Mapping {
    void* address = MAP_FAILED;
    size_t bytes = 0;
    const char* data = nullptr; ///< past the header
    /// Maps `path`, which must hold `header` (when not empty) followed by `payloadBytes`.
    Mapping(const fs::path& path, const std::string& header, size_t payloadBytes)
    {
        const size_t expectedBytes = header.size() + payloadBytes;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            fail(path, std::string("cannot open: ") + std::strerror(errno));
        struct stat st {};
        ::fstat(fd, &st);
        if (static_cast<size_t>(st.st_size) != expectedBytes) {
            ::close(fd);
            fail(path, "holds " + std::to_string(st.st_size) + " bytes, the index needs " +
                           std::to_string(expectedBytes) + " (truncated or from another build)");
        }
        bytes = expectedBytes;
        if (bytes > 0) {
            address = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
            if (address == MAP_FAILED) {
                ::close(fd);
                fail(path, std::string("cannot map: ") + std::strerror(errno));
            }
        }
        ::close(fd);
        if (!header.empty() && std::memcmp(address, header.data(), header.size()) != 0) {
            ::munmap(address, bytes);
            address = MAP_FAILED;
            fail(path, "its .npy header does not describe this dataset's " + header.substr(10, header.find('}') - 9));
        }
        data = static_cast<const char*>(address == MAP_FAILED ? nullptr : address) + header.size();
    }
    ~Mapping()
    {
        if (address != MAP_FAILED)
            ::munmap(address, bytes);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
};

CropDataset::CropDataset(CropDataset&&) noexcept = default;
CropDataset& CropDataset::operator=(CropDataset&&) noexcept = default;
CropDataset::~CropDataset() = default;

CropDataset CropDataset::open(const fs::path& directory)
{
    if (!fs::is_directory(directory))
        fail(directory, "dataset folder not found");
    const fs::path parametersPath = directory / kParametersFile;
    if (!fs::exists(parametersPath))
        fail(directory, std::string("no ") + kParametersFile +
                            " (not a dataset, or its build did not finish: build it again)");
    CropDataset dataset;
    dataset.m_directory = directory;
    {
        std::ifstream in(parametersPath);
        std::stringstream text;
        text << in.rdbuf();
        dataset.m_identity = fnv1a64(text.str().data(), text.str().size());
        try {
            dataset.m_parameters = DatasetParameters::parse(text.str());
        } catch (const std::exception& e) {
            fail(parametersPath, e.what());
        }
    }
    const fs::path indexPath = directory / kIndexFile;
    std::ifstream indexFile(indexPath);
    if (!indexFile)
        fail(indexPath, "missing");
    std::stringstream indexText;
    indexText << indexFile.rdbuf();
    dataset.m_identity = fnv1a64(indexText.str().data(), indexText.str().size(), dataset.m_identity);
    std::istringstream index(indexText.str());
    std::string line;
    std::getline(index, line); // header
    int lineNumber = 1;
    while (std::getline(index, line)) {
        ++lineNumber;
        if (line.empty())
            continue;
        std::vector<std::string> fields;
        std::stringstream in(line);
        std::string field;
        while (std::getline(in, field, '\t'))
            fields.push_back(field);
        if (fields.size() != 10)
            fail(indexPath, "line " + std::to_string(lineNumber) + " has " + std::to_string(fields.size()) +
                                " fields, expected 10");
        try {
            CropRecord r;
            if (std::stoul(fields[0]) != dataset.m_records.size())
                throw std::runtime_error("crop indices out of order");
            r.caseId = fields[1];
            r.split = splitFromString(fields[2]);
            r.slice = std::stoi(fields[3]);
            r.side = fields[4];
            r.row0 = std::stoi(fields[5]);
            r.col0 = std::stoi(fields[6]);
            r.lesion = std::stoi(fields[7]);
            r.lesionFraction = std::stod(fields[8]);
            r.kidneyOnSlice = fields[9] == "1";
            dataset.m_records.push_back(std::move(r));
        } catch (const std::exception& e) {
            fail(indexPath, "line " + std::to_string(lineNumber) + ": " + e.what());
        }
    }
    const size_t pixels = static_cast<size_t>(dataset.m_parameters.rows) * dataset.m_parameters.cols;
    const int rows = dataset.m_parameters.rows, cols = dataset.m_parameters.cols;
    if (fs::exists(directory / kImagesFile) || !fs::exists(directory / kLegacyImagesFile)) {
        dataset.m_images = std::make_unique<Mapping>(directory / kImagesFile, npyHeader("<i2", dataset.size(), rows, cols),
                                                     dataset.size() * pixels * 2);
        dataset.m_masks = std::make_unique<Mapping>(directory / kMasksFile, npyHeader("|u1", dataset.size(), rows, cols),
                                                    dataset.size() * pixels);
        if (fs::exists(directory / kLabelsFile))
            dataset.m_labels = std::make_unique<Mapping>(
                directory / kLabelsFile, npyHeader("|u1", dataset.size(), rows, cols), dataset.size() * pixels);
        if (const int planes = 2 * dataset.m_parameters.context.slices; planes > 0)
            dataset.m_context = std::make_unique<Mapping>(
                directory / kContextFile, npyHeader("<i2", dataset.size(), rows, cols, planes),
                dataset.size() * pixels * static_cast<size_t>(planes) * 2);
    } else {
        dataset.m_images = std::make_unique<Mapping>(directory / kLegacyImagesFile, "", dataset.size() * pixels * 2);
        dataset.m_masks = std::make_unique<Mapping>(directory / kLegacyMasksFile, "", dataset.size() * pixels);
    }
    return dataset;
}

const int16_t* CropDataset::imagePixels(size_t i) const
{
    const size_t pixels = static_cast<size_t>(m_parameters.rows) * m_parameters.cols;
    return reinterpret_cast<const int16_t*>(m_images->data) + i * pixels;
}

const uint8_t* CropDataset::maskPixels(size_t i) const
{
    const size_t pixels = static_cast<size_t>(m_parameters.rows) * m_parameters.cols;
    return reinterpret_cast<const uint8_t*>(m_masks->data) + i * pixels;
}

const uint8_t* CropDataset::labelPixels(size_t i) const
{
    const size_t pixels = static_cast<size_t>(m_parameters.rows) * m_parameters.cols;
    return m_labels ? reinterpret_cast<const uint8_t*>(m_labels->data) + i * pixels : nullptr;
}

const int16_t* CropDataset::planePixels(size_t i, int offset) const
{
    if (offset == 0)
        return imagePixels(i);
    const int slices = m_parameters.context.slices;
    if (offset < -slices || offset > slices)
        throw std::invalid_argument(m_directory.string() + ": plane " + std::to_string(offset) +
                                    " asked of a dataset with " + m_parameters.context.describe());
    const size_t pixels = static_cast<size_t>(m_parameters.rows) * m_parameters.cols;
    // context.npy holds the planes -slices .. -1, 1 .. slices of each crop.
    const size_t plane = static_cast<size_t>(offset < 0 ? offset + slices : offset + slices - 1);
    return reinterpret_cast<const int16_t*>(m_context->data) +
           (i * 2 * static_cast<size_t>(slices) + plane) * pixels;
}

void CropDataset::checkContext(const SliceContext& wanted) const
{
    const SliceContext& held = m_parameters.context;
    if (wanted.slices == 0)
        return;
    if (wanted.slices > held.slices || wanted.spacingMm != held.spacingMm) {
        std::ostringstream spacing; // "5", "2.5": as the option is written
        spacing << (wanted.spacingMm > 0 ? wanted.spacingMm : 5.0);
        throw std::invalid_argument(m_directory.string() + ": a model of slice context '" +
                                    wanted.describe() + "' cannot read this dataset's crops (" +
                                    held.describe() + "); build it with dataset build --context " +
                                    std::to_string(wanted.slices) + " --context-spacing " + spacing.str());
    }
}

Image2D CropDataset::image(size_t i, const SliceContext& context) const
{
    checkContext(context);
    const size_t pixels = static_cast<size_t>(m_parameters.rows) * m_parameters.cols;
    Image2D image{m_parameters.rows, m_parameters.cols, {}, context.channels()};
    image.pixels.reserve(pixels * static_cast<size_t>(image.channels));
    for (int channel = 0; channel < image.channels; ++channel) {
        const int16_t* p = planePixels(i, context.offsetOf(channel));
        image.pixels.insert(image.pixels.end(), p, p + pixels);
    }
    return image;
}

std::vector<size_t> CropDataset::indicesOf(Split split) const
{
    std::vector<size_t> indices;
    for (size_t i = 0; i < m_records.size(); ++i)
        if (m_records[i].split == split)
            indices.push_back(i);
    return indices;
}

uint64_t cropContentKey(const int16_t* pixels, int rows, int cols)
{
    const int size[2] = {rows, cols};
    return fnv1a64(pixels, static_cast<size_t>(rows) * cols * sizeof(int16_t), fnv1a64(size, sizeof size));
}

uint64_t cropContentKey(const Image2D& crop)
{
    if (crop.channels == 1) { // the 2D key (int16 pixels), so caches made before 2.5D stay valid
        std::vector<int16_t> pixels(crop.pixels.size());
        for (size_t p = 0; p < pixels.size(); ++p)
            pixels[p] = static_cast<int16_t>(crop.pixels[p]);
        return cropContentKey(pixels.data(), crop.rows, crop.cols);
    }
    const int size[3] = {crop.channels, crop.rows, crop.cols};
    return fnv1a64(crop.pixels.data(), crop.pixels.size() * sizeof(float), fnv1a64(size, sizeof size));
}

uint64_t CropDataset::contentKey(size_t i, const SliceContext& context) const
{
    if (context.slices == 0)
        return cropContentKey(imagePixels(i), m_parameters.rows, m_parameters.cols);
    return cropContentKey(image(i, context));
}

// ---- Writing ----------------------------------------------------------------------------

struct CropDatasetWriter::Files {
    std::ofstream images, masks, labels, context;
};

CropDatasetWriter::CropDatasetWriter(const fs::path& directory, int rows, int cols,
                                     const SliceContext& context)
    : m_directory(directory)
    , m_rows(rows)
    , m_cols(cols)
    , m_context(context)
    , m_files(std::make_unique<Files>())
{
    context.check();
    fs::create_directories(directory);
    // A rebuild invalidates the old dataset first, so a half-written one is never opened; the data
    // goes to new files (renamed in finish()), so readers of the old build keep valid mappings.
    fs::remove(directory / kParametersFile);
    m_files->images.open(directory / (std::string(kImagesFile) + ".tmp"), std::ios::binary | std::ios::trunc);
    m_files->masks.open(directory / (std::string(kMasksFile) + ".tmp"), std::ios::binary | std::ios::trunc);
    m_files->labels.open(directory / (std::string(kLabelsFile) + ".tmp"), std::ios::binary | std::ios::trunc);
    // The .npy headers are written again with the final count in finish(); they keep their length.
    m_files->images << npyHeader("<i2", 0, rows, cols);
    m_files->masks << npyHeader("|u1", 0, rows, cols);
    m_files->labels << npyHeader("|u1", 0, rows, cols);
    if (context.slices > 0) {
        m_files->context.open(directory / (std::string(kContextFile) + ".tmp"),
                              std::ios::binary | std::ios::trunc);
        m_files->context << npyHeader("<i2", 0, rows, cols, 2 * context.slices);
    }
    if (!m_files->images || !m_files->masks || !m_files->labels || !m_files->context)
        fail(directory, "cannot create the dataset files (not writable?)");
}

CropDatasetWriter::~CropDatasetWriter() = default;

void CropDatasetWriter::append(const CropRecord& record, const int16_t* image, const uint8_t* mask,
                               const uint8_t* labels, const int16_t* contextPlanes)
{
    static_assert(sizeof(int16_t) == 2, "int16 crops");
    const size_t pixels = static_cast<size_t>(m_rows) * m_cols;
    if (m_context.slices > 0) {
        if (!contextPlanes)
            fail(m_directory,
                 "crop " + std::to_string(m_records.size()) + " comes without its slice context");
        m_files->context.write(
            reinterpret_cast<const char*>(contextPlanes),
            static_cast<std::streamsize>(pixels * 2 * 2 * static_cast<size_t>(m_context.slices)));
    }
    m_files->images.write(reinterpret_cast<const char*>(image), static_cast<std::streamsize>(pixels * 2));
    m_files->masks.write(reinterpret_cast<const char*>(mask), static_cast<std::streamsize>(pixels));
    if (labels)
        m_files->labels.write(reinterpret_cast<const char*>(labels), static_cast<std::streamsize>(pixels));
    else
        m_everyCropLabelled = false;
    if (!m_files->images || !m_files->masks || !m_files->labels || !m_files->context)
        fail(m_directory, "writing crop " + std::to_string(m_records.size()) + " failed (disk full?)");
    m_records.push_back(record);
}

void CropDatasetWriter::finish(const DatasetParameters& parameters)
{
    m_files->images.seekp(0);
    m_files->images << npyHeader("<i2", m_records.size(), m_rows, m_cols);
    m_files->masks.seekp(0);
    m_files->masks << npyHeader("|u1", m_records.size(), m_rows, m_cols);
    m_files->labels.seekp(0);
    m_files->labels << npyHeader("|u1", m_records.size(), m_rows, m_cols);
    if (m_context.slices > 0) {
        m_files->context.seekp(0);
        m_files->context << npyHeader("<i2", m_records.size(), m_rows, m_cols, 2 * m_context.slices);
        m_files->context.close();
    }
    m_files->images.close();
    m_files->masks.close();
    m_files->labels.close();
    if (!m_files->images || !m_files->masks || !m_files->labels || !m_files->context)
        fail(m_directory, "closing the dataset files failed (disk full?)");
    fs::rename(m_directory / (std::string(kImagesFile) + ".tmp"), m_directory / kImagesFile);
    fs::rename(m_directory / (std::string(kMasksFile) + ".tmp"), m_directory / kMasksFile);
    std::error_code ec;
    if (m_context.slices > 0)
        fs::rename(m_directory / (std::string(kContextFile) + ".tmp"), m_directory / kContextFile);
    else // a 2D build over an older 2.5D one
        fs::remove(m_directory / kContextFile, ec);
    if (m_everyCropLabelled) {
        fs::rename(m_directory / (std::string(kLabelsFile) + ".tmp"), m_directory / kLabelsFile);
    } else { // no labels for these crops: none at all (an older build's would not match them)
        fs::remove(m_directory / (std::string(kLabelsFile) + ".tmp"), ec);
        fs::remove(m_directory / kLabelsFile, ec);
    }
    // An older build's headerless files: superseded (the reader prefers the .npy files).
    fs::remove(m_directory / kLegacyImagesFile, ec);
    fs::remove(m_directory / kLegacyMasksFile, ec);
    std::ostringstream index;
    index << std::setprecision(9);
    index << "index\tcase\tsplit\tslice\tside\trow0\tcol0\tlesion\tlesion_fraction\tkidney_on_slice\n";
    for (size_t i = 0; i < m_records.size(); ++i) {
        const CropRecord& r = m_records[i];
        index << i << '\t' << r.caseId << '\t' << toString(r.split) << '\t' << r.slice << '\t' << r.side << '\t'
              << r.row0 << '\t' << r.col0 << '\t' << r.lesion << '\t' << r.lesionFraction << '\t'
              << (r.kidneyOnSlice ? 1 : 0) << '\n';
    }
    writeFileAtomically(m_directory / kIndexFile, index.str());
    DatasetParameters p = parameters;
    p.rows = m_rows;
    p.cols = m_cols;
    p.context = m_context;
    writeFileAtomically(m_directory / kParametersFile, p.serialise());
}

} // namespace weaksight::compute
