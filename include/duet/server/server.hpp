// Server: the HTTP/1.1 server that serves an asgi::Application on the runtime's loops.
#pragma once

#include <cstdint>
#include <memory>

#include "duet/asgi/application.hpp"
#include "duet/runtime/runtime.hpp"
#include "duet/server/options.hpp"

namespace duet::server {

/// One acceptor per loop (SO_REUSEPORT: the kernel spreads connections), a connection stays on its loop,
/// each request runs in its own duet::Context. Keep-alive, pipelining, chunked bodies both ways, HEAD,
/// Expect: 100-continue, limits and timeouts as ServerOptions says.
///
///     duet::Runtime runtime;
///     duet::server::Server server(runtime, app, {.host = "0.0.0.0", .port = 8000});
///     return server.serve();  // until SIGINT/SIGTERM, then a graceful shutdown
class Server {
 public:
  Server(Runtime& runtime, asgi::Application app, ServerOptions options = {});
  /// Shuts down with no grace period if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Runs lifespan startup, binds and starts accepting. Throws on a bind error or a failed startup.
  void start();
  /// The bound TCP port (the real one when ServerOptions::port was 0); 0 for a Unix socket.
  std::uint16_t port() const noexcept;

  /// Starts a graceful shutdown: stop accepting, close idle keep-alive connections, let requests in
  /// flight finish within graceful_timeout. Thread-safe; returns at once.
  void shutdown();
  /// Blocks until shutdown() was called and completed: connections drained (or force-closed when the
  /// grace period ran out), then lifespan shutdown.
  void wait();

  /// start(), then serve until SIGINT or SIGTERM, then shut down gracefully. Returns the exit status.
  int serve();

  std::uint64_t requests_served() const noexcept;
  std::size_t open_connections() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::server
