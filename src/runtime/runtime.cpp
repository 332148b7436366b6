#include "duet/runtime/runtime.hpp"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include "duet/runtime/safety.hpp"
#include "loop_thread.hpp"
#include "sync_pool.hpp"

namespace duet {

namespace detail {

thread_local LoopThread* this_loop_thread = nullptr;
std::atomic<std::uint64_t> loop_handoffs{0};
std::atomic<std::size_t> sync_jobs_in_flight{0};

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void apply_environment(RuntimeOptions& options) {
  if (const char* ms = std::getenv("DUET_WATCHDOG_MS"); ms && *ms) {
    options.watchdog = true;
    options.watchdog_threshold = std::chrono::milliseconds(std::max(1L, std::strtol(ms, nullptr, 10)));
  } else if (const char* on = std::getenv("DUET_WATCHDOG"); on && std::string_view(on) == "1") {
    options.watchdog = true;
  }
}

// Runs `loop` until stopped. A loop that runs out of handlers keeps polling for `spin` before it sleeps in
// epoll: a sync thread handing a result back then finds it awake, which saves the several microseconds of
// an eventfd wake-up on every sync_to_async round trip (DESIGN.md §4 budget: 3 µs).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void run_loop(LoopThread& thread, const std::atomic<bool>& stop_requested, std::chrono::microseconds spin) {
  boost::asio::io_context& loop = *thread.loop;
  auto guard = boost::asio::make_work_guard(loop);
  if (spin.count() <= 0) {
    loop.run();
    return;
  }
  while (!loop.stopped()) {
    if (sync_jobs_in_flight.load(std::memory_order_acquire) == 0) {
      // Nothing can come back from a sync thread: io_context::run(), sleeping in epoll when idle (polling
      // for `spin` after every burst, and a poll() before each sleep, would cost a loop that serves only
      // async work an epoll_wait or more per burst). run(), not run_one() per handler: each run_one() call
      // starts with an empty per-thread cache of handler and coroutine-frame memory and frees it after,
      // which was a few allocations per request. A sync job submitted on this thread makes run() return
      // (leave_run_for_sync_work), so the hand-back finds the loop polling, as below.
      thread.in_run = true;
      loop.run();
      thread.in_run = false;
      if (thread.leaving_run) {
        thread.leaving_run = false;
        loop.restart();
        // A Runtime::stop() just before the restart would be undone by it.
        if (stop_requested.load(std::memory_order_acquire)) return;
      }
      continue;
    }
    if (loop.poll() > 0) continue;
    const auto deadline = std::chrono::steady_clock::now() + spin;
    bool ran = false;
    while (!ran && !loop.stopped() && std::chrono::steady_clock::now() < deadline) {
      // Polling takes the scheduler's mutex, which the sync thread handing a result back needs too: between
      // polls, watch the hand-off counter instead, and poll at once when it moves.
      const auto seen = loop_handoffs.load(std::memory_order_acquire);
      for (int i = 0; i < 64 && loop_handoffs.load(std::memory_order_relaxed) == seen; ++i)
        cpu_relax();
      ran = loop.poll() > 0;
    }
    if (!ran && !loop.stopped()) loop.run_one();
  }
}

}  // namespace

class RuntimeImpl {
 public:
  struct Loop {
    // One thread runs it, and every operation on its sockets, descriptors and acceptors is made on that
    // thread (the server's connections and acceptors, the HTTP client's connections, whose closes from
    // other threads are posted here): Asio can drop its per-descriptor mutex, a lock and an unlock in
    // every start_op and every reactor completion (~170 instructions per keep-alive request) and the
    // cache line they touch. The scheduler keeps its lock: other threads post to the loop.
    boost::asio::io_context context{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    LoopThread thread_info;
    LoopActivity activity;
    std::thread thread;
    // Watchdog state: when the pending ping was posted (0: none pending), and whether it was reported.
    std::atomic<std::int64_t> ping_sent_ns{0};
    std::atomic<bool> stop_requested{false};
    bool reported = false;
  };

  RuntimeImpl(Runtime& owner, RuntimeOptions opts) : options(std::move(opts)), pool(options.sync_threads) {
    apply_environment(options);
    std::size_t count = options.loops ? options.loops : std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < count; ++i) {
      auto loop = std::make_unique<Loop>();
      loop->thread_info = LoopThread{&loop->context, &owner, i, options.watchdog ? &loop->activity : nullptr};
      loops.push_back(std::move(loop));
    }
    const auto spin = options.loop_spin;
    for (auto& loop : loops) {
      loop->thread = std::thread([l = loop.get(), spin] {
        std::string name = "duet-loop-" + std::to_string(l->thread_info.index);
        pthread_setname_np(pthread_self(), name.c_str());
        this_loop_thread = &l->thread_info;
        run_loop(l->thread_info, l->stop_requested, spin);
        this_loop_thread = nullptr;
      });
    }
    if (options.watchdog) watchdog = std::thread([this] { watch(); });
  }

  ~RuntimeImpl() { stop(); }

