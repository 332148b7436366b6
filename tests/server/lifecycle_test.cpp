// Slow clients, disconnects mid-request, graceful shutdown.
#include <gtest/gtest.h>

#include "server/support.hpp"
#include "server/test_app.hpp"

namespace duet::testing {
namespace {

server::ServerOptions short_timeouts() {
  server::ServerOptions options;
  options.timeouts.header = std::chrono::milliseconds(500);
  options.timeouts.idle = std::chrono::milliseconds(500);
  options.timeouts.body = std::chrono::milliseconds(500);
  return options;
}

TEST(Timeouts, SlowlorisHeadersAreCutOff) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), short_timeouts(), 1);
  RawClient client(server.port());
  client.send("GET / HTTP/1.1\r\nHost: x\r\n");
  // Keep trickling header bytes: the header timeout is total, so this cannot hold the connection.
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    try {
      client.send("X-Slow: 1\r\n");
    } catch (const std::exception&) {
      closed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed || client.closed_by_peer());
  EXPECT_EQ(probe->started.load(), 0);
}

TEST(Timeouts, IdleKeepAliveConnectionIsClosed) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), short_timeouts(), 1);
  RawClient client(server.port());
  client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "path:/");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(Timeouts, StalledBodyIsCutOff) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), short_timeouts(), 1);
  RawClient client(server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST(Disconnect, CancelsTheApplication) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), {}, 1);
  {
    RawClient client(server.port());
    client.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return probe->started.load() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return probe->cancelled.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return server.server->open_connections() == 0; }));
}

TEST(Disconnect, IsReceivedAsHttpDisconnect) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), {}, 1);
  {
    RawClient client(server.port());
    client.send("POST /wait-disconnect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    ASSERT_TRUE(eventually([&] { return probe->started.load() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return probe->saw_disconnect.load() == 1; }));
}

TEST(Disconnect, MidBodyGivesHttpDisconnect) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), {}, 1);
  {
    RawClient client(server.port());
    client.send("POST /wait-disconnect HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial");
    ASSERT_TRUE(eventually([&] { return probe->started.load() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return probe->saw_disconnect.load() == 1; }));
}

// Cancelling an application that waits in receive() for a body the client has not sent (here by its own
// with_timeout) ends that wait with operation_aborted at once; the wait used to ignore cancellation and
// last until the body came or the server's body timeout (default: far longer than this test waits).
TEST(Cancellation, ReachesAnApplicationWaitingForTheBody) {
  asgi::Application app = [](const asgi::Scope& scope, const asgi::Receive& receive,
                             const asgi::Send& send) -> Task<void> {
    if (scope.type != asgi::ScopeType::http) co_return;  // lifespan: nothing to set up
    std::string outcome;
    try {
      co_await with_timeout(receive(), std::chrono::milliseconds(100));
      outcome = "received";
    } catch (const TimeoutError&) {
      outcome = "timed out";
    }
    co_await respond(send, 200, outcome);
  };
  TestServer server(app, {}, 1);
  RawClient client(server.port());
  client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
  std::string response = client.read_response();
  EXPECT_EQ(body_of(response), "timed out");
  // The body was never read, so the connection cannot be reused for another request.
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
}

TEST(GracefulShutdown, SlowRequestInFlightCompletes) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), {}, 2);
  RawClient idle(server.port());
  idle.send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(idle.read_response()), "path:/warm");

  RawClient slow(server.port());
  slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return probe->started.load() == 2; }));
  server.server->shutdown();
  // The idle keep-alive connection is closed at once; the slow request still gets its whole answer.
  EXPECT_TRUE(idle.closed_by_peer());
  std::string response = slow.read_response();
  EXPECT_EQ(body_of(response), "slow done");
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  server.server->wait();
  EXPECT_EQ(server.server->open_connections(), 0u);
  EXPECT_THROW(RawClient refused(server.port()), std::runtime_error);
}

TEST(GracefulShutdown, GracePeriodEndsHungRequests) {
  auto probe = std::make_shared<AppProbe>();
  server::ServerOptions options;
  options.graceful_timeout = std::chrono::milliseconds(200);
  TestServer server(test_app(probe), options, 1);
  RawClient client(server.port());
  client.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return probe->started.load() == 1; }));
  server.server->shutdown();
  server.server->wait();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(eventually([&] { return probe->cancelled.load() == 1; }));
}

TEST(GracefulShutdown, SigtermDuringServeDrains) {
  auto probe = std::make_shared<AppProbe>();
  Runtime runtime(RuntimeOptions{.loops = 1});
  server::ServerOptions options;
  options.port = 0;
  server::Server server(runtime, test_app(probe), options);
  std::thread serving([&] { server.serve(); });
  ASSERT_TRUE(eventually([&] { return server.port() != 0; }));
  RawClient slow(server.port());
  slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return probe->started.load() == 1; }));
  ::kill(::getpid(), SIGTERM);
  EXPECT_EQ(body_of(slow.read_response()), "slow done");
  serving.join();
}

}  // namespace
}  // namespace duet::testing
