// Pool: the connections of one loop, shared for pipelined queries and leased for transactions.
#include "duet/db/backends/postgresql/pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <thread>
#include <type_traits>

namespace duet::db::postgresql {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct PoolSlot {
  AsyncConnection conn;
  bool leased = false;
  /// Shared waiters handed this connection whose queries are not sent yet: nobody may lease it before they
  /// are, or their queries would land inside the lease's transaction.
  std::size_t promised = 0;
};

struct PoolState;

/// A place under max_size held for a connection being opened (counted in `connecting`). Whoever opens owns
/// it: given back when the attempt is abandoned (an error, a cancelled opener), so the room goes to the next
/// waiter; committed when the connection is added to the pool.
class Reservation {
 public:
  enum Adopt { adopt };
  explicit Reservation(PoolState& state);
  /// Takes over a place that dispatch() already counted for a waiter.
  Reservation(PoolState& state, Adopt) : state_(&state) {}
  Reservation(Reservation&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Reservation& operator=(Reservation&&) = delete;
  ~Reservation();
  /// The connection is in the pool now and counts there.
  void commit() noexcept;

 private:
  PoolState* state_;
};

/// A coroutine waiting for a connection, in the pool's FIFO queue. dispatch() hands it what it waits for
/// (a connection, already leased when it is exclusive, or room to open one) and then cancels its timer:
/// the hand-off is recorded before the wake-up, so a wake-up racing the deadline still finds it.
struct Waiter {
  Waiter(const Executor& executor, bool exclusive) : timer(executor), exclusive(exclusive) {}
  asio::steady_timer timer;
  bool exclusive;
  bool queued = false;
  std::shared_ptr<PoolSlot> slot;
  bool room = false;
};

struct PoolState : std::enable_shared_from_this<PoolState> {
  PoolOptions options;
  std::vector<std::shared_ptr<PoolSlot>> slots;
  std::size_t connecting = 0;
  std::size_t opened_total = 0;
  std::size_t waited_total = 0;
  std::deque<Waiter*> waiters;
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
  bool room() const { return capacity_used() < options.max_size; }

  /// Drops broken connections nobody holds; each one frees room for a waiter.
  void prune() {
    auto broken = [](const std::shared_ptr<PoolSlot>& s) { return !s->leased && !s->conn.is_open(); };
    if (std::erase_if(slots, broken) > 0) dispatch();
  }

  /// An open connection nobody leases, the one with the fewest queries in flight; or null. `to_lease`:
  /// one that no shared waiter was promised either.
  PoolSlot* least_busy(bool to_lease = false) const {
    PoolSlot* best = nullptr;
    for (auto& s : slots) {
      if (s->leased || !s->conn.is_open() || (to_lease && s->promised)) continue;
      if (!best || s->conn.in_flight() < best->conn.in_flight()) best = s.get();
    }
    return best;
  }

  std::shared_ptr<PoolSlot> owning(PoolSlot* slot) const {
    for (auto& s : slots) {
      if (s.get() == slot) return s;
    }
    return nullptr;
  }

  /// Serves the queue, oldest first, with what is free: a shared waiter shares a connection (which stays
  /// free for the next), an exclusive one leases it, and with no connection free but room under max_size the
  /// oldest waiter is given the room to open one. Stops at the first waiter it cannot serve, so no later
  /// waiter overtakes it. Called after every change that frees something; the waiter only has to wake up.
  void dispatch() {
    while (!waiters.empty() && !closed) {
      Waiter* w = waiters.front();
      if (PoolSlot* slot = least_busy(w->exclusive)) {
        if (w->exclusive) {
          slot->leased = true;
        } else {
          ++slot->promised;
        }
        w->slot = owning(slot);
      } else if (room()) {
        ++connecting;
        w->room = true;
      } else {
        break;
      }
      waiters.pop_front();
      w->queued = false;
      w->timer.cancel();
    }
  }

  /// Gives back what a waiter was handed but will not use (it was cancelled or destroyed meanwhile).
  void give_up(Waiter& w) {
    if (w.queued) {
      std::erase(waiters, &w);
      w.queued = false;
    }
    if (w.room) {
      w.room = false;
      --connecting;
      dispatch();
    }
    if (auto slot = std::exchange(w.slot, nullptr)) {
      if (w.exclusive) {
        slot->leased = false;
      } else {
        --slot->promised;
      }
      dispatch();
    }
  }

  void give_back(PoolSlot* slot) {
    slot->leased = false;
    auto status = slot->conn.transaction_status();
    // Left inside a transaction (BEGIN without COMMIT): the next user must not inherit it.
    if (status == TransactionStatus::in_transaction || status == TransactionStatus::in_error)
      slot->conn.close();
    if (closed) slot->conn.close();
    prune();
    dispatch();
  }

  std::string timeout_message() const {
    if (slots.empty() && failures > 0) {
      return fmt::format("could not connect to PostgreSQL within {} ms: {}", options.acquire_timeout.count(),
                         last_error);
    }
    return fmt::format("no PostgreSQL connection available within {} ms ({} open, all in use; max_size = {})",
                       options.acquire_timeout.count(), slots.size(), options.max_size);
  }

