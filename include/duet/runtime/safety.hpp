// Async safety: blocking calls refuse to run on an event-loop thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace duet {

/// Thrown when a blocking operation is called on an event-loop thread, where it would stall every
/// connection of that loop. The fix is the operation's async twin or wrapping the call in sync_to_async.
class SynchronousOnlyOperation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// True on a thread that runs a duet event loop.
bool in_event_loop() noexcept;

/// Every blocking entry point calls this first. On an event-loop thread it throws SynchronousOnlyOperation
/// naming `operation` and its `async_alternative` (both optional), unless unsafe calls are allowed by
/// DUET_ALLOW_ASYNC_UNSAFE=1 or allow_async_unsafe(true).
void ensure_sync_context(std::string_view operation = {}, std::string_view async_alternative = {});

/// Overrides DUET_ALLOW_ASYNC_UNSAFE for this process (tests, scripts that know what they do).
void allow_async_unsafe(bool allow) noexcept;
bool async_unsafe_allowed() noexcept;

}  // namespace duet
