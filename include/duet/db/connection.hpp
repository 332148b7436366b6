// Connections: one per (thread, alias), opened on first use and kept for the thread's life (DESIGN.md §6).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/settings.hpp"
#include "duet/db/value.hpp"

struct sqlite3;

namespace duet::db {

/// A statement being read row by row (QuerySet::iterator()). On SQLite it steps its own prepared statement;
/// on PostgreSQL it walks the fetched result. Must be used and destroyed on the thread whose connection
/// made it.
class Cursor {
 public:
  /// What a backend implements (src/db/backends).
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual bool fetch(Row& row) = 0;
    virtual std::size_t column_count() const noexcept = 0;
  };
  explicit Cursor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  /// The next row, or false at the end.
  bool fetch(Row& row);
  std::size_t column_count() const noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The transaction bookkeeping of one connection (django.db.backends.base.base's attributes).
struct TransactionState {
  bool in_atomic_block = false;
  std::vector<std::string> savepoint_ids;
  /// An inner atomic block failed and was caught: the outermost must roll back.
  bool needs_rollback = false;
  int savepoint_counter = 0;
  struct Hook {
    std::vector<std::string> savepoints;  // the savepoints open when registered
    std::function<void()> fn;
  };
  std::vector<Hook> on_commit;
};

/// One database connection (Django's DatabaseWrapper), the same API on every backend; SQL is written with
/// `?` parameters and values are always bound. Errors are thrown as IntegrityError, OperationalError,
/// ProgrammingError or DataError (carrying the SQLSTATE on PostgreSQL).
///  - SQLite: WAL, foreign keys on, busy timeout, a bounded prepared-statement cache.
///  - PostgreSQL: blocking libpq on the calling thread, session TimeZone UTC, statements prepared once and
///    cached; a lost connection throws OperationalError and the next statement reconnects.
/// Not thread-safe: each thread has its own, reached through `connections[alias]`.
class Connection {
 public:
  /// The backend behind the API (src/db/backends/*).
  class Backend;

  Connection(std::string alias, DatabaseSettings settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& alias() const noexcept { return alias_; }
  const DatabaseSettings& settings() const noexcept { return settings_; }
  /// "sqlite" or "postgresql" (Django's connection.vendor).
  std::string_view vendor() const noexcept;

  /// Runs one statement; returns the number of rows it changed.
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params = {});
  /// Runs one statement and returns all its rows.
  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params = {});
  /// Calls `on_row` for each row as it is stepped (no buffering); the row is reused between calls.
  void for_each(std::string_view sql, const std::vector<Value>& params,
                const std::function<void(const Row&)>& on_row);
  /// A statement to step at the caller's pace.
  std::unique_ptr<Cursor> cursor(std::string_view sql, const std::vector<Value>& params = {});
  /// Several ';'-separated statements without parameters (schema scripts).
  void execute_script(std::string_view sql);
  /// SQLite's rowid of the last INSERT; NotSupportedError on PostgreSQL (the ORM uses INSERT ... RETURNING).
  std::int64_t last_insert_rowid() const;
  /// A transaction is open on the server side (not in autocommit): sqlite3_get_autocommit /
  /// PQtransactionStatus.
  bool in_transaction() const;

  /// Statements run so far on this connection (a counter for tests: assertNumQueries).
  std::uint64_t queries_executed() const noexcept { return queries_; }
  std::uint64_t generation() const noexcept { return generation_; }

  TransactionState& transaction() noexcept { return tx_; }
  bool in_atomic_block() const noexcept { return tx_.in_atomic_block; }
  /// The SQLite handle (nullptr on another backend).
  sqlite3* native() const noexcept;
  Backend& backend() noexcept { return *backend_; }

 private:
  std::string alias_;
  DatabaseSettings settings_;
  std::unique_ptr<Backend> backend_;
  std::uint64_t generation_ = 0;
  std::uint64_t queries_ = 0;
  TransactionState tx_;
};

/// Django's `connections`: `connections["default"]` is the calling thread's connection for that alias.
class ConnectionHandler {
 public:
  Connection& operator[](std::string_view alias) const;
  /// Closes the calling thread's connections (they reopen on next use).
  void close_all() const;
};
inline constexpr ConnectionHandler connections{};

/// The calling thread's connection to `alias` ("default").
inline Connection& connection(std::string_view alias = DEFAULT_DB_ALIAS) {
  return connections[alias];
}

namespace detail {
/// Throws the Django-named exception for a SQLite result code.
[[noreturn]] void throw_sqlite_error(int code, const char* message, std::string_view sql = {});
/// "name" quoted as an identifier (the same on SQLite and PostgreSQL).
std::string quote_name(std::string_view name);
}  // namespace detail

}  // namespace duet::db
