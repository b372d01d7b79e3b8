#include "storage/Statement.h"

#include "storage/Database.h"

#include <sqlite3.h>

namespace weaksight::storage {

namespace {
/// Every error names its file ("attempt to write a readonly database" alone does not say which).
[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
    const char* file = sqlite3_db_filename(db, "main");
    throw DatabaseError((file && *file ? std::string(file) + ": " : std::string()) + what + ": " + sqlite3_errmsg(db));
}
} // namespace

Statement::Statement(sqlite3* db, const std::string& sql) : m_db(db)
{
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &m_statement, nullptr) != SQLITE_OK)
        fail(db, "cannot prepare '" + sql.substr(0, 60) + "'");
}

Statement::~Statement() { sqlite3_finalize(m_statement); }

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_statement(other.m_statement)
{
    other.m_statement = nullptr;
}

Statement& Statement::bind(int index, int64_t value)
{
    if (sqlite3_bind_int64(m_statement, index, value) != SQLITE_OK)
        fail(m_db, "bind");
    return *this;
}

Statement& Statement::bind(int index, double value)
{
    if (sqlite3_bind_double(m_statement, index, value) != SQLITE_OK)
        fail(m_db, "bind");
    return *this;
}

Statement& Statement::bind(int index, const std::string& value)
{
    if (sqlite3_bind_text(m_statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
        SQLITE_OK)
        fail(m_db, "bind");
    return *this;
}

Statement& Statement::bind(int index, const std::vector<uint8_t>& blob)
{
    if (sqlite3_bind_blob(m_statement, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT) !=
        SQLITE_OK)
        fail(m_db, "bind");
    return *this;
}

Statement& Statement::bindNull(int index)
{
    if (sqlite3_bind_null(m_statement, index) != SQLITE_OK)
        fail(m_db, "bind");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const char* file = sqlite3_db_filename(m_db, "main");
    const std::string message = (file && *file ? std::string(file) + ": " : std::string()) + sqlite3_errmsg(m_db);
    sqlite3_reset(m_statement);
    throw DatabaseError(message);
}

void Statement::run()
{
    while (step()) {
    }
    reset();
}

void Statement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

bool Statement::isNull(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }
int64_t Statement::int64(int column) const { return sqlite3_column_int64(m_statement, column); }
double Statement::real(int column) const { return sqlite3_column_double(m_statement, column); }

std::optional<double> Statement::optionalReal(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return real(column);
}

std::string Statement::text(int column) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(m_statement, column))) : std::string();
}

std::vector<uint8_t> Statement::blob(int column) const
{
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(m_statement, column));
    const int n = sqlite3_column_bytes(m_statement, column);
    return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
}

} // namespace weaksight::storage
