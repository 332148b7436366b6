// sync_to_async: run blocking code from a coroutine without blocking the event loop.
#pragma once

#include <atomic>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "duet/runtime/detail/unique_function.hpp"
#include "duet/runtime/task.hpp"

namespace duet {

struct SyncToAsyncOptions {
  /// true: run on the current flow's sync strand — the one pooled thread that runs all thread-sensitive
  /// sync work of this request, in order. false: run on any free pool thread, in parallel with the rest.
  bool thread_sensitive = true;
};

namespace detail {

/// Bumped by every hand-off from a sync thread to a loop, so that a spinning idle loop notices it without
/// polling Asio's scheduler (and contending for its mutex) all the time.
extern std::atomic<std::uint64_t> loop_handoffs;

/// Queues `job` for a sync thread of the current flow (DESIGN.md §4). Called on the loop thread.
void submit_sync(UniqueFunction job, bool thread_sensitive);

/// The state one sync_to_async call shares between the loop (completion, cancellation) and the sync thread
/// that runs `fn`. Cancellation wins only while the call is still queued: once `fn` runs it holds references
/// into the awaiting coroutine's frame (the request, say), so the coroutine must not unwind before it ends.
template <class Fn, class Handler>
struct SyncCall : std::enable_shared_from_this<SyncCall<Fn, Handler>> {
  using R = std::invoke_result_t<Fn&>;
  using Value = std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>>;
  enum State : int { queued, running, cancelled };

  SyncCall(Fn fn, Handler handler)
      : fn(std::move(fn)),
        handler(std::move(handler)),
        work(boost::asio::make_work_guard(boost::asio::get_associated_executor(this->handler))) {}

  // On the sync thread.
  void run() {
    int expected = queued;
    if (!state.compare_exchange_strong(expected, running, std::memory_order_acq_rel)) return;  // cancelled
    Value value;
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        value.emplace();
      } else {
        value.emplace(fn());
      }
    } catch (...) {
      error = std::current_exception();
    }
    complete(std::move(error), std::move(value));
  }

  // On the loop thread, from the awaiting coroutine's cancellation slot.
  void cancel() {
    int expected = queued;
    if (!state.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel)) return;  // running
    complete(std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted)),
             Value{});
  }

  void complete(std::exception_ptr error, Value value) {
    auto executor = work.get_executor();
    loop_handoffs.fetch_add(1, std::memory_order_release);
    boost::asio::post(executor, [self = this->shared_from_this(), error = std::move(error),
                                 value = std::move(value)]() mutable {
      boost::asio::get_associated_cancellation_slot(self->handler).clear();
      auto h = std::move(self->handler);
      self->work.reset();
      if constexpr (std::is_void_v<R>) {
        std::move(h)(error);
      } else {
        std::move(h)(error, std::move(value));
      }
    });
  }

  Fn fn;
  Handler handler;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work;
  std::atomic<int> state{queued};
};

template <class R>
struct SyncSignature {
  using type = void(std::exception_ptr, std::optional<R>);
};
template <>
struct SyncSignature<void> {
  using type = void(std::exception_ptr);
};

struct InitiateSyncCall {
  bool thread_sensitive;

  template <class Handler, class Fn>
  void operator()(Handler&& handler, Fn&& fn) const {
    auto call = std::make_shared<SyncCall<std::decay_t<Fn>, std::decay_t<Handler>>>(
        std::forward<Fn>(fn), std::forward<Handler>(handler));
    auto slot = boost::asio::get_associated_cancellation_slot(call->handler);
    if (slot.is_connected()) {
      slot.assign([weak = std::weak_ptr(call)](boost::asio::cancellation_type) {
        if (auto c = weak.lock()) c->cancel();
      });
    }
    submit_sync([call = std::move(call)] { call->run(); }, thread_sensitive);
  }
};

}  // namespace detail

/// Runs the blocking callable `fn` on a sync thread and resumes the calling coroutine on its own loop with
/// the result; an exception thrown by `fn` is rethrown in the coroutine unchanged.
///
///     auto user = co_await duet::sync_to_async([&] { return load_user(id); });
///
/// Thread-sensitive calls (the default) of one flow all run on that flow's sync strand, in order, so
/// thread-local state such as a database connection is the same across them. If the awaiting coroutine is
/// cancelled, a call still queued never runs (the coroutine sees operation_aborted); one already running
/// cannot be interrupted, and the coroutine resumes when it ends — it may hold references to the caller.
template <class Fn>
auto sync_to_async(Fn fn, SyncToAsyncOptions options = {}) -> Task<std::invoke_result_t<Fn&>> {
  using R = std::invoke_result_t<Fn&>;
  static_assert(!std::is_reference_v<R>, "sync_to_async: the callable must return a value, not a reference");
  if constexpr (std::is_void_v<R>) {
    co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        detail::InitiateSyncCall{options.thread_sensitive}, boost::asio::use_awaitable, std::move(fn));
  } else {
    auto value = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                      typename detail::SyncSignature<R>::type>(
        detail::InitiateSyncCall{options.thread_sensitive}, boost::asio::use_awaitable, std::move(fn));
    co_return std::move(*value);
  }
}

}  // namespace duet
