// The PostgreSQL backend of duet::db::Connection: the ORM's `?` SQL on a blocking SyncConnection owned by
// the thread's Connection (persistent, statements prepared once per session).
#include <fmt/format.h>

#include <algorithm>
#include <memory>

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
  std::unique_ptr<Cursor::Impl> cursor(std::string_view sql, const std::vector<Value>& params) override;
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

  friend class PostgresqlCursor;
  postgresql::SyncConnection conn_;
  bool lost_in_transaction_ = false;
  // Server-side cursor names in use ("duet_cursor_<i>" for each true entry); freed names are reused, so the
  // FETCH statements prepared for them stay few.
  std::vector<bool> cursor_names_;
  // Expires with the backend: a Cursor outliving its connection (close_all()) must not touch it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// QuerySet::iterator() on PostgreSQL, as Django's server-side cursors: DECLARE ... CURSOR (WITH HOLD outside
// a transaction, so it survives the statement's implicit commit) and FETCH 2000 rows at a time, so the client
// holds one chunk, never the whole result. Other statements may run on the connection between fetches.
class PostgresqlCursor final : public Cursor::Impl {
 public:
  static constexpr std::size_t kChunk = 2000;

  PostgresqlCursor(PostgresqlBackend& backend, std::string_view sql, const std::vector<Value>& params)
      : backend_(&backend), alive_(backend.alive_) {
    auto& names = backend.cursor_names_;
    index_ = std::find(names.begin(), names.end(), false) - names.begin();
    if (index_ == names.size()) names.push_back(false);
    unquoted_ = "duet_cursor_" + std::to_string(index_);
    name_ = "\"" + unquoted_ + "\"";
    hold_ = !backend.server_in_transaction();
    std::string declare =
        "DECLARE " + name_ + " NO SCROLL CURSOR" + (hold_ ? " WITH HOLD" : "") + " FOR " + std::string(sql);
    backend.run([&] { return backend.conn_.execute(prepared(declare, params), params); });
    names[index_] = true;
    try {
      fetch_chunk();
    } catch (...) {
      names[index_] = false;
      try {
        if (!backend.conn_.is_broken() && hold_) backend.conn_.execute_script("CLOSE " + name_);
      } catch (...) {
      }
      throw;
    }
  }
  ~PostgresqlCursor() override {
    if (alive_.expired()) return;
    backend_->cursor_names_[index_] = false;
    try {
      auto& conn = backend_->conn_;
      if (conn.is_broken() || backend_->lost_in_transaction_) return;
      // A cursor without HOLD ended with its transaction; a failing CLOSE inside a later one would abort it.
      bool open =
          hold_ || (backend_->server_in_transaction() &&
                    !conn.query("SELECT 1 FROM pg_cursors WHERE name = $1", {unquoted_}).rows.empty());
      if (open) conn.execute_script("CLOSE " + name_);
    } catch (...) {
      // Gone with its transaction or its session already: nothing left to free.
    }
  }
  bool fetch(Row& row) override {
    if (next_ >= chunk_.rows.size()) {
      if (done_) return false;
      fetch_chunk();
      if (chunk_.rows.empty()) return false;
    }
    row = std::move(chunk_.rows[next_++]);
    return true;
  }
  std::size_t column_count() const noexcept override { return chunk_.columns.size(); }

 private:
  void fetch_chunk() {
    if (alive_.expired()) throw InterfaceError("the cursor's connection was closed");
    chunk_ = backend_->run(
        [&] { return backend_->conn_.query("FETCH " + std::to_string(kChunk) + " FROM " + name_); });
    next_ = 0;
    done_ = chunk_.rows.size() < kChunk;
  }

  PostgresqlBackend* backend_;
  std::weak_ptr<int> alive_;
  std::size_t index_ = 0;
  std::string unquoted_, name_;
  bool hold_ = false;
  postgresql::Result chunk_;
  std::size_t next_ = 0;
  bool done_ = false;
};

std::unique_ptr<Cursor::Impl> PostgresqlBackend::cursor(std::string_view sql,
                                                        const std::vector<Value>& params) {
  return std::make_unique<PostgresqlCursor>(*this, sql, params);
}

}  // namespace

namespace detail {
std::unique_ptr<Connection::Backend> make_postgresql_backend(const DatabaseSettings& settings) {
  return std::make_unique<PostgresqlBackend>(settings);
}
}  // namespace detail

}  // namespace duet::db
