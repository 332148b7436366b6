// What the connections of one server share: options, the application, per-loop state, counters.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include "connection_pool.hpp"
#include "duet/asgi/application.hpp"
#include "duet/runtime/runtime.hpp"
#include "duet/server/options.hpp"

namespace duet::server::detail {

/// The clock of connection deadlines: CLOCK_MONOTONIC_COARSE, read from the vDSO without the TSC (about
/// 3 ns against steady_clock's 30-45 ns under kvm-clock). Deadlines are set two or three times per request
/// and checked by a sweep once a second, so its resolution (a few milliseconds) loses nothing.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};

class LoopState;

/// A connection as the loop's sweeper sees it: an intrusive list node with a deadline.
class ConnectionBase {
 public:
  explicit ConnectionBase(LoopState& loop);
  virtual ~ConnectionBase();
  ConnectionBase(const ConnectionBase&) = delete;
  ConnectionBase& operator=(const ConnectionBase&) = delete;

  /// The deadline passed: close the socket (pending operations complete with an error and unwind).
  virtual void on_timeout() = 0;
  /// Graceful shutdown began: close now if idle, else finish the request in flight and then close.
  virtual void on_shutdown() = 0;
  /// The grace period is over: close whatever the state.
  virtual void force_close() = 0;

  Clock::time_point deadline = Clock::time_point::max();

 protected:
  LoopState& loop_;

 private:
  friend class LoopState;
  ConnectionBase* prev_ = nullptr;
  ConnectionBase* next_ = nullptr;
};

struct ServerCore;

/// Per loop: its connections and a once-a-second sweep for timeouts. Touched only on its loop's thread.
class LoopState : public std::enable_shared_from_this<LoopState> {
 public:
  LoopState(ServerCore& core, boost::asio::io_context& io, std::size_t index);

  void start_sweeper();
  void stop_sweeper();
  /// On this loop's thread.
  void begin_shutdown();
  void force_close_all();

  ServerCore& core;
  boost::asio::io_context& io;
  std::size_t index;
  bool shutting_down = false;
  ConnectionPool pool;

 private:
  friend class ConnectionBase;
  void sweep();
  void arm();

  ConnectionBase* head_ = nullptr;
  boost::asio::steady_timer sweeper_;
  bool sweeping_ = false;
};

struct ServerCore {
  ServerCore(Runtime& runtime, asgi::Application app, ServerOptions options);

  /// Called when a connection object is destroyed.
  void connection_closed();
  /// Wakes Server::wait() to look at the counters again.
  void notify();

  Runtime& runtime;
  asgi::Application app;
  ServerOptions options;
  std::shared_ptr<asgi::State> state;
  /// Set when ServerOptions::tls is: TCP connections then speak TLS.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::vector<std::shared_ptr<LoopState>> loops;
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::uint64_t> requests_served{0};
  std::atomic<bool> shutting_down{false};
  std::atomic<std::size_t> active_acceptors{0};

  std::mutex mutex;
  std::condition_variable drained;
};

}  // namespace duet::server::detail
