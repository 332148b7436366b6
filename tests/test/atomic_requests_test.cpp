// ATOMIC_REQUESTS over the test clients: sync and async views each run in a transaction on a real SQLite
// file, rolled back when the view throws and committed when it returns (whatever the status).
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "db/scratch_database.hpp"
#include "duet/db.hpp"
#include "duet/handlers/asgi.hpp"
#include "duet/runtime.hpp"
#include "duet/test/client.hpp"
#include "duet/urls/resolvers.hpp"

namespace db = duet::db;
using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::urls::path;

namespace {

struct Item : db::Model<Item> {
  db::CharField name;
  static void meta(db::Meta<Item>& m) {
    m.app_label("atomicreq");
    m.field(&Item::name, "name").max_length(50);
  }
};

HttpResponse make(HttpRequest& request) {
  Item::objects().create({{"name", request.path}});
  if (request.GET().get("fail").value_or("") == "1") throw std::runtime_error("view failed");
  if (request.GET().get("status").value_or("") == "500") return HttpResponse("server error", 500);
  return HttpResponse(db::transaction::in_atomic_block() ? "in transaction" : "autocommit");
}

Task<HttpResponse> amake(HttpRequest& request) {
  db::Values values{{"name", request.path}};
  auto items = Item::objects();
  co_await items.acreate(values);
  if (request.GET().get("fail").value_or("") == "1") throw std::runtime_error("async view failed");
  // Whether this flow's a-calls run in a transaction (the strand's connection on SQLite, the connection
  // pinned to the flow on PostgreSQL).
  bool inside = co_await db::transaction::ain_atomic_block();
  co_return HttpResponse(inside ? "in transaction" : "autocommit");
}

duet::asgi::Application app() {
  duet::handlers::BaseHandler::Options options;
  options.middleware = std::vector<duet::handlers::MiddlewareSpec>{};
  options.urlconf = duet::urls::make_resolver({path("sync/", make), path("async/", amake)});
  auto settings = std::make_shared<duet::conf::Settings>();
  settings->ALLOWED_HOSTS = {"testserver"};
  options.settings = settings;
  return duet::handlers::get_asgi_application(options);
}

class AtomicRequests : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() / ("duet-atomic-requests-" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(counter++) + ".sqlite3");
    // SQLite, or PostgreSQL under DUET_TEST_DATABASE=postgresql (the _pg registration).
    auto s = db::testing::scratch_settings(path_);
    s.atomic_requests = GetParam();
    db::configure({{"default", s}});
    db::create_tables<Item>();
  }
  void TearDown() override {
    db::configure({});  // unregisters the view wrapper
    db::connections.close_all();
    if (db::testing::on_postgresql()) return;
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path_.string() + suffix);
  }
  static duet::Runtime& rt() {
    static duet::Runtime runtime({.loops = 1, .sync_threads = 2});
    return runtime;
  }
  std::filesystem::path path_;
};

std::int64_t items() {
  return Item::objects().count();
}

Task<std::vector<int>> async_requests(std::vector<std::string>* bodies) {
  duet::test::AsyncClient client(app());
  duet::test::Data none, fail{{"fail", "1"}}, status{{"status", "500"}};
  std::vector<int> codes;
  for (const char* p : {"/sync/", "/async/"}) {
    std::string url = p;
    auto ok = co_await client.get(url, none);
    codes.push_back(ok.status_code);
    bodies->push_back(ok.content);
    auto failed = co_await client.get(url, fail);
    codes.push_back(failed.status_code);
  }
  auto error_status = co_await client.get("/sync/", status);
  codes.push_back(error_status.status_code);
  co_return codes;
}

}  // namespace

TEST_P(AtomicRequests, SyncClient) {
  const bool atomic = GetParam();
  duet::test::Client client(app());
  for (const char* p : {"/sync/", "/async/"}) {
    auto before = items();
    auto ok = client.get(p);
    EXPECT_EQ(ok.status_code, 200) << p;
    EXPECT_EQ(ok.content, atomic ? "in transaction" : "autocommit") << p;
    EXPECT_EQ(items(), before + 1) << p;
    auto failed = client.get(p, {{"fail", "1"}});
    EXPECT_EQ(failed.status_code, 500) << p;
    // Rolled back only under ATOMIC_REQUESTS.
    EXPECT_EQ(items(), before + (atomic ? 1 : 2)) << p;
  }
  // A 5xx the view returns is a normal return: committed, as in Django.
  auto before = items();
  EXPECT_EQ(client.get("/sync/", {{"status", "500"}}).status_code, 500);
  EXPECT_EQ(items(), before + 1);
}

TEST_P(AtomicRequests, AsyncClient) {
  const bool atomic = GetParam();
  std::vector<std::string> bodies;
  auto codes = rt().block_on(async_requests(&bodies));
  EXPECT_EQ(codes, (std::vector<int>{200, 500, 200, 500, 500}));
  std::string expected = atomic ? "in transaction" : "autocommit";
  EXPECT_EQ(bodies, (std::vector<std::string>{expected, expected}));
  // Two successful creates and the 500 by status, plus the two failed ones without ATOMIC_REQUESTS.
  EXPECT_EQ(items(), atomic ? 3 : 5);
}

INSTANTIATE_TEST_SUITE_P(OnAndOff, AtomicRequests, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "atomic" : "autocommit"; });
