// Waiter: a one-shot wake-up for one waiting coroutine, cheaper than a timer used as a condition.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <optional>

namespace duet::server::detail {

/// One coroutine at a time waits; notify() wakes it (a no-op if none waits, so check the condition before
/// waiting: everything runs on one loop thread, so the check and the wait cannot interleave with notify).
/// The waiter resumes through its own associated executor, so a coroutine of a request's Context stays in
/// that Context. Cancelling the waiting coroutine completes the wait with operation_aborted.
class Waiter {
 public:
  explicit Waiter(boost::asio::any_io_executor fallback) : fallback_(std::move(fallback)) {}

  template <class Token>
  auto async_wait(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          if (slot.is_connected()) {
            slot.assign(
                [this](boost::asio::cancellation_type) { complete(boost::asio::error::operation_aborted); });
          }
          handler_.emplace(std::move(handler));
        },
        token);
  }

  void notify() { complete({}); }

  /// Resumes the waiter within this call instead of posting. Only as the last action of a handler that
  /// Asio called (a read's completion, say), never from code that goes on afterwards: the woken coroutine
  /// may run to its end and destroy whatever owns this Waiter.
  void notify_now() {
    if (!handler_) return;
    auto handler = std::move(*handler_);
    handler_.reset();
    auto slot = handler.get_cancellation_slot();
    if (slot.is_connected()) slot.clear();
    auto executor = boost::asio::get_associated_executor(handler, fallback_);
    // On its own loop's thread the executor runs this at once; `this` is not touched after it.
    executor.execute(
        [handler = std::move(handler)]() mutable { std::move(handler)(boost::system::error_code()); });
  }
  bool waiting() const noexcept { return handler_.has_value(); }

 private:
  void complete(boost::system::error_code ec) {
    if (!handler_) return;
    auto handler = std::move(*handler_);
    handler_.reset();
    auto slot = handler.get_cancellation_slot();
    if (slot.is_connected()) slot.clear();
    // Never inline (the notifier is mid-way through its own work): post to the loop, then run through the
    // handler's executor, which makes a request's Context current again for its coroutine.
    boost::asio::post(fallback_, [fallback = fallback_, handler = std::move(handler), ec]() mutable {
      auto executor = boost::asio::get_associated_executor(handler, fallback);
      executor.execute([handler = std::move(handler), ec]() mutable { std::move(handler)(ec); });
    });
  }

  boost::asio::any_io_executor fallback_;
  std::optional<boost::asio::any_completion_handler<void(boost::system::error_code)>> handler_;
};

}  // namespace duet::server::detail
