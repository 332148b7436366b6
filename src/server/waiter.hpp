// Waiter: a one-shot wake-up for one waiting coroutine, cheaper than a timer used as a condition.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace duet::server::detail {

/// One coroutine at a time waits; notify() wakes it (a no-op if none waits, so check the condition before
/// waiting: everything runs on one loop thread, so the check and the wait cannot interleave with notify).
/// The waiter resumes through its own associated executor, so a coroutine of a request's Context stays in
/// that Context. With `Cancellable`, cancelling the waiting coroutine completes the wait with
/// operation_aborted; without, the wait ignores the coroutine's cancellation slot (for a coroutine that is
/// never cancelled while it waits there: assigning and clearing the slot touches the cancellation signal's
/// memory, two cache lines on every wait). A template parameter, not a member: a Waiter is 32 bytes, and
/// a connection's waiter is on every request's path (cache lines touched per request).
///
/// The handler is kept in place, in its own type, rather than in an any_completion_handler: that one is a
/// heap block per wait, and asking it for its executor converts the coroutine's any_io_executor into an
/// any_completion_executor, which allocates again. Both were on every request's path (two waits each).
/// (It also put its own cancellation proxy in the coroutine's slot over the one assigned here, and nothing
/// listened to that proxy: cancelling a wait did nothing. Now it completes the wait with operation_aborted.)
template <bool Cancellable>
class BasicWaiter {
 public:
  /// The loop's own executor (a pointer), not an any_io_executor: that one is 56 bytes in every Waiter,
  /// and a connection's waiters are on every request's path (cache lines touched per request).
  using Executor = boost::asio::io_context::executor_type;

  explicit BasicWaiter(Executor fallback) : fallback_(fallback) {}
  ~BasicWaiter() {
    if (ops_) ops_->destroy(storage_);
  }
  BasicWaiter(const BasicWaiter&) = delete;
  BasicWaiter& operator=(const BasicWaiter&) = delete;

  template <class Token>
  auto async_wait(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          using Handler = decltype(handler);
          static_assert(sizeof(Handler) <= storage_size && alignof(Handler) <= alignof(void*),
                        "Waiter's storage is sized for a coroutine's handler; grow it for this one");
          if (ops_) ops_->destroy(storage_);  // one waiter at a time: a second wait replaces the first
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          const bool assign = Cancellable && slot.is_connected();
          if (assign) {
            slot.assign(
                [this](boost::asio::cancellation_type) { complete(boost::asio::error::operation_aborted); });
          }
          ::new (static_cast<void*>(storage_)) Handler(std::move(handler));
          ops_ = assign ? &ops_for<Handler, true> : &ops_for<Handler, false>;
        },
        token);
  }

  /// `co_await waiter.wait()` gives a std::tuple of the wait's error code (operation_aborted if the waiting
  /// coroutine was cancelled). Deferred, not use_awaitable: Asio awaits the wait in place, with the
  /// coroutine itself as the handler, where use_awaitable (or a coroutine around the wait) allocated a
  /// frame per wait, cold by the time the wait ended.
  auto wait() { return async_wait(boost::asio::as_tuple(boost::asio::deferred)); }

  void notify() { complete({}); }

  /// Resumes the waiter within this call instead of posting. Only as the last action of a handler that
  /// Asio called (a read's completion, say), never from code that goes on afterwards: the woken coroutine
  /// may run to its end and destroy whatever owns this Waiter.
  void notify_now() {
    if (!ops_) return;
    auto* ops = std::exchange(ops_, nullptr);
    // On its own loop's thread the executor runs this at once; `this` is not touched after it.
    ops->resume_now(storage_, fallback_);
  }
  /// As notify_now(), but calls the handler itself instead of through its associated executor. Only when
  /// that executor would add nothing to a direct call on this thread: a ContextSlot's holding no flow (the
  /// caller makes no Context current, as that executor would). It saves copying the executor out of the
  /// coroutine's entry frame (a cache line of its own at hundreds of connections) and the slot's reference
  /// count going up and down twice.
  void resume_here() {
    if (!ops_) return;
    auto* ops = std::exchange(ops_, nullptr);
    ops->resume_here(storage_);
  }
  bool waiting() const noexcept { return ops_ != nullptr; }

 private:
  // A coroutine's handler: what co_await of async_wait(deferred) passes (the awaitable thread and a
  // pointer to its result), as_tuple around it (wait()), or redirect_error around use_awaitable.
  static constexpr std::size_t storage_size = 16;

  struct Ops {
    void (*destroy)(void* storage);
    // Both move the handler out of `storage` (and destroy what is left there) before anything else.
    void (*resume_now)(void* storage, const Executor& fallback);
    void (*resume_here)(void* storage);
    void (*resume_posted)(void* storage, const Executor& fallback, boost::system::error_code ec);
  };

  /// `assigned`: the wait put its handler in the coroutine's cancellation slot, which is cleared here.
  template <class Handler, bool assigned>
  static Handler take(void* storage) {
    auto* stored = std::launder(static_cast<Handler*>(storage));
    Handler handler(std::move(*stored));
    stored->~Handler();
    if constexpr (assigned) {
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();
    }
    return handler;
  }

  template <class Handler, bool assigned>
  static constexpr Ops ops_for{
      [](void* storage) { std::launder(static_cast<Handler*>(storage))->~Handler(); },
      [](void* storage, const Executor& fallback) {
        Handler handler = take<Handler, assigned>(storage);
        auto executor = boost::asio::get_associated_executor(handler, fallback);
        executor.execute(
            [handler = std::move(handler)]() mutable { std::move(handler)(boost::system::error_code()); });
      },
      [](void* storage) {
        Handler handler = take<Handler, assigned>(storage);
        std::move(handler)(boost::system::error_code());
      },
      [](void* storage, const Executor& fallback, boost::system::error_code ec) {
        Handler handler = take<Handler, assigned>(storage);
        // Never inline (the notifier is mid-way through its own work): post to the loop, then run through
        // the handler's executor, which makes a request's Context current again for its coroutine.
        boost::asio::post(fallback, [fallback, handler = std::move(handler), ec]() mutable {
          auto executor = boost::asio::get_associated_executor(handler, fallback);
          executor.execute([handler = std::move(handler), ec]() mutable { std::move(handler)(ec); });
        });
      },
  };

  void complete(boost::system::error_code ec) {
    if (!ops_) return;
    auto* ops = std::exchange(ops_, nullptr);
    ops->resume_posted(storage_, fallback_, ec);
  }

  // 32 bytes: a Connection's serve() waits in one on every request.
  const Ops* ops_ = nullptr;
  Executor fallback_;
  alignas(void*) unsigned char storage_[storage_size];
};

using Waiter = BasicWaiter<true>;
using UncancellableWaiter = BasicWaiter<false>;

}  // namespace duet::server::detail
