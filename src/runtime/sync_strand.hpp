// SyncStrand: a queue of sync jobs served, in order, by one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "duet/runtime/context.hpp"
#include "duet/runtime/detail/unique_function.hpp"

namespace duet::detail {

struct SyncJob {
  UniqueFunction run;
  ContextPtr context;    // made current while the job runs
  bool counted = false;  // in sync_jobs_in_flight until it has run
};

/// sync_to_async jobs submitted and not yet run to the end. An idle loop spins (RuntimeOptions::loop_spin)
/// only while this is above zero: only then can a result be on its way back to it, and a server with no
/// sync work in flight would otherwise burn CPU in epoll_wait(0) after every burst of requests.
extern std::atomic<std::size_t> sync_jobs_in_flight;

/// The jobs of a pool thread, or of a plain thread blocked in async_to_sync. Whoever serves the strand runs
/// its jobs one after another with their Context current; pushing is safe from any thread.
class SyncStrand {
 public:
  void push(SyncJob job);

  /// Runs jobs on the calling thread until `done` is set (by finish()) and the queue is empty.
  void serve_until(const std::atomic<bool>& done);

  /// Sets `done` and wakes the serving thread. The strand is not touched once this returns, so a
  /// stack-allocated strand may be destroyed as soon as serve_until() returns.
  void finish(std::atomic<bool>& done);

  /// The strand the calling thread is serving, or null.
  static SyncStrand* current() noexcept;

  /// The thread serving this strand (a default id when none is): the thread whose thread-local state (its
  /// database connections, an open atomic block) the strand's jobs see.
  std::thread::id server() const noexcept { return server_.load(std::memory_order_acquire); }

 private:
  bool wait_for_work(std::unique_lock<std::mutex>& lock, const std::atomic<bool>& done);

  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::deque<SyncJob> jobs_;
  std::atomic<std::size_t> queued_{0};  // read without the lock while spinning
  bool sleeping_ = false;
  std::atomic<std::thread::id> server_{};
};

}  // namespace duet::detail
