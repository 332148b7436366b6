// Context: one logical flow of work (typically one request) as it hops between loop and sync threads.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duet/runtime/task.hpp"

namespace duet {

class Context;
using ContextPtr = boost::intrusive_ptr<Context>;

class Runtime;

namespace detail {
class SyncPool;
class SyncStrand;
}  // namespace detail

/// The logical flow of one request: what asgiref calls the thread-sensitive context plus the request's
/// context variables. A Context is bound to one event loop; coroutines spawned with `executor()` run with
/// it as `Context::current()`, and so does the sync code they send through sync_to_async.
///
/// Its first thread-sensitive sync call leases one thread of the sync pool (its *sync strand*); every later
/// thread-sensitive call of the flow runs on that same thread, in order. The lease ends when the last
/// reference to the Context goes away, and the thread, with its thread-local state (a DB connection, say),
/// serves later requests.
class alignas(64) Context {
 public:
  /// A new flow on `loop`, whose sync work goes to `pool`. `label` names it in diagnostics ("GET /api/").
  static ContextPtr create(boost::asio::io_context& loop, detail::SyncPool& pool, std::string label = {});

  /// The flow the calling thread is working for, or null outside any.
  static Context* current() noexcept;

  /// An executor on this flow's loop that makes this flow current while its handlers run.
  /// `co_spawn(ctx->executor(), task, token)` starts a task in this flow.
  Executor executor();

  const std::string& label() const noexcept { return label_; }
  boost::asio::io_context& loop() const noexcept { return *loop_; }
  detail::SyncPool& pool() const noexcept { return *pool_; }

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// The thread running this flow's thread-sensitive sync code right now, or a default id while the flow
  /// has no sync strand. Its thread-local state is the flow's: the ORM asks it whether the flow's sync code
  /// holds a transaction open, which the flow's async queries must then join.
  std::thread::id sync_thread() const noexcept;

  // Used by the runtime's adapters.
  detail::SyncStrand* strand() const noexcept { return strand_.load(std::memory_order_acquire); }
  void set_strand(detail::SyncStrand* strand, bool leased) noexcept;
  void set_local(std::size_t id, void* value, void (*destroy)(void*));
  void* find_local(std::size_t id) noexcept;

  /// References held to this flow (by its tasks, pending sync calls and handles such as ContextPtr).
  std::size_t use_count() const noexcept { return refs_.load(std::memory_order_acquire); }

  friend void intrusive_ptr_add_ref(Context* c) noexcept { c->refs_.fetch_add(1, std::memory_order_relaxed); }
  friend void intrusive_ptr_release(Context* c) noexcept {
    if (c->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
  }

 private:
  friend class ContextSlot;
  Context(boost::asio::io_context& loop, detail::SyncPool& pool, std::string label);
  ~Context();
  /// Ends the flow as the destructor would (its Local values destroyed, its sync strand back to the pool)
  /// and leaves the object ready to serve as a new flow. Only when nothing else holds it.
  void end_flow() noexcept;

  // What every flow touches (its count, loop, label, strand and whether it has Local values) fills the
  // first cache line, which is where the object starts (alignas): a server's request touches that line
  // of its flow and no other. The mutex and the Local values come after it.
  std::atomic<std::size_t> refs_{0};
  boost::asio::io_context* loop_;
  std::string label_;
  std::atomic<detail::SyncStrand*> strand_{nullptr};
  bool strand_leased_ = false;
  bool has_locals_ = false;  // set_local() was called: end_flow() has values to destroy
  detail::SyncPool* pool_;

  struct LocalValue {
    std::size_t id;
    void* value;
    void (*destroy)(void*);
  };
  std::mutex locals_mutex_;
  std::vector<LocalValue> locals_;
};

/// Where a coroutine that serves one flow after another keeps the flow it serves now. The server runs each
/// request's application on its connection's own coroutine (a co_spawn per request cost a frame, a post and
/// one more turn of the loop), so that coroutine's executor cannot name one Context: the executor of a
/// ContextSlot makes whatever Context the slot holds current while its handlers run.
///
/// enter() and leave() run on the slot's loop thread, in the coroutine itself; executors may be copied
/// anywhere. A task started on the slot's executor (`co_await this_coro::executor`) runs in the slot's
/// flow of the moment: one that must outlive its request starts on `Context::current()->executor()`.
class ContextSlot {
 public:
  static boost::intrusive_ptr<ContextSlot> create(boost::asio::io_context& loop);

  /// An executor on the slot's loop that makes the slot's Context current while its handlers run.
  Executor executor();

  /// Makes `context` the slot's flow and the calling thread's current one: the slot's coroutine, which is
  /// running now, works for it from here on.
  void enter(ContextPtr context);
  /// As enter(runtime.new_context(loop(), label)) with the label `head + " " + tail` ("GET /path"), but
  /// without an allocation when it can: the Context of the slot's last flow is used again if nothing held
  /// it past leave() (its Local values and sync strand ended there, as they would with a new one).
  void enter_new(Runtime& runtime, std::string_view head, std::string_view tail);
  /// Ends the flow begun by enter(): the slot and the calling thread have none, and the slot's reference
  /// to the Context is dropped (a flow's sync strand goes back to the pool with its last reference).
  void leave() noexcept;

  Context* context() const noexcept { return context_.get(); }
  boost::asio::io_context& loop() const noexcept { return *loop_; }

  ContextSlot(const ContextSlot&) = delete;
  ContextSlot& operator=(const ContextSlot&) = delete;

  friend void intrusive_ptr_add_ref(ContextSlot* s) noexcept {
    s->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(ContextSlot* s) noexcept {
    if (s->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }

 private:
  explicit ContextSlot(boost::asio::io_context& loop) noexcept : loop_(&loop) {}
  ~ContextSlot() = default;

  std::atomic<std::size_t> refs_{0};
  boost::asio::io_context* loop_;
  ContextPtr context_;
  // The last flow's Context, ended and kept for enter_new() (a server's connection serves one request
  // after another: one Context for all of them instead of an allocation and a construction each).
  ContextPtr spare_;
};

/// Makes `context` current on this thread for the scope's lifetime (and restores the previous one).
class ContextScope {
 public:
  explicit ContextScope(Context* context) noexcept;
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context* previous_;
};

}  // namespace duet
