#include "storage/Database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>

using weaksight::storage::Database;
using weaksight::storage::DatabaseError;
using weaksight::storage::Migration;
namespace fs = std::filesystem;

namespace {

struct TempFile {
    fs::path path = fs::temp_directory_path() / ("weaksight-db-" + std::to_string(std::random_device{}()) + ".sqlite");
    ~TempFile()
    {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"})
            fs::remove(path.string() + suffix, ec);
    }
};

const std::vector<Migration> kV1 = {{1, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT NOT NULL)"}};
const std::vector<Migration> kV2 = {kV1[0], {2, "ALTER TABLE notes ADD COLUMN author TEXT"}};

int countRows(Database& db, const char* sql)
{
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db.handle(), sql, -1, &s, nullptr);
    int n = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

} // namespace

TEST(Database, CreatesAndMigratesInOrder)
{
    TempFile file;
    {
        Database db(file.path, kV1);
        EXPECT_EQ(db.schemaVersion(), 1);
        db.execute("INSERT INTO notes(text) VALUES ('a')");
    }
    Database db(file.path, kV2);
    EXPECT_EQ(db.schemaVersion(), 2);
    db.execute("UPDATE notes SET author = 'x'");
    EXPECT_EQ(countRows(db, "SELECT count(*) FROM notes WHERE author = 'x'"), 1);
    EXPECT_EQ(countRows(db, "PRAGMA foreign_keys"), 1);
}

TEST(Database, FailedMigrationLeavesTheOldSchemaIntact)
{
    TempFile file;
    { Database db(file.path, kV1); }
    const std::vector<Migration> broken = {kV1[0], {2, "ALTER TABLE notes ADD COLUMN a TEXT; THIS IS NOT SQL"}};
    EXPECT_THROW(Database(file.path, broken), DatabaseError);
    Database db(file.path, kV1);
    EXPECT_EQ(db.schemaVersion(), 1);
    EXPECT_EQ(countRows(db, "SELECT count(*) FROM pragma_table_info('notes') WHERE name = 'a'"), 0);
}

TEST(Database, RefusesNewerSchema)
{
    TempFile file;
    { Database db(file.path, kV2); }
    try {
        Database db(file.path, kV1);
        FAIL() << "expected a refusal";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
    }
}

TEST(Database, RefusesForeignFileWithoutTouchingIt)
{
    TempFile file;
    {
        std::ofstream out(file.path);
        out << "not a database, a labeller's notes";
    }
    const auto before = fs::file_size(file.path);
    EXPECT_THROW(Database(file.path, kV1), DatabaseError);
    EXPECT_EQ(fs::file_size(file.path), before);
}

TEST(Database, TransactionRollsBackOnError)
{
    TempFile file;
    Database db(file.path, kV1);
    EXPECT_THROW(db.transaction([&] {
        db.execute("INSERT INTO notes(text) VALUES ('kept?')");
        throw std::runtime_error("abort");
    }),
                 std::runtime_error);
    EXPECT_EQ(countRows(db, "SELECT count(*) FROM notes"), 0);
    EXPECT_EQ(countRows(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

TEST(Database, ReadOnlyOpenCannotWrite)
{
    TempFile file;
    { Database db(file.path, kV1); }
    Database db(file.path, kV1, Database::Mode::ReadOnly);
    EXPECT_TRUE(db.readOnly());
    EXPECT_THROW(db.execute("INSERT INTO notes(text) VALUES ('x')"), DatabaseError);
}
