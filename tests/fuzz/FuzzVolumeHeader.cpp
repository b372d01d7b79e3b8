// The volume reader's header path (core/io/VolumeIo + HeaderCheck) for NIfTI (.nii, .nii.gz), NRRD
// and MetaImage: whatever the bytes, reading the header, the CT and the labels either succeeds or
// throws InputError; it never aborts, hangs, reads out of bounds or allocates past the voxel budget.
// Input: one selector byte (the format), then the file's bytes. For selector 1 the harness gzips
// the bytes itself, so that mutations reach the NIfTI header inside a valid gzip stream; selector 2
// writes them as they are (broken and truncated gzip streams).

#include "FuzzSupport.h"
#include "core/common/Error.h"
#include "core/io/VolumeIo.h"

#include <zlib.h>

namespace {

const char* const kNames[] = {"input.nii", "input.nii.gz", "input.nii.gz", "input.nrrd", "input.mha"};

void writeGzip(const std::filesystem::path& path, const uint8_t* data, size_t size)
{
    gzFile out = gzopen(path.c_str(), "wb1");
    if (size > 0)
        gzwrite(out, data, static_cast<unsigned>(size));
    gzclose(out);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    weaksight::fuzz::quietLogging();
    // A small budget keeps every accepted volume cheap; larger declarations must be refused early.
    ::setenv("WEAKSIGHT_MAX_VOXELS", "4000000", 1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const int format = data[0] % 5;
    // Only this input's file: a header naming a data file must not find an earlier input's.
    for (const char* name : kNames)
        std::filesystem::remove(weaksight::fuzz::scratchFolder() / name);
    const auto path = weaksight::fuzz::scratchFolder() / kNames[format];
    if (format == 1)
        writeGzip(path, data + 1, size - 1);
    else
        weaksight::fuzz::writeInput(kNames[format], data + 1, size - 1);
    try {
        weaksight::readVolumeHeader(path);
    } catch (const weaksight::InputError&) {
    }
    try {
        weaksight::readCtVolume(path);
    } catch (const weaksight::InputError&) {
    }
    try {
        weaksight::readLabelVolume(path);
    } catch (const weaksight::InputError&) {
    }
    return 0;
}
