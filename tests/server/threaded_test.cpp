// Threaded mode: thread-per-connection serving a synchronous application.
#include <gtest/gtest.h>

#include <duet/asgi/sync.hpp>
#include <duet/server/threaded_server.hpp>

#include "server/support.hpp"

namespace duet::testing {
namespace {

asgi::SyncResponse sync_echo(const asgi::Scope& scope, asgi::InputStream& input) {
  asgi::SyncResponse response;
  response.headers.push_back({"x-path", scope.path});
  response.body = input.read_all(1 << 20);
  if (scope.path == "/stream") {
    auto n = std::make_shared<int>(0);
    response.next_chunk = [n]() -> std::optional<std::string> {
      if (++*n > 2) return std::nullopt;
      return "chunk" + std::to_string(*n);
    };
  }
  return response;
}

class Threaded : public ::testing::Test {
 protected:
  Threaded() {
    server::ServerOptions options;
    options.port = 0;
    options.threads = 4;
    server = std::make_unique<server::ThreadedServer>(sync_echo, options);
    server->start();
  }
  std::unique_ptr<server::ThreadedServer> server;
};

TEST_F(Threaded, CurlPostEcho) {
  std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/echo";
  EXPECT_EQ(run_command("curl -s --data-binary 'payload' " + url), "payload");
  EXPECT_EQ(run_command("printf 'chunky' | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- " + url),
            "chunky");
}

TEST_F(Threaded, KeepAliveAndStreaming) {
  RawClient client(server->port());
  client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string response = client.read_response();
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(body_of(response), "chunk1chunk2");
  client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(body_of(client.read_response()), "abc");
}

TEST_F(Threaded, SmugglingIsRejectedToo) {
  RawClient client(server->port());
  client.send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(client.read_all().starts_with("HTTP/1.1 400"));
}

TEST_F(Threaded, AsyncApplicationThroughToSync) {
  asgi::Application app = [](const asgi::Scope& scope, const asgi::Receive&,
                             const asgi::Send& send) -> Task<void> {
    co_await send(asgi::HttpResponseStart(200));
    co_await send(asgi::HttpResponseBody("async says " + scope.path));
  };
  server::ServerOptions options;
  options.port = 0;
  server::ThreadedServer adapted(asgi::to_sync(app), options);
  adapted.start();
  RawClient client(adapted.port());
  client.send("GET /hi HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "async says /hi");
  adapted.shutdown();
  adapted.wait();
}

TEST_F(Threaded, ShutdownLetsTheRequestFinishAndClosesIdleConnections) {
  RawClient idle(server->port());
  idle.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(idle.read_response()), "");
  server->shutdown();
  EXPECT_TRUE(idle.closed_by_peer());
  server->wait();
}

}  // namespace
}  // namespace duet::testing
