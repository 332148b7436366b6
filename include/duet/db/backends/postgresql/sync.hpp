// The sync PostgreSQL API: blocking libpq on the calling (sync strand) thread, one persistent connection per
// thread, reused across requests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/backends/postgresql/connection.hpp"

struct pg_conn;

namespace duet::db::postgresql {

/// A blocking connection. Every call first checks that it is not on an event loop (SynchronousOnlyOperation
/// otherwise: use AsyncConnection or Pool there). Results, type mapping and errors are the async API's.
class SyncConnection {
 public:
  explicit SyncConnection(Config config = {});
  ~SyncConnection();
  SyncConnection(const SyncConnection&) = delete;
  SyncConnection& operator=(const SyncConnection&) = delete;

  /// Runs one statement (prepared once and cached by its text). A lost connection throws OperationalError;
  /// the next call reconnects.
  Result query(std::string_view sql, const std::vector<Value>& params = {});
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params = {});
  /// Several ';'-separated statements without parameters, in one round trip (simple query protocol).
  void execute_script(std::string_view sql);
  /// The session's transaction state (PQtransactionStatus); `unknown` when not connected.
  TransactionStatus transaction_status() const noexcept;

  bool is_broken() const noexcept;
  int backend_pid() const noexcept;
  std::size_t prepared_statements() const noexcept;
  /// Connections made so far (1 + reconnections).
  std::uint64_t connects() const noexcept { return connects_; }
  void close() noexcept;

 private:
  void ensure_connected();
  Config config_;
  pg_conn* conn_ = nullptr;
  std::uint64_t connects_ = 0;
  struct Statements;
  std::unique_ptr<Statements> statements_;
};

/// The calling thread's connection for `config` (by conninfo), opened on first use and kept for the thread's
/// life, as Django keeps `connections[alias]` per thread.
SyncConnection& sync_connection(const Config& config = {});
/// Closes the calling thread's connections.
void close_sync_connections();

}  // namespace duet::db::postgresql
