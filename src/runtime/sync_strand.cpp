#include "sync_strand.hpp"

#include <chrono>
#include <utility>

namespace duet::detail {

namespace {

thread_local SyncStrand* this_thread_strand = nullptr;

// A thread woken from a futex wait costs several microseconds; a hop back and forth should cost less than
// that (DESIGN.md §4 budget: 3 µs). So a server thread spins this long for the next job before sleeping.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(50);

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

SyncStrand* SyncStrand::current() noexcept {
  return this_thread_strand;
}

void SyncStrand::push(SyncJob job) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    queued_.fetch_add(1, std::memory_order_release);
    wake = sleeping_;
  }
  if (wake) wakeup_.notify_one();
}

void SyncStrand::finish(std::atomic<bool>& done) {
  std::lock_guard lock(mutex_);
  done.store(true, std::memory_order_release);
  wakeup_.notify_one();
}

bool SyncStrand::wait_for_work(std::unique_lock<std::mutex>& lock, const std::atomic<bool>& done) {
  if (!jobs_.empty()) return true;
  lock.unlock();
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (unsigned spins = 0;; ++spins) {
    if (queued_.load(std::memory_order_acquire) != 0 || done.load(std::memory_order_acquire)) break;
    cpu_relax();
    if ((spins & 63) == 63 && std::chrono::steady_clock::now() >= deadline) break;
  }
  lock.lock();
  sleeping_ = true;
  wakeup_.wait(lock, [&] { return !jobs_.empty() || done.load(std::memory_order_acquire); });
  sleeping_ = false;
  return !jobs_.empty();
}

void SyncStrand::serve_until(const std::atomic<bool>& done) {
  SyncStrand* previous = std::exchange(this_thread_strand, this);
  // Nested serving (async_to_sync inside one of this strand's jobs) happens on the same thread.
  const auto previous_server = server_.exchange(std::this_thread::get_id(), std::memory_order_acq_rel);
  std::unique_lock lock(mutex_);
  while (wait_for_work(lock, done)) {
    SyncJob job = std::move(jobs_.front());
    jobs_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    lock.unlock();
    {
      ContextScope scope(job.context.get());
      job.run();
      // After run(): its result was handed to the loop first, so the loop spins until it has it.
      if (job.counted) sync_jobs_in_flight.fetch_sub(1, std::memory_order_release);
      // Drop the job (and maybe the last reference to its Context) before taking the lock again: releasing
      // a Context may hand this very strand to another flow.
      job = {};
    }
    lock.lock();
  }
  // Returning with the lock held last: finish() has released it, so the strand is no longer in use.
  lock.unlock();
  server_.store(previous_server, std::memory_order_release);
  this_thread_strand = previous;
}

}  // namespace duet::detail
