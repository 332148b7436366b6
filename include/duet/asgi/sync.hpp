// The synchronous application interface (the WSGI analogue) and adapters between it and Application.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "duet/asgi/application.hpp"
#include "duet/asgi/scope.hpp"

namespace duet::asgi {

/// The request body as a blocking stream (WSGI's wsgi.input).
class InputStream {
 public:
  virtual ~InputStream() = default;
  /// Reads up to dest.size() bytes, blocking until some are there; returns 0 at the end of the body.
  virtual std::size_t read(std::span<char> dest) = 0;
  /// Reads the rest of the body; throws std::length_error if it is longer than `limit`.
  std::string read_all(std::size_t limit);
};

/// An InputStream over bytes already in memory.
class StringInputStream final : public InputStream {
 public:
  explicit StringInputStream(std::string data) : data_(std::move(data)) {}
  std::size_t read(std::span<char> dest) override;

 private:
  std::string data_;
  std::size_t offset_ = 0;
};

/// What a synchronous application returns: status, headers and a body; `next_chunk`, if set, is then
/// called for further pieces until it returns nullopt (WSGI's iterable: a streamed body is never buffered
/// whole by the adapter).
struct SyncResponse {
  int status = 200;
  Headers headers;
  std::string body;
  std::function<std::optional<std::string>()> next_chunk;
};

/// A synchronous application: runs on a plain thread (or a sync-pool thread), may block.
using SyncApplication = std::function<SyncResponse(const Scope& scope, InputStream& body)>;

/// Serves a synchronous application through the async interface. The call runs on the request's sync
/// strand (sync_to_async), body reads hop back to the loop (async_to_sync) so the body streams, and each
/// streamed chunk is produced on the strand and sent with back-pressure. Lifespan events are acknowledged.
Application from_sync(SyncApplication app);

/// Serves an async application to a synchronous caller (a thread-per-connection server) by blocking the
/// calling non-loop thread with async_to_sync. The body is read from `body` whole (bounded by
/// `max_body`, std::length_error past it) and the response is collected whole.
SyncApplication to_sync(Application app, std::size_t max_body = 64 * 1024 * 1024);

}  // namespace duet::asgi
