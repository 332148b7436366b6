// The SQLite backend: opening, statement cache, binding, error mapping.
#include <fmt/format.h>
#include <sqlite3.h>

#include <regex>
#include <unordered_map>

#include "db/backends/backend.hpp"
#include "duet/db/exceptions.hpp"

namespace duet::db {

namespace detail {

void throw_sqlite_error(int code, const char* message, std::string_view sql) {
  std::string msg = message ? message : sqlite3_errstr(code);
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      throw IntegrityError(msg);
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      throw DataError(msg);
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
      throw ProgrammingError(msg);
    case SQLITE_INTERNAL:
      throw InternalError(msg);
    default:
      if (!sql.empty() && (code & 0xff) == SQLITE_ERROR) {
        throw OperationalError(fmt::format("{} (in: {})", msg, sql.substr(0, 300)));
      }
      throw OperationalError(msg);
  }
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxCachedStatements = 256;

// REGEXP for the regex/iregex lookups; SQLite has the operator but no implementation. The compiled
// pattern is kept as auxiliary data so a query compiles it once, not once per row.
void regexp_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  auto* re = static_cast<std::regex*>(sqlite3_get_auxdata(ctx, 0));
  if (!re) {
    const char* pattern = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    bool icase = sqlite3_user_data(ctx) != nullptr;
    try {
      re = new std::regex(pattern,
                          icase ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      sqlite3_result_error(ctx, e.what(), -1);
      return;
    }
    sqlite3_set_auxdata(ctx, 0, re, [](void* p) { delete static_cast<std::regex*>(p); });
    re = static_cast<std::regex*>(sqlite3_get_auxdata(ctx, 0));
    if (!re) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
  }
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  sqlite3_result_int(ctx, std::regex_search(text, *re) ? 1 : 0);
}

void read_row(sqlite3_stmt* stmt, Row& row) {
  int n = sqlite3_column_count(stmt);
  row.resize(n);
  for (int i = 0; i < n; ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        row[i] = Value(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
        break;
      case SQLITE_FLOAT:
        row[i] = Value(sqlite3_column_double(stmt, i));
        break;
      case SQLITE_TEXT:
        row[i] = Value(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                        sqlite3_column_bytes(stmt, i)));
        break;
      case SQLITE_BLOB: {
        auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, i));
        row[i] = Value(Blob(p, p + sqlite3_column_bytes(stmt, i)));
        break;
      }
      default:
        row[i] = Value();
    }
  }
}

// Resets a cached statement when the caller is done with it, also when it throws.
struct StmtReset {
  sqlite3_stmt* stmt;
  ~StmtReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};


class SqliteCursor final : public Cursor::Impl {
 public:
  explicit SqliteCursor(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteCursor() override { sqlite3_finalize(stmt_); }
  bool fetch(Row& row) override {
    if (done_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      read_row(stmt_, row);
      return true;
    }
    done_ = true;
    if (rc != SQLITE_DONE) detail::throw_sqlite_error(rc, sqlite3_errmsg(sqlite3_db_handle(stmt_)));
    return false;
  }
  std::size_t column_count() const noexcept override { return sqlite3_column_count(stmt_); }

 private:
  sqlite3_stmt* stmt_;
  bool done_ = false;
};

class SqliteBackend final : public Connection::Backend {
 public:
  explicit SqliteBackend(const DatabaseSettings& settings);
  ~SqliteBackend() override;

