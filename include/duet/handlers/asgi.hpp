// The applications a server runs: the async one (Django's ASGIHandler) and the sync one (WSGIHandler).
#pragma once

#include <memory>

#include "duet/asgi/application.hpp"
#include "duet/asgi/sync.hpp"
#include "duet/handlers/base.hpp"

namespace duet::handlers {

/// Serves requests through a middleware chain built once in async mode. For an http scope it builds an
/// HttpRequest whose body streams from receive() (sync code reading it hops to the loop), runs the chain,
/// and sends the response — a streaming one chunk by chunk, with back-pressure, never buffered whole.
/// Lifespan startup and shutdown are acknowledged. A client disconnect cancels the request (the server
/// cancels this coroutine), which unwinds without a response.
class ASGIHandler {
 public:
  explicit ASGIHandler(BaseHandler::Options options = {});
  Task<void> operator()(const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) const;
  BaseHandler& base() const noexcept { return *handler_; }

 private:
  std::shared_ptr<BaseHandler> handler_;
};

/// The async server's application: `duet::handlers::get_asgi_application()` as in Django.
asgi::Application get_asgi_application(BaseHandler::Options options = {});

/// The threaded server's application: a chain built in sync mode, called on the connection's own thread;
/// async views and middleware run through async_to_sync.
asgi::SyncApplication get_wsgi_application(BaseHandler::Options options = {});

}  // namespace duet::handlers
