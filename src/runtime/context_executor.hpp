// FlowExecutor: an io_context executor that makes a flow's Context current while its handlers run.
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

/// Where a FlowExecutor finds the Context its handlers run in: a fixed Context (a task started in one flow),
/// or the one a ContextSlot holds when the handler runs (one coroutine serving one flow after another).
inline Context* flow_of(const ContextPtr& context) noexcept {
  return context.get();
}
inline Context* flow_of(const boost::intrusive_ptr<ContextSlot>& slot) noexcept {
  return slot->context();
}

/// Every resumption of a coroutine goes through its executor, so wrapping the executor is how the flow's
/// identity (Context::current(), Local<T>) follows a coroutine without the coroutine doing anything.
/// Properties are forwarded to the wrapped executor; the result stays wrapped.
template <class Inner, class Source>
class FlowExecutor {
 public:
  FlowExecutor(Inner inner, Source source) noexcept : inner_(std::move(inner)), source_(std::move(source)) {}
  // Asio requires executors to be nothrow-copyable; intrusive_ptr's copy does not say noexcept, but it only
  // increments a counter.
  FlowExecutor(const FlowExecutor& other) noexcept : inner_(other.inner_), source_(other.source_) {}
  FlowExecutor(FlowExecutor&& other) noexcept
      : inner_(std::move(other.inner_)), source_(std::move(other.source_)) {}
  FlowExecutor& operator=(const FlowExecutor& other) noexcept {
    inner_ = other.inner_;
    source_ = other.source_;
    return *this;
  }
  FlowExecutor& operator=(FlowExecutor&& other) noexcept {
    inner_ = std::move(other.inner_);
    source_ = std::move(other.source_);
    return *this;
  }

  template <class Function>
  void execute(Function&& f) const {
    inner_.execute([source = source_, f = std::forward<Function>(f)]() mutable {
      ContextScope scope(flow_of(source));
      LoopActivity* activity = this_loop_thread ? this_loop_thread->activity : nullptr;
      if (!activity) {
        f();
        return;
      }
      // Watchdog on: say what is running, so a blocked loop can be blamed on its flow. `keep` holds the
      // label's Context even if the handler leaves a slot; ContextSlot's enter() and leave() update
      // `running` themselves for a flow begun or ended meanwhile.
      ContextPtr keep(flow_of(source));
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
      -> FlowExecutor<std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), property))>,
                      Source> {
    return {boost::asio::require(inner_, property), source_};
  }

  friend bool operator==(const FlowExecutor& a, const FlowExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.source_ == b.source_;
  }
  friend bool operator!=(const FlowExecutor& a, const FlowExecutor& b) noexcept { return !(a == b); }

 private:
  Inner inner_;
  Source source_;
};

/// A Context's executor: its handlers run in that flow.
template <class Inner>
using ContextExecutor = FlowExecutor<Inner, ContextPtr>;

/// A ContextSlot's executor: its handlers run in the slot's flow of the moment.
template <class Inner>
using SlotExecutor = FlowExecutor<Inner, boost::intrusive_ptr<ContextSlot>>;

}  // namespace duet::detail
