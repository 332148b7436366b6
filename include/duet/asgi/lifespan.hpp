// Lifespan: runs an application's lifespan scope (startup before serving, shutdown after).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "duet/asgi/application.hpp"
#include "duet/runtime/task.hpp"

namespace duet::asgi {

/// The application reported lifespan.startup.failed / lifespan.shutdown.failed, or threw after it had
/// started handling lifespan.
class LifespanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Drives one lifespan scope, like uvicorn's "auto" mode: an application that throws (or returns) before
/// answering lifespan.startup is taken not to support lifespan, and serving goes on without it.
class Lifespan {
 public:
  /// The lifespan coroutine runs on `executor` (a loop of the runtime) for the server's whole life.
  Lifespan(Application app, Executor executor);
  ~Lifespan();
  Lifespan(const Lifespan&) = delete;
  Lifespan& operator=(const Lifespan&) = delete;

  /// Sends lifespan.startup and waits for the answer. Returns false if the application does not support
  /// lifespan; throws LifespanError on lifespan.startup.failed.
  Task<bool> startup();
  /// Sends lifespan.shutdown and waits for the answer (nothing to do if startup returned false).
  Task<void> shutdown();

  /// The state the application filled during startup; request scopes get a copy of it.
  const std::shared_ptr<State>& state() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace duet::asgi
