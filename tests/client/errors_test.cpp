// The client's failures: timeouts of each kind, refused connections, size limits, bad URLs, error statuses —
// each as the httpx-named exception, under the common HTTPError base.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <duet/client/client.hpp>
#include <duet/runtime.hpp>

#include "client/test_server.hpp"

namespace {

using namespace std::chrono_literals;
using duet::Task;
using duet::client::AsyncClient;
using duet::client::Response;
using duet::client::Timeout;
using duet::client::testing::Reply;
using duet::client::testing::Request;
using duet::client::testing::TestServer;

class ClientErrors : public ::testing::Test {
 protected:
  duet::Runtime runtime{duet::RuntimeOptions{.loops = 2}};
};

/// A port nothing listens on: bound, never listened to, kept until the test ends.
struct ClosedPort {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::uint16_t port = 0;
  ClosedPort() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~ClosedPort() { ::close(fd); }
};

/// A listener whose accept queue is full, so further connection attempts hang in the handshake.
struct FullBacklog {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  std::vector<int> fillers;
  std::uint16_t port = 0;
  FullBacklog() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener, 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    for (int i = 0; i < 4; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
      fillers.push_back(fd);
    }
    std::this_thread::sleep_for(100ms);  // let the fillers' handshakes complete and fill the queue
  }
  ~FullBacklog() {
    for (int fd : fillers)
      ::close(fd);
    ::close(listener);
  }
};

TEST_F(ClientErrors, RefusedConnectionIsConnectError) {
  ClosedPort closed;
  AsyncClient client;
  auto url = "http://127.0.0.1:" + std::to_string(closed.port) + "/";
  try {
    runtime.block_on(client.get(url));
    FAIL() << "no exception";
  } catch (const duet::client::ConnectError& error) {
    EXPECT_EQ(error.method(), "GET");
    EXPECT_EQ(error.url(), url);
    EXPECT_NE(std::string(error.what()).find("refused"), std::string::npos) << error.what();
  }
  EXPECT_EQ(client.open_connections(), 0u);  // the failed attempt gave its slot back
}

TEST_F(ClientErrors, UnresolvableHostIsATransportError) {
  // ConnectError where DNS answers; ConnectTimeout where it does not (sandboxes): both are TransportErrors.
  AsyncClient client({.timeout = {.connect = 1000ms}});
  EXPECT_THROW(runtime.block_on(client.get("http://no-such-host.invalid/")), duet::client::TransportError);
}

TEST_F(ClientErrors, ConnectTimeout) {
  FullBacklog backlog;
  AsyncClient client({.timeout = {.connect = 200ms}});
  EXPECT_THROW(runtime.block_on(client.get("http://127.0.0.1:" + std::to_string(backlog.port) + "/")),
               duet::client::ConnectTimeout);
}

TEST_F(ClientErrors, ReadTimeoutIsATimeoutAndARequestError) {
  TestServer server([](const Request&) { return Reply{.body = "late", .delay = 1500ms}; });
  AsyncClient client({.timeout = {.read = 100ms}});
  EXPECT_THROW(runtime.block_on(client.get(server.url())), duet::client::ReadTimeout);
  EXPECT_THROW(runtime.block_on(client.get(server.url())), duet::client::TimeoutException);
  EXPECT_THROW(runtime.block_on(client.get(server.url())), duet::client::RequestError);
  // A per-request timeout overrides the client's.
  auto response = runtime.block_on(client.get(server.url(), {.timeout = Timeout::all(5s)}));
  EXPECT_EQ(response.content, "late");
}

TEST_F(ClientErrors, ReadTimeoutBetweenChunks) {
  TestServer server([](const Request&) { return Reply{.chunks = {"a", "b"}, .chunk_delay = 1500ms}; });
  AsyncClient client({.timeout = {.read = 100ms}});
  EXPECT_THROW(runtime.block_on(client.get(server.url())), duet::client::ReadTimeout);
}

TEST_F(ClientErrors, WriteTimeoutWhenTheServerStopsReading) {
  TestServer server([](const Request&) { return Reply{}; });
  // Hijack: a server that accepts and never reads. The test server reads whole requests, so use a raw
  // listener instead.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener, 8);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  AsyncClient client({.timeout = {.write = 200ms}});
  std::string body(64 * 1024 * 1024, 'x');  // far more than the socket buffers hold
  EXPECT_THROW(runtime.block_on(client.post(
                   "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", {.content = body})),
               duet::client::WriteTimeout);
  ::close(listener);
}

