// The synchronous interface and the adapters both ways.
#include <gtest/gtest.h>

#include <duet/asgi/call.hpp>
#include <duet/asgi/sync.hpp>
#include <duet/runtime.hpp>

namespace duet::asgi {
namespace {

Scope http_scope() {
  Scope scope;
  scope.method = "POST";
  scope.path = "/sync";
  return scope;
}

TEST(FromSync, RunsOnASyncThreadAndStreamsTheBodyIn) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  SyncApplication sync_app = [](const Scope& scope, InputStream& input) {
    SyncResponse response;
    // A sync application must not be on a loop thread.
    response.headers.push_back({"x-on-loop", in_event_loop() ? "yes" : "no"});
    response.headers.push_back({"x-path", scope.path});
    response.body = input.read_all(1024);
    return response;
  };
  CallOptions options;
  options.chunk_size = 3;
  auto result = runtime.block_on(call(from_sync(sync_app), http_scope(), "hello world", options));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello world");
  EXPECT_EQ(find_header(result.headers, "x-on-loop"), "no");
  EXPECT_EQ(find_header(result.headers, "x-path"), "/sync");
}

TEST(FromSync, StreamsChunksOneByOne) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  SyncApplication sync_app = [](const Scope&, InputStream&) {
    SyncResponse response;
    response.body = "0";
    auto n = std::make_shared<int>(0);
    response.next_chunk = [n]() -> std::optional<std::string> {
      if (++*n > 3) return std::nullopt;
      return std::to_string(*n);
    };
    return response;
  };
  auto result = runtime.block_on(call(from_sync(sync_app), http_scope()));
  EXPECT_EQ(result.body, "0123");
  // The first piece, three chunks, and the closing empty piece.
  EXPECT_EQ(result.body_messages, 5u);
}

TEST(FromSync, ExceptionsCrossUnchanged) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  SyncApplication sync_app = [](const Scope&, InputStream&) -> SyncResponse {
    throw std::out_of_range("nope");
  };
  EXPECT_THROW(runtime.block_on(call(from_sync(sync_app), http_scope())), std::out_of_range);
}

TEST(ToSync, ServesAnAsyncApplicationToAPlainThread) {
  Application app = [](const Scope& scope, const Receive& receive, const Send& send) -> Task<void> {
    ReceiveEvent event = co_await receive();
    std::string body = std::get<HttpRequest>(event).body;
    Headers headers;
    headers.emplace_back("x-method", scope.method);
    co_await send(HttpResponseStart(202, std::move(headers)));
    co_await send(HttpResponseBody(body + "!"));
  };
  SyncApplication sync_app = to_sync(app);
  StringInputStream input("ping");
  SyncResponse response = sync_app(http_scope(), input);
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "ping!");
  EXPECT_EQ(find_header(response.headers, "x-method"), "POST");
}

TEST(ToSync, RefusesABodyOverTheLimit) {
  Application app = [](const Scope&, const Receive&, const Send& send) -> Task<void> {
    co_await send(HttpResponseStart(200));
    co_await send(HttpResponseBody());
  };
  SyncApplication sync_app = to_sync(app, 3);
  StringInputStream input("four");
  EXPECT_THROW(sync_app(http_scope(), input), std::length_error);
}

}  // namespace
}  // namespace duet::asgi