  std::string_view vendor() const noexcept override { return "sqlite"; }
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params) override;
  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) override {
    std::vector<Row> rows;
    for_each(sql, params, [&](const Row& r) { rows.push_back(r); });
    return rows;
  }
  void for_each(std::string_view sql, const std::vector<Value>& params,
                const std::function<void(const Row&)>& on_row) override;
  std::unique_ptr<Cursor::Impl> cursor(std::string_view sql, const std::vector<Value>& params) override;
  void execute_script(std::string_view sql) override;
  std::string begin_sql(const DatabaseSettings& settings) const override {
    return "BEGIN " + settings.transaction_mode;
  }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  std::int64_t last_insert_rowid() const override { return sqlite3_last_insert_rowid(db_); }
  sqlite3* native() const noexcept override { return db_; }

 private:
  sqlite3_stmt* prepare_cached(std::string_view sql);
  void bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql);
  void clear_cache() {
    for (auto& [_, s] : statements_)
      sqlite3_finalize(s);
    statements_.clear();
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

SqliteBackend::SqliteBackend(const DatabaseSettings& settings) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(settings.name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw OperationalError(fmt::format("unable to open database '{}': {}", settings.name, msg));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(settings.busy_timeout.count()));
  sqlite3_create_function(db_, "regexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, regexp_function,
                          nullptr, nullptr);
  static int icase_marker = 1;
  sqlite3_create_function(db_, "iregexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, &icase_marker,
                          regexp_function, nullptr, nullptr);
  try {
    execute_script("PRAGMA foreign_keys = ON");
    if (settings.wal && settings.name != ":memory:") execute_script("PRAGMA journal_mode = WAL");
  } catch (...) {
    clear_cache();
    sqlite3_close(db_);
    throw;
  }
}

SqliteBackend::~SqliteBackend() {
  clear_cache();
  if (db_) sqlite3_close(db_);
}

sqlite3_stmt* SqliteBackend::prepare_cached(std::string_view sql) {
  auto key = std::string(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) detail::throw_sqlite_error(rc, sqlite3_errmsg(db_), sql);
  if (!stmt) throw ProgrammingError(fmt::format("empty statement: '{}'", sql));
  if (statements_.size() >= kMaxCachedStatements) clear_cache();
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

void SqliteBackend::bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql) {
  int expected = sqlite3_bind_parameter_count(stmt);
  if (expected != static_cast<int>(params.size())) {
    throw ProgrammingError(
        fmt::format("Incorrect number of bindings supplied. The current statement uses {}, and there are {} "
                    "supplied. ({})",
                    expected, params.size(), sql.substr(0, 200)));
  }
  for (int i = 0; i < expected; ++i) {
    const auto& v = params[i].storage();
    int rc = SQLITE_OK;
    if (auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i + 1, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i + 1, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (auto* b = std::get_if<Blob>(&v)) {
      rc = sqlite3_bind_blob64(stmt, i + 1, b->data(), b->size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, i + 1);
    }
    if (rc != SQLITE_OK) detail::throw_sqlite_error(rc, sqlite3_errmsg(db_));
  }
}

std::int64_t SqliteBackend::execute(std::string_view sql, const std::vector<Value>& params) {
  auto* stmt = prepare_cached(sql);
  StmtReset reset{stmt};
  bind(stmt, params, sql);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) detail::throw_sqlite_error(rc, sqlite3_errmsg(db_));
  return sqlite3_changes64(db_);
}

void SqliteBackend::for_each(std::string_view sql, const std::vector<Value>& params,
                             const std::function<void(const Row&)>& on_row) {
  auto* stmt = prepare_cached(sql);
  StmtReset reset{stmt};
  bind(stmt, params, sql);
  Row row;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    read_row(stmt, row);
    on_row(row);
  }
  if (rc != SQLITE_DONE) detail::throw_sqlite_error(rc, sqlite3_errmsg(db_));
}

std::unique_ptr<Cursor::Impl> SqliteBackend::cursor(std::string_view sql, const std::vector<Value>& params) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) detail::throw_sqlite_error(rc, sqlite3_errmsg(db_), sql);
  auto c = std::make_unique<SqliteCursor>(stmt);
  bind(stmt, params, sql);
  return c;
}

void SqliteBackend::execute_script(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    detail::throw_sqlite_error(rc, msg.c_str(), sql);
  }
}

}  // namespace

namespace detail {
std::unique_ptr<Connection::Backend> make_sqlite_backend(const DatabaseSettings& settings) {
  return std::make_unique<SqliteBackend>(settings);
}
}  // namespace detail

}  // namespace duet::db
