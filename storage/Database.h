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
    enum class Mode { ReadWrite, ReadOnly };

    /// Opens (or, in ReadWrite mode, creates) the file and applies pending migrations.
    /// `applicationId` (PRAGMA application_id) marks files made by this program: a file with
    /// another id, or with tables but no schema version, belongs to another program and is refused.
    Database(const std::filesystem::path& file, const std::vector<Migration>& migrations,
             Mode mode = Mode::ReadWrite, int applicationId = 0);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    sqlite3* handle() const { return m_db; }
    int schemaVersion() const;
    bool readOnly() const { return m_readOnly; }
    /// PRAGMA user_version of an SQLite file, read without opening it as a Database (no checks,
    /// no migration); nullopt when the file is missing or unreadable as SQLite.
    static std::optional<int> schemaVersionOf(const std::filesystem::path& file);

    /// Runs SQL without results; throws DatabaseError naming the file.
    void execute(const std::string& sql);

    /// Runs `work` inside BEGIN IMMEDIATE ... COMMIT; rolls back on exception.
    void transaction(const std::function<void()>& work);

private:
    [[noreturn]] void fail(const std::string& what) const;
    void migrate(const std::vector<Migration>& migrations, int applicationId);
    int pragmaInt(const char* pragma) const;

    std::filesystem::path m_file;
    sqlite3* m_db = nullptr;
    bool m_readOnly = false;
};

} // namespace weaksight::storage
