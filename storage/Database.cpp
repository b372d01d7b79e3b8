#include "storage/Database.h"
#include "storage/Statement.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>
#include <unistd.h>

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

bool folderIsWritable(const fs::path& file)
{
    const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
    return ::access(folder.c_str(), W_OK) == 0;
}

/// Whether the file's write-ahead log holds frames not yet copied into the file.
bool walPending(const fs::path& file)
{
    std::error_code ec;
    const auto bytes = fs::file_size(fs::path(file.string() + "-wal"), ec);
    return !ec && bytes > 0;
}

std::vector<std::string> columnsOf(sqlite3* db, const std::string& table)
{
    Statement columns(db, "SELECT name FROM pragma_table_info(?1, 'main')");
    columns.bind(1, table);
    std::vector<std::string> names;
    while (columns.step())
        names.push_back(columns.text(0));
    return names;
}

std::string joined(const std::vector<std::string>& names)
{
    std::string text;
    for (const auto& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

} // namespace

std::string Database::uri(const fs::path& file, const std::string& query)
{
    static const char* const kHex = "0123456789ABCDEF";
    std::string text = "file://"; // then the absolute path: "file:///…" (a path starting "//" is no host)
    for (const unsigned char c : fs::absolute(file).string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
            text += static_cast<char>(c);
        } else {
            text += '%';
            text += kHex[c >> 4];
            text += kHex[c & 15];
        }
    }
    return query.empty() ? text : text + "?" + query;
}

Database::Database(const fs::path& file, const std::vector<Migration>& migrations, Mode mode, int applicationId)
    : m_file(file)
    , m_readOnly(mode != Mode::ReadWrite)
    , m_inspectOnly(mode == Mode::Inspect)
{
    std::error_code ec;
    const bool exists = fs::exists(file, ec);
    if (exists && fs::file_size(file, ec) > 0 && !looksLikeSqlite(file))
        throw DatabaseError(file.string() + ": not an SQLite database (refusing to open or overwrite it)");
    if (!exists && m_readOnly)
        throw DatabaseError(file.string() + ": database not found");

    std::string query = m_readOnly ? "mode=ro" : "mode=rwc";
    if (m_readOnly && !folderIsWritable(file)) {
        // A reader of a WAL database needs its -shm file, which a read-only folder cannot hold. When
        // every change is already in the file, the file can be read as immutable instead.
        const bool shm = fs::exists(file.string() + "-shm", ec), wal = fs::exists(file.string() + "-wal", ec);
        if (walPending(file) && !shm)
            throw DatabaseError(file.string() + ": in a read-only folder with changes still in its write-ahead log (" +
                                file.filename().string() + "-wal); open it once where the folder is writable, or "
                                "copy the folder somewhere writable");
        // With a -shm file someone may have it open to write (a folder others can write): SQLite
        // reads it through the existing -shm. With neither file, nobody does: immutable is safe.
        if (!shm && !wal) {
            query += "&immutable=1";
            m_immutable = true;
            spdlog::info("{}: in a read-only folder: opened read-only and immutable (changes other processes make "
                         "are seen when it is opened again)",
                         file.string());
        }
    }
    const int flags = SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX |
                      (m_readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    if (sqlite3_open_v2(uri(file, query).c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
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
    // The version and the tables it describes are read in one snapshot: another connection may be
    // migrating the file at this moment.
    int current = 0;
    execute("BEGIN");
    try {
        current = schemaVersion();
        if (current > known)
            throw DatabaseError(m_file.string() + ": schema version " + std::to_string(current) +
                                " is newer than this program understands (" + std::to_string(known) +
                                "); update Weaksight");
        if (current > 0)
            checkTables(migrations, current);
        execute("COMMIT");
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    if (current == 0 && m_inspectOnly)
        throw DatabaseError(m_file.string() + ": an empty SQLite database, not a store of this program");
    if (current == known || m_inspectOnly)
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
            if (locked > 0)
                spdlog::info("{}: schema migrated to version {}", m_file.string(), m.version);
        }
        if (locked == 0)
            spdlog::info("{}: created (schema version {})", m_file.string(), known);
    });
}

void Database::checkTables(const std::vector<Migration>& migrations, int version) const
{
    // The tables our own migrations make up to that version, in an in-memory database.
    sqlite3* reference = nullptr;
    if (sqlite3_open(":memory:", &reference) != SQLITE_OK) {
        sqlite3_close(reference);
        throw DatabaseError(m_file.string() + ": cannot check its tables: out of memory");
    }
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> closer(reference, &sqlite3_close);
    auto ordered = migrations;
    std::sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return a.version < b.version; });
    for (const auto& m : ordered)
        if (m.version <= version && sqlite3_exec(reference, m.sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
            throw DatabaseError(m_file.string() + ": cannot check its tables: schema version " +
                                std::to_string(m.version) + " does not apply: " + sqlite3_errmsg(reference));
    Statement tables(reference, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                "ORDER BY name");
    const std::string refusal = "; not a store of this program at that version (or a damaged one): refusing to "
                                "open or change it";
    while (tables.step()) {
        const std::string table = tables.text(0);
        const auto expected = columnsOf(reference, table);
        const auto found = columnsOf(m_db, table);
        if (found.empty())
            throw DatabaseError(m_file.string() + ": says schema version " + std::to_string(version) +
                                " but has no table '" + table + "'" + refusal);
        if (found != expected)
            throw DatabaseError(m_file.string() + ": table '" + table + "' has the columns (" + joined(found) +
                                "), schema version " + std::to_string(version) + " has (" + joined(expected) + ")" +
                                refusal);
    }
}

} // namespace weaksight::storage
