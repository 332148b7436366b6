// AsyncConnection: libpq in non-blocking pipeline mode, its socket watched by the connection's own loop.
#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <unordered_map>

#include "detail.hpp"
#include "duet/runtime/runtime.hpp"
#include "result_handler.hpp"
#include "ring_queue.hpp"

namespace duet::db::postgresql {

namespace asio = boost::asio;
using detail::ResultHandler;
using NotificationHandler = asio::any_completion_handler<void(std::exception_ptr, Notification)>;

/// Runs `f` on `executor` after the current handler, never inline. Deferred rather than posted: everything
/// the driver queues runs on the loop whose handler queues it, and Asio keeps a loop thread's deferred
/// handlers in a queue of its own, merged into the loop's after the handler. A post from a handler takes the
/// loop's mutex, and the first one after a blocking epoll_wait also "interrupts" the reactor (an epoll_ctl
/// system call): under load that was about one epoll_ctl per database request. From any other thread a
/// deferred handler is simply posted.
template <class Function>
void later(const Executor& executor, Function&& f) {
  asio::defer(executor, std::forward<Function>(f));
}

struct Pending {
  Pending(ResultHandler h, Executor t) noexcept : handler(std::move(h)), target(std::move(t)) {}

  ResultHandler handler;
  Executor target;
  Result result;
  std::exception_ptr error;
  /// The statement name it prepared, dropped from the cache if the preparation failed.
  std::string prepared;
  /// The statement's text, for error messages (shared with the statement cache: no copy per query).
  std::shared_ptr<const std::string> sql;
  /// Results seen so far: when it prepares, the first one is the preparation's.
  int results = 0;
  bool prepare_failed = false;
  /// Names it for a cancellation handler (0: none installed).
  std::uint64_t id = 0;
  /// The awaiting coroutine's cancellation slot (see submit), kept to install the handler again when the
  /// query is sent again. Valid while `handler` is: the slot belongs to the coroutine the handler resumes.
  asio::cancellation_slot cancel_slot;
  /// A read sharing one sync point with the other reads of its loop turn (its group): one command, never a
  /// preparation. Its parameters are kept to send it again should an earlier read of the group fail.
  bool shared = false;
  /// A sync point follows it: it ends its group.
  bool synced = false;
  /// Skipped by the server because an earlier read of its group failed: sent again, on its own.
  bool aborted = false;
  /// Its rows stay libpq's result (Result::raw) instead of being converted (RowsAs::raw).
  bool raw_rows = false;
  std::vector<Value> params;
};

class AsyncConnection::Impl : public std::enable_shared_from_this<AsyncConnection::Impl> {
 public:
  Impl(Executor executor, Config config)
      : executor_(std::move(executor)), socket_(executor_), config_(std::move(config)) {}
  ~Impl() { close(); }

  Task<void> connect();

  /// Sends `sql` (preparing it first when it is new) and a sync point; `handler` gets the result.
  /// `target`: the executor the result is delivered on (the awaiting coroutine's). `shared_read`: the
  /// caller vouches that the statement only reads, outside any transaction (see AsyncConnection::read):
  /// it may then share its sync point with the other such reads of this turn of the loop.
  /// `shared_text`: `sql` itself, when the caller holds it shared (the ORM's cached shapes): its statement is
  /// then found by the text's address.
  /// `raw_rows`: a result with rows is delivered as libpq's result (Result::raw), not converted.
  /// `cancel_slot`: where a cancellation of the awaiting coroutine arrives (the handler's own slot is not
  /// used: see run_query).
  void submit(std::string_view sql, const std::shared_ptr<const std::string>& shared_text,
              std::vector<Value>&& params, ResultHandler handler, Executor target, bool shared_read = false,
              bool raw_rows = false, asio::cancellation_slot cancel_slot = {});
  void wait_notification(NotificationHandler handler);
  void close() noexcept;

