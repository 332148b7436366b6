// Local<T>: a request-scoped variable that follows the logical flow across sync/async hops.
#pragma once

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <utility>

#include "duet/runtime/context.hpp"

namespace duet {

namespace detail {
std::size_t next_local_id() noexcept;
}

/// A variable with one value per Context (per request). Declare it once, usually at namespace scope:
///
///     duet::Local<std::string> request_id;
///     request_id.set("abc");              // in a coroutine view
///     co_await sync_to_async([] { log(*request_id.get()); });   // the same value on the sync thread
///
/// Values live as long as the Context. All code of one flow (its coroutines, gathered children and sync
/// calls) shares the value; setting it from two threads of one flow at once is a data race, as for any
/// shared variable, and so is reading a value while another thread of the flow replaces it. Outside any
/// Context, `get()` returns null and `set()` throws.
template <class T>
class Local {
 public:
  Local() : id_(detail::next_local_id()) {}
  Local(const Local&) = delete;
  Local& operator=(const Local&) = delete;

  /// The current flow's value, or null if it was never set (or there is no current flow).
  T* get() const noexcept {
    Context* context = Context::current();
    return context ? static_cast<T*>(context->find_local(id_)) : nullptr;
  }

  /// Sets the current flow's value.
  T& set(T value) const {
    Context* context = Context::current();
    if (!context)
      throw std::logic_error("duet::Local::set() called outside any Context (no request is running)");
    T* stored = new T(std::move(value));
    context->set_local(id_, stored, &destroy);
    return *stored;
  }

 private:
  static void destroy(void* p) { delete static_cast<T*>(p); }
  std::size_t id_;
};

}  // namespace duet
