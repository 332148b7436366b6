// The example site's tests, as a Django project writes them: Client for sync tests, AsyncClient in
// coroutine tests.
#include <gtest/gtest.h>

#include <duet/runtime.hpp>
#include <duet/test/client.hpp>

#include "site.hpp"

namespace {

class SiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mysite::setup(); }
};

}  // namespace

TEST_F(SiteTest, IndexListsTheEndpoints) {
  duet::test::Client client;
  auto response = client.get("/");
  EXPECT_EQ(response.status_code, 200);
  EXPECT_NE(response.content.find("/api/async/"), std::string::npos);
}

TEST_F(SiteTest, SyncApiViewBlocksOnItsSyncThread) {
  duet::test::Client client;
  auto response = client.get("/api/", {{"task_id", "7"}});
  ASSERT_EQ(response.status_code, 200);
  auto json = response.json().as_object();
  EXPECT_EQ(json.at("message"), "Hello World!");
  EXPECT_EQ(json.at("task_id"), "7");
  EXPECT_GE(json.at("elapsed").as_double(), 0.9);  // the timing middleware saw the 1 s the view took
}

TEST_F(SiteTest, AsyncApiViewWithTheAsyncClient) {
  duet::Runtime runtime;
  auto response = runtime.block_on([]() -> duet::Task<duet::test::Response> {
    duet::test::AsyncClient client;
    // Built before the co_await: g++ 12 miscompiles braced string-literal temporaries inside one.
    duet::test::Data query{{"task_id", "3"}};
    co_return co_await client.get("/api/async/", query);
  }());
  EXPECT_EQ(response.status_code, 200);
  auto json = response.json().as_object();
  EXPECT_EQ(json.at("message"), "Hello Async World!");
  EXPECT_EQ(json.at("task_id"), "3");
  EXPECT_TRUE(json.contains("elapsed"));
}

TEST_F(SiteTest, GreetingsCaptureTheName) {
  duet::test::Client client;
  EXPECT_EQ(client.get("/hello/Ada/").json().at("message"), "Hello, Ada!");
  auto async = client.get("/ahello/Grace/").json();
  EXPECT_EQ(async.at("message"), "Hello, Grace!");
  EXPECT_EQ(async.at("mode"), "async");
}

TEST_F(SiteTest, StreamIsServerSentEvents) {
  duet::test::Client client;
  auto response = client.get("/stream/", {{"n", "3"}});
  EXPECT_EQ(response["content-type"], "text/event-stream");
  EXPECT_EQ(response.content, "data: event 0\n\ndata: event 1\n\ndata: event 2\n\n");
}

TEST_F(SiteTest, CommonMiddlewareAppendsTheSlash) {
  duet::test::Client client;
  auto response = client.get("/hello/Ada");
  EXPECT_EQ(response.status_code, 301);
  EXPECT_EQ(response.url(), "/hello/Ada/");
  EXPECT_EQ(client.get("/hello/Ada", {}, {.follow = true}).json().at("message"), "Hello, Ada!");
}

TEST_F(SiteTest, LargeResponsesAreGzippedForClientsThatAcceptIt) {
  duet::test::Client client;
  auto response = client.get("/", {}, {.headers = {{"Accept-Encoding", "gzip"}}});
  EXPECT_EQ(response.header("content-encoding").value_or(""), "gzip");
  EXPECT_FALSE(client.get("/").has_header("content-encoding"));
}

TEST_F(SiteTest, UnknownPathIs404) {
  duet::test::Client client;
  EXPECT_EQ(client.get("/nope/").status_code, 404);
}
