#pragma once

// Outputs that are whole or absent: a crash, a full disk or a failed writer never leaves a partial
// file under the final name, and a symbolic link planted at that name is replaced, not written
// through.

#include <filesystem>
#include <functional>

namespace weaksight::io {

/// Writes `path` through a new temporary file in the same folder: `writer(temporary)` fills it
/// (the temporary keeps `path`'s extensions, so writers that choose the format by extension work),
/// `verify(temporary)` may check it (throwing InputError), then it is flushed to the disk (fsync)
/// and renamed over `path` (keeping the mode of the file it replaces, else 0666 less the umask).
/// Formats with a separate data file (.mhd, .nhdr, .hdr) are written into a private folder under
/// their final names and moved, data first. A writer that leaves an empty file fails. On any failure
/// the temporary is removed, `path` keeps what it had, and the InputError names `path`. Creates the folder.
void writeAtomically(const std::filesystem::path& path, const std::function<void(const std::filesystem::path&)>& writer,
                     const std::function<void(const std::filesystem::path&)>& verify = {});

/// Throws InputError when `path` does not stay inside `root` once the links of its existing
/// folders are resolved (a key like "../x", an absolute key, or a planted folder link).
void checkInside(const std::filesystem::path& root, const std::filesystem::path& path);

} // namespace weaksight::io
