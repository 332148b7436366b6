// SyncPool: the bounded set of OS threads that run sync code for the loops.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "duet/runtime/context.hpp"
#include "sync_strand.hpp"

namespace duet::detail {

/// Threads are started on demand up to a bound and then kept. A thread is in one of three states:
/// idle; leased to one Context as its sync strand (thread-sensitive work of that flow only, until the
/// Context ends); or running one loose (thread_sensitive = false) job. When every thread is taken, new
/// leases and loose jobs wait, in arrival order, for a thread to come back.
class SyncPool {
 public:
  explicit SyncPool(std::size_t max_threads);
  ~SyncPool();
  SyncPool(const SyncPool&) = delete;
  SyncPool& operator=(const SyncPool&) = delete;

  /// Runs `job` on `context`'s strand, leasing one for it first if it has none.
  void submit_sensitive(Context& context, SyncJob job);
  /// Runs `job` on any thread that is not leased.
  void submit_loose(SyncJob job);
  /// Returns a strand leased by a Context that has ended.
  void release(SyncStrand* strand);

  /// Starts no new thread, lets the threads drain their queues, and joins them. Idempotent.
  void stop();

  std::size_t thread_count() const;
  std::size_t max_threads() const noexcept { return max_threads_; }

 private:
  struct Worker {
    SyncStrand strand;
    std::thread thread;
  };
  struct LeaseWaiter {
    ContextPtr context;
    std::vector<SyncJob> jobs;
  };

  // What a thread coming back to the pool goes on to do; carried out once mutex_ is released, because
  // pushing to a strand and dropping a Context must not happen under it.
  struct Handoff {
    Worker* worker = nullptr;
    std::vector<SyncJob> lease_jobs;  // the waiting flow that now leases `worker`
    ContextPtr lease_context;
    std::optional<SyncJob> loose_job;
  };

  Worker* take_idle_locked();
  Handoff hand_back_locked(Worker* worker);
  void carry_out(Handoff handoff);
  void run_loose_on(Worker* worker, SyncJob job);

  const std::size_t max_threads_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
  std::deque<SyncJob> loose_waiting_;
  std::deque<LeaseWaiter> lease_waiting_;
  std::atomic<bool> stopping_{false};
};

}  // namespace duet::detail
