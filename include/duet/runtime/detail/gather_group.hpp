// GatherGroup: what gather() shares with the children it runs, and how it waits for them.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/deferred.hpp>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "duet/runtime/detail/optional_task.hpp"
#include "duet/runtime/task.hpp"

namespace duet::detail {

/// The bottom frame of a child's thread of execution. Asio's co_spawn would add a frame that dispatches,
/// posts and dispatches again, two work guards, a per-child cancellation proxy and, for gather, a
/// parallel_group; a child of gather needs none of them: it starts inline and reports straight to its group.
using GatherEntry = boost::asio::awaitable<boost::asio::detail::awaitable_thread_entry_point, Executor>;

/// How Asio resumes a coroutine suspended in `co_await some_operation(deferred)` with signature void().
using GatherParent = boost::asio::detail::awaitable_async_op_handler<void(), Executor>;

/// One child of a gather, as its group sees it.
struct GatherChild {
  boost::asio::cancellation_signal* signal = nullptr;  // the child's cancellation slot is this signal's
  bool done = false;                                   // finished (or abandoned): no cancellation to send
};

/// Counts the running children of one gather, keeps the first failure, and resumes the gather when the last
/// child is done. It lives in the gather's frame, which cannot end before the last child has finished.
///
/// Everything happens on the gather's executor, one handler at a time (a duet loop runs on one thread):
/// the children start inline from the gather's body and resume through the same executor.
class GatherGroup {
 public:
  /// `children` (one per child, zeroed) outlives the group. Takes one cancellation signal per child from
  /// a per-thread free list: a gather of 20 children does not allocate 20 signals.
  GatherGroup(const Executor& executor, std::span<GatherChild> children);
  /// Gives the signals back. Only once every child is done.
  ~GatherGroup();
  GatherGroup(const GatherGroup&) = delete;
  GatherGroup& operator=(const GatherGroup&) = delete;

  /// Runs child `index` until its first suspension (it reports its own failure, so this does not throw).
  /// A child that cannot even be created (its frame's allocation failed) is a failed child.
  void start(std::size_t index, GatherEntry entry) noexcept;
  void start_failed(std::size_t index, std::exception_ptr error);

  /// After the last start(): true if every child is done already, and the gather need not suspend.
  bool all_started() noexcept { return --pending_ == 0; }

  /// The operation the gather awaits when all_started() was false. It completes when the last child is
  /// done; a cancellation of the gather (with_timeout, a client gone) is forwarded to every running child.
  auto wait() {
    return boost::asio::async_initiate<const boost::asio::deferred_t&, void()>(Wait{this},
                                                                               boost::asio::deferred);
  }

  /// Called by child `index` whose task threw, before its finish(). The first failure is kept (the order
  /// of completion, not of the arguments: the failure that caused the others' cancellation is the one to
  /// report) and cancels the children still running.
  void fail(std::size_t index, std::exception_ptr error);
  /// Called by child `index` as its last act: the gather may resume inside this call and destroy the group.
  void finish(std::size_t index);
  /// Called when child `index`'s frame is destroyed without finishing (its loop was destroyed with the
  /// child suspended): the gather's own frames are then unwound as well, not resumed.
  void abandon(std::size_t index) noexcept;

  void rethrow_failure() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  struct Wait {
    GatherGroup* group;
    void operator()(GatherParent parent) const { group->suspend(std::move(parent)); }
  };

  void suspend(GatherParent parent);
  void release_signals() noexcept;
  void cancel(boost::asio::cancellation_type type);
  void resume_parent();

  const Executor& executor_;
  std::span<GatherChild> children_;
  // Children not done yet, plus one while the gather is still starting them or forwarding a cancellation:
  // the gather cannot be resumed from inside those.
  std::size_t pending_;
  std::exception_ptr failure_;
  bool cancelled_ = false;  // terminal cancellation sent to every running child
  std::optional<GatherParent> parent_;
};

/// Reports child `index` abandoned if its frame goes without finish().
class GatherChildGuard {
 public:
  GatherChildGuard(GatherGroup* group, std::size_t index) noexcept : group_(group), index_(index) {}
  ~GatherChildGuard() {
    if (group_) group_->abandon(index_);
  }
  GatherChildGuard(const GatherChildGuard&) = delete;
  GatherChildGuard& operator=(const GatherChildGuard&) = delete;

  void finish() { std::exchange(group_, nullptr)->finish(index_); }

 private:
  GatherGroup* group_;
  std::size_t index_;
};

/// Child `index` of `group`: awaits `task` and leaves its value in `*out` (std::monostate for void).
template <class T>
GatherEntry gather_child(Task<T> task, GatherGroup* group, std::size_t index,
                         std::optional<ValueOrMonostate<T>>* out) {
  GatherChildGuard guard(group, index);
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      out->emplace();
    } else {
      T value = co_await std::move(task);
      out->emplace(std::move(value));
    }
  } catch (...) {
    group->fail(index, std::current_exception());
  }
  guard.finish();
}

/// Creates child `index` from `task` (moved from) and starts it.
template <class T>
void gather_start(GatherGroup& group, std::size_t index, Task<T>& task,
                  std::optional<ValueOrMonostate<T>>& out) {
  std::optional<GatherEntry> entry;
  try {
    entry.emplace(gather_child<T>(std::move(task), &group, index, &out));
  } catch (...) {
    group.start_failed(index, std::current_exception());
    return;
  }
  group.start(index, std::move(*entry));
}

}  // namespace duet::detail