  Executor executor_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  std::string broken_reason_;
  detail::RingQueue<Pending> pending_;
  std::uint64_t cancel_ids_ = 0;
  /// TCP_CORK is on until the handlers now queued on the loop have run (see cork()).
  bool corked_ = false;
  /// Shared reads are queued without their sync point, which close_group() sends at the end of the turn.
  bool group_open_ = false;
  /// The index in pending_ of the query whose results arrive next, and whether its current command has
  /// given a result yet (the NULL that follows one ends the command).
  std::size_t cursor_ = 0;
  bool got_result_ = false;
  /// Reads may share a sync point: the session's isolation is READ COMMITTED (checked at connect), under
  /// which every statement of an implicit transaction still takes its own snapshot.
  bool share_reads_ = false;

  /// libpq 15's PQpipelineSync() sends at once: each pipelined query would be its own TCP segment (and its
  /// own wake-up of the server). Corked, the queries that the coroutines of one turn of the loop submit
  /// (a gather's, or many requests') leave as one segment when the posted uncork runs. A Unix socket
  /// refuses the option: nothing changes there.
  void cork() {
    if (corked_ || !conn_) return;
    int fd = PQsocket(conn_), on = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) != 0) return;
    corked_ = true;
    later(executor_, [self = shared_from_this()] {
      self->corked_ = false;
      if (!self->conn_) return;
      int off = 0;
      setsockopt(PQsocket(self->conn_), IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    });
  }
  struct Statement {
    std::string name;
    std::shared_ptr<const std::string> text;
  };
  /// Looked up by the caller's text without copying it.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Statement, TextHash, std::equal_to<>> statements_;
  /// Statements by the address of a shared text (see submit): a pointer's hash instead of the text's. Each
  /// entry keeps its text alive, so the address cannot be reused for another text while it is here.
  struct ByAddress {
    std::shared_ptr<const std::string> text;
    Statement* statement;
  };
  std::unordered_map<const std::string*, ByAddress> by_address_;

  Statement* find_statement(std::string_view sql, const std::shared_ptr<const std::string>& shared_text) {
    if (shared_text) {
      if (auto it = by_address_.find(shared_text.get()); it != by_address_.end()) return it->second.statement;
    }
    auto it = statements_.find(sql);
    if (it == statements_.end()) return nullptr;
    if (shared_text) remember_address(shared_text, &it->second);
    return &it->second;
  }
  void remember_address(const std::shared_ptr<const std::string>& text, Statement* statement) {
    // Bounded (the ORM's shape cache starts over when full, with new texts): only a shortcut, the
    // statements themselves stay in statements_.
    if (by_address_.size() >= 1024) by_address_.clear();
    by_address_.insert_or_assign(text.get(), ByAddress{text, statement});
  }
  void forget_statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) return;
    std::erase_if(by_address_, [&](const auto& e) { return e.second.statement == &it->second; });
    statements_.erase(it);
  }
  std::uint64_t queries_ = 0;
  std::uint64_t statement_counter_ = 0;

 private:
  void flush();
  void start_reading();
  void drain();
  void open_group();
  void close_group();
  void finish_group();
  Task<void> check_isolation();
  void fail(std::string reason);
  void deliver_notifications();

  asio::posix::stream_descriptor socket_;
  Config config_;
  bool reading_ = false;
  bool writing_ = false;
  std::deque<Notification> notifications_;
  std::deque<NotificationHandler> notification_waiters_;
};

namespace {

/// The executor a completion runs on: the handler's own, else `fallback`.
template <class Handler>
auto executor_of(const Handler& handler, const Executor& fallback) {
  return asio::get_associated_executor(handler, fallback);
}
auto executor_of(const ResultHandler& handler, const Executor& fallback) {
  return handler.executor(fallback);
}

template <class Handler, class... Args>
void complete(const Executor& executor, Handler handler, Args... args) {
  if (!handler) return;  // its awaiter was cancelled and already resumed: the result is dropped
  // Queued, never run inline: a completion must not re-enter drain() from inside it. Through the handler's
  // own executor (the awaiting request's, which makes its flow current), falling back to the connection's
  // loop: the connection is shared by many flows.
  auto target = executor_of(handler, executor);
  later(executor, asio::bind_executor(target, [h = std::move(handler), ... a = std::move(args)]() mutable {
          std::move(h)(std::move(a)...);
        }));
}

/// The results of a group, delivered by one queued handler: each awaiting coroutine is resumed in turn
/// through its own executor (the request's, which makes its flow current), inline since the loop's thread
/// runs it. One pass through the loop's queue for the group instead of one per result.
struct Delivery {
  ResultHandler handler;
  Executor target;
  std::exception_ptr error;
  Result result;
};

void deliver(const Executor& executor, std::vector<Delivery> batch) {
  if (batch.empty()) return;
  later(executor, [batch = std::move(batch)]() mutable {
    // Whatever escapes a resumed coroutine (an exception its co_spawn's completion rethrows) leaves the
    // loop's run() as it would have from its own handler, after the others are delivered, not instead of
    // them.
    std::exception_ptr escaped;
    for (auto& d : batch) {
      try {
        asio::dispatch(d.target, [h = std::move(d.handler), e = d.error, r = std::move(d.result)]() mutable {
          std::move(h)(e, std::move(r));
        });
      } catch (...) {
        if (!escaped) escaped = std::current_exception();
      }
    }
    if (escaped) std::rethrow_exception(escaped);
  });
}

template <class Sig, class Initiation, class Token>
auto initiate(Initiation&& init, Token&& token) {
  return asio::async_initiate<Token, Sig>(std::forward<Initiation>(init), token);
}

}  // namespace

