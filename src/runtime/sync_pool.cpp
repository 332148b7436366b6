#include "sync_pool.hpp"

#include <algorithm>
#include <utility>

namespace duet::detail {

SyncPool::SyncPool(std::size_t max_threads) : max_threads_(std::max<std::size_t>(max_threads, 1)) {}

SyncPool::~SyncPool() {
  stop();
}

std::size_t SyncPool::thread_count() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

SyncPool::Worker* SyncPool::take_idle_locked() {
  if (!idle_.empty()) {
    Worker* worker = idle_.back();  // most recently used: its caches (and connections) are warm
    idle_.pop_back();
    return worker;
  }
  if (workers_.size() >= max_threads_ || stopping_.load()) return nullptr;
  auto worker = std::make_unique<Worker>();
  Worker* raw = worker.get();
  raw->thread = std::thread([this, raw] { raw->strand.serve_until(stopping_); });
  workers_.push_back(std::move(worker));
  return raw;
}

void SyncPool::submit_sensitive(Context& context, SyncJob job) {
  if (SyncStrand* strand = context.strand()) {
    strand->push(std::move(job));
    return;
  }
  SyncStrand* strand = nullptr;
  {
    std::lock_guard lock(mutex_);
    strand = context.strand();  // another thread may have leased one meanwhile
    if (!strand) {
      for (auto& waiter : lease_waiting_) {
        if (waiter.context.get() == &context) {
          waiter.jobs.push_back(std::move(job));
          return;
        }
      }
      if (Worker* worker = take_idle_locked()) {
        strand = &worker->strand;
        context.set_strand(strand, /*leased=*/true);
      } else {
        LeaseWaiter waiter{ContextPtr(&context), {}};
        waiter.jobs.push_back(std::move(job));
        lease_waiting_.push_back(std::move(waiter));
        return;
      }
    }
  }
  strand->push(std::move(job));
}

void SyncPool::run_loose_on(Worker* worker, SyncJob job) {
  // The job hands its thread back when it is done, so the thread can serve the next loose job or lease.
  worker->strand.push(SyncJob{[this, worker, inner = std::move(job.run)]() mutable {
                                inner();
                                inner = {};
                                Handoff handoff;
                                {
                                  std::lock_guard lock(mutex_);
                                  handoff = hand_back_locked(worker);
                                }
                                carry_out(std::move(handoff));
                              },
                              std::move(job.context), job.counted});
}

void SyncPool::submit_loose(SyncJob job) {
  Worker* worker;
  {
    std::lock_guard lock(mutex_);
    worker = take_idle_locked();
    if (!worker) {
      loose_waiting_.push_back(std::move(job));
      return;
    }
  }
  run_loose_on(worker, std::move(job));
}

SyncPool::Handoff SyncPool::hand_back_locked(Worker* worker) {
  Handoff handoff;
  handoff.worker = worker;
  if (!lease_waiting_.empty()) {
    LeaseWaiter& waiter = lease_waiting_.front();
    waiter.context->set_strand(&worker->strand, /*leased=*/true);
    handoff.lease_jobs = std::move(waiter.jobs);
    handoff.lease_context = std::move(waiter.context);
    lease_waiting_.pop_front();
  } else if (!loose_waiting_.empty()) {
    handoff.loose_job = std::move(loose_waiting_.front());
    loose_waiting_.pop_front();
  } else {
    idle_.push_back(worker);
  }
  return handoff;
}

void SyncPool::carry_out(Handoff handoff) {
  if (handoff.loose_job) run_loose_on(handoff.worker, std::move(*handoff.loose_job));
  for (auto& job : handoff.lease_jobs)
    handoff.worker->strand.push(std::move(job));
}

void SyncPool::release(SyncStrand* strand) {
  Handoff handoff;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(workers_.begin(), workers_.end(),
                           [strand](const auto& worker) { return &worker->strand == strand; });
    if (it == workers_.end()) return;  // stopped
    handoff = hand_back_locked(it->get());
  }
  carry_out(std::move(handoff));
}

void SyncPool::stop() {
  if (stopping_.exchange(true)) return;
  std::vector<std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mutex_);
    workers = std::move(workers_);
  }
  for (auto& worker : workers)
    worker->strand.finish(stopping_);
  for (auto& worker : workers)
    worker->thread.join();
}

}  // namespace duet::detail
