#include "storage/Database.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace weaksight::storage {

namespace {

constexpr int kBusyTimeoutMs = 10000;

/// SQLite files start with this 16-byte magic string; anything else is not ours to touch.
bool looksLikeSqlite(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    char header[16] = {};
    in.read(header, sizeof header);
    return in.gcount() == 16 && std::memcmp(header, "SQLite format 3\0", 16) == 0;
}

} // namespace

Database::Database(const fs::path& file, const std::vector<Migration>& migrations, Mode mode, int applicationId)
    : m_file(file)
    , m_readOnly(mode == Mode::ReadOnly)
{
    std::error_code ec;
    const bool exists = fs::exists(file, ec);
    if (exists && fs::file_size(file, ec) > 0 && !looksLikeSqlite(file))
        throw DatabaseError(file.string() + ": not an SQLite database (refusing to open or overwrite it)");
    if (!exists && m_readOnly)
        throw DatabaseError(file.string() + ": database not found");

    int flags = m_readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(file.c_str(), &m_db, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        const std::string message = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        sqlite3_close(m_db);
        m_db = nullptr;
        throw DatabaseError(file.string() + ": cannot open database: " + message);
    }
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
    sqlite3_extended_result_codes(m_db, 1);
    try {
        execute("PRAGMA foreign_keys = ON");
        // A quick check catches truncated or damaged files before anything is written to them.
        sqlite3_stmt* check = nullptr;
        if (sqlite3_prepare_v2(m_db, "PRAGMA quick_check(1)", -1, &check, nullptr) != SQLITE_OK)
            fail("not a usable database");
        std::string verdict = sqlite3_step(check) == SQLITE_ROW
                                  ? reinterpret_cast<const char*>(sqlite3_column_text(check, 0))
                                  : sqlite3_errmsg(m_db);
        sqlite3_finalize(check);
        if (verdict != "ok")
            throw DatabaseError(m_file.string() + ": damaged database (" + verdict + "); it was not modified");
        migrate(migrations, applicationId);
        // Only now that the file is known to be ours: switching to WAL rewrites its header.
        if (!m_readOnly) {
            execute("PRAGMA journal_mode = WAL");
            execute("PRAGMA synchronous = FULL");
        }
    } catch (...) {
        sqlite3_close(m_db);
        m_db = nullptr;
        throw;
    }
}

Database::~Database()
{
    if (m_db)
        sqlite3_close(m_db);
}

void Database::fail(const std::string& what) const
{
    throw DatabaseError(m_file.string() + ": " + what + ": " + sqlite3_errmsg(m_db));
}

void Database::execute(const std::string& sql)
{
    char* error = nullptr;
    if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw DatabaseError(m_file.string() + ": " + message);
    }
}

int Database::pragmaInt(const char* pragma) const
{
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(m_db, pragma, -1, &statement, nullptr) != SQLITE_OK)
        fail(std::string("cannot run ") + pragma);
    int value = 0;
    if (sqlite3_step(statement) == SQLITE_ROW)
        value = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    return value;
}

int Database::schemaVersion() const { return pragmaInt("PRAGMA user_version"); }

std::optional<int> Database::schemaVersionOf(const fs::path& file)
{
    std::error_code ec;
    if (!fs::exists(file, ec) || !looksLikeSqlite(file))
        return std::nullopt;
    sqlite3* db = nullptr;
    std::optional<int> version;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, kBusyTimeoutMs);
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            version = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return version;
}

void Database::transaction(const std::function<void()>& work)
{
    execute("BEGIN IMMEDIATE");
    try {
        work();
        execute("COMMIT");
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Database::migrate(const std::vector<Migration>& migrations, int applicationId)
{
    const int fileApplicationId = pragmaInt("PRAGMA application_id");
    if (applicationId != 0 && fileApplicationId != 0 && fileApplicationId != applicationId)
        throw DatabaseError(m_file.string() + ": an SQLite database of another program (application id " +
                            std::to_string(fileApplicationId) + "); refusing to open or change it");
    if (schemaVersion() == 0 && pragmaInt("SELECT count(*) FROM sqlite_master") > 0)
        throw DatabaseError(m_file.string() + ": an SQLite database with tables but no schema version (made by "
                            "another program); refusing to open or change it");
    const int known = migrations.empty() ? 0 : std::max_element(migrations.begin(), migrations.end(), [](auto& a, auto& b) {
                                                   return a.version < b.version;
                                               })->version;
    const int current = schemaVersion();
    if (current > known)
        throw DatabaseError(m_file.string() + ": schema version " + std::to_string(current) +
                            " is newer than this program understands (" + std::to_string(known) +
                            "); update Weaksight");
    if (current == known)
        return;
    if (m_readOnly)
        throw DatabaseError(m_file.string() + ": schema version " + std::to_string(current) +
                            " needs migrating to " + std::to_string(known) + " but the file is read-only");
    transaction([&] {
        // Another connection (a second reader of the same old store) may have migrated it while
        // this one waited for the write lock: take the version again under the lock.
        const int locked = schemaVersion();
        if (fileApplicationId == 0 && applicationId != 0)
            execute("PRAGMA application_id = " + std::to_string(applicationId));
        for (const auto& m : migrations) {
            if (m.version <= locked)
                continue;
            execute(m.sql);
            execute("PRAGMA user_version = " + std::to_string(m.version));
            spdlog::info("{}: schema migrated to version {}", m_file.string(), m.version);
        }
    });
}

} // namespace weaksight::storage