Task<void> AsyncConnection::Impl::connect() {
  auto k = detail::keywords(config_);
  conn_ = PQconnectStartParams(k.keys.data(), k.values.data(), 1);
  if (!conn_) throw OperationalError("could not allocate a PostgreSQL connection");
  if (PQstatus(conn_) == CONNECTION_BAD) {
    throw OperationalError(
        fmt::format("could not connect to PostgreSQL: {}", detail::trimmed(PQerrorMessage(conn_))));
  }
  if (PQsetnonblocking(conn_, 1) != 0)
    throw OperationalError("could not make the PostgreSQL socket non-blocking");

  asio::steady_timer deadline(executor_);
  bool timed_out = false;
  deadline.expires_after(config_.connect_timeout);
  deadline.async_wait([this, &timed_out, self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) {
      timed_out = true;
      boost::system::error_code ignored;
      socket_.cancel(ignored);
    }
  });
  // The socket can change while libpq tries the hosts/addresses of the conninfo in turn.
  int fd = -1;
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      throw OperationalError(
          fmt::format("could not connect to PostgreSQL: {}", detail::trimmed(PQerrorMessage(conn_))));
    }
    if (PQsocket(conn_) != fd) {
      if (socket_.is_open()) socket_.release();
      fd = PQsocket(conn_);
      socket_.assign(fd);
    }
    boost::system::error_code ec;
    co_await socket_.async_wait(status == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                                                : asio::posix::stream_descriptor::wait_write,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (timed_out) {
      throw OperationalError(fmt::format("could not connect to PostgreSQL: timed out after {} ms",
                                         config_.connect_timeout.count()));
    }
    if (ec) throw OperationalError(fmt::format("could not connect to PostgreSQL: {}", ec.message()));
    status = PQconnectPoll(conn_);
  }
  co_await check_isolation();  // within the connect timeout
  deadline.cancel();
  if (PQenterPipelineMode(conn_) != 1) {
    throw OperationalError(
        fmt::format("could not enter pipeline mode: {}", detail::trimmed(PQerrorMessage(conn_))));
  }
  start_reading();
}

