#include "core/io/AtomicFile.h"

#include "core/common/Error.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace weaksight::io {

namespace {

/// ".nii.gz" for "case.nii.gz": everything from the first dot after the first character.
std::string extensionsOf(const fs::path& path)
{
    const std::string name = path.filename().string();
    const auto dot = name.find('.', 1);
    return dot == std::string::npos ? std::string() : name.substr(dot);
}

void syncPath(const fs::path& path, int flags)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        throw InputError(path, std::string("cannot reopen to flush: ") + std::strerror(errno));
    const int synced = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (synced != 0 && error != EINVAL) // EINVAL: the file system cannot sync (some tmpfs/FUSE)
        throw InputError(path, std::string("cannot flush to the disk: ") + std::strerror(error));
}

/// The mode a new file gets here (0666 less the umask, read without changing it), or the mode of
/// the file being replaced: a temporary file starts as 0600, which the rename would keep.
mode_t outputMode(const fs::path& path)
{
    struct stat existing {};
    if (::stat(path.c_str(), &existing) == 0)
        return existing.st_mode & 07777;
    mode_t mask = 022;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Umask:", 0) == 0)
            mask = static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    return 0666 & ~mask;
}

/// Formats whose header names a separate data file (MetaImage .mhd, NRRD .nhdr, Analyze .hdr):
/// written into a private folder, then both files are moved.
bool hasDetachedData(const fs::path& path)
{
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
    return extension == ".mhd" || extension == ".nhdr" || extension == ".hdr";
}

/// Moves every file of `staging` into `folder`, the header (`header`) last, and removes `staging`.
void moveStaged(const fs::path& staging, const fs::path& folder, const fs::path& header)
{
    for (const auto& entry : fs::directory_iterator(staging))
        if (entry.path().filename() != header.filename()) {
            syncPath(entry.path(), O_RDONLY);
            fs::rename(entry.path(), folder / entry.path().filename());
        }
    syncPath(header, O_RDONLY);
    fs::rename(header, folder / header.filename());
    fs::remove(staging);
}

} // namespace

void writeAtomically(const fs::path& path, const std::function<void(const fs::path&)>& writer,
                     const std::function<void(const fs::path&)>& verify)
{
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    fs::create_directories(folder, ec);
    const bool detached = hasDetachedData(path);
    const std::string suffix = detached ? std::string() : extensionsOf(path);
    std::string pattern = (folder / ("." + path.filename().string() + ".partial-XXXXXX" + suffix)).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    fs::path staging; // detached formats: a private folder holding header and data under their final names
    fs::path temporary;
    if (detached) {
        if (!::mkdtemp(name.data()))
            throw InputError(path, std::string("cannot create a folder in its folder: ") + std::strerror(errno));
        staging = name.data();
        temporary = staging / path.filename();
    } else {
        const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
        if (fd < 0)
            throw InputError(path, std::string("cannot create a file in its folder: ") + std::strerror(errno));
        ::fchmod(fd, outputMode(path));
        ::close(fd);
        temporary = name.data();
    }
    const auto discard = [&] {
        std::error_code ignored;
        fs::remove_all(detached ? staging : temporary, ignored);
    };
    try {
        writer(temporary);
        if (fs::file_size(temporary) == 0)
            throw InputError(path, "the write produced an empty file (disk full or not writable?)");
        if (verify)
            verify(temporary);
        if (detached) {
            moveStaged(staging, folder, temporary);
        } else {
            syncPath(temporary, O_RDONLY);
            fs::rename(temporary, path); // replaces a link at `path` itself, never its target
        }
    } catch (const InputError& e) {
        discard();
        if (e.file() != temporary && !e.file().empty())
            throw;
        // The temporary's name means nothing to the user: name the file they asked for.
        throw InputError(path, e.problem());
    } catch (const std::exception& e) {
        discard();
        throw InputError(path, std::string("cannot write: ") + e.what());
    } catch (...) {
        discard();
        throw;
    }
    // The file is in place; a folder that cannot be flushed only weakens durability.
    try {
        syncPath(folder, O_RDONLY | O_DIRECTORY);
    } catch (const InputError& e) {
        spdlog::warn("{}", e.what());
    }
}

void checkInside(const fs::path& root, const fs::path& path)
{
    fs::path base = fs::weakly_canonical(fs::absolute(root));
    if (base.filename().empty()) // "out/" ends in an empty element
        base = base.parent_path();
    const fs::path resolved = fs::weakly_canonical(fs::absolute(path));
    auto b = base.begin();
    auto r = resolved.begin();
    for (; b != base.end(); ++b, ++r)
        if (r == resolved.end() || *b != *r)
            throw InputError(path, "would be written outside the output folder " + root.string());
    if (r == resolved.end())
        throw InputError(path, "is the output folder itself, not a file inside it");
}

} // namespace weaksight::io
