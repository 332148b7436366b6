#include "duet/runtime/safety.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include "loop_thread.hpp"

namespace duet {

namespace {

std::atomic<bool>& allow_flag() {
  static std::atomic<bool> flag = [] {
    const char* value = std::getenv("DUET_ALLOW_ASYNC_UNSAFE");
    return value && *value && std::string_view(value) != "0";
  }();
  return flag;
}

}  // namespace

bool in_event_loop() noexcept {
  return detail::this_loop_thread != nullptr;
}

void allow_async_unsafe(bool allow) noexcept {
  allow_flag().store(allow, std::memory_order_relaxed);
}

bool async_unsafe_allowed() noexcept {
  return allow_flag().load(std::memory_order_relaxed);
}

void ensure_sync_context(std::string_view operation, std::string_view async_alternative) {
  if (!in_event_loop() || async_unsafe_allowed()) return;
  std::string message;
  if (operation.empty()) {
    message = "You cannot call this from an async context";
  } else {
    message.append(operation).append(" cannot be called from an async context");
  }
  message += " (an event-loop thread, where blocking would stall every request of the loop) — use ";
  if (async_alternative.empty()) {
    message += "the a-prefixed async method";
  } else {
    message.append(async_alternative);
  }
  message += " or sync_to_async. DUET_ALLOW_ASYNC_UNSAFE=1 turns this check off.";
  throw SynchronousOnlyOperation(message);
}

}  // namespace duet
