// Runtime: the event-loop threads and the sync pool every duet process runs on (DESIGN.md §4).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/context.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

/// What the watchdog saw: a loop that did not come back to its queue within the threshold.
struct WatchdogReport {
  std::size_t loop_index;
  std::chrono::milliseconds blocked_for;
  /// The label of the Context whose handler was running ("GET /slow"), or empty if unknown.
  std::string running;
};

struct RuntimeOptions {
  /// Event-loop threads; 0 means one per core.
  std::size_t loops = 0;
  /// Upper bound on sync threads (created on demand). Each request that makes a thread-sensitive sync call
  /// holds one until it ends; further requests wait for one to be returned.
  std::size_t sync_threads = 64;
  /// How long an idle loop keeps polling before it sleeps. Shortens the trip back from sync threads at the
  /// cost of that much CPU after each burst of work; 0 disables it.
  std::chrono::microseconds loop_spin{50};
  /// Log (or report to `watchdog_sink`) when a loop is blocked longer than `watchdog_threshold`.
  /// Off by default; DUET_WATCHDOG=1 (or DUET_WATCHDOG_MS=<threshold>) turns it on.
  bool watchdog = false;
  std::chrono::milliseconds watchdog_threshold{100};
  /// Receives watchdog reports; by default they are written to stderr.
  std::function<void(const WatchdogReport&)> watchdog_sink{};
};

namespace detail {
class RuntimeImpl;
/// Throws SynchronousOnlyOperation on a loop thread: waiting there for the loop itself would deadlock.
void refuse_on_loop(const char* operation);
}  // namespace detail

/// Owns N event-loop threads (one io_context each) and a bounded pool of sync threads, and starts them on
/// construction. Destruction stops the loops and joins every thread.
class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::size_t loop_count() const noexcept;
  boost::asio::io_context& loop(std::size_t index) noexcept;
  /// Loops in turn, for spreading new connections or flows.
  boost::asio::io_context& next_loop() noexcept;
  detail::SyncPool& sync_pool() noexcept;
  std::size_t max_sync_threads() const noexcept;
  /// Sync threads started so far (they are started on demand and then kept).
  std::size_t sync_thread_count() const;

  /// A new flow (request) on `loop`, or on the next loop in turn.
  ContextPtr new_context(std::string label = {});
  ContextPtr new_context(boost::asio::io_context& loop, std::string label = {});

  /// Starts `task` in a new flow on the next loop; `token` receives its completion as Asio's co_spawn does
  /// (`boost::asio::detached`, `boost::asio::use_future`, a callback taking (exception_ptr[, T])).
  template <class T, class Token>
  auto spawn(Task<T> task, Token&& token, std::string label = {}) {
    return boost::asio::co_spawn(new_context(std::move(label))->executor(), std::move(task),
                                 std::forward<Token>(token));
  }

  /// The flow that sync_to_async uses when awaited outside any flow (a coroutine started with plain
  /// co_spawn): like asgiref's main thread, one strand that all such calls share, in order.
  ContextPtr shared_context();

  /// Runs `task` in a new flow and blocks the calling (non-loop) thread until it finishes; returns its value
  /// or rethrows its exception. Meant for main() and tests.
  template <class T>
  T block_on(Task<T> task, std::string label = "block_on") {
    detail::refuse_on_loop("Runtime::block_on()");
    auto make = [&task] { return std::move(task); };
    detail::BlockingCall<decltype(make)> call{std::move(make), std::nullopt, nullptr};
    detail::run_in_flow_and_wait(new_context(std::move(label)), &decltype(call)::run, &call);
    return call.result();
  }

  /// Stops the loops (pending handlers are abandoned) and joins the threads. Idempotent.
  void stop();

  /// The runtime that owns the calling loop thread, or null.
  static Runtime* current() noexcept;

 private:
  std::unique_ptr<detail::RuntimeImpl> impl_;
};

}  // namespace duet
