// Driving an Application with no socket: for in-process test clients and other servers.
#pragma once

#include <cstddef>
#include <string>

#include "duet/asgi/application.hpp"

namespace duet::asgi {

struct CallOptions {
  /// The request body is delivered in http.request messages of at most this many bytes.
  std::size_t chunk_size = 64 * 1024;
  /// A response body beyond this is a ProtocolError (a test should not need gigabytes).
  std::size_t max_response_bytes = 256 * 1024 * 1024;
};

/// What the application sent.
struct CallResult {
  int status = 0;
  Headers headers;
  std::string body;
  /// How many http.response.body messages carried the body (> 1 when it was streamed).
  std::size_t body_messages = 0;
  /// false if the application returned before a body message with more_body == false.
  bool complete = false;
};

/// Runs `app` for one http `scope` with `body` as the request body, on the calling coroutine's executor.
/// After the body, receive() waits until the response is complete, then returns HttpDisconnect, as a
/// server does. An exception from the application propagates; returning without http.response.start is a
/// ProtocolError.
Task<CallResult> call(const Application& app, Scope scope, std::string body = {}, CallOptions options = {});

}  // namespace duet::asgi