  Task<PoolSlot*> wait(Clock::time_point deadline, bool exclusive);
  Task<PoolSlot*> open(Clock::time_point deadline, Reservation reservation);
};

Reservation::Reservation(PoolState& state) : state_(&state) {
  ++state.connecting;
}

Reservation::~Reservation() {
  if (!state_) return;
  --state_->connecting;
  state_->dispatch();
}

void Reservation::commit() noexcept {
  if (auto* s = std::exchange(state_, nullptr)) --s->connecting;
}

namespace {

/// Takes the waiter out of the queue and returns what it was handed, however its coroutine ends (an
/// exception, a cancellation, its frame destroyed) unless the hand-off was taken.
struct WaiterGuard {
  PoolState& state;
  Waiter& waiter;
  ~WaiterGuard() { state.give_up(waiter); }
};

}  // namespace

/// Waits in the queue for a connection (leased when `exclusive`), or for room to open one, which it then
/// opens. PoolTimeout at `deadline`, OperationalError when the awaiting task is cancelled.
Task<PoolSlot*> PoolState::wait(Clock::time_point deadline, bool exclusive) {
  Waiter w(co_await asio::this_coro::executor, exclusive);
  w.timer.expires_at(deadline);
  waiters.push_back(&w);
  w.queued = true;
  ++waited_total;
  WaiterGuard guard{*this, w};
  for (;;) {
    // Not queued any more: dispatch() handed it something (or close() dropped it) before it began to wait.
    if (w.queued) {
      boost::system::error_code ec;
      co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      // A cancelled task takes nothing, even what it was handed just before: the guard passes it on.
      auto cancel = co_await asio::this_coro::cancellation_state;
      if (cancel.cancelled() != asio::cancellation_type::none)
        throw OperationalError("the task was cancelled while it waited for a PostgreSQL connection");
    }
    if (w.room) {
      w.room = false;
      PoolSlot* slot = co_await open(deadline, Reservation(*this, Reservation::adopt));
      if (exclusive) slot->leased = true;
      dispatch();
      co_return slot;
    }
    if (auto slot = std::exchange(w.slot, nullptr)) {
      if (exclusive) {
        if (slot->conn.is_open()) co_return slot.get();  // leased for it by dispatch()
        slot->leased = false;
      } else {
        if (slot->conn.is_open()) {
          // The caller sends its query as soon as this returns, before the posted handler runs: only then
          // may a waiter lease the connection.
          asio::post(w.timer.get_executor(), [self = shared_from_this(), slot] {
            --slot->promised;
            self->dispatch();
          });
          co_return slot.get();
        }
        --slot->promised;
      }
      // It broke meanwhile: its turn is kept at the head of the queue, and the broken one's room (or another
      // connection) may serve it at once.
      waiters.push_front(&w);
      w.queued = true;
      prune();
      dispatch();
      continue;
    }
    if (closed) throw PoolTimeout("the connection pool is closed");
    if (!w.queued || Clock::now() >= deadline) throw PoolTimeout(timeout_message());
  }
}

/// Opens one connection on the place `reservation` holds, retrying with exponential backoff until
/// `deadline`.
Task<PoolSlot*> PoolState::open(Clock::time_point deadline, Reservation reservation) {
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
    std::string error;
    AsyncConnection conn;
    try {
      conn = co_await AsyncConnection::connect(options.config);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) {
      failures = 0;
      ++opened_total;
      slots.push_back(std::make_shared<PoolSlot>(PoolSlot{std::move(conn), false}));
      reservation.commit();
      if (closed) slots.back()->conn.close();
      // The caller takes it first (leases it, or queues its query), then dispatches to the waiters.
      co_return slots.back().get();
    }
    last_error = error;
    ++failures;
    auto backoff = options.reconnect_backoff * (1 << std::min(failures - 1, 16));
    next_attempt = Clock::now() + std::min<std::chrono::milliseconds>(backoff, options.reconnect_backoff_max);
  }
}

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
  while (state->capacity_used() < state->options.min_size) {
    co_await state->open(deadline, Reservation(*state));
    state->dispatch();
  }
}

