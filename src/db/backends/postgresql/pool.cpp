// Pool: the connections of one loop, shared for pipelined queries and leased for transactions.
#include "duet/db/backends/postgresql/pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <thread>

namespace duet::db::postgresql {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct PoolSlot {
  AsyncConnection conn;
  bool leased = false;
};

struct PoolState {
  PoolOptions options;
  std::vector<std::unique_ptr<PoolSlot>> slots;
  std::size_t connecting = 0;
  std::size_t opened_total = 0;
  std::deque<asio::steady_timer*> waiters;
  int failures = 0;
  Clock::time_point next_attempt{};
  std::string last_error;
  bool closed = false;
  std::thread::id owner{};

  /// The pool has no locks: it must stay on the loop thread that first used it.
  void check_thread() {
    auto me = std::this_thread::get_id();
    if (owner == std::thread::id{}) owner = me;
    if (owner != me) {
      throw ProgrammingError(
          "a PostgreSQL Pool was used from a thread other than its event loop's; create one Pool per loop");
    }
  }

  std::size_t capacity_used() const { return slots.size() + connecting; }

  /// Drops broken connections nobody holds; each one frees room for a waiter.
  void prune() {
    auto broken = [](const std::unique_ptr<PoolSlot>& s) { return !s->leased && !s->conn.is_open(); };
    auto n = std::count_if(slots.begin(), slots.end(), broken);
    if (n == 0) return;
    std::erase_if(slots, broken);
    for (; n > 0; --n)
      wake_one();
  }

  void wake_all() {
    while (!waiters.empty())
      wake_one();
  }

  void wake_one() {
    if (waiters.empty()) return;
    auto* t = waiters.front();
    waiters.pop_front();
    t->cancel();
  }

  void give_back(PoolSlot* slot) {
    slot->leased = false;
    auto status = slot->conn.transaction_status();
    // Left inside a transaction (BEGIN without COMMIT): the next user must not inherit it.
    if (status == TransactionStatus::in_transaction || status == TransactionStatus::in_error)
      slot->conn.close();
    if (closed) slot->conn.close();
    prune();
    wake_one();
  }

  /// Waits until a connection is given back or room frees up; PoolTimeout at `deadline`.
  Task<void> wait(Clock::time_point deadline) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    // Woken by wake_one(), and in any case every 100 ms to look again: a wake-up that came between the
    // caller's look and this wait must not cost the whole acquire_timeout.
    timer.expires_at(std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    waiters.push_back(&timer);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::erase(waiters, &timer);
    if (closed) throw PoolTimeout("the connection pool is closed");
    if (!ec && Clock::now() >= deadline) {
      throw PoolTimeout(
          fmt::format("no PostgreSQL connection available within {} ms ({} open, all in use; max_size = {})",
                      options.acquire_timeout.count(), slots.size(), options.max_size));
    }
  }

  /// Opens one connection, retrying with exponential backoff until `deadline`.
  Task<PoolSlot*> open(Clock::time_point deadline) {
    for (;;) {
      if (closed) throw PoolTimeout("the connection pool is closed");
      auto now = Clock::now();
      if (next_attempt > now) {
        if (next_attempt > deadline) {
          throw PoolTimeout(fmt::format("could not connect to PostgreSQL within {} ms: {}",
                                        options.acquire_timeout.count(), last_error));
        }
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_at(next_attempt);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      ++connecting;
      std::string error;
      AsyncConnection conn;
      try {
        conn = co_await AsyncConnection::connect(options.config);
      } catch (const std::exception& e) {
        error = e.what();
      }
      --connecting;
      if (error.empty()) {
        failures = 0;
        ++opened_total;
        slots.push_back(std::make_unique<PoolSlot>(PoolSlot{std::move(conn), false}));
        if (closed) slots.back()->conn.close();
        // Whoever waited while every place was taken by connections still connecting can share this one now
        // (a waiter that cannot, e.g. an acquire() finding it leased, waits again).
        wake_all();
        co_return slots.back().get();
      }
      last_error = error;
      ++failures;
      auto backoff = options.reconnect_backoff * (1 << std::min(failures - 1, 16));
      next_attempt =
          Clock::now() + std::min<std::chrono::milliseconds>(backoff, options.reconnect_backoff_max);
      wake_one();  // the room this attempt held is free again
    }
  }

  PoolSlot* least_busy() {
    PoolSlot* best = nullptr;
    for (auto& s : slots) {
      if (s->leased || !s->conn.is_open()) continue;
      if (!best || s->conn.in_flight() < best->conn.in_flight()) best = s.get();
    }
    return best;
  }
};

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = other.slot_;
  }
  return *this;
}

AsyncConnection& Lease::connection() const {
  if (!pool_) throw ProgrammingError("use of a released connection lease");
  return slot_->conn;
}

void Lease::release() noexcept {
  if (auto pool = std::exchange(pool_, nullptr)) pool->give_back(slot_);
}

Transaction::~Transaction() {
  if (active_ && lease_) {
    // Not awaited: the ROLLBACK is queued on the connection before it is given back, so it runs before
    // anything the next user sends.
    lease_->send_detached("ROLLBACK");
  }
}

Task<Result> Transaction::query(std::string sql, std::vector<Value> params) {
  if (!active_) throw TransactionManagementError("the transaction has already ended");
  co_return co_await lease_->query(std::move(sql), std::move(params));
}

