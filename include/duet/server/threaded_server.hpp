// ThreadedServer: thread-per-connection HTTP/1.1 serving a synchronous application (runserver under WSGI).
#pragma once

#include <cstdint>
#include <memory>

#include "duet/asgi/sync.hpp"
#include "duet/server/options.hpp"

namespace duet::server {

/// Blocking sockets, one thread per connection (at most ServerOptions::threads; further connections wait
/// in the kernel's accept queue). Same parser, limits and framing as the async Server; the application is
/// called on the connection's thread. The contrast the async server is measured against.
class ThreadedServer {
 public:
  explicit ThreadedServer(asgi::SyncApplication app, ServerOptions options = {});
  ~ThreadedServer();
  ThreadedServer(const ThreadedServer&) = delete;
  ThreadedServer& operator=(const ThreadedServer&) = delete;

  void start();
  std::uint16_t port() const noexcept;
  /// Stop accepting, let requests in flight finish within graceful_timeout, close idle connections.
  void shutdown();
  void wait();
  int serve();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::server
