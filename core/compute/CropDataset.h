#pragma once

// The kidney-crop dataset of the research pipeline (`weaksight dataset build` writes it; training,
// evaluation and batch CAM read it). Torch-free and ITK-free, so the compute core reads it on GPU
// machines that have neither Qt nor ITK.
//
// A dataset is a folder:
//   weaksight-dataset.txt  "key: value" parameters (written last: its presence marks a complete build)
//   crops.tsv              one line per crop (CropRecord), in crop-index order, with a header line
//   images.npy             int16 little-endian HU, count x rows x cols (NumPy .npy: numpy.load reads
//                          it; memory-mapped here past its 128-byte header)
//   masks.npy              uint8 0/1 lesion masks of the crops (evaluation only, never training)
//   labels.npy             uint8 KiTS labels of the crops (0 background, 1 kidney, 2 tumour, 3 cyst):
//                          the organ region for anatomy-constrained proposals and the supervised
//                          baseline; never a weak method's training target. Absent in builds made
//                          before it (labelPixels() then gives nullptr).
//   context.npy            int16 HU, count x 2n x rows x cols: with slice context (dataset build
//                          --context n), each crop's planes -n .. -1, +1 .. +n (SliceContext) on
//                          the crop's box; 2.5D models read them around images.npy's plane.
// Datasets built before the .npy files hold the same data headerless in images.i16 and masks.u8;
// they are still read.
//   manifest.json          human-readable summary written by the builder (not read here)

#include "core/compute/Classifier.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace weaksight::compute {

enum class Split { Train, Validation, Test };
std::string toString(Split split);

/// "train", "val"/"validation", "test"; throws std::invalid_argument.
Split splitFromString(const std::string& name);

/// NumPy's .npy header (format 1.0) for a C-ordered count x rows x cols array of `descr` ("<i2",
/// "|u1"; count x planes x rows x cols when planes > 0), padded as numpy.save pads it (always 128
/// bytes here): a file numpy writes has the same bytes. The dataset's files and cam-batch's
/// proposal masks use it.
std::string npyHeader(const char* descr, size_t count, int rows, int cols, int planes = 0);

struct DatasetParameters {
    int rows = 150;
    int cols = 150;
    /// HU window the dataset was built for; stored with it and copied into every model trained on
    /// it (the model's own description then owns the preprocessing).
    double huLow = -200.0;
    double huHigh = 300.0;
    int sliceStep = 1;         ///< every k-th slice
    bool keepNoKidney = false; ///< sides without kidney label kept (centred on the nearest slices)
    uint64_t seed = 1;         ///< patient split seed
    double trainFraction = 0.6;
    double validationFraction = 0.2;
    std::string source;      ///< the case folder it was built from
    std::string sourceLayout; ///< kits19 / kits21 / kits23 / ...
    bool synthetic = false;   ///< built from `weaksight phantom` cases
    /// Side length of a black square pasted into the top-left corner of every lesion crop (the
    /// method's sanity experiment); its masks then hold the square, not the lesion. 0 = off.
    int sanitySquare = 0;
    /// Crop geometry (`dataset build --centre/--lesion/--spacing`); older datasets read as the
    /// defaults, which are what they were built with.
    std::string centring = "kidney";         ///< "kidney" or "kidney+lesion" (lesion-only sides kept)
    std::string lesionLabels = "tumour+cyst"; ///< what a lesion is: "tumour+cyst" or "tumour"
    /// In-plane pixel spacing (mm) the crops were resampled to; 0 = each scan's own pixels (a crop
    /// then covers rows x its spacing: 68 mm at 0.45 mm pixels, 117 mm at 0.78 mm).
    double pixelSpacingMm = 0;
    /// The planes above and below each crop (`dataset build --context`); 2D models read the
    /// crop's own plane only, 2.5D models as many planes each side as they were trained with.
    SliceContext context;

    std::string serialise() const;
    static DatasetParameters parse(const std::string& text);
};

/// One crop. Sides are anatomical: "right" is the patient's right kidney (the left half of a
/// radiological image, canonical columns < cols/2).
struct CropRecord {
    std::string caseId;
    Split split = Split::Train;
    int slice = 0;
    std::string side;
    int row0 = 0, col0 = 0;     ///< crop box origin in canonical slice coordinates (may be < 0: padded)
    int lesion = 0;             ///< image-level label: lesion (tumour or cyst) in the crop
    double lesionFraction = 0;  ///< lesion pixels / crop pixels
    bool kidneyOnSlice = true;  ///< false: centred from the nearest slices with kidney on that side
};

