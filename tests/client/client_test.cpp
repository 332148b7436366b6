// The client against a real socket: requests, bodies, keep-alive pool, chunked and streamed bodies,
// redirects, the blocking twin.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <duet/client/client.hpp>
#include <duet/runtime.hpp>

#include "client/test_server.hpp"

namespace {

using namespace std::chrono_literals;
using duet::Task;
using duet::client::AsyncClient;
using duet::client::Client;
using duet::client::ClientOptions;
using duet::client::Response;
using duet::client::testing::Reply;
using duet::client::testing::Request;
using duet::client::testing::TestServer;

/// Echoes the request as JSON: method, target, a few headers, the body.
Reply echo(const Request& request) {
  boost::json::object out{{"method", std::string(request.method_string())},
                          {"target", std::string(request.target())},
                          {"body", request.body()},
                          {"host", std::string(request["Host"])},
                          {"content_type", std::string(request["Content-Type"])},
                          {"x_token", std::string(request["X-Token"])},
                          {"user_agent", std::string(request["User-Agent"])}};
  return Reply{.headers = {{"Content-Type", "application/json"}}, .body = boost::json::serialize(out)};
}

class ClientTest : public ::testing::Test {
 protected:
  duet::Runtime runtime{duet::RuntimeOptions{.loops = 2}};
};

TEST_F(ClientTest, GetWithParamsAndHeadersReturnsJson) {
  TestServer server(echo);
  AsyncClient client({.headers = {{"X-Token", "client-default"}}});
  auto response =
      runtime.block_on(client.get(server.url("/api/?a=1"), {.params = {{"q", "duet client"}, {"q", "&"}}}));
  EXPECT_EQ(response.status_code, 200);
  EXPECT_TRUE(response.is_success());
  EXPECT_EQ(response.reason_phrase, "OK");
  EXPECT_EQ(response.header("content-type"), "application/json");
  auto json = response.json().as_object();
  EXPECT_EQ(json["method"].as_string(), "GET");
  EXPECT_EQ(json["target"].as_string(), "/api/?a=1&q=duet%20client&q=%26");
  EXPECT_EQ(json["host"].as_string(), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(json["x_token"].as_string(), "client-default");
  EXPECT_EQ(json["user_agent"].as_string(), "duet-client/0.1");
  EXPECT_EQ(response.url, server.url("/api/?a=1&q=duet%20client&q=%26"));

  auto overridden = runtime.block_on(client.get(server.url(), {.headers = {{"x-token", "mine"}}}));
  EXPECT_EQ(overridden.json().at("x_token").as_string(), "mine");
}

TEST_F(ClientTest, FormJsonAndRawBodies) {
  TestServer server(echo);
  AsyncClient client;
  auto form = runtime.block_on(
      client.post(server.url(), {.data = duet::client::Params{{"name", "Ada L"}, {"x", "a&b=c"}}}));
  EXPECT_EQ(form.json().at("body").as_string(), "name=Ada+L&x=a%26b%3Dc");
  EXPECT_EQ(form.json().at("content_type").as_string(), "application/x-www-form-urlencoded");

  auto json = runtime.block_on(client.put(server.url(), {.json = boost::json::object{{"id", 7}}}));
  EXPECT_EQ(json.json().at("method").as_string(), "PUT");
  EXPECT_EQ(json.json().at("body").as_string(), R"({"id":7})");
  EXPECT_EQ(json.json().at("content_type").as_string(), "application/json");

  auto raw = runtime.block_on(client.patch(
      server.url(), {.headers = {{"Content-Type", "text/plain"}}, .content = std::string("hi")}));
  EXPECT_EQ(raw.json().at("body").as_string(), "hi");
  EXPECT_EQ(raw.json().at("content_type").as_string(), "text/plain");
}

TEST_F(ClientTest, BaseUrlJoinsRelativeUrls) {
  TestServer server(echo);
  AsyncClient client({.base_url = server.url("/v1/")});
  auto response = runtime.block_on(client.get("/items/"));
  EXPECT_EQ(response.json().at("target").as_string(), "/v1/items/");
}

TEST_F(ClientTest, KeepAliveReusesOneConnection) {
  TestServer server(echo);
  AsyncClient client;
  // One coroutine, so one loop: pooled connections are reused by requests on the loop that opened them.
  runtime.block_on([&]() -> Task<void> {
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ((co_await client.get(server.url())).status_code, 200);
  }());
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(client.open_connections(), 1u);
  client.close();
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(ClientTest, ConnectionCloseIsHonouredAndServerSideClosesAreSurvived) {
  int n = 0;
  TestServer server([&](const Request& request) {
    auto reply = echo(request);
    // Alternate an announced close with one the server does without a word, as an idle timeout does.
    (++n % 2 ? reply.close : reply.silent_close) = true;
    return reply;
  });
  AsyncClient client;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(runtime.block_on(client.get(server.url())).status_code, 200);
  EXPECT_EQ(server.accepted(), 4);
}

TEST_F(ClientTest, PerOriginLimitBoundsOpenConnections) {
  TestServer server([](const Request& request) {
    auto reply = echo(request);
    reply.delay = 50ms;
    return reply;
  });
  AsyncClient client({.max_connections_per_origin = 2});
  std::vector<Task<Response>> tasks;
  for (int i = 0; i < 8; ++i)
    tasks.push_back(client.get(server.url("/" + std::to_string(i))));
  auto responses = runtime.block_on(duet::gather(std::move(tasks)));
  ASSERT_EQ(responses.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(responses[i].json().at("target").as_string(), "/" + std::to_string(i));
  EXPECT_LE(server.max_concurrent(), 2);
  EXPECT_LE(server.accepted(), 2);
  EXPECT_EQ(server.requests(), 8);
}

TEST_F(ClientTest, ChunkedResponseIsJoined) {
  TestServer server([](const Request&) { return Reply{.chunks = {"Hello, ", "chunked ", "world"}}; });
  AsyncClient client;
  auto response = runtime.block_on(client.get(server.url()));
  EXPECT_EQ(response.content, "Hello, chunked world");
  EXPECT_EQ(response.header("Transfer-Encoding"), "chunked");
}

TEST_F(ClientTest, StreamingReadsPiecesAsTheyArriveAndReturnsTheConnection) {
  TestServer server([](const Request& request) {
    if (request.target() == "/plain") return echo(request);
    return Reply{.chunks = {"data: 0\n\n", "data: 1\n\n", "data: 2\n\n"}, .chunk_delay = 30ms};
  });
  AsyncClient client;
  auto pieces = runtime.block_on([&]() -> Task<std::vector<std::string>> {
    EXPECT_EQ((co_await client.get(server.url("/plain"))).status_code, 200);
    auto response = co_await client.stream("GET", server.url("/events"));
    EXPECT_EQ(response.status_code, 200);
    std::vector<std::string> out;
    while (auto chunk = co_await response.anext_chunk())
      out.push_back(*chunk);
    EXPECT_TRUE(response.is_complete());
    co_return out;
  }());
  // Each event was written separately with a pause: the stream hands them over as they come.
  ASSERT_GE(pieces.size(), 2u);
  std::string joined;
  for (auto& piece : pieces)
    joined += piece;
  EXPECT_EQ(joined, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client.open_connections(), 1u);
}

TEST_F(ClientTest, ClosingAStreamEarlyDropsItsConnection) {
  TestServer server([](const Request&) { return Reply{.chunks = {"a", "b", "c"}, .chunk_delay = 20ms}; });
  AsyncClient client;
  runtime.block_on([&]() -> Task<void> {
    auto response = co_await client.stream("GET", server.url());
    EXPECT_TRUE(co_await response.anext_chunk());
    response.close();
  }());
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(ClientTest, HeadHasNoBody) {
  TestServer server(echo);
  AsyncClient client;
  auto response = runtime.block_on(client.head(server.url()));
  EXPECT_EQ(response.status_code, 200);
  EXPECT_TRUE(response.content.empty());
  EXPECT_NE(response.header("Content-Length").value_or("0"), "0");
  EXPECT_EQ(runtime.block_on(client.get(server.url())).status_code, 200);  // the connection is still usable
}

Reply redirects(const Request& request) {
  std::string target(request.target());
  if (target == "/a") return Reply{.status = 302, .headers = {{"Location", "/b"}}};
  if (target == "/b") return Reply{.status = 301, .headers = {{"Location", "c?x=1"}}};
  if (target == "/see-other") return Reply{.status = 303, .headers = {{"Location", "/c"}}};
  if (target == "/temporary") return Reply{.status = 307, .headers = {{"Location", "/c"}}};
  if (target == "/loop") return Reply{.status = 302, .headers = {{"Location", "/loop"}}};
  return echo(request);
}

TEST_F(ClientTest, RedirectsAreNotFollowedUnlessAsked) {
  TestServer server(redirects);
  AsyncClient client;
  auto response = runtime.block_on(client.get(server.url("/a")));
  EXPECT_EQ(response.status_code, 302);
  EXPECT_TRUE(response.is_redirect());
  EXPECT_EQ(response.header("Location"), "/b");

  auto followed = runtime.block_on(client.get(server.url("/a"), {.follow_redirects = true}));
  EXPECT_EQ(followed.status_code, 200);
  EXPECT_EQ(followed.json().at("target").as_string(), "/c?x=1");
  ASSERT_EQ(followed.history.size(), 2u);
  EXPECT_EQ(followed.history[0].status_code, 302);
  EXPECT_EQ(followed.history[1].url, server.url("/b"));
  EXPECT_EQ(followed.url, server.url("/c?x=1"));
}

TEST_F(ClientTest, RedirectMethodRules) {
  TestServer server(redirects);
  AsyncClient client({.follow_redirects = true});
  auto see_other = runtime.block_on(client.post(server.url("/see-other"), {.content = std::string("x")}));
  EXPECT_EQ(see_other.json().at("method").as_string(), "GET");
  EXPECT_EQ(see_other.json().at("body").as_string(), "");
  auto temporary = runtime.block_on(client.post(server.url("/temporary"), {.content = std::string("x")}));
  EXPECT_EQ(temporary.json().at("method").as_string(), "POST");
  EXPECT_EQ(temporary.json().at("body").as_string(), "x");
}

TEST_F(ClientTest, TooManyRedirects) {
  TestServer server(redirects);
  AsyncClient client({.follow_redirects = true, .max_redirects = 3});
  EXPECT_THROW(runtime.block_on(client.get(server.url("/loop"))), duet::client::TooManyRedirects);
  EXPECT_EQ(server.requests(), 4);
}

TEST_F(ClientTest, FanOutWithGather) {
  TestServer server([](const Request& request) {
    auto reply = echo(request);
    reply.delay = 100ms;
    return reply;
  });
  AsyncClient client;
  auto responses = runtime.block_on([&]() -> Task<std::vector<Response>> {
    std::vector<Task<Response>> tasks;
    for (int i = 0; i < 10; ++i)
      tasks.push_back(client.get(server.url("/api/"), {.params = {{"task_id", std::to_string(i)}}}));
    co_return co_await duet::gather(std::move(tasks));
  }());
  ASSERT_EQ(responses.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(responses[i].json().at("target").as_string(), "/api/?task_id=" + std::to_string(i));
  EXPECT_EQ(server.max_concurrent(), 10);  // all ten were in flight at once
}

TEST_F(ClientTest, CloseFromAnotherThreadClosesEachConnectionOnItsLoop) {
  // The loops run without Asio's per-socket lock: close() on this (non-loop) thread hands each idle
  // connection to the loop that owns its socket and returns once they are closed.
  TestServer server(echo);
  AsyncClient client;
  for (int i = 0; i < 2; ++i) {  // block_on takes the loops in turn: one connection on each
    runtime.block_on(
        [&]() -> Task<void> { EXPECT_EQ((co_await client.get(server.url())).status_code, 200); }());
  }
  ASSERT_EQ(server.accepted(), 2);
  ASSERT_EQ(client.open_connections(), 2u);
  client.close();
  EXPECT_EQ(client.open_connections(), 0u);
  // The sockets are closed; the server's threads see the end of their connections.
  for (int i = 0; i < 500 && server.concurrent() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.concurrent(), 0);
  // And the client still works on both loops afterwards.
  for (int i = 0; i < 2; ++i) {
    runtime.block_on(
        [&]() -> Task<void> { EXPECT_EQ((co_await client.get(server.url())).status_code, 200); }());
  }
  EXPECT_EQ(server.accepted(), 4);
}

TEST_F(ClientTest, BlockingClientFromAPlainThread) {
  TestServer server(echo);
  Client client;
  auto response = client.post(server.url("/x"), {.json = boost::json::array{1, 2}});
  EXPECT_EQ(response.json().at("body").as_string(), "[1,2]");
  EXPECT_EQ(client.get(server.url()).status_code, 200);
  EXPECT_EQ(server.accepted(), 1);

  auto stream = client.stream("GET", server.url("/streamed"));
  EXPECT_NE(stream.read().find("/streamed"), std::string::npos);
  EXPECT_TRUE(stream.is_complete());
}

TEST_F(ClientTest, BlockingClientRefusesAnEventLoopThread) {
  TestServer server(echo);
  Client client;
  EXPECT_THROW(runtime.block_on([&]() -> Task<void> {
    client.get(server.url());
    co_return;
  }()),
               duet::SynchronousOnlyOperation);
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(ClientTest, BlockingClientInsideSyncToAsync) {
  // A sync view's situation: sync code leased from a flow, calling the blocking client.
  TestServer server(echo);
  Client client;
  auto status = runtime.block_on([&]() -> Task<int> {
    co_return co_await duet::sync_to_async([&] { return client.get(server.url()).status_code; });
  }());
  EXPECT_EQ(status, 200);
}

}  // namespace