Task<std::int64_t> Transaction::execute(std::string sql, std::vector<Value> params) {
  auto r = co_await query(std::move(sql), std::move(params));
  co_return r.rows_affected;
}

Task<void> Transaction::commit() {
  if (!active_) throw TransactionManagementError("the transaction has already ended");
  active_ = false;
  co_await lease_->execute("COMMIT");
  lease_.release();
}

Task<void> Transaction::rollback() {
  if (!active_) throw TransactionManagementError("the transaction has already ended");
  active_ = false;
  co_await lease_->execute("ROLLBACK");
  lease_.release();
}

Pool::Pool(PoolOptions options) : state_(std::make_shared<PoolState>()) {
  if (options.max_size == 0) throw ImproperlyConfigured("PostgreSQL pool max_size must be at least 1");
  options.min_size = std::min(options.min_size, options.max_size);
  state_->options = std::move(options);
}

Pool::~Pool() {
  close();
}

Task<void> Pool::warm_up() {
  auto state = state_;
  state->check_thread();
  auto deadline = Clock::now() + state->options.acquire_timeout;
  while (state->capacity_used() < state->options.min_size)
    co_await state->open(deadline);
}

namespace {

/// A shared connection that can take one more query now, or null.
PoolSlot* ready_slot(PoolState& state) {
  state.prune();
  PoolSlot* best = state.least_busy();
  bool room = state.capacity_used() < state.options.max_size;
  if (best && (best->conn.in_flight() < state.options.pipeline_depth || !room)) return best;
  return nullptr;
}

/// Pool::query's slow path: opens a connection or waits for one.
Task<Result> query_when_ready(std::shared_ptr<PoolState> state, std::string sql, std::vector<Value> params,
                              bool read) {
  auto deadline = Clock::now() + state->options.acquire_timeout;
  PoolSlot* slot = nullptr;
  while (!slot) {
    state->prune();
    PoolSlot* best = state->least_busy();
    bool room = state->capacity_used() < state->options.max_size;
    if (best && (best->conn.in_flight() < state->options.pipeline_depth || !room)) {
      slot = best;
    } else if (room) {
      slot = co_await state->open(deadline);
    } else {
      co_await state->wait(deadline);
    }
  }
  // Two statements, not `co_await (read ? a : b)`: g++ 12 destroys the awaitable of such a conditional
  // twice.
  if (read) co_return co_await slot->conn.read(std::move(sql), std::move(params));
  co_return co_await slot->conn.query(std::move(sql), std::move(params));
}

}  // namespace

Task<Result> Pool::query(std::string sql, std::vector<Value> params) {
  state_->check_thread();
  // Not a coroutine: when a connection can take the query now (nearly always, once the pool is warm), its
  // own query() coroutine is the one awaited, one coroutine frame less per query. That coroutine keeps the
  // connection alive itself, and is awaited at once by the caller, before the slot could be pruned.
  if (PoolSlot* slot = ready_slot(*state_)) return slot->conn.query(std::move(sql), std::move(params));
  return query_when_ready(state_, std::move(sql), std::move(params), false);
}

Task<Result> Pool::read(std::string sql, std::vector<Value> params) {
  state_->check_thread();
  if (PoolSlot* slot = ready_slot(*state_)) return slot->conn.read(std::move(sql), std::move(params));
  return query_when_ready(state_, std::move(sql), std::move(params), true);
}

Task<std::int64_t> Pool::execute(std::string sql, std::vector<Value> params) {
  auto r = co_await query(std::move(sql), std::move(params));
  co_return r.rows_affected;
}

Task<Lease> Pool::acquire() {
  auto state = state_;
  state->check_thread();
  auto deadline = Clock::now() + state->options.acquire_timeout;
  for (;;) {
    state->prune();
    // A connection with shared queries still in flight is fine: they finish before anything the lease sends.
    if (PoolSlot* best = state->least_busy()) {
      best->leased = true;
      co_return Lease(state, best);
    }
    if (state->capacity_used() < state->options.max_size) {
      PoolSlot* slot = co_await state->open(deadline);
      slot->leased = true;
      co_return Lease(state, slot);
    }
    co_await state->wait(deadline);
  }
}

Task<Transaction> Pool::begin() {
  Lease lease = co_await acquire();
  co_await lease->execute("BEGIN");
  co_return Transaction(std::move(lease));
}

Task<void> Pool::atransaction(std::function<Task<void>(Transaction&)> body) {
  Transaction tx = co_await begin();
  std::exception_ptr error;
  try {
    co_await body(tx);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    if (tx.active()) {
      try {
        co_await tx.rollback();
      } catch (...) {
        // The connection is lost or unusable: the server rolls back on its own, the body's error matters.
      }
    }
    std::rethrow_exception(error);
  }
  if (tx.active()) co_await tx.commit();
}

PoolStats Pool::stats() const {
  PoolStats s;
  s.open = state_->slots.size();
  for (auto& slot : state_->slots)
    s.leased += slot->leased;
  s.connecting = state_->connecting;
  s.waiting = state_->waiters.size();
  s.opened_total = state_->opened_total;
  return s;
}

const PoolOptions& Pool::options() const {
  return state_->options;
}

void Pool::close() {
  if (!state_ || state_->closed) return;
  state_->closed = true;
  for (auto& s : state_->slots) {
    if (!s->leased) s->conn.close();
  }
  state_->prune();
  while (!state_->waiters.empty())
    state_->wake_one();
}

}  // namespace duet::db::postgresql