  void stop() {
    {
      std::lock_guard lock(stop_mutex);
      if (stopped) return;
      stopped = true;
    }
    stop_signal.notify_all();
    if (watchdog.joinable()) watchdog.join();
    for (auto& loop : loops) {
      loop->stop_requested.store(true, std::memory_order_release);
      loop->context.stop();
    }
    for (auto& loop : loops) {
      if (loop->thread.joinable() && loop->thread.get_id() != std::this_thread::get_id()) loop->thread.join();
    }
    pool.stop();
    default_context.reset();
  }

  void watch() {
    pthread_setname_np(pthread_self(), "duet-watchdog");
    const auto threshold = options.watchdog_threshold;
    const auto period = std::max(std::chrono::milliseconds(5), threshold / 4);
    std::unique_lock lock(stop_mutex);
    while (!stop_signal.wait_for(lock, period, [this] { return stopped; })) {
      for (auto& loop : loops)
        check(*loop, threshold);
    }
  }

  void check(Loop& loop, std::chrono::milliseconds threshold) {
    std::int64_t sent = loop.ping_sent_ns.load(std::memory_order_acquire);
    if (sent == 0) {
      loop.reported = false;
      loop.ping_sent_ns.store(now_ns(), std::memory_order_release);
      boost::asio::post(loop.context, [&loop] { loop.ping_sent_ns.store(0, std::memory_order_release); });
      return;
    }
    auto blocked = std::chrono::milliseconds((now_ns() - sent) / 1'000'000);
    if (blocked < threshold || loop.reported) return;
    loop.reported = true;
    WatchdogReport report{loop.thread_info.index, blocked, {}};
    {
      std::lock_guard activity_lock(loop.activity.mutex);
      if (loop.activity.running) report.running = *loop.activity.running;
    }
    if (options.watchdog_sink) {
      options.watchdog_sink(report);
    } else {
      std::fprintf(stderr, "duet watchdog: event loop %zu blocked for %lld ms (running: %s)\n",
                   report.loop_index, static_cast<long long>(report.blocked_for.count()),
                   report.running.empty() ? "a handler outside any flow" : report.running.c_str());
    }
  }

  RuntimeOptions options;
  SyncPool pool;  // declared before the loops: destroying their pending handlers releases leases
  std::vector<std::unique_ptr<Loop>> loops;
  std::atomic<std::size_t> next_loop{0};
  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopped = false;
  std::thread watchdog;
  std::once_flag default_context_once;
  ContextPtr default_context;
};

void leave_run_for_sync_work(LoopThread& thread) {
  thread.leave_posted = true;
  // After the handlers already queued: stop() from a handler only flags the scheduler (its reactor is not
  // waiting while a handler runs), and run() returns to run_loop(), which restarts the loop in its
  // polling mode.
  boost::asio::post(*thread.loop, [&thread] {
    thread.leave_posted = false;
    if (thread.in_run && sync_jobs_in_flight.load(std::memory_order_acquire) > 0) {
      thread.leaving_run = true;
      thread.loop->stop();
    }
  });
}

void refuse_on_loop(const char* operation) {
  if (in_event_loop()) {
    throw SynchronousOnlyOperation(
        std::string(operation) +
        " cannot be called from an event-loop thread: it would wait for the loop it "
        "blocks — co_await the task instead");
  }
}

Runtime& fallback_runtime() {
  // Serves async_to_sync called from plain threads, and sync_to_async awaited on a loop duet does not own.
  static Runtime runtime(RuntimeOptions{.loops = 1, .sync_threads = 16});
  return runtime;
}

}  // namespace detail

Runtime::Runtime(RuntimeOptions options)
    : impl_(std::make_unique<detail::RuntimeImpl>(*this, std::move(options))) {}

Runtime::~Runtime() = default;

std::size_t Runtime::loop_count() const noexcept {
  return impl_->loops.size();
}

boost::asio::io_context& Runtime::loop(std::size_t index) noexcept {
  return impl_->loops[index]->context;
}

boost::asio::io_context& Runtime::next_loop() noexcept {
  return loop(impl_->next_loop.fetch_add(1, std::memory_order_relaxed) % impl_->loops.size());
}

detail::SyncPool& Runtime::sync_pool() noexcept {
  return impl_->pool;
}

std::size_t Runtime::max_sync_threads() const noexcept {
  return impl_->pool.max_threads();
}

std::size_t Runtime::sync_thread_count() const {
  return impl_->pool.thread_count();
}

ContextPtr Runtime::new_context(std::string label) {
  return new_context(next_loop(), std::move(label));
}

ContextPtr Runtime::new_context(boost::asio::io_context& loop, std::string label) {
  return Context::create(loop, impl_->pool, std::move(label));
}

void Runtime::stop() {
  impl_->stop();
}

Runtime* Runtime::current() noexcept {
  return detail::this_loop_thread ? detail::this_loop_thread->runtime : nullptr;
}

ContextPtr Runtime::shared_context() {
  std::call_once(impl_->default_context_once,
                 [&] { impl_->default_context = new_context(loop(0), "(outside any flow)"); });
  return impl_->default_context;
}

}  // namespace duet