// Reads share a sync point only when the session's statements each take their own snapshot in an implicit
// transaction (READ COMMITTED, PostgreSQL's and Django's default): under REPEATABLE READ or SERIALIZABLE the
// reads of a group would share one snapshot and one serializable transaction. Asked once per connection,
// before pipeline mode (a plain query, neither prepared nor counted).
Task<void> AsyncConnection::Impl::check_isolation() {
  share_reads_ = false;
  if (!PQsendQuery(conn_, "SHOW default_transaction_isolation")) co_return;  // no sharing, nothing else
  while (PQflush(conn_) > 0) {
    boost::system::error_code ec;
    co_await socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw OperationalError(fmt::format("could not connect to PostgreSQL: {}", ec.message()));
  }
  bool read_committed = false;
  for (;;) {
    while (PQisBusy(conn_)) {
      boost::system::error_code ec;
      co_await socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !PQconsumeInput(conn_)) {
        throw OperationalError(
            fmt::format("could not connect to PostgreSQL: {}", detail::trimmed(PQerrorMessage(conn_))));
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
      read_committed = std::string_view(PQgetvalue(r, 0, 0)) == "read committed";
    PQclear(r);
  }
  share_reads_ = read_committed;
}

void AsyncConnection::Impl::submit(std::string_view sql,
                                   const std::shared_ptr<const std::string>& shared_text,
                                   std::vector<Value>&& params, ResultHandler handler, Executor target,
                                   bool shared_read, bool raw_rows, asio::cancellation_slot cancel_slot) {
  if (!conn_ || broken_) {
    complete(executor_, std::move(handler),
             detail::connection_error(
                 conn_ ? fmt::format("the PostgreSQL connection is broken: {}", broken_reason_)
                       : std::string("the PostgreSQL connection is closed")),
             Result{});
    return;
  }
  std::exception_ptr bad_params;
  // libpq copies the parameters into its output buffer before PQsendQuery* returns: one buffer per loop
  // thread serves every query (no allocations once it has grown).
  thread_local detail::BoundParams bound;
  try {
    detail::bind(params, bound);
  } catch (...) {
    bad_params = std::current_exception();
  }
  if (bad_params) {
    complete(executor_, std::move(handler), bad_params, Result{});
    return;
  }
  // The Pending is made in place in the queue once the query is sent: until then these are its parts.
  std::string prepared;
  std::shared_ptr<const std::string> own_text;
  int ok = 1;
  Statement* cached = find_statement(sql, shared_text);
  // A read joins the open group only when its statement is prepared already: a preparation skipped after an
  // earlier failure would leave a name in the cache that the server never created. Anything else goes
  // after the group's sync point: nothing else may share the reads' implicit transaction.
  const bool share = shared_read && share_reads_ && cached;
  // A shared read is only buffered (its group is sent once, at the end of the turn): no cork needed.
  if (!share) {
    cork();
    close_group();
  }
  if (!conn_ || broken_) {
    complete(executor_, std::move(handler),
             detail::connection_error(fmt::format("the PostgreSQL connection is broken: {}", broken_reason_)),
             Result{});
    return;
  }
  if (!cached && statements_.size() < config_.statement_cache_size) {
    // Prepared once, then executed by name: the server parses and plans it once per connection. The
    // preparation is pipelined ahead of its first execution, so later queries may use the name at once.
    std::string name = fmt::format("duet_{}", ++statement_counter_);
    auto text = shared_text ? shared_text : std::make_shared<const std::string>(sql);
    ok = PQsendPrepare(conn_, name.c_str(), text->c_str(), 0, nullptr);
    cached = &statements_.emplace(*text, Statement{name, text}).first->second;
    if (shared_text) remember_address(shared_text, cached);
    prepared = std::move(name);
  }
  if (ok) {
    if (cached) {
      ok = PQsendQueryPrepared(conn_, cached->name.c_str(), bound.count(), bound.values.data(),
                               bound.lengths.data(), bound.formats.data(), 0);
    } else {
      own_text = std::make_shared<const std::string>(sql);
      ok = PQsendQueryParams(conn_, own_text->c_str(), bound.count(), bound.types.data(), bound.values.data(),
                             bound.lengths.data(), bound.formats.data(), 0);
    }
  }
  // Each query is its own sync point (but for shared reads, whose group ends at close_group()): an error
  // aborts the pipeline only up to it, so the queries queued behind it (other coroutines') still run.
  if (ok && !share) ok = PQpipelineSync(conn_);
  if (!ok) {
    std::string reason = detail::trimmed(PQerrorMessage(conn_));
    complete(executor_, std::move(handler),
             detail::connection_error(fmt::format("could not send the query: {}", reason)), Result{});
    fail(std::move(reason));
    return;
  }
  ++queries_;
  Pending& p = pending_.emplace_back(std::move(handler), std::move(target));
  p.prepared = std::move(prepared);
  p.sql = own_text ? std::move(own_text) : cached->text;
  p.shared = share;
  p.synced = !share;
  p.raw_rows = raw_rows;
  if (share) p.params = std::move(params);
  // Cancelling the awaiting task (a timeout, a disconnected client) resumes it at once with an error; the
  // query itself stays in the pipeline (libpq cannot take a pipelined query back) and its result is dropped.
  // Installed in the coroutine's slot itself, which its resumption clears.
  if (cancel_slot.is_connected()) {
    auto id = p.id = ++cancel_ids_;
    p.cancel_slot = cancel_slot;
    cancel_slot.assign([weak = weak_from_this(), id](asio::cancellation_type) {
      auto self = weak.lock();
      if (!self) return;
      for (auto& pending : self->pending_) {
        if (pending.id != id || !pending.handler) continue;
        auto handler = std::move(pending.handler);
        pending.handler = {};
        complete(self->executor_, std::move(handler),
                 std::make_exception_ptr(OperationalError("the query was cancelled while it ran; the server "
                                                          "still completes it, its result is dropped")),
                 Result{});
      }
    });
  }
  if (share) {
    open_group();
  } else {
    flush();
  }
}

void AsyncConnection::Impl::open_group() {
  // libpq 15's PQpipelineSync() sends at once: one sync point for the reads of a turn is one send (and one
  // implicit transaction on the server) instead of one per read.
  if (group_open_) return;
  group_open_ = true;
  later(executor_, [self = shared_from_this()] { self->close_group(); });
}

void AsyncConnection::Impl::close_group() {
  if (!group_open_) return;
  group_open_ = false;
  if (!conn_ || broken_) return;
  if (!PQpipelineSync(conn_)) {
    fail(detail::trimmed(PQerrorMessage(conn_)));
    return;
  }
  // Every other query closes the group before it is queued: the newest pending is the group's last read.
  if (!pending_.empty()) pending_.back().synced = true;
  flush();
}

void AsyncConnection::Impl::finish_group() {
  std::vector<Pending> again;
  std::vector<Delivery> batch;
  // Sized for the group at once: growing it moved every Delivery (handler, executor, result) again.
  std::size_t group = 0;
  for (const Pending& p : pending_) {
    ++group;
    if (p.synced) break;
  }
  batch.reserve(group);
  while (!pending_.empty()) {
    Pending& done = pending_.front();
    const bool last = done.synced;
    if (done.prepare_failed) forget_statement(*done.sql);
    if (done.aborted && done.handler) {
      again.push_back(std::move(done));
    } else if (done.handler) {
      batch.push_back({std::move(done.handler), std::move(done.target), done.error, std::move(done.result)});
    }
    pending_.pop_front();
    if (last) break;
  }
  deliver(executor_, std::move(batch));
  // The reads an earlier read's failure skipped run again, each with its own sync point: no other failure
  // can skip them now, so they complete (or fail) on their own merits. A read that only reads cannot have
  // changed anything the first time.
  for (auto& p : again) {
    auto text = p.sql;
    submit(*text, text, std::move(p.params), std::move(p.handler), std::move(p.target), false, p.raw_rows,
           p.cancel_slot);
  }
}

void AsyncConnection::Impl::flush() {
  if (writing_ || !conn_ || broken_) return;
  int r = PQflush(conn_);
  if (r < 0) {
    fail(detail::trimmed(PQerrorMessage(conn_)));
  } else if (r > 0) {
    // The socket buffer is full: wait until it drains, reading meanwhile (the server may be blocked on
    // sending us results).
    writing_ = true;
    socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         self->writing_ = false;
                         if (ec || !self->conn_) return;
                         if (!PQconsumeInput(self->conn_)) {
                           self->fail(detail::trimmed(PQerrorMessage(self->conn_)));
                           return;
                         }
                         self->drain();
                         self->flush();
                       });
  }
}

