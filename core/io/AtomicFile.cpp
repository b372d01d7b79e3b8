#include "core/io/AtomicFile.h"

#include "core/common/Error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
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

} // namespace

void writeAtomically(const fs::path& path, const std::function<void(const fs::path&)>& writer,
                     const std::function<void(const fs::path&)>& verify)
{
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    fs::create_directories(folder, ec);
    const std::string suffix = extensionsOf(path);
    std::string pattern = (folder / ("." + path.filename().string() + ".partial-XXXXXX" + suffix)).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
    if (fd < 0)
        throw InputError(path, std::string("cannot create a file in its folder: ") + std::strerror(errno));
    ::close(fd);
    const fs::path temporary(name.data());
    try {
        writer(temporary);
        if (fs::file_size(temporary) == 0)
            throw InputError(path, "the write produced an empty file (disk full or not writable?)");
        if (verify)
            verify(temporary);
        syncPath(temporary, O_RDONLY);
        fs::rename(temporary, path); // replaces a link at `path` itself, never its target
        syncPath(folder, O_RDONLY | O_DIRECTORY);
    } catch (const InputError& e) {
        fs::remove(temporary, ec);
        // The temporary's name means nothing to the user: name the file they asked for.
        throw InputError(path, e.file() == path || e.file().empty() ? e.problem() : e.problem() + " (while writing)");
    } catch (const std::exception& e) {
        fs::remove(temporary, ec);
        throw InputError(path, std::string("cannot write: ") + e.what());
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
