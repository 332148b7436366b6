#include "duet/asgi/lifespan.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace duet::asgi {

namespace {
using ToApp = boost::asio::experimental::concurrent_channel<void(boost::system::error_code, ReceiveEvent)>;
// (message, nullptr) for a message; (nullopt, error or nullptr) when the application's coroutine ended.
using FromApp = boost::asio::experimental::concurrent_channel<void(
    boost::system::error_code, std::optional<SendEvent>, std::exception_ptr)>;
}  // namespace

// Concurrent channels: startup() and shutdown() may be awaited from other loops than the one the
// lifespan coroutine lives on (a server starts on one flow and stops on another).
struct Lifespan::Impl {
  Impl(Application app, Executor executor)
      : app(std::move(app)), executor(executor), to_app(executor, 2), from_app(executor, 4) {}

  Application app;
  Executor executor;
  ToApp to_app;
  FromApp from_app;
  std::shared_ptr<State> state = std::make_shared<State>();
  Scope scope;
  Receive receive;
  Send send;
  bool started = false;
  bool supported = false;
};

Lifespan::Lifespan(Application app, Executor executor)
    : impl_(std::make_shared<Impl>(std::move(app), executor)) {
  Impl* impl = impl_.get();
  impl->scope.type = ScopeType::lifespan;
  impl->scope.http_version.clear();
  impl->scope.scheme.clear();
  impl->scope.state = impl->state;
  impl->receive = [impl]() -> Task<ReceiveEvent> {
    co_return co_await impl->to_app.async_receive(boost::asio::use_awaitable);
  };
  impl->send = [impl](SendEvent event) -> Task<void> {
    co_await impl->from_app.async_send(boost::system::error_code{},
                                       std::optional<SendEvent>(std::move(event)), std::exception_ptr{},
                                       boost::asio::use_awaitable);
  };
}

Lifespan::~Lifespan() {
  // Wakes an application still waiting for lifespan.shutdown: its receive() throws and it ends.
  impl_->to_app.close();
}

const std::shared_ptr<State>& Lifespan::state() const noexcept {
  return impl_->state;
}

Task<bool> Lifespan::startup() {
  auto impl = impl_;
  if (impl->started) throw ProtocolError("Lifespan::startup() called twice");
  impl->started = true;
  boost::asio::co_spawn(
      impl->executor, [impl]() -> Task<void> { co_await impl->app(impl->scope, impl->receive, impl->send); },
      [impl](std::exception_ptr error) {
        impl->from_app.try_send(boost::system::error_code{}, std::optional<SendEvent>{}, error);
      });
  co_await impl->to_app.async_send(boost::system::error_code{}, LifespanStartup{},
                                   boost::asio::use_awaitable);
  auto [event, error] = co_await impl->from_app.async_receive(boost::asio::use_awaitable);
  if (!event) {
    // Ended (or threw) before answering: no lifespan support, as uvicorn's "auto" mode decides.
    impl->to_app.close();
    co_return false;
  }
  if (std::holds_alternative<LifespanStartupComplete>(*event)) {
    impl->supported = true;
    co_return true;
  }
  if (auto* failed = std::get_if<LifespanStartupFailed>(&*event)) {
    throw LifespanError("lifespan startup failed: " + failed->message);
  }
  throw ProtocolError(std::string(type_of(*event)) + " sent in answer to lifespan.startup");
}

Task<void> Lifespan::shutdown() {
  auto impl = impl_;
  if (!impl->supported) co_return;
  impl->supported = false;
  co_await impl->to_app.async_send(boost::system::error_code{}, LifespanShutdown{},
                                   boost::asio::use_awaitable);
  auto [event, error] = co_await impl->from_app.async_receive(boost::asio::use_awaitable);
  if (!event) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        throw LifespanError(std::string("lifespan shutdown raised: ") + e.what());
      }
    }
    throw LifespanError("the application ended without answering lifespan.shutdown");
  }
  if (std::holds_alternative<LifespanShutdownComplete>(*event)) co_return;
  if (auto* failed = std::get_if<LifespanShutdownFailed>(&*event)) {
    throw LifespanError("lifespan shutdown failed: " + failed->message);
  }
  throw ProtocolError(std::string(type_of(*event)) + " sent in answer to lifespan.shutdown");
}

}  // namespace duet::asgi
