// Application, Receive, Send: the seam between a server (or a test client) and the framework.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "duet/asgi/messages.hpp"
#include "duet/asgi/scope.hpp"
#include "duet/runtime/task.hpp"

namespace duet::asgi {

/// Awaits the next message from the server. After the request body is complete it waits until the client
/// disconnects or the response is finished, then returns HttpDisconnect (and keeps returning it).
using Receive = std::function<Task<ReceiveEvent>()>;

/// Hands a message to the server. It returns when the server accepted it; for a streamed body that means
/// written to the socket (back-pressure). Sending after the response is complete, or out of order, throws
/// ProtocolError.
using Send = std::function<Task<void>(SendEvent)>;

/// An ASGI application: called once per connection/request scope with that scope's receive and send.
/// `scope`, `receive` and `send` stay valid until the returned task finishes.
using Application = std::function<Task<void>(const Scope& scope, const Receive& receive, const Send& send)>;

/// The application and the server disagreed on the protocol (e.g. body before start, a second start).
class ProtocolError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The client went away while a synchronous application was still reading the request body.
class ClientDisconnected : public std::runtime_error {
 public:
  ClientDisconnected() : std::runtime_error("the client disconnected before the request body was complete") {}
};

}  // namespace duet::asgi
