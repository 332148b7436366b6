// The six TechEmpower test types through duet's test client, checked against the rules their verifier
// applies (content types, keys, clamping, escaping, persistence of updates).
#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/json.hpp>
#include <cstdlib>
#include <duet/runtime.hpp>
#include <duet/test/client.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "app.hpp"
#include "models.hpp"

namespace {

class TfbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = std::filesystem::temp_directory_path() / ("tfb_test_" + std::to_string(::getpid()) + ".sqlite3");
    ::setenv("DATABASE_URL", ("sqlite:///" + path_.string()).c_str(), 1);
    tfb::setup();
    tfb::load_data();
  }
  static void TearDownTestSuite() {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }
  static std::int64_t stored_number(std::int64_t id) {
    return tfb::World::objects().get("id", id).randomNumber.value();
  }
  static void expect_world(const boost::json::value& v) {
    const auto& o = v.as_object();
    ASSERT_EQ(o.size(), 2u);
    auto id = o.at("id").as_int64();
    EXPECT_GE(id, 1);
    EXPECT_LE(id, 10000);
    EXPECT_EQ(o.at("randomNumber").as_int64(), stored_number(id));
  }
  inline static std::filesystem::path path_;
};

}  // namespace

TEST(TfbQueries, ClampedAsTheRulesSay) {
  EXPECT_EQ(tfb::clamp_queries(std::nullopt), 1);
  EXPECT_EQ(tfb::clamp_queries(""), 1);
  EXPECT_EQ(tfb::clamp_queries("foo"), 1);
  EXPECT_EQ(tfb::clamp_queries("0"), 1);
  EXPECT_EQ(tfb::clamp_queries("-5"), 1);
  EXPECT_EQ(tfb::clamp_queries("7"), 7);
  EXPECT_EQ(tfb::clamp_queries("501"), 500);
  EXPECT_EQ(tfb::clamp_queries("99999999999999999999"), 500);
  EXPECT_EQ(tfb::clamp_queries("12abc"), 1);
}

TEST_F(TfbTest, SetupLoadsTheRows) {
  EXPECT_EQ(tfb::World::objects().count(), 10000);
  EXPECT_EQ(tfb::Fortune::objects().count(), 12);
}

TEST_F(TfbTest, PlaintextAndJson) {
  duet::test::Client client;
  auto text = client.get("/plaintext");
  EXPECT_EQ(text.status_code, 200);
  EXPECT_EQ(text.content, "Hello, World!");
  EXPECT_EQ(text["content-type"], "text/plain");
  auto json = client.get("/json");
  EXPECT_EQ(json["content-type"], "application/json");
  EXPECT_EQ(json.content, R"({"message":"Hello, World!"})");
}

TEST_F(TfbTest, SingleQueryIsOneStoredWorld) {
  duet::test::Client client;
  auto response = client.get("/db");
  ASSERT_EQ(response.status_code, 200);
  EXPECT_EQ(response["content-type"], "application/json");
  expect_world(response.json());
}

TEST_F(TfbTest, MultipleQueriesHonourTheCount) {
  duet::test::Client client;
  for (auto [param, expected] : {std::pair{"20", 20u}, {"0", 1u}, {"foo", 1u}, {"", 1u}, {"501", 500u}}) {
    auto response = client.get("/queries", {{"queries", param}});
    ASSERT_EQ(response.status_code, 200) << param;
    auto rows = response.json().as_array();
    EXPECT_EQ(rows.size(), expected) << param;
    for (std::size_t i = 0; i < std::min<std::size_t>(rows.size(), 20); ++i)
      expect_world(rows[i]);
  }
  EXPECT_EQ(client.get("/queries").json().as_array().size(), 1u);
}

TEST_F(TfbTest, FortunesAreSortedEscapedAndIncludeTheAddedOne) {
  duet::test::Client client;
  auto response = client.get("/fortunes");
  ASSERT_EQ(response.status_code, 200);
  EXPECT_EQ(response["content-type"], "text/html; charset=utf-8");
  const std::string& html = response.content;
  std::size_t rows = 0;
  for (auto at = html.find("<tr><td>"); at != std::string::npos; at = html.find("<tr><td>", at + 1))
    ++rows;
  EXPECT_EQ(rows, 13u);
  EXPECT_NE(html.find("<tr><td>0</td><td>Additional fortune added at request time.</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;This should not be displayed in a browser alert "
                      "box.&quot;);&lt;/script&gt;"),
            std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0"), std::string::npos);  // UTF-8 kept
  // Sorted by message: "<script>" sorts before "A ..." (byte order), the Japanese row last.
  auto script = html.find("&lt;script"), computer = html.find("A computer program"),
       japanese = html.find("\xe3\x83\x95");
  EXPECT_LT(script, computer);
  EXPECT_LT(computer, japanese);
}

TEST_F(TfbTest, UpdatesPersistTheNewNumbers) {
  duet::test::Client client;
  auto response = client.get("/updates", {{"queries", "15"}});
  ASSERT_EQ(response.status_code, 200);
  auto rows = response.json().as_array();
  ASSERT_EQ(rows.size(), 15u);
  for (const auto& row : rows)
    expect_world(row);  // the answer matches what is now stored
  EXPECT_EQ(client.get("/updates", {{"queries", "x"}}).json().as_array().size(), 1u);
}

TEST_F(TfbTest, TheAsyncClientDrivesTheSameViews) {
  duet::Runtime runtime;
  auto response = runtime.block_on([]() -> duet::Task<duet::test::Response> {
    duet::test::AsyncClient client;
    duet::test::Data query{{"queries", "3"}};
    co_return co_await client.get("/queries", query);
  }());
  ASSERT_EQ(response.status_code, 200);
  EXPECT_EQ(response.json().as_array().size(), 3u);
}