void AsyncConnection::Impl::start_reading() {
  // Always watching the socket, even when idle: a terminated backend or a server shutdown is noticed at once
  // (that is the pool's health check), and notifications arrive without a query.
  if (reading_ || !conn_ || broken_) return;
  reading_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->reading_ = false;
                       if (!self->conn_) return;
                       if (ec) {
                         if (ec != asio::error::operation_aborted) self->fail(ec.message());
                         return;
                       }
                       if (!PQconsumeInput(self->conn_)) {
                         std::string reason = detail::trimmed(PQerrorMessage(self->conn_));
                         self->drain();  // results (e.g. the termination error) that arrived before EOF
                         self->fail(reason.empty() ? "server closed the connection" : reason);
                         return;
                       }
                       self->drain();
                       if (self->conn_ && PQstatus(self->conn_) == CONNECTION_BAD) {
                         self->fail(detail::trimmed(PQerrorMessage(self->conn_)));
                         return;
                       }
                       self->start_reading();
                     });
}

void AsyncConnection::Impl::drain() {
  int nulls = 0;
  while (conn_ && !broken_ && !pending_.empty() && !PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (!r) {
      if (got_result_) {
        // The current command ended. A shared read has one command: the next read's results follow.
        got_result_ = false;
        if (cursor_ < pending_.size() && pending_[cursor_].shared) ++cursor_;
        continue;
      }
      // Two NULLs in a row: nothing more is ready.
      if (++nulls > 1) break;
      continue;
    }
    nulls = 0;
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      got_result_ = false;
      cursor_ = 0;
      finish_group();
      continue;
    }
    if (cursor_ >= pending_.size()) {
      PQclear(r);
      fail("the server sent a result for no query");
      return;
    }
    got_result_ = true;
    Pending& p = pending_[cursor_];
    switch (status) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
        if (p.error) break;
        if (p.raw_rows && status == PGRES_TUPLES_OK) {
          // Handed over as it is: the caller decodes each value once, into its own objects.
          p.result.columns.clear();
          p.result.rows.clear();
          p.result.rows_affected = PQntuples(r);
          p.result.raw = RawRows(r);
          r = nullptr;
          break;
        }
        try {
          p.result = detail::convert(r);
        } catch (...) {
          p.error = std::current_exception();
        }
        break;
      case PGRES_PIPELINE_ABORTED:
        if (p.shared) {
          p.aborted = true;
        } else if (!p.error) {
          p.error = detail::connection_error("the query was not run: an earlier one in its pipeline failed");
        }
        break;
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        if (!p.error)
          p.error =
              std::make_exception_ptr(NotSupportedError("COPY is not supported by duet's PostgreSQL driver"));
        break;
      default:
        if (!p.error) p.error = detail::make_error(r, p.sql ? std::string_view(*p.sql) : std::string_view());
        if (!p.prepared.empty() && p.results == 0) p.prepare_failed = true;
        break;
    }
    ++p.results;
    if (r) PQclear(r);
  }
  if (!conn_) return;
  while (PGnotify* n = PQnotifies(conn_)) {
    // Bounded: a listener that never reads must not grow without limit; the oldest are dropped.
    if (notifications_.size() >= 10000) notifications_.pop_front();
    notifications_.push_back(Notification{n->relname, n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
  deliver_notifications();
}

void AsyncConnection::Impl::deliver_notifications() {
  while (!notifications_.empty() && !notification_waiters_.empty()) {
    auto h = std::move(notification_waiters_.front());
    notification_waiters_.pop_front();
    complete(executor_, std::move(h), std::exception_ptr{}, std::move(notifications_.front()));
    notifications_.pop_front();
  }
}

void AsyncConnection::Impl::wait_notification(NotificationHandler handler) {
  if (!notifications_.empty()) {
    auto n = std::move(notifications_.front());
    notifications_.pop_front();
    complete(executor_, std::move(handler), std::exception_ptr{}, std::move(n));
    return;
  }
  if (!conn_ || broken_) {
    complete(executor_, std::move(handler),
             detail::connection_error(
                 conn_ ? fmt::format("the PostgreSQL connection is broken: {}", broken_reason_)
                       : std::string("the PostgreSQL connection is closed")),
             Notification{});
    return;
  }
  notification_waiters_.push_back(std::move(handler));
}

void AsyncConnection::Impl::fail(std::string reason) {
  if (broken_) return;
  broken_ = true;
  broken_reason_ = reason.empty() ? "connection lost" : std::move(reason);
  group_open_ = false;
  cursor_ = 0;
  got_result_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& p : pending) {
    auto error =
        p.error
            ? p.error
            : detail::connection_error(fmt::format("the PostgreSQL connection was lost: {}", broken_reason_));
    complete(executor_, std::move(p.handler), error, Result{});
  }
  auto waiters = std::move(notification_waiters_);
  notification_waiters_.clear();
  for (auto& w : waiters) {
    complete(executor_, std::move(w),
             detail::connection_error(fmt::format("the PostgreSQL connection was lost: {}", broken_reason_)),
             Notification{});
  }
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void AsyncConnection::Impl::close() noexcept {
  if (!conn_) return;
  if (!broken_) fail("the connection was closed");
  // libpq owns the socket: hand it back before PQfinish closes it.
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
  conn_ = nullptr;
}

Task<AsyncConnection> AsyncConnection::connect(Config config) {
  Executor executor = co_await asio::this_coro::executor;
  // Bound to the loop itself, not to the caller's executor: a request's executor would keep that request's
  // flow alive as long as the (pooled) connection, and run the completions of later users' queries in it.
  auto* context = &asio::query(executor, asio::execution::context);
  if (auto* runtime = Runtime::current()) {
    for (std::size_t i = 0; i < runtime->loop_count(); ++i) {
      if (&runtime->loop(i) == context) executor = runtime->loop(i).get_executor();
    }
  } else if (auto* plain = executor.target<asio::io_context::executor_type>()) {
    executor = *plain;
  }
  auto impl = std::make_shared<Impl>(executor, std::move(config));
  co_await impl->connect();
  co_return AsyncConnection(std::move(impl));
}

AsyncConnection& AsyncConnection::operator=(AsyncConnection&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

AsyncConnection::~AsyncConnection() {
  if (impl_) impl_->close();
}

namespace {

/// What run_query's operation completes with. One value, not (exception_ptr, Result): Asio 1.81's
/// awaitable cannot resume an operation of that signature (awaitable_async_op_handler<R(std::exception_ptr,
/// T)>::resume() does not compile).
struct Outcome {
  std::exception_ptr error;
  Result result;
};

/// The driver's (exception_ptr, Result) completion, handed on as an Outcome. Only the executor is
/// associated, deliberately: see run_query.
template <class Handler>
struct OutcomeHandler {
  Handler handler;
  using executor_type = asio::associated_executor_t<Handler>;
  executor_type get_executor() const noexcept { return asio::get_associated_executor(handler); }
  void operator()(std::exception_ptr error, Result&& result) {
    std::move(handler)(Outcome{std::move(error), std::move(result)});
  }
};

// A query's text: the caller's own, or one it keeps shared (the ORM's shapes), which submit() finds its
// statement by.
const std::shared_ptr<const std::string> kNoSharedText;
std::string_view text_of(const std::string& sql) {
  return sql;
}
std::string_view text_of(const std::shared_ptr<const std::string>& sql) {
  return *sql;
}
const std::shared_ptr<const std::string>& shared_text_of(const std::string&) {
  return kNoSharedText;
}
const std::shared_ptr<const std::string>& shared_text_of(const std::shared_ptr<const std::string>& sql) {
  return sql;
}

/// AsyncConnection::query's coroutine. It owns the connection's state from the call on, not the handle: a
/// Pool hands out this task for a connection of its own (see Pool::query), which may be pruned meanwhile.
/// `Text`: std::string or a shared text. One of them per frame, not both: the ORM's reads (a shared text
/// each) moved an empty string into every frame and destroyed it again.
template <class Text>
Task<Result> run_query(std::shared_ptr<AsyncConnection::Impl> impl, Text sql, std::vector<Value> params,
                       bool shared_read, bool raw_rows = false) {
  if (!impl) throw ProgrammingError("query() on an AsyncConnection that is not connected");
  Executor target = co_await asio::this_coro::executor;
  const std::string_view text = text_of(sql);
  const std::shared_ptr<const std::string>& shared_sql = shared_text_of(sql);
  // A deferred operation, not use_awaitable: the awaitable takes it as it is, where use_awaitable starts a
  // coroutine of its own (a frame per query). The handler reaches ResultHandler (held in place: it is two
  // pointers) without its cancellation slot (OutcomeHandler associates none): submit() installs its
  // cancellation handler in the coroutine's own slot, passed alongside, so no cancellation state is chained
  // to the handler (an allocation each, when any_completion_handler held it).
  auto op = asio::async_initiate<const asio::deferred_t&, void(Outcome)>(
      [&](auto handler) {
        auto cancel_slot = asio::get_associated_cancellation_slot(handler);
        impl->submit(text, shared_sql, std::move(params),
                     OutcomeHandler<decltype(handler)>{std::move(handler)}, std::move(target), shared_read,
                     raw_rows, cancel_slot);
      },
      asio::deferred);
  Outcome outcome = co_await std::move(op);
  if (outcome.error) std::rethrow_exception(outcome.error);
  co_return std::move(outcome.result);
}

}  // namespace

Task<Result> AsyncConnection::query(std::string sql, std::vector<Value> params) {
  return run_query(impl_, std::move(sql), std::move(params), false);
}

Task<Result> AsyncConnection::read(std::string sql, std::vector<Value> params) {
  return run_query(impl_, std::move(sql), std::move(params), true);
}

Task<Result> AsyncConnection::query(std::shared_ptr<const std::string> sql, std::vector<Value> params) {
  if (!sql) throw ProgrammingError("query() without SQL");
  return run_query(impl_, std::move(sql), std::move(params), false);
}

Task<Result> AsyncConnection::read(std::shared_ptr<const std::string> sql, std::vector<Value> params,
                                   RowsAs rows_as) {
  if (!sql) throw ProgrammingError("read() without SQL");
  return run_query(impl_, std::move(sql), std::move(params), true, rows_as == RowsAs::raw);
}

Task<std::int64_t> AsyncConnection::execute(std::string sql, std::vector<Value> params) {
  auto result = co_await query(std::move(sql), std::move(params));
  co_return result.rows_affected;
}

void AsyncConnection::send_detached(std::string sql) {
  if (!impl_) return;
  impl_->submit(sql, nullptr, {}, asio::bind_executor(impl_->executor_, [](std::exception_ptr, Result) {}),
                impl_->executor_);
}

namespace {
std::string quote_identifier(PGconn* conn, const std::string& name) {
  if (!conn) throw OperationalError("the PostgreSQL connection is closed");
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (!quoted) throw ProgrammingError(fmt::format("invalid channel name '{}'", name));
  std::string s(quoted);
  PQfreemem(quoted);
  return s;
}
}  // namespace

Task<void> AsyncConnection::listen(std::string channel) {
  if (!impl_) throw ProgrammingError("listen() on an AsyncConnection that is not connected");
  co_await execute("LISTEN " + quote_identifier(impl_->conn_, channel));
}

Task<void> AsyncConnection::unlisten(std::string channel) {
  if (!impl_) throw ProgrammingError("unlisten() on an AsyncConnection that is not connected");
  co_await execute("UNLISTEN " + quote_identifier(impl_->conn_, channel));
}

Task<Notification> AsyncConnection::next_notification() {
  if (!impl_) throw ProgrammingError("next_notification() on an AsyncConnection that is not connected");
  auto impl = impl_;
  auto [error, n] = co_await initiate<void(std::exception_ptr, Notification)>(
      [&](auto handler) { impl->wait_notification(std::move(handler)); },
      asio::as_tuple(asio::use_awaitable));
  if (error) std::rethrow_exception(error);
  co_return std::move(n);
}

bool AsyncConnection::is_open() const noexcept {
  return impl_ && impl_->conn_ && !impl_->broken_;
}
bool AsyncConnection::is_broken() const noexcept {
  return impl_ && impl_->broken_;
}
std::string AsyncConnection::broken_reason() const {
  return impl_ ? impl_->broken_reason_ : std::string();
}
std::size_t AsyncConnection::in_flight() const noexcept {
  return impl_ ? impl_->pending_.size() : 0;
}
bool AsyncConnection::collecting_reads() const noexcept {
  return impl_ && impl_->group_open_;
}
int AsyncConnection::backend_pid() const noexcept {
  return impl_ && impl_->conn_ ? PQbackendPID(impl_->conn_) : 0;
}
std::size_t AsyncConnection::prepared_statements() const noexcept {
  return impl_ ? impl_->statements_.size() : 0;
}
std::uint64_t AsyncConnection::queries_executed() const noexcept {
  return impl_ ? impl_->queries_ : 0;
}

TransactionStatus AsyncConnection::transaction_status() const noexcept {
  return impl_ ? detail::transaction_status_of(impl_->conn_) : TransactionStatus::unknown;
}

void AsyncConnection::close() noexcept {
  if (impl_) impl_->close();
}

}  // namespace duet::db::postgresql
