// The blog's tests, as a Django project writes them: each test on a fresh database migrated with the
// committed migrations; Client for the sync views, AsyncClient for the async ones.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <duet/db/migrations.hpp>
#include <duet/runtime.hpp>
#include <duet/test/client.hpp>
#include <filesystem>
#include <sstream>

#include "site.hpp"

namespace {

namespace fs = std::filesystem;
namespace mig = duet::db::migrations;

class BlogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { blog::setup(); }
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("duet-blog-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sqlite3");
    fs::remove(path_);
    blog::configure_database(path_.string());
    mig::MigrationLoader loader;
    mig::MigrationExecutor(loader).migrate();
  }
  void TearDown() override {
    duet::db::connections.close_all();
    for (auto suffix : {"", "-wal", "-shm"})
      fs::remove(path_.string() + suffix);
  }
  std::int64_t make_author(duet::test::Client& client, const std::string& name) {
    auto r = client.post_json("/authors/", boost::json::object{{"name", name}});
    EXPECT_EQ(r.status_code, 201) << r.content;
    return r.json().at("id").as_int64();
  }
  fs::path path_;
};

TEST_F(BlogTest, CommittedMigrationsMatchTheModels) {
  // `blog makemigrations --check` as a test: a model changed without a migration fails here.
  std::ostringstream out, err;
  EXPECT_EQ(duet::core::management::call_command({"makemigrations", "--check"}, out, err,
                                                 blog::management_options()),
            0)
      << out.str() << err.str();
  EXPECT_EQ(out.str(), "No changes detected\n");
  std::ostringstream shown;
  duet::core::management::call_command({"showmigrations", "blog"}, shown, err, blog::management_options());
  EXPECT_EQ(shown.str().substr(0, 22), "blog\n [X] 0001_initial");
}

TEST_F(BlogTest, SyncCreateListAndDetail) {
  duet::test::Client client;
  auto ann = make_author(client, "Ann");
  make_author(client, "Bob");
  auto authors = client.get("/authors/").json().at("authors").as_array();
  ASSERT_EQ(authors.size(), 2u);
  EXPECT_EQ(authors[0].at("name"), "Ann");  // Meta ordering: name

  auto created = client.post_json("/posts/", boost::json::object{{"title", "Hello"}, {"author", ann}});
  ASSERT_EQ(created.status_code, 201) << created.content;
  auto post = created.json();
  EXPECT_EQ(post.at("author").at("name"), "Ann");
  EXPECT_EQ(post.at("body"), "");  // the field's default

  auto id = post.at("id").as_int64();
  auto detail = client.get("/posts/" + std::to_string(id) + "/");
  ASSERT_EQ(detail.status_code, 200);
  EXPECT_EQ(detail.json().at("title"), "Hello");

  client.post_json("/posts/", boost::json::object{{"title", "Second"}, {"author", ann}});
  auto list = client.get("/posts/").json().at("posts").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("title"), "Second");  // newest first
  EXPECT_EQ(client.get("/posts/", {{"author", "Bob"}}).json().at("posts").as_array().size(), 0u);
}

TEST_F(BlogTest, SyncErrors) {
  duet::test::Client client;
  EXPECT_EQ(client.get("/posts/999/").status_code, 404);
  EXPECT_EQ(client.post("/authors/", {{"name", "form data is not JSON"}}).status_code, 400);
  make_author(client, "Ann");
  auto dup = client.post_json("/authors/", boost::json::object{{"name", "Ann"}});
  EXPECT_EQ(dup.status_code, 400);
  EXPECT_EQ(client.post_json("/posts/", boost::json::object{{"title", "x"}, {"author", 42}}).status_code,
            400);
  EXPECT_EQ(client.post_json("/posts/", boost::json::object{{"title", "x"}}).status_code, 400);
}

TEST_F(BlogTest, AsyncCreateListAndDetail) {
  duet::test::Client sync_client;
  auto ann = make_author(sync_client, "Ann");
  duet::Runtime runtime;
  auto results = runtime.block_on([ann]() -> duet::Task<std::vector<duet::test::Response>> {
    duet::test::AsyncClient client;
    std::vector<duet::test::Response> out;
    boost::json::value body = boost::json::object{{"title", "Async"}, {"body", "awaited"}, {"author", ann}};
    out.push_back(co_await client.post_json("/async/posts/", body));
    out.push_back(co_await client.get("/async/posts/"));
    auto id = out[0].json().at("id").as_int64();
    std::string detail = "/async/posts/" + std::to_string(id) + "/";
    out.push_back(co_await client.get(detail));
    std::string missing = "/async/posts/999/";
    out.push_back(co_await client.get(missing));
    co_return out;
  }());
  ASSERT_EQ(results.size(), 4u);
  ASSERT_EQ(results[0].status_code, 201) << results[0].content;
  EXPECT_EQ(results[0].json().at("author").at("name"), "Ann");
  auto list = results[1].json();
  EXPECT_EQ(list.at("mode"), "async");
  ASSERT_EQ(list.at("posts").as_array().size(), 1u);
  EXPECT_EQ(results[2].json().at("body"), "awaited");
  EXPECT_EQ(results[3].status_code, 404);
  // Written through the async path, read through the sync one: one database.
  EXPECT_EQ(sync_client.get("/posts/").json().at("posts").as_array().size(), 1u);
}

TEST_F(BlogTest, MigrateBackToZeroDropsTheTables) {
  duet::test::Client client;
  make_author(client, "Ann");
  std::ostringstream out, err;
  ASSERT_EQ(
      duet::core::management::call_command({"migrate", "blog", "zero"}, out, err, blog::management_options()),
      0)
      << err.str();
  EXPECT_NE(out.str().find("Unapplying blog.0001_initial... OK"), std::string::npos);
  auto tables = duet::db::connection().query("SELECT name FROM sqlite_master WHERE name LIKE 'blog_%'");
  EXPECT_TRUE(tables.empty());
}

}  // namespace

namespace {

TEST_F(BlogTest, TagsThroughTheManyToManyTable) {
  duet::test::Client client;
  auto ann = make_author(client, "Ann");
  auto id = client.post_json("/posts/", boost::json::object{{"title", "Tagged"}, {"author", ann}})
                .json()
                .at("id")
                .as_int64();
  auto post = blog::Post::objects().get("pk", id);
  auto cpp = blog::Tag::objects().create({{"name", "c++"}});
  auto orm = blog::Tag::objects().create({{"name", "orm"}});
  post.tags().add(orm);
  post.tags().add(cpp);
  auto detail = client.get("/posts/" + std::to_string(id) + "/").json();
  EXPECT_EQ(detail.at("tags"), (boost::json::array{"c++", "orm"}));
}

}  // namespace