TEST_F(ClientErrors, PoolTimeoutWhenTheOriginIsAtItsLimit) {
  TestServer server([](const Request&) { return Reply{.body = "slow", .delay = 1500ms}; });
  AsyncClient client({.timeout = {.pool = 100ms}, .max_connections_per_origin = 1});
  auto outcome = runtime.block_on([&]() -> Task<std::pair<int, int>> {
    auto one = [&]() -> Task<int> {
      try {
        co_await client.get(server.url());
        co_return 1;
      } catch (const duet::client::PoolTimeout&) {
        co_return 0;
      }
    };
    auto [a, b] = co_await duet::gather(one(), one());
    co_return std::pair{a, b};
  }());
  EXPECT_EQ(outcome.first + outcome.second, 1);  // one got the connection, the other gave up waiting
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(ClientErrors, WaitersGetTheConnectionWhenItFrees) {
  TestServer server([](const Request&) { return Reply{.body = "ok", .delay = 20ms}; });
  AsyncClient client({.max_connections_per_origin = 1});
  std::vector<Task<Response>> tasks;
  for (int i = 0; i < 5; ++i)
    tasks.push_back(client.get(server.url()));
  auto responses = runtime.block_on(duet::gather(std::move(tasks)));
  for (auto& response : responses)
    EXPECT_EQ(response.content, "ok");
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(ClientErrors, ResponseSizeLimit) {
  TestServer server([](const Request& request) {
    if (request.target() == "/chunked")
      return Reply{.chunks = {std::string(600, 'a'), std::string(600, 'b')}};
    return Reply{.body = std::string(5000, 'x')};
  });
  AsyncClient client({.max_response_size = 1000});
  EXPECT_THROW(runtime.block_on(client.get(server.url("/sized"))), duet::client::ResponseTooLarge);
  EXPECT_THROW(runtime.block_on(client.get(server.url("/chunked"))), duet::client::ResponseTooLarge);
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(ClientErrors, MalformedResponseIsRemoteProtocolError) {
  TestServer server([](const Request& request) {
    if (request.target() == "/garbage") return Reply{.close = true, .raw = "SMTP ready\r\n\r\n"};
    return Reply{.close = true, .raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"};
  });
  AsyncClient client;
  EXPECT_THROW(runtime.block_on(client.get(server.url("/garbage"))), duet::client::RemoteProtocolError);
  EXPECT_THROW(runtime.block_on(client.get(server.url("/truncated"))), duet::client::RemoteProtocolError);
}

TEST_F(ClientErrors, InvalidUrls) {
  AsyncClient client;
  EXPECT_THROW(runtime.block_on(client.get("ftp://example.org/")), duet::client::InvalidURL);
  EXPECT_THROW(runtime.block_on(client.get("not a url")), duet::client::InvalidURL);
  EXPECT_THROW(runtime.block_on(client.get("/relative/without/base")), duet::client::InvalidURL);
}

TEST_F(ClientErrors, RaiseForStatus) {
  TestServer server([](const Request& request) {
    if (request.target() == "/missing") return Reply{.status = 404, .body = "nope"};
    if (request.target() == "/broken") return Reply{.status = 503};
    return Reply{.body = "{}"};
  });
  AsyncClient client;
  auto ok = runtime.block_on(client.get(server.url("/fine")));
  EXPECT_EQ(&ok.raise_for_status(), &ok);
  auto missing = runtime.block_on(client.get(server.url("/missing")));
  try {
    missing.raise_for_status();
    FAIL() << "no exception";
  } catch (const duet::client::HTTPStatusError& error) {
    EXPECT_EQ(error.response().status_code, 404);
    EXPECT_EQ(error.response().content, "nope");
    EXPECT_NE(std::string(error.what()).find("Client error '404 Not Found'"), std::string::npos)
        << error.what();
  }
  auto broken = runtime.block_on(client.get(server.url("/broken")));
  EXPECT_THROW(broken.raise_for_status(), duet::client::HTTPError);
  EXPECT_THROW(runtime.block_on(client.get(server.url("/fine"))).json().at("x"), std::out_of_range);
  auto not_json = runtime.block_on(client.get(server.url("/missing")));
  EXPECT_THROW(not_json.json(), duet::client::DecodingError);
}

}  // namespace
