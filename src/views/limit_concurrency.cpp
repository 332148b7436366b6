#include "duet/views/limit_concurrency.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "duet/conf/settings.hpp"
#include "duet/http/response.hpp"

namespace duet::views {

namespace asio = boost::asio;

namespace detail {

class Admission;

/// One event loop's part of a gate. Only that loop's thread touches it: its requests start, wait and end
/// there.
struct LoopShare {
  std::size_t running = 0;
  std::deque<Admission*> queue;
};

struct ConcurrencyGate {
  ConcurrencyGate(std::size_t per_loop, std::chrono::milliseconds max_wait)
      : per_loop(per_loop), max_wait(max_wait) {}

  const std::size_t per_loop;
  const std::chrono::milliseconds max_wait;
  /// Never reused, unlike an address: the thread-local cache below cannot mistake a new gate for a dead one.
  const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed) + 1;
  static inline std::atomic<std::uint64_t> next_id{0};

  /// The share of the loop (io_context) running the caller. A share is never removed while the gate lives.
  LoopShare& share_of(const asio::execution_context* loop) {
    thread_local struct {
      std::uint64_t gate = 0;
      const asio::execution_context* loop = nullptr;
      LoopShare* share = nullptr;
    } last;
    if (last.gate == id && last.loop == loop) return *last.share;
    std::lock_guard lock(mutex);
    auto& share = loops[loop];
    if (!share) share = std::make_unique<LoopShare>();
    last = {id, loop, share.get()};
    return *share;
  }

  std::mutex mutex;
  std::unordered_map<const asio::execution_context*, std::unique_ptr<LoopShare>> loops;

  /// Sync views: one count for the process, waited for on the request's thread.
  std::mutex sync_mutex;
  std::condition_variable sync_freed;
  std::size_t sync_running = 0;
};

/// A request's place at the gate, in its coroutine frame: whatever ends the coroutine (the view returns or
/// throws, the client goes away, the frame is destroyed), the place passes to the oldest waiter or the count
/// goes down, and a waiter that never got in leaves the queue.
class Admission {
 public:
  Admission(LoopShare& share, std::size_t limit) : share_(share), limit_(limit) {}
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  ~Admission() {
    if (queued_) std::erase(share_.queue, this);
    if (!admitted_) return;
    if (share_.queue.empty()) {
      --share_.running;
      return;
    }
    // Handed straight on (the count stays): nobody arriving meanwhile can overtake the queue.
    Admission* next = share_.queue.front();
    share_.queue.pop_front();
    next->queued_ = false;
    next->admitted_ = true;
    next->timer_->cancel();
  }

  bool try_enter() {
    if (share_.running >= limit_ || !share_.queue.empty()) return false;
    ++share_.running;
    admitted_ = true;
    return true;
  }
  /// Waits on `timer` (its expiry is the request's deadline) until handed a place.
  void queue_up(asio::steady_timer& timer) {
    timer_ = &timer;
    share_.queue.push_back(this);
    queued_ = true;
  }
  bool admitted() const noexcept { return admitted_; }

 private:
  LoopShare& share_;
  const std::size_t limit_;
  asio::steady_timer* timer_ = nullptr;
  bool queued_ = false;
  bool admitted_ = false;
};

}  // namespace detail

namespace {

struct Decorated {
  std::shared_ptr<detail::ConcurrencyGate> gate;
  urls::View view;
};

http::HttpResponse too_busy() {
  http::HttpResponse response("Service Unavailable: too many requests in progress; retry shortly.\n", 503,
                              "text/plain; charset=utf-8");
  response.headers.set("Retry-After", "1");
  return response;
}

// Parameters by value: the state lives in the coroutine frame whatever happens to the caller's copy.
Task<http::HttpResponse> run_async(std::shared_ptr<const Decorated> d, http::HttpRequest& request) {
  auto executor = co_await asio::this_coro::executor;
  auto& loop = asio::query(executor, asio::execution::context);
  detail::Admission admission(d->gate->share_of(&loop), d->gate->per_loop);
  if (!admission.try_enter()) {
    // Declared after the admission, so destroyed first: the admission never points at a dead timer.
    asio::steady_timer timer(executor, d->gate->max_wait);
    admission.queue_up(timer);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Not handed a place: max_wait passed, or the request was cancelled (its client is gone).
    if (!admission.admitted()) co_return too_busy();
  }
  co_return co_await d->view.async_function()(request);
}

http::HttpResponse run_sync(const Decorated& d, http::HttpRequest& request) {
  auto& gate = *d.gate;
  {
    std::unique_lock lock(gate.sync_mutex);
    if (!gate.sync_freed.wait_for(lock, gate.max_wait, [&] { return gate.sync_running < gate.per_loop; }))
      return too_busy();
    ++gate.sync_running;
  }
  struct Leave {
    detail::ConcurrencyGate& gate;
    ~Leave() {
      {
        std::lock_guard lock(gate.sync_mutex);
        --gate.sync_running;
      }
      gate.sync_freed.notify_one();
    }
  } leave{gate};
  return d.view.sync_function()(request);
}

}  // namespace

LimitConcurrency::LimitConcurrency(std::size_t per_loop, std::chrono::milliseconds max_wait) {
  if (per_loop == 0) {
    throw conf::ImproperlyConfigured(
        "limit_concurrency(0) would let no request through; give it at least 1 (requests at once per loop)");
  }
  gate_ = std::make_shared<detail::ConcurrencyGate>(per_loop, max_wait);
}

std::size_t LimitConcurrency::per_loop() const noexcept {
  return gate_->per_loop;
}

std::chrono::milliseconds LimitConcurrency::max_wait() const noexcept {
  return gate_->max_wait;
}

urls::View LimitConcurrency::operator()(urls::View view) const {
  auto name = view.name();
  const bool is_async = view.is_async();
  auto d = std::make_shared<const Decorated>(Decorated{gate_, std::move(view)});
  if (is_async) {
    return urls::View([d](http::HttpRequest& request) { return run_async(d, request); }, std::move(name));
  }
  return urls::View([d](http::HttpRequest& request) { return run_sync(*d, request); }, std::move(name));
}

}  // namespace duet::views
