// The flow (duet::Context) of each request: the server runs the application on the connection's own
// coroutine, so these check that every request still has a flow of its own, current across suspensions and
// sync hops, and that the flow ends with the request, not with the connection.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "runtime/support.hpp"
#include "server/support.hpp"
#include "server/test_app.hpp"

namespace duet::testing {
namespace {

using namespace std::chrono_literals;

Local<std::string> request_path;

Local<Counted> counted;

std::atomic<int> destroyed{0};

// Answers "<label at the start>|<label after a suspension>|<label/value on the sync thread>|clean|same"
// (clean: no value left over from an earlier request; same: one Context throughout).
Task<void> flow_app(const asgi::Scope& scope, const asgi::Receive&, const asgi::Send& send) {
  if (scope.type != asgi::ScopeType::http) co_return;
  Context* at_start = Context::current();
  std::string seen = at_start ? at_start->label() : "no flow";
  const bool clean = request_path.get() == nullptr && counted.get() == nullptr;
  request_path.set(scope.path);
  counted.set(Counted(&destroyed));
  co_await duet::sleep(1ms);
  seen.append("|").append(Context::current() ? Context::current()->label() : "no flow");
  std::string in_sync =
      co_await sync_to_async([] { return Context::current()->label() + "/" + *request_path.get(); });
  seen.append("|").append(in_sync);
  seen.append(clean ? "|clean" : "|left over");
  seen.append(Context::current() == at_start ? "|same" : "|changed");
  co_await respond(send, 200, seen);
}

TEST(Flow, EachRequestOnAConnectionHasItsOwn) {
  TestServer server(flow_app, {}, 1);
  RawClient client(server.port());
  // Two pipelined, then one more on the same connection.
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "GET /a|GET /a|GET /a//a|clean|same");
  EXPECT_EQ(body_of(client.read_response()), "GET /b|GET /b|GET /b//b|clean|same");
  client.send("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "POST /c|POST /c|POST /c//c|clean|same");
}

TEST(Flow, EndsWithItsRequestNotWithTheConnection) {
  destroyed = 0;
  TestServer server(flow_app, {}, 1);
  RawClient client(server.port());
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "GET /a|GET /a|GET /a//a|clean|same");
  // The connection stays open (keep-alive), but the request's flow and its Local values are gone.
  EXPECT_TRUE(eventually([] { return destroyed.load() == 1; }));
  client.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "GET /b|GET /b|GET /b//b|clean|same");
  EXPECT_TRUE(eventually([] { return destroyed.load() == 2; }));
}

}  // namespace
}  // namespace duet::testing
