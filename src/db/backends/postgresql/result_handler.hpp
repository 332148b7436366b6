// ResultHandler: the completion of one query on an AsyncConnection, (exception_ptr, Result).
#pragma once

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <concepts>
#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "duet/db/backends/postgresql/connection.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db::postgresql::detail {

/// Holds the handler of a query in place when it is small and moves without throwing (the awaiting
/// coroutine's, two pointers: see run_query), and any other one in an any_completion_handler. In one,
/// every query's handler was allocated: tens of thousands a second, each cold again by the time its
/// result arrived. Move-only; invoking it empties it before the handler runs (as any_completion_handler).
/// The Result is passed on by reference to the handler, which takes it by value or not: each move of a
/// Result and the destruction of the moved-from one cost ~30 instructions, and a query's went through ~11.
class ResultHandler {
 public:
  ResultHandler() noexcept = default;
  template <class H>
  requires(!std::same_as<std::decay_t<H>, ResultHandler> &&
           std::invocable<std::decay_t<H>&&, std::exception_ptr, Result>) ResultHandler(H&& handler) {
    using D = std::decay_t<H>;
    if constexpr (fits<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<H>(handler));
      ops_ = &kOps<D>;
    } else {
      ::new (static_cast<void*>(storage_)) Erased(std::forward<H>(handler));
      ops_ = &kOps<Erased>;
    }
  }
  ResultHandler(ResultHandler&& other) noexcept : ops_(other.ops_) {
    if (ops_) {
      ops_->relocate(other.storage_, storage_);
      other.ops_ = nullptr;
    }
  }
  ResultHandler& operator=(ResultHandler&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_) {
        other.ops_->relocate(other.storage_, storage_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }
  ResultHandler(const ResultHandler&) = delete;
  ResultHandler& operator=(const ResultHandler&) = delete;
  ~ResultHandler() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// The handler's associated executor, or `fallback` when it has none (as any_completion_handler's).
  boost::asio::any_completion_executor executor(const Executor& fallback) const {
    return ops_->executor(storage_, fallback);
  }

  void operator()(std::exception_ptr error, Result&& result) && {
    const Ops* ops = std::exchange(ops_, nullptr);
    ops->call(storage_, std::move(error), std::move(result));
  }

 private:
  using Erased = boost::asio::any_completion_handler<void(std::exception_ptr, Result)>;
  static constexpr std::size_t kSize = 2 * sizeof(void*);
  template <class D>
  static constexpr bool fits = sizeof(D) <= kSize &&
                               alignof(D) <= alignof(void*) && std::is_nothrow_move_constructible_v<D>;

  // Any other handler is held through an any_completion_handler, which must fit in place itself.
  static_assert(sizeof(Erased) <= kSize && alignof(Erased) <= alignof(void*) &&
                std::is_nothrow_move_constructible_v<Erased>);

  struct Ops {
    /// Moves the handler from `from` to `to` and destroys the one left in `from`.
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* p) noexcept;
    /// Moves the handler out, destroys the stored one, then invokes it.
    void (*call)(void* p, std::exception_ptr error, Result&& result);
    boost::asio::any_completion_executor (*executor)(const void* p, const Executor& fallback);
  };
  template <class D>
  static constexpr Ops kOps{
      [](void* from, void* to) noexcept {
        D* f = static_cast<D*>(from);
        ::new (to) D(std::move(*f));
        f->~D();
      },
      [](void* p) noexcept { static_cast<D*>(p)->~D(); },
      [](void* p, std::exception_ptr error, Result&& result) {
        D* stored = static_cast<D*>(p);
        D handler(std::move(*stored));
        stored->~D();
        std::move(handler)(std::move(error), std::move(result));
      },
      [](const void* p, const Executor& fallback) -> boost::asio::any_completion_executor {
        return boost::asio::get_associated_executor(*static_cast<const D*>(p), fallback);
      },
  };

  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(storage_);
  }

  alignas(void*) unsigned char storage_[kSize];
  const Ops* ops_ = nullptr;
};

}  // namespace duet::db::postgresql::detail
