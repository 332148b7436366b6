// The compiled half of gather: its children's bookkeeping and the per-thread cancellation signals.
#include "duet/runtime/detail/gather_group.hpp"

#include <algorithm>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <utility>
#include <vector>

namespace duet::detail {

namespace {

// A child's cancellation signal also keeps the memory of the cancellation state installed in it, which the
// next child's state reuses: recycled signals save two allocations per child.
class SignalFreeList {
 public:
  ~SignalFreeList() {
    for (boost::asio::cancellation_signal* signal : free_)
      delete signal;
  }

  boost::asio::cancellation_signal* acquire() {
    if (free_.empty()) return new boost::asio::cancellation_signal;
    boost::asio::cancellation_signal* signal = free_.back();
    free_.pop_back();
    return signal;
  }

  void release(boost::asio::cancellation_signal* signal) noexcept {
    if (free_.size() == free_.capacity() && free_.size() < kKept) {
      try {
        free_.reserve(std::max<std::size_t>(64, 2 * free_.size()));
      } catch (...) {
      }
    }
    if (free_.size() < free_.capacity()) {
      free_.push_back(signal);
    } else {
      delete signal;
    }
  }

 private:
  // A gather of thousands returns them all at once; past this, they go back to the heap.
  static constexpr std::size_t kKept = 1024;
  std::vector<boost::asio::cancellation_signal*> free_;
};

thread_local SignalFreeList free_signals;

}  // namespace

GatherGroup::GatherGroup(const Executor& executor, std::span<GatherChild> children)
    : executor_(executor), children_(children), pending_(children.size() + 1) {
  try {
    for (GatherChild& child : children_)
      child.signal = free_signals.acquire();
  } catch (...) {
    release_signals();
    throw;
  }
}

GatherGroup::~GatherGroup() {
  release_signals();
}

void GatherGroup::release_signals() noexcept {
  for (GatherChild& child : children_) {
    if (child.signal) free_signals.release(std::exchange(child.signal, nullptr));
  }
}

void GatherGroup::start(std::size_t index, GatherEntry entry) noexcept {
  boost::asio::cancellation_slot slot = children_[index].signal->slot();
  // A new cancellation state each time: a recycled signal still holds its last child's (cancelled, maybe).
  boost::asio::cancellation_state state(slot);
  boost::asio::detail::awaitable_thread<Executor>(std::move(entry), executor_, slot, state).launch();
  // A sibling failed while this child was not started yet: it is cancelled like the others.
  if (cancelled_ && !children_[index].done)
    children_[index].signal->emit(boost::asio::cancellation_type::terminal);
}

void GatherGroup::start_failed(std::size_t index, std::exception_ptr error) {
  fail(index, std::move(error));
  children_[index].done = true;
  --pending_;  // the starting gather holds one count: this is never the last
}

void GatherGroup::fail(std::size_t index, std::exception_ptr error) {
  if (failure_) return;
  failure_ = std::move(error);
  if (cancelled_) return;
  children_[index].done = true;  // not to itself; its finish() follows
  cancel(boost::asio::cancellation_type::terminal);
}

void GatherGroup::finish(std::size_t index) {
  children_[index].done = true;
  if (--pending_ == 0) resume_parent();
}

void GatherGroup::abandon(std::size_t index) noexcept {
  children_[index].done = true;
  if (!failure_) {
    failure_ = std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
  }
  if (--pending_ != 0 || !parent_) return;
  // Destroying the handler has Asio unwind the gather's thread through the executor, as it does for any
  // coroutine whose operation was abandoned; the group goes with the gather's frame, so nothing after this.
  // The gather's cancellation slot outlives its frame (it belongs to whoever started the gather's caller).
  boost::asio::get_associated_cancellation_slot(*parent_).clear();
  std::optional<GatherParent> parent = std::move(parent_);
  parent_.reset();
}

void GatherGroup::suspend(GatherParent parent) {
  parent_.emplace(std::move(parent));
  boost::asio::cancellation_slot slot = boost::asio::get_associated_cancellation_slot(*parent_);
  if (slot.is_connected()) slot.assign([this](boost::asio::cancellation_type type) { cancel(type); });
}

void GatherGroup::cancel(boost::asio::cancellation_type type) {
  if (pending_ == 0) return;  // all done, the gather's resumption is on its way
  if ((type & boost::asio::cancellation_type::terminal) != boost::asio::cancellation_type::none)
    cancelled_ = true;
  // A child may finish inside emit(); the gather must not resume (and destroy the group) in the middle of
  // this loop, nor inside its own cancellation handler, which resuming it destroys.
  ++pending_;
  for (GatherChild& child : children_) {
    if (!child.done) child.signal->emit(type);
  }
  if (--pending_ == 0) boost::asio::post(executor_, [this] { resume_parent(); });
}

void GatherGroup::resume_parent() {
  // Moved out first: the gather runs inside this call, to its next suspension or its end, and its end
  // destroys the group.
  GatherParent parent = std::move(*parent_);
  parent_.reset();
  std::move(parent)();
}

}  // namespace duet::detail