namespace {

/// A shared connection that can take one more query now, or null. Nothing while others wait: they are
/// served first (and while they wait nothing is free anyway). A read goes where this turn's reads are
/// collected already, up to half of pipeline_depth in flight there: one send and one wake-up of one
/// server process for them (spread over the least busy connections, a turn's reads took a send and woke a
/// backend per connection).
PoolSlot* ready_slot(PoolState& state, bool read) {
  if (!state.waiters.empty()) return nullptr;
  // One pass: the least busy free connection, and whether a broken one awaits pruning (rare).
  PoolSlot* best = nullptr;
  std::size_t best_in_flight = 0;
  bool broken = false;
  // Half the pipeline: one server process runs a group's reads one after the other, so a turn's reads past
  // that go on to other connections, whose backends run them in parallel. Bigger groups cost the server
  // less per query (fewer wake-ups, warmer caches); a quarter (8) cost /db about a tenth more CPU per
  // request than half (docs/postgresql.md, session 22), and the whole depth was no better than half.
  const std::size_t group_cap = state.options.pipeline_depth / 2;
  for (auto& s : state.slots) {
    if (s->leased) continue;
    if (!s->conn.is_open()) {
      broken = true;
      continue;
    }
    std::size_t n = s->conn.in_flight();
    if (read && n < group_cap && s->conn.collecting_reads()) return s.get();
    if (!best || n < best_in_flight) {
      best = s.get();
      best_in_flight = n;
    }
  }
  if (broken) {
    state.prune();
    best = state.least_busy();
    if (best) best_in_flight = best->conn.in_flight();
  }
  if (best && (best_in_flight < state.options.pipeline_depth || !state.room())) return best;
  return nullptr;
}

/// The connection's query() or read() coroutine for `sql`: the caller's own text, or one it keeps shared
/// across calls (AsyncConnection::query).
/// Not a coroutine, nor submit() below: the text and parameters are passed on by reference to the
/// connection's coroutine, the first to keep them (one move and destruction of each less per layer).
template <class Text>
Task<Result> run_on(PoolSlot& slot, Text&& sql, std::vector<Value>&& params, bool read,
                    RowsAs rows_as = RowsAs::converted) {
  if constexpr (std::is_same_v<Text, std::string>) {
    if (read) return slot.conn.read(std::move(sql), std::move(params));
  } else {
    if (read) return slot.conn.read(std::move(sql), std::move(params), rows_as);
  }
  return slot.conn.query(std::move(sql), std::move(params));
}

/// Pool::query's slow path: opens a connection or waits for one.
template <class Text>
Task<Result> query_when_ready(std::shared_ptr<PoolState> state, Text sql, std::vector<Value> params,
                              bool read, RowsAs rows_as) {
  auto deadline = Clock::now() + state->options.acquire_timeout;
  PoolSlot* slot = nullptr;
  if (state->waiters.empty() && state->room()) {
    slot = co_await state->open(deadline, Reservation(*state));
    state->dispatch();
  } else {
    slot = ready_slot(*state, read);
    if (!slot) slot = co_await state->wait(deadline, false);
  }
  co_return co_await run_on(*slot, std::move(sql), std::move(params), read, rows_as);
}

/// Pool::query and Pool::read. Not a coroutine: when a connection can take the query now (nearly always,
/// once the pool is warm), its own query() coroutine is the one awaited, one coroutine frame less per
/// query. That coroutine keeps the connection alive itself, and is awaited at once by the caller, before
/// the slot could be pruned.
template <class Text>
Task<Result> submit(const std::shared_ptr<PoolState>& state, Text&& sql, std::vector<Value>&& params,
                    bool read, RowsAs rows_as = RowsAs::converted) {
  state->check_thread();
  if (PoolSlot* slot = ready_slot(*state, read))
    return run_on(*slot, std::move(sql), std::move(params), read, rows_as);
  return query_when_ready(state, std::move(sql), std::move(params), read, rows_as);
}

}  // namespace

Task<Result> Pool::query(std::string sql, std::vector<Value> params) {
  return submit(state_, std::move(sql), std::move(params), false);
}

Task<Result> Pool::read(std::string sql, std::vector<Value> params) {
  return submit(state_, std::move(sql), std::move(params), true);
}

Task<Result> Pool::query(std::shared_ptr<const std::string> sql, std::vector<Value> params) {
  if (!sql) throw ProgrammingError("query() without SQL");
  return submit(state_, std::move(sql), std::move(params), false);
}

Task<Result> Pool::read(std::shared_ptr<const std::string> sql, std::vector<Value> params, RowsAs rows_as) {
  if (!sql) throw ProgrammingError("read() without SQL");
  return submit(state_, std::move(sql), std::move(params), true, rows_as);
}

Task<std::int64_t> Pool::execute(std::string sql, std::vector<Value> params) {
  auto r = co_await query(std::move(sql), std::move(params));
  co_return r.rows_affected;
}

Task<Lease> Pool::acquire() {
  auto state = state_;
  state->check_thread();
  auto deadline = Clock::now() + state->options.acquire_timeout;
  state->prune();
  // Queued waiters go first: a newcomer takes a free connection or room only when nobody waits.
  if (state->waiters.empty()) {
    // A connection with shared queries still in flight is fine: they finish before anything the lease sends.
    if (PoolSlot* best = state->least_busy(/*to_lease=*/true)) {
      best->leased = true;
      co_return Lease(state, best);
    }
    if (state->room()) {
      PoolSlot* slot = co_await state->open(deadline, Reservation(*state));
      slot->leased = true;
      state->dispatch();
      co_return Lease(state, slot);
    }
  }
  PoolSlot* slot = co_await state->wait(deadline, true);
  co_return Lease(state, slot);
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
  s.waited_total = state_->waited_total;
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
  // Each waiter wakes to find nothing handed to it and the pool closed: PoolTimeout.
  while (!state_->waiters.empty()) {
    Waiter* w = state_->waiters.front();
    state_->waiters.pop_front();
    w->queued = false;
    w->timer.cancel();
  }
}

}  // namespace duet::db::postgresql
