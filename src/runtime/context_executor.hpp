// ContextExecutor: an io_context executor that makes a Context current while its handlers run.
#pragma once

#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <type_traits>
#include <utility>

#include "duet/runtime/context.hpp"
#include "loop_thread.hpp"

namespace duet::detail {

/// Every resumption of a coroutine goes through its executor, so wrapping the executor is how the flow's
/// identity (Context::current(), Local<T>) follows a coroutine without the coroutine doing anything.
/// Properties are forwarded to the wrapped executor; the result stays wrapped.
template <class Inner>
class ContextExecutor {
 public:
  ContextExecutor(Inner inner, ContextPtr context) noexcept
      : inner_(std::move(inner)), context_(std::move(context)) {}
  // Asio requires executors to be nothrow-copyable; intrusive_ptr's copy does not say noexcept, but it only
  // increments a counter.
  ContextExecutor(const ContextExecutor& other) noexcept : inner_(other.inner_), context_(other.context_) {}
  ContextExecutor(ContextExecutor&& other) noexcept
      : inner_(std::move(other.inner_)), context_(std::move(other.context_)) {}
  ContextExecutor& operator=(const ContextExecutor& other) noexcept {
    inner_ = other.inner_;
    context_ = other.context_;
    return *this;
  }
  ContextExecutor& operator=(ContextExecutor&& other) noexcept {
    inner_ = std::move(other.inner_);
    context_ = std::move(other.context_);
    return *this;
  }

  template <class Function>
  void execute(Function&& f) const {
    inner_.execute([context = context_, f = std::forward<Function>(f)]() mutable {
      ContextScope scope(context.get());
      LoopActivity* activity = this_loop_thread ? this_loop_thread->activity : nullptr;
      if (!activity) {
        f();
        return;
      }
      // Watchdog on: say what is running, so a blocked loop can be blamed on its flow.
      const std::string* previous;
      {
        std::lock_guard lock(activity->mutex);
        previous = std::exchange(activity->running, &context->label());
      }
      f();
      std::lock_guard lock(activity->mutex);
      activity->running = previous;
    });
  }

  template <class Property>
  auto query(const Property& property) const
      noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), property)))
          -> decltype(boost::asio::query(std::declval<const Inner&>(), property)) {
    return boost::asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const -> ContextExecutor<
      std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), property))>> {
    return {boost::asio::require(inner_, property), context_};
  }

  friend bool operator==(const ContextExecutor& a, const ContextExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.context_ == b.context_;
  }
  friend bool operator!=(const ContextExecutor& a, const ContextExecutor& b) noexcept { return !(a == b); }

  const Inner& inner() const noexcept { return inner_; }
  const ContextPtr& context() const noexcept { return context_; }

 private:
  Inner inner_;
  ContextPtr context_;
};

/// The executor of a ContextSlot: like ContextExecutor, but the Context is the slot's at the moment a
/// handler runs, so one coroutine can serve one flow after another.
template <class Inner>
class SlotExecutor {
 public:
  SlotExecutor(Inner inner, boost::intrusive_ptr<ContextSlot> slot) noexcept
      : inner_(std::move(inner)), slot_(std::move(slot)) {}
  SlotExecutor(const SlotExecutor& other) noexcept : inner_(other.inner_), slot_(other.slot_) {}
  SlotExecutor(SlotExecutor&& other) noexcept
      : inner_(std::move(other.inner_)), slot_(std::move(other.slot_)) {}
  SlotExecutor& operator=(const SlotExecutor& other) noexcept {
    inner_ = other.inner_;
    slot_ = other.slot_;
    return *this;
  }
  SlotExecutor& operator=(SlotExecutor&& other) noexcept {
    inner_ = std::move(other.inner_);
    slot_ = std::move(other.slot_);
    return *this;
  }

  template <class Function>
  void execute(Function&& f) const {
    inner_.execute([slot = slot_, f = std::forward<Function>(f)]() mutable {
      ContextScope scope(slot->context());
      LoopActivity* activity = this_loop_thread ? this_loop_thread->activity : nullptr;
      if (!activity) {
        f();
        return;
      }
      // Watchdog on: as ContextExecutor. `keep` holds the label's Context even if the handler leaves the
      // slot; enter() and leave() update `running` themselves for a flow begun or ended meanwhile.
      ContextPtr keep(slot->context());
      const std::string* previous;
      {
        std::lock_guard lock(activity->mutex);
        previous = std::exchange(activity->running, keep ? &keep->label() : nullptr);
      }
      f();
      std::lock_guard lock(activity->mutex);
      activity->running = previous;
    });
  }

  template <class Property>
  auto query(const Property& property) const
      noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), property)))
          -> decltype(boost::asio::query(std::declval<const Inner&>(), property)) {
    return boost::asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const
      -> SlotExecutor<std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), property))>> {
    return {boost::asio::require(inner_, property), slot_};
  }

  friend bool operator==(const SlotExecutor& a, const SlotExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.slot_ == b.slot_;
  }
  friend bool operator!=(const SlotExecutor& a, const SlotExecutor& b) noexcept { return !(a == b); }

 private:
  Inner inner_;
  boost::intrusive_ptr<ContextSlot> slot_;
};

}  // namespace duet::detail
