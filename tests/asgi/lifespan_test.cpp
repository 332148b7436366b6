// Lifespan: startup and shutdown around serving, auto-detection of unsupported applications.
#include <gtest/gtest.h>

#include <duet/asgi/lifespan.hpp>
#include <duet/runtime.hpp>

namespace duet::asgi {
namespace {

TEST(Lifespan, StartupFillsStateAndShutdownIsAnswered) {
  Runtime runtime(RuntimeOptions{.loops = 2});
  auto shut_down = std::make_shared<std::atomic<bool>>(false);
  Application app = [shut_down](const Scope& scope, const Receive& receive, const Send& send) -> Task<void> {
    EXPECT_EQ(scope.type, ScopeType::lifespan);
    for (;;) {
      ReceiveEvent event = co_await receive();
      if (std::holds_alternative<LifespanStartup>(event)) {
        (*scope.state)["db"] = std::string("connected");
        co_await send(LifespanStartupComplete{});
      } else if (std::holds_alternative<LifespanShutdown>(event)) {
        *shut_down = true;
        co_await send(LifespanShutdownComplete{});
        co_return;
      }
    }
  };
  Lifespan lifespan(app, runtime.loop(0).get_executor());
  EXPECT_TRUE(runtime.block_on(lifespan.startup()));
  EXPECT_EQ(std::any_cast<std::string>(lifespan.state()->at("db")), "connected");
  runtime.block_on(lifespan.shutdown());
  EXPECT_TRUE(*shut_down);
}

TEST(Lifespan, AnApplicationThatThrowsDoesNotSupportIt) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope& scope, const Receive&, const Send&) -> Task<void> {
    if (scope.type != ScopeType::http) throw std::runtime_error("http only");
    co_return;
  };
  Lifespan lifespan(app, runtime.loop(0).get_executor());
  EXPECT_FALSE(runtime.block_on(lifespan.startup()));
  runtime.block_on(lifespan.shutdown());  // nothing to do, no error
}

TEST(Lifespan, StartupFailedThrows) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope&, const Receive& receive, const Send& send) -> Task<void> {
    co_await receive();
    co_await send(LifespanStartupFailed("no database"));
  };
  Lifespan lifespan(app, runtime.loop(0).get_executor());
  try {
    runtime.block_on(lifespan.startup());
    FAIL() << "expected LifespanError";
  } catch (const LifespanError& e) {
    EXPECT_NE(std::string(e.what()).find("no database"), std::string::npos);
  }
}

}  // namespace
}  // namespace duet::asgi
