// The PostgreSQL backend of duet::db::Connection: the ORM's `?` SQL on a blocking SyncConnection owned by
// the thread's Connection (persistent, statements prepared once per session).
#include <fmt/format.h>

#include "db/backends/backend.hpp"
#include "db/backends/postgresql/placeholders.hpp"
#include "duet/db/backends/postgresql/sync.hpp"
#include "duet/db/exceptions.hpp"

namespace duet::db {

namespace {

// The ORM's `?` SQL for libpq, with SQLite's check of the number of values (the server's own complaint would
// be a protocol violation, not the caller's mistake).
std::string prepared(std::string_view sql, const std::vector<Value>& params) {
  std::size_t expected = 0;
  std::string out = postgresql::to_dollar_placeholders(sql, expected);
  if (expected != params.size()) {
    throw ProgrammingError(
        fmt::format("Incorrect number of bindings supplied. The current statement uses {}, and there are {} "
                    "supplied. ({})",
                    expected, params.size(), sql.substr(0, 200)));
  }
  return out;
}

class PostgresqlCursor final : public Cursor::Impl {
 public:
  explicit PostgresqlCursor(postgresql::Result result) : result_(std::move(result)) {}
  bool fetch(Row& row) override {
    if (next_ >= result_.rows.size()) return false;
    row = std::move(result_.rows[next_++]);
    return true;
  }
  std::size_t column_count() const noexcept override { return result_.columns.size(); }

 private:
  postgresql::Result result_;
  std::size_t next_ = 0;
};

class PostgresqlBackend final : public Connection::Backend {
 public:
  explicit PostgresqlBackend(const DatabaseSettings& settings) : conn_(config_of(settings)) {}

  std::string_view vendor() const noexcept override { return "postgresql"; }
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params) override {
    return run([&] { return conn_.execute(prepared(sql, params), params); });
  }
  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params) override {
    return run([&] { return conn_.query(prepared(sql, params), params).rows; });
  }
  void for_each(std::string_view sql, const std::vector<Value>& params,
                const std::function<void(const Row&)>& on_row) override {
    // libpq returns the whole result at once (as psycopg2's client-side cursors do).
    auto result = run([&] { return conn_.query(prepared(sql, params), params); });
    for (const Row& row : result.rows)
      on_row(row);
  }
  std::unique_ptr<Cursor::Impl> cursor(std::string_view sql, const std::vector<Value>& params) override {
    return std::make_unique<PostgresqlCursor>(
        run([&] { return conn_.query(prepared(sql, params), params); }));
  }
  void execute_script(std::string_view sql) override {
    if (lost_in_transaction_ && sql == "ROLLBACK") {
      // The server already threw the transaction away with the session.
      lost_in_transaction_ = false;
      return;
    }
    run([&] {
      conn_.execute_script(sql);
      return 0;
    });
  }
  std::string begin_sql(const DatabaseSettings&) const override { return "BEGIN"; }
  bool in_transaction() const override { return lost_in_transaction_ || server_in_transaction(); }
  std::int64_t last_insert_rowid() const override {
    throw NotSupportedError("last_insert_rowid() is SQLite's; on PostgreSQL use INSERT ... RETURNING");
  }

 private:
  static postgresql::Config config_of(const DatabaseSettings& settings) {
    postgresql::Config c;
    c.conninfo = settings.conninfo();
    return c;
  }
  bool server_in_transaction() const {
    auto status = conn_.transaction_status();
    return status == postgresql::TransactionStatus::in_transaction ||
           status == postgresql::TransactionStatus::in_error ||
           status == postgresql::TransactionStatus::active;
  }
  // A session lost inside a transaction took the transaction's work with it. Reconnecting silently would run
  // the rest of the block in autocommit and make its COMMIT a no-op, so until the block rolls back every
  // statement fails (Django: "You can't execute queries until the end of the 'atomic' block").
  template <class Fn>
  auto run(Fn fn) -> decltype(fn()) {
    if (lost_in_transaction_) {
      throw OperationalError(
          "the PostgreSQL connection was lost during a transaction: no statement can run until it is rolled "
          "back (the end of the atomic block)");
    }
    const bool in_tx = server_in_transaction();
    try {
      return fn();
    } catch (const OperationalError&) {
      if (in_tx && conn_.is_broken()) lost_in_transaction_ = true;
      throw;
    }
  }

  postgresql::SyncConnection conn_;
  bool lost_in_transaction_ = false;
};

}  // namespace

namespace detail {
std::unique_ptr<Connection::Backend> make_postgresql_backend(const DatabaseSettings& settings) {
  return std::make_unique<PostgresqlBackend>(settings);
}
}  // namespace detail

}  // namespace duet::db
