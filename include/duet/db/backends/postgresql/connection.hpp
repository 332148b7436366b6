// The native async PostgreSQL connection: libpq's non-blocking API driven by the calling loop, in pipeline
// mode.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/db/exceptions.hpp"
#include "duet/db/value.hpp"
#include "duet/runtime/task.hpp"

struct pg_result;  // libpq's PGresult, kept out of this header

namespace duet::db::postgresql {

/// How to reach the server. `conninfo` is anything libpq accepts ("host=... dbname=...",
/// "postgresql://user@host/db"); empty means libpq's defaults, i.e. the PGHOST/PGPORT/PGUSER/... environment.
struct Config {
  std::string conninfo;
  /// Giving up on a connection attempt (DNS, TCP, TLS, authentication) after this long: OperationalError.
  std::chrono::milliseconds connect_timeout{10000};
  /// Statements kept prepared per connection (by SQL text); further distinct statements run unprepared.
  std::size_t statement_cache_size = 256;
};

/// The rows of a result as libpq received them, decoded one value at a time on request (the ORM fills its
/// objects from them without building a Row per row first). Owns the libpq result; move-only.
class RawRows {
 public:
  RawRows() = default;
  explicit RawRows(pg_result* result) noexcept : result_(result) {}
  RawRows(RawRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  RawRows& operator=(RawRows&& other) noexcept;
  RawRows(const RawRows&) = delete;
  RawRows& operator=(const RawRows&) = delete;
  ~RawRows();

  explicit operator bool() const noexcept { return result_ != nullptr; }
  std::size_t size() const noexcept;
  std::size_t columns() const noexcept;
  /// The value at (row, column), mapped as Result's rows are; both must be in range.
  Value value(std::size_t row, std::size_t column) const;
  /// Row `row` as Result's rows hold it.
  Row row(std::size_t row) const;
  /// The value at (row, column) when value() would give it as an integer (an integer column), read straight
  /// from libpq's text; false for NULL and for other columns, which value() maps.
  bool int_at(std::size_t row, std::size_t column, std::int64_t& out) const;
  /// The same for a text (text, varchar, date, uuid, json...: the columns value() gives as their text); the
  /// view is into the result.
  bool text_at(std::size_t row, std::size_t column, std::string_view& out) const;

 private:
  pg_result* result_ = nullptr;
};

/// What a statement returned. Values are mapped by column type (OID): integers and bool → integer, float4/8 →
/// double, bytea → Blob, timestamp/timestamptz → the ORM's "YYYY-MM-DD HH:MM:SS.ffffff" UTC text, numeric,
/// date, uuid, json/jsonb, text and everything else → their text form (as the ORM's fields store them).
struct Result {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  /// Rows inserted/updated/deleted (or returned by a SELECT), as the command tag reports it.
  std::int64_t rows_affected = 0;
  /// Set instead of `columns` and `rows` when the caller asked for the rows unconverted (RowsAs::raw).
  RawRows raw;

  /// Rows returned, whichever form holds them.
  std::size_t row_count() const noexcept { return raw ? raw.size() : rows.size(); }
};

/// How a read's rows are delivered: converted into Result::rows, or kept as libpq gave them in Result::raw
/// (for a caller that reads each value once, straight into its own objects).
enum class RowsAs { converted, raw };

/// One NOTIFY received by a connection that LISTENs.
struct Notification {
  std::string channel;
  std::string payload;
  /// The backend that sent it.
  int sender_pid = 0;
};

/// A session's state as libpq reports it (PQtransactionStatus).
enum class TransactionStatus { idle, active, in_transaction, in_error, unknown };

/// One connection, living on the loop that connected it (never touch it from another thread). Every query
/// is sent at once, pipelined behind the ones still running: any number of coroutines of that loop can await
/// queries on it concurrently and each gets its own result, in order. Each query is its own pipeline sync
/// point, so a failing one leaves the others' results intact (outside an explicit transaction).
///
/// Parameters are always bound ($1, $2, ...) in text form, bytes in binary. Server errors are thrown as the
/// ORM's exceptions carrying `sqlstate()`: class 23 → IntegrityError, 22 → DataError, 42 → ProgrammingError,
/// 08/53/57/58/40 → OperationalError, ... A lost connection fails every query on it with OperationalError.
class AsyncConnection {
 public:
  /// Connects on the current coroutine's executor (non-blocking: PQconnectStartParams + PQconnectPoll).
  static Task<AsyncConnection> connect(Config config);

  AsyncConnection() = default;
  AsyncConnection(AsyncConnection&&) noexcept = default;
  AsyncConnection& operator=(AsyncConnection&&) noexcept;
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;
  /// Closes the connection; queries still in flight fail with OperationalError.
  ~AsyncConnection();

  /// Runs one statement (prepared once per connection and cached by its text) and returns its rows.
  Task<Result> query(std::string sql, std::vector<Value> params = {});
  /// query() for a statement that only reads (a SELECT calling no function that writes) and runs in
  /// autocommit, never inside BEGIN ... COMMIT: the reads submitted in one turn of the loop then share one
  /// sync point (one send, one implicit transaction on the server) when the session's isolation is READ
  /// COMMITTED, where each of them still takes its own snapshot. Should one of them fail, those after it
  /// (skipped by the server) are sent again on their own: each read completes as it would have alone. The
  /// ORM's a-methods use it for their SELECTs outside aatomic().
  Task<Result> read(std::string sql, std::vector<Value> params = {});
  /// query() and read() of a text the caller keeps shared across calls (the ORM's compiled shapes): its
  /// prepared statement is found by the text's address, without hashing or copying the text.
  Task<Result> query(std::shared_ptr<const std::string> sql, std::vector<Value> params);
  Task<Result> read(std::shared_ptr<const std::string> sql, std::vector<Value> params,
                    RowsAs rows_as = RowsAs::converted);
  /// Runs one statement and returns the number of rows it changed.
  Task<std::int64_t> execute(std::string sql, std::vector<Value> params = {});
  /// Sends a statement without waiting for it (its result is dropped); later queries on this connection
  /// still run after it. Used to roll back from a destructor.
  void send_detached(std::string sql);

  /// LISTEN / UNLISTEN on `channel` (quoted as an identifier).
  Task<void> listen(std::string channel);
  Task<void> unlisten(std::string channel);
  /// The next notification received (waits for it); OperationalError if the connection is lost.
  Task<Notification> next_notification();

  bool is_open() const noexcept;
  /// The server closed the connection or the socket failed; it cannot be used again.
  bool is_broken() const noexcept;
  /// Why it broke, for messages.
  std::string broken_reason() const;
  /// Queries sent whose result has not been delivered yet.
  std::size_t in_flight() const noexcept;
  /// Reads of this turn of the loop are queued on it, waiting for the sync point they share (see read()):
  /// another read sent now joins them (no extra send, no extra wake-up of the server).
  bool collecting_reads() const noexcept;
  TransactionStatus transaction_status() const noexcept;
  int backend_pid() const noexcept;
  std::size_t prepared_statements() const noexcept;
  std::uint64_t queries_executed() const noexcept;
  /// Closes now (idempotent); in-flight queries fail with OperationalError.
  void close() noexcept;

  class Impl;

 private:
  explicit AsyncConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace duet::db::postgresql
