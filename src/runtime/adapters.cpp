// The compiled halves of sync_to_async and async_to_sync (DESIGN.md §4).
#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/runtime.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/timeout.hpp"
#include "loop_thread.hpp"
#include "sync_pool.hpp"

namespace duet::detail {

Runtime& fallback_runtime();

void submit_sync(UniqueFunction job, bool thread_sensitive) {
  ContextPtr context(Context::current());
  if (!context) {
    Runtime* runtime = Runtime::current();
    context = (runtime ? *runtime : fallback_runtime()).shared_context();
  }
  SyncPool& pool = context->pool();
  sync_jobs_in_flight.fetch_add(1, std::memory_order_relaxed);
  if (LoopThread* loop = this_loop_thread; loop && loop->in_run && !loop->leave_posted) {
    leave_run_for_sync_work(*loop);
  }
  if (thread_sensitive) {
    pool.submit_sensitive(*context, SyncJob{std::move(job), context, true});
  } else {
    pool.submit_loose(SyncJob{std::move(job), std::move(context), true});
  }
}

namespace {

// Spawns the task in `flow` and serves `strand` on the calling thread until the task is done.
void wait_for(const ContextPtr& flow, Task<void> (*trampoline)(void*), void* state, SyncStrand& strand) {
  std::atomic<bool> done{false};
  loop_handoffs.fetch_add(1, std::memory_order_release);
  boost::asio::co_spawn(flow->executor(), trampoline(state),
                        [&strand, &done](std::exception_ptr) { strand.finish(done); });
  strand.serve_until(done);
}

}  // namespace

void run_in_flow_and_wait(const ContextPtr& flow, Task<void> (*trampoline)(void*), void* state) {
  refuse_on_loop("Runtime::block_on()");
  SyncStrand waiter;
  wait_for(flow, trampoline, state, waiter);
  // The task is done, but Asio drops its last references to the flow (and so returns the flow's sync
  // strand to the pool) just after signalling. Wait for that, so that a request run next finds the strand
  // free — as it would after a server request — unless something the flow started outlives it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (flow->use_count() > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
}

void block_on_task(Task<void> (*trampoline)(void*), void* state) {
  refuse_on_loop("async_to_sync()");
  ContextPtr flow(Context::current());
  SyncStrand* strand = SyncStrand::current();
  std::optional<SyncStrand> own_strand;
  if (!strand) strand = &own_strand.emplace();
  const bool plain_thread = !flow;
  if (plain_thread) {
    // asgiref's CurrentThreadExecutor: a new flow on the fallback loop whose thread-sensitive sync work comes
    // back to this thread, which is waiting anyway.
    flow = fallback_runtime().new_context("async_to_sync");
    flow->set_strand(strand, /*leased=*/false);
  }
  wait_for(flow, trampoline, state, *strand);
  // The flow may outlive this call (a task it spawned holds it); its later sync work goes to the pool.
  if (plain_thread) flow->set_strand(nullptr, /*leased=*/false);
}

}  // namespace duet::detail

namespace duet {

TimeoutError::TimeoutError(std::chrono::steady_clock::duration timeout)
    : std::runtime_error(
          "operation timed out after " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) + " ms"),
      timeout_(timeout) {}

}  // namespace duet
