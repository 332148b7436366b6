// asgi::call(): driving an Application with no socket.
#include <gtest/gtest.h>

#include <duet/asgi/call.hpp>
#include <duet/runtime.hpp>

namespace duet::asgi {
namespace {

Scope http_scope(std::string path = "/") {
  Scope scope;
  scope.method = "POST";
  scope.path = path;
  scope.raw_path = path;
  return scope;
}

// Reads the whole body, answers with how many pieces it came in and the body itself.
Task<void> echo(const Scope&, const Receive& receive, const Send& send) {
  std::string body;
  int pieces = 0;
  for (;;) {
    ReceiveEvent event = co_await receive();
    auto* piece = std::get_if<HttpRequest>(&event);
    if (!piece) break;
    ++pieces;
    body += piece->body;
    if (!piece->more_body) break;
  }
  Headers headers;
  headers.emplace_back("x-pieces", std::to_string(pieces));
  co_await send(HttpResponseStart(201, std::move(headers)));
  co_await send(HttpResponseBody(body));
}

TEST(Call, DeliversTheBodyInPiecesAndCollectsTheResponse) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  CallOptions options;
  options.chunk_size = 4;
  auto result = runtime.block_on(call(echo, http_scope(), "abcdefghij", options));
  EXPECT_EQ(result.status, 201);
  EXPECT_EQ(result.body, "abcdefghij");
  EXPECT_EQ(find_header(result.headers, "x-pieces"), "3");
  EXPECT_TRUE(result.complete);
}

TEST(Call, EmptyBodyIsOneFinalMessage) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto result = runtime.block_on(call(echo, http_scope()));
  EXPECT_EQ(find_header(result.headers, "x-pieces"), "1");
  EXPECT_EQ(result.body, "");
}

TEST(Call, StreamedResponseIsCollected) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope&, const Receive&, const Send& send) -> Task<void> {
    co_await send(HttpResponseStart(200));
    co_await send(HttpResponseBody("a", true));
    co_await send(HttpResponseBody("b", true));
    co_await send(HttpResponseBody("c"));
  };
  auto result = runtime.block_on(call(app, http_scope()));
  EXPECT_EQ(result.body, "abc");
  EXPECT_EQ(result.body_messages, 3u);
}

TEST(Call, ReceiveAfterTheBodyWaitsForTheResponseThenSaysDisconnect) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  // The app sends its response from a concurrent task while the main one waits on receive(): the
  // disconnect must come only after the response is complete.
  Application app = [](const Scope&, const Receive& receive, const Send& send) -> Task<void> {
    co_await receive();  // the body
    bool response_done = false;
    auto responder = [&]() -> Task<void> {
      co_await duet::sleep(std::chrono::milliseconds(20));
      co_await send(HttpResponseStart(200));
      co_await send(HttpResponseBody("done"));
      response_done = true;
    };
    auto waiter = [&]() -> Task<void> {
      ReceiveEvent event = co_await receive();
      EXPECT_TRUE(std::holds_alternative<HttpDisconnect>(event));
      EXPECT_TRUE(response_done);
    };
    co_await gather(responder(), waiter());
  };
  auto result = runtime.block_on(call(app, http_scope()));
  EXPECT_EQ(result.body, "done");
}

TEST(Call, BodyBeforeStartIsAProtocolError) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope&, const Receive&, const Send& send) -> Task<void> {
    co_await send(HttpResponseBody("oops"));
  };
  EXPECT_THROW(runtime.block_on(call(app, http_scope())), ProtocolError);
}

TEST(Call, ReturningWithoutAResponseIsAProtocolError) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope&, const Receive&, const Send&) -> Task<void> { co_return; };
  EXPECT_THROW(runtime.block_on(call(app, http_scope())), ProtocolError);
}

TEST(Call, ApplicationExceptionsPropagate) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  Application app = [](const Scope&, const Receive&, const Send&) -> Task<void> {
    throw std::runtime_error("boom");
    co_return;
  };
  EXPECT_THROW(runtime.block_on(call(app, http_scope())), std::runtime_error);
}

TEST(Scope, PercentDecodePath) {
  EXPECT_EQ(percent_decode_path("/a%20b/%C3%A9"), "/a b/\xC3\xA9");
  EXPECT_EQ(percent_decode_path("/a+b"), "/a+b");
  EXPECT_FALSE(percent_decode_path("/bad%2"));
  EXPECT_FALSE(percent_decode_path("/bad%zz"));
}

TEST(Messages, TypeNames) {
  EXPECT_EQ(type_of(ReceiveEvent(HttpDisconnect{})), "http.disconnect");
  EXPECT_EQ(type_of(SendEvent(HttpResponseBody("x"))), "http.response.body");
  EXPECT_EQ(type_of(ReceiveEvent(WebSocketConnect{})), "websocket.connect");
  EXPECT_EQ(type_of(ReceiveEvent(WebSocketReceive::from_text("t"))), "websocket.receive");
  EXPECT_EQ(type_of(ReceiveEvent(WebSocketDisconnect(1000))), "websocket.disconnect");
  EXPECT_EQ(type_of(SendEvent(WebSocketAccept())), "websocket.accept");
  EXPECT_EQ(type_of(SendEvent(WebSocketSend::from_bytes("b"))), "websocket.send");
  EXPECT_EQ(type_of(SendEvent(WebSocketClose(1000, "bye"))), "websocket.close");
}

TEST(Messages, WebSocketMessagesCarryExactlyOneOfTextAndBytes) {
  auto text = WebSocketReceive::from_text("hi");
  EXPECT_EQ(text.text, "hi");
  EXPECT_FALSE(text.bytes);
  auto bytes = WebSocketSend::from_bytes(std::string("\0\1", 2));
  EXPECT_EQ(bytes.bytes, std::string("\0\1", 2));
  EXPECT_FALSE(bytes.text);
  EXPECT_EQ(WebSocketDisconnect().code, 1005);  // ASGI's default: no status code was present
  EXPECT_EQ(WebSocketClose().code, 1000);
}

}  // namespace
}  // namespace duet::asgi
