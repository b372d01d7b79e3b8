#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace weaksight::storage {

class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One step of a versioned schema: applying it moves the schema from version-1 to version.
struct Migration {
    int version;
    std::string sql;
};

/// An SQLite connection set up for durable, concurrent use: WAL journal, foreign keys on,
/// synchronous=FULL (a committed transaction survives a power cut), and a busy timeout so
/// two processes can share one file. The schema version lives in PRAGMA user_version;
/// migrations run inside one transaction, and a file whose version is newer than the
/// program knows is refused. Files that are not SQLite are refused and never overwritten.
class Database {
public:
    /// ReadWrite opens or creates the file and migrates it. ReadOnly never writes; an older schema is
    /// refused. Inspect is ReadOnly for a file that must stay exactly as it is whatever its
    /// version (a merge source): it is checked, never migrated, and its journal mode is left alone.
    /// A read-only connection to a file in a folder it cannot write opens the file immutable when
    /// no write-ahead log is pending (SQLite could not create the -shm file such a reader needs).
    enum class Mode { ReadWrite, ReadOnly, Inspect };

    /// Opens (or, in ReadWrite mode, creates) the file and applies pending migrations.
    /// `applicationId` (PRAGMA application_id) marks files made by this program: a file with
    /// another id, or with tables but no schema version, belongs to another program and is refused.
    /// A file with a schema version must hold the tables and columns `migrations` make at that
    /// version (a foreign file that only sets user_version, with or without an application id,
    /// is refused).
    Database(const std::filesystem::path& file, const std::vector<Migration>& migrations,
             Mode mode = Mode::ReadWrite, int applicationId = 0);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    sqlite3* handle() const { return m_db; }
    int schemaVersion() const;
    bool readOnly() const { return m_readOnly; }
    /// Opened with SQLite's `immutable` flag (a read-only folder): changes by others are not seen.
    bool immutable() const { return m_immutable; }
    const std::filesystem::path& file() const { return m_file; }
    /// PRAGMA user_version of an SQLite file, read without opening it as a Database (no checks,
    /// no migration); nullopt when the file is missing or unreadable as SQLite.
    static std::optional<int> schemaVersionOf(const std::filesystem::path& file);

    /// The SQLite URI of a file (its path percent-encoded, so that any file name works) with an
    /// optional query such as "mode=ro"; connections open URIs, ATTACH takes them too.
    static std::string uri(const std::filesystem::path& file, const std::string& query = {});

    /// Runs SQL without results; throws DatabaseError naming the file.
    void execute(const std::string& sql);

    /// Runs `work` inside BEGIN IMMEDIATE ... COMMIT; rolls back on exception.
    void transaction(const std::function<void()>& work);

private:
    [[noreturn]] void fail(const std::string& what) const;
    void migrate(const std::vector<Migration>& migrations, int applicationId);
    /// Refuses a file whose tables lack those `migrations` make up to `version` (or their columns).
    void checkTables(const std::vector<Migration>& migrations, int version) const;
    int pragmaInt(const char* pragma) const;

    std::filesystem::path m_file;
    sqlite3* m_db = nullptr;
    bool m_readOnly = false;
    bool m_inspectOnly = false;
    bool m_immutable = false;
};

} // namespace weaksight::storage
