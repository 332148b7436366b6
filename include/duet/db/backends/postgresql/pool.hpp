// A pool of async PostgreSQL connections for one event loop: shared pipelined queries, exclusive leases,
// transactions pinned to their task.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/db/backends/postgresql/connection.hpp"

namespace duet::db::postgresql {

/// acquire() waited `acquire_timeout` for a connection (all were leased and the pool is at max_size), or the
/// server could not be reached within it.
class PoolTimeout : public OperationalError {
 public:
  using OperationalError::OperationalError;
};

struct PoolOptions {
  Config config;
  /// Connections opened by warm_up() (and never closed for being idle).
  std::size_t min_size = 1;
  std::size_t max_size = 10;
  std::chrono::milliseconds acquire_timeout{5000};
  /// A shared query goes to the least busy connection; a new one is opened (up to max_size) only when every
  /// connection has at least this many queries in flight.
  std::size_t pipeline_depth = 32;
  /// Reconnection after a failed attempt waits this long, doubling up to reconnect_backoff_max.
  std::chrono::milliseconds reconnect_backoff{50};
  std::chrono::milliseconds reconnect_backoff_max{2000};
};

struct PoolStats {
  std::size_t open = 0;
  std::size_t leased = 0;
  std::size_t connecting = 0;
  std::size_t waiting = 0;
  /// Connections opened over the pool's life (reconnections included).
  std::size_t opened_total = 0;
  /// Callers that had to queue for a connection over the pool's life (each served oldest first).
  std::size_t waited_total = 0;
};

class Pool;
struct PoolState;
struct PoolSlot;

/// Exclusive use of one connection until destroyed (then it returns to the pool). A connection given back
/// inside a transaction, or broken, is closed instead of reused.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_) {}
  Lease& operator=(Lease&& other) noexcept;
  ~Lease() { release(); }

  AsyncConnection& connection() const;
  AsyncConnection* operator->() const { return &connection(); }
  AsyncConnection& operator*() const { return connection(); }
  explicit operator bool() const noexcept { return pool_ != nullptr; }
  /// Gives the connection back now.
  void release() noexcept;

 private:
  friend class Pool;
  Lease(std::shared_ptr<PoolState> pool, PoolSlot* slot) : pool_(std::move(pool)), slot_(slot) {}
  std::shared_ptr<PoolState> pool_;
  PoolSlot* slot_ = nullptr;
};

/// An open transaction on a leased connection: every query through it runs on that connection, in order,
/// even when several coroutines of a gather issue them. commit() or rollback() ends it; destroyed while open
/// it rolls back (the ROLLBACK is sent at once and runs before anything a later user sends).
class Transaction {
 public:
  Transaction(Transaction&&) noexcept = default;
  Transaction& operator=(Transaction&&) noexcept = default;
  ~Transaction();

  Task<Result> query(std::string sql, std::vector<Value> params = {});
  Task<std::int64_t> execute(std::string sql, std::vector<Value> params = {});
  Task<void> commit();
  Task<void> rollback();
  AsyncConnection& connection() const { return lease_.connection(); }
  bool active() const noexcept { return active_; }

 private:
  friend class Pool;
  explicit Transaction(Lease lease) : lease_(std::move(lease)) {}
  Lease lease_;
  bool active_ = true;
};

/// One pool per event loop: create it on the loop whose coroutines use it, and use it only there (no locks).
/// Queries outside a transaction share connections, pipelined; leases and transactions take one exclusively.
/// A lost connection fails its in-flight queries with OperationalError and is replaced on next use
/// (reconnecting with backoff); the pool never throws anything but the ORM's exceptions.
class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Opens min_size connections now (otherwise they are opened on first use).
  Task<void> warm_up();
  /// Runs one statement on a shared connection.
  Task<Result> query(std::string sql, std::vector<Value> params = {});
  /// AsyncConnection::read() on a shared connection: an autocommit statement that only reads.
  Task<Result> read(std::string sql, std::vector<Value> params = {});
  /// query() and read() of a text kept shared across calls (see AsyncConnection::query).
  Task<Result> query(std::shared_ptr<const std::string> sql, std::vector<Value> params);
  Task<Result> read(std::shared_ptr<const std::string> sql, std::vector<Value> params,
                    RowsAs rows_as = RowsAs::converted);
  Task<std::int64_t> execute(std::string sql, std::vector<Value> params = {});
  /// A connection for this task alone: waits up to acquire_timeout, then throws PoolTimeout. Waiters are
  /// served in the order they came (a connection given back goes straight to the oldest one); a waiter whose
  /// task is cancelled leaves the queue with OperationalError and takes nothing.
  Task<Lease> acquire();
  /// BEGIN on a leased connection.
  Task<Transaction> begin();
  /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK (and rethrow) when it throws.
  Task<void> atransaction(std::function<Task<void>(Transaction&)> body);

  PoolStats stats() const;
  const PoolOptions& options() const;
  /// Closes every connection; in-flight queries fail with OperationalError, waiters with PoolTimeout.
  void close();

 private:
  std::shared_ptr<PoolState> state_;
};

/// How big the pools the ORM opens for a PostgreSQL alias are, per event loop (Django has no pool: each
/// thread keeps one connection; here each loop keeps a few, shared by all its requests through pipelining).
struct PoolSizing {
  std::size_t min_size = 1;
  std::size_t max_size = 4;
  std::chrono::milliseconds acquire_timeout{5000};
  std::size_t pipeline_depth = 32;
};

/// Sets the sizing of `alias`'s loop pools (read when a loop opens its pool; pools already open keep
/// theirs until the next db::configure()). Thread-safe.
void set_pool_sizing(std::string_view alias, PoolSizing sizing);
PoolSizing pool_sizing(std::string_view alias);

/// The pool of `alias` for the loop that runs `executor` (one per loop and alias), opened on first use from
/// DATABASES[alias] and closed when the loop's io_context is destroyed; a db::configure() replaces it on
/// the next use. Call it on that loop's thread only. ImproperlyConfigured when the alias is not PostgreSQL.
Pool& loop_pool(const Executor& executor, std::string_view alias = "default");

}  // namespace duet::db::postgresql