class CropDataset {
public:
    /// Opens a complete dataset folder; throws std::runtime_error naming the folder and the
    /// problem (missing, incomplete build, truncated data files, malformed index).
    static CropDataset open(const std::filesystem::path& directory);

    CropDataset(CropDataset&&) noexcept;
    CropDataset& operator=(CropDataset&&) noexcept;
    ~CropDataset();

    const DatasetParameters& parameters() const { return m_parameters; }
    const std::vector<CropRecord>& records() const { return m_records; }
    size_t size() const { return m_records.size(); }
    const std::filesystem::path& directory() const { return m_directory; }

    /// Memory-mapped pixels of crop i (rows x cols).
    const int16_t* imagePixels(size_t i) const;
    const uint8_t* maskPixels(size_t i) const;
    /// The crop's KiTS labels, or nullptr when the dataset was built without them.
    const uint8_t* labelPixels(size_t i) const;
    bool hasLabels() const { return m_labels != nullptr; }
    /// Plane `offset` (-n .. n of the dataset's context; 0 = imagePixels) of crop i.
    const int16_t* planePixels(size_t i, int offset) const;
    /// Crop i as a model of `context` reads it (2D by default). Throws std::invalid_argument naming
    /// the folder when the dataset lacks those planes (checkContext).
    Image2D image(size_t i, const SliceContext& context = {}) const;
    /// Throws std::invalid_argument unless a model of `context` can read these crops: as many
    /// planes or fewer, at the same spacing.
    void checkContext(const SliceContext& context) const;
    std::vector<size_t> indicesOf(Split split) const;
    /// 64-bit content key of crop i as a model of `context` reads it (cropContentKey): the cache
    /// key of its heatmaps.
    uint64_t contentKey(size_t i, const SliceContext& context = {}) const;
    /// FNV-1a of the parameters file and the crop index: changes with any rebuild that changes
    /// crops, labels or splits (training refuses to resume on another dataset).
    uint64_t identity() const { return m_identity; }

private:
    CropDataset() = default;
    struct Mapping;
    std::filesystem::path m_directory;
    DatasetParameters m_parameters;
    std::vector<CropRecord> m_records;
    uint64_t m_identity = 0;
    std::unique_ptr<Mapping> m_images, m_masks, m_labels, m_context;
};

/// Writes a dataset folder: crops are appended to temporary files, then finish() renames the data
/// files into place and writes the index and the parameters file (the completion marker), so a
/// process still reading an older build of the folder keeps its mapped files.
class CropDatasetWriter {
public:
    CropDatasetWriter(const std::filesystem::path& directory, int rows, int cols,
                      const SliceContext& context = {});
    ~CropDatasetWriter();
    /// `labels`: the crop's KiTS labels (rows x cols); when any crop comes without them the dataset
    /// has none (labels.npy is not written). `contextPlanes`: with slice context, the crop's 2n
    /// other planes (-n .. -1, +1 .. +n), required.
    void append(const CropRecord& record, const int16_t* image, const uint8_t* mask,
                const uint8_t* labels = nullptr, const int16_t* contextPlanes = nullptr);
    void finish(const DatasetParameters& parameters);
    size_t count() const { return m_records.size(); }

private:
    std::filesystem::path m_directory;
    int m_rows, m_cols;
    SliceContext m_context;
    std::vector<CropRecord> m_records;
    bool m_everyCropLabelled = true;
    struct Files;
    std::unique_ptr<Files> m_files;
};

uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash = 1469598103934665603ULL);

/// Content key of an int16 HU crop (FNV-1a of its size and pixels): the heatmap cache key shared
/// by the research pipeline and the workstation.
uint64_t cropContentKey(const int16_t* pixels, int rows, int cols);
/// The key of a crop as a model reads it: the 2D key above for one plane (HU are whole numbers),
/// else FNV-1a of its planes, size and plane count.
uint64_t cropContentKey(const Image2D& crop);

} // namespace weaksight::compute
