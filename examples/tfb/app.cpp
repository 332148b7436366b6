#include "app.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <duet/db/backends/postgresql/pool.hpp>
#include <duet/handlers/middleware.hpp>
#include <duet/http/json_response.hpp>
#include <duet/http/response.hpp>
#include <duet/runtime.hpp>
#include <duet/runtime/gather.hpp>
#include <duet/template/engine.hpp>
#include <duet/urls.hpp>
#include <duet/views/limit_concurrency.hpp>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "models.hpp"

namespace db = duet::db;
namespace views = duet::views;
using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::http::JsonResponse;
using duet::http::JsonWriter;

namespace tfb {
namespace {

/// A row of the fortunes page. The template sees plain rows, so the added fortune and the stored ones
/// sort and render alike.
struct FortuneRow {
  std::int64_t id;
  std::string message;
};

}  // namespace
}  // namespace tfb

template <>
struct duet::templates::Expose<tfb::FortuneRow> {
  static void describe(Attributes<tfb::FortuneRow>& a) {
    a.name("Fortune").attr("id", &tfb::FortuneRow::id).attr("message", &tfb::FortuneRow::message);
  }
};

namespace tfb {
namespace {

constexpr int kWorldRows = 10000;

// TechEmpower's page, whitespace and all; the engine escapes every message.
constexpr const char* kFortunesTemplate =
    "<!DOCTYPE html>\n<html>\n<head><title>Fortunes</title></head>\n<body>\n<table>\n"
    "<tr><th>id</th><th>message</th></tr>\n"
    "{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>\n{% endfor %}"
    "</table>\n</body>\n</html>\n";

const char* const kFortunes[] = {
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \xe2\x80\x94 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \xe2\x80\x94 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0\xe3\x83\xaf\xe3\x83\xbc\xe3\x82\xaf\xe3\x81\xae\xe3\x83"
    "\x99"
    "\xe3\x83\xb3\xe3\x83\x81\xe3\x83\x9e\xe3\x83\xbc\xe3\x82\xaf",
};

/// 1..10000, from a generator per thread (loops and sync threads never share one).
std::int64_t random_number() {
  thread_local std::minstd_rand engine(std::random_device{}());
  thread_local std::uniform_int_distribution<std::int64_t> dist(1, kWorldRows);
  return dist(engine);
}

const duet::templates::Engine& engine() {
  static const duet::templates::Engine instance = [] {
    duet::templates::EngineOptions options;
    options.templates["fortunes.html"] = kFortunesTemplate;
    return duet::templates::Engine(std::move(options));
  }();
  return instance;
}

/// A world row as the raw queries read it.
struct WorldRow {
  std::int64_t id;
  std::int64_t randomNumber;
};

/// A row as TechEmpower's JSON, {"id":3217,"randomNumber":2149}, written straight into the response's text.
void write_world(JsonWriter& out, std::int64_t id, std::int64_t random_number) {
  out.begin_object().key("id").value(id).key("randomNumber").value(random_number).end_object();
}

void write_world(JsonWriter& out, const World& w) {
  write_world(out, w.id.value(), w.randomNumber.value());
}

void write_world(JsonWriter& out, const WorldRow& w) {
  write_world(out, w.id, w.randomNumber);
}

// Room for `rows` rows without growing: at most 34 bytes each with its comma, and the brackets and the slack
// a number is written with.
JsonWriter worlds_writer(std::size_t rows) {
  return JsonWriter(34 * rows + 32);
}

/// /db's answer, from the ORM's World or the raw query's WorldRow.
template <class Row>
JsonResponse world_response(const Row& w) {
  JsonWriter out = worlds_writer(1);
  write_world(out, w);
  return JsonResponse(std::move(out));
}

/// The answer of /queries and /updates.
template <class Row>
JsonResponse worlds_response(const std::vector<Row>& worlds) {
  JsonWriter out = worlds_writer(worlds.size());
  out.begin_array();
  for (const Row& w : worlds)
    write_world(out, w);
  out.end_array();
  return JsonResponse(std::move(out), /*safe=*/false);
}

int queries_param(HttpRequest& request) {
  return clamp_queries(request.GET().get("queries"));
}

// A plain function, not a coroutine around aget(): aget()'s task holds the QuerySet it runs on, so the
// temporary may go, and a coroutine frame, a resumption and a move of the row are saved.
Task<World> random_world() {
  return World::objects().filter("id", random_number()).aget();
}

// `n` rows, each its own SELECT as the rules require, run concurrently: on PostgreSQL they are pipelined on
// the loop's connection (one round trip's wait for all of them); on SQLite they queue on the flow's strand.
Task<std::vector<World>> random_worlds(int n) {
  std::vector<Task<World>> tasks;
  tasks.reserve(n);
  for (int i = 0; i < n; ++i)
    tasks.push_back(random_world());
  co_return co_await duet::gather(std::move(tasks));
}

// ---- the six test types ----

Task<HttpResponse> plaintext(HttpRequest&) {
  co_return HttpResponse("Hello, World!", 200, "text/plain");
}

Task<JsonResponse> json(HttpRequest&) {
  co_return JsonResponse(boost::json::object{{"message", "Hello, World!"}});
}

Task<JsonResponse> single_query(HttpRequest&) {
  World w = co_await random_world();
  co_return world_response(w);
}

// Each row its own SELECT, as the rules require (no IN).
Task<JsonResponse> multiple_queries(HttpRequest& request) {
  auto worlds = co_await random_worlds(queries_param(request));
  co_return worlds_response(worlds);
}

Task<HttpResponse> fortunes(HttpRequest&) {
  auto qs = Fortune::objects().all();
  std::vector<Fortune> stored = co_await qs.alist();
  std::vector<FortuneRow> rows;
  rows.reserve(stored.size() + 1);
  for (const Fortune& f : stored)
    rows.push_back({f.id.value(), f.message.value()});
  rows.push_back({0, "Additional fortune added at request time."});
  std::sort(rows.begin(), rows.end(),
            [](const FortuneRow& a, const FortuneRow& b) { return a.message < b.message; });
  duet::templates::Context context{{"fortunes", duet::templates::Value(rows)}};
  co_return HttpResponse(engine().get_template("fortunes.html")->render(context), 200,
                         "text/html; charset=utf-8");
}

// Reads each row, gives it a new number, and persists them with one batched UPDATE.
Task<JsonResponse> updates(HttpRequest& request) {
  int n = queries_param(request);
  auto worlds = co_await random_worlds(n);
  for (World& w : worlds)
    w.randomNumber = random_number();
  // Sorted by id so concurrent batches lock rows in one order.
  std::sort(worlds.begin(), worlds.end(),
            [](const World& a, const World& b) { return a.id.value() < b.id.value(); });
  JsonResponse response = worlds_response(worlds);
  std::vector<std::string> fields{"randomNumber"};
  auto all = World::objects().all();
  co_await all.abulk_update(std::move(worlds), std::move(fields));
  co_return response;
}

// ---- the same tests in raw SQL on the loop's PostgreSQL pool (what the ORM's native path costs on top) ----

namespace pg = duet::db::postgresql;

Task<pg::Pool*> loop_pool() {
  auto executor = co_await boost::asio::this_coro::executor;
  co_return &pg::loop_pool(executor, "default");
}

// A statement's text shared by every call on this thread, as the ORM shares a query shape's: the driver
// finds its prepared statement by the text's address, and no reference count is shared between loops.
template <const char* Sql>
std::shared_ptr<const std::string> shared_sql() {
  thread_local const auto text = std::make_shared<const std::string>(Sql);
  return text;
}

constexpr char kWorldSelect[] = "SELECT id, randomnumber FROM world WHERE id = $1";
constexpr char kFortuneSelect[] = "SELECT id, message FROM fortune";

// read(), not query(): an autocommit SELECT joins the other reads of the loop's turn under one sync point
// (one send and one implicit transaction for the group; docs/postgresql.md).
Task<WorldRow> raw_world(pg::Pool* pool) {
  // Named first: g++ 12 may destroy an owning temporary of a co_await expression twice (docs/runtime.md).
  auto sql = shared_sql<kWorldSelect>();
  std::vector<db::Value> params{db::Value(random_number())};
  auto result = co_await pool->read(std::move(sql), std::move(params));
  const auto& row = result.rows.at(0);
  co_return WorldRow{row.at(0).as_int(), row.at(1).as_int()};
}

Task<std::vector<WorldRow>> raw_worlds(pg::Pool* pool, int n) {
  std::vector<Task<WorldRow>> tasks;
  tasks.reserve(n);
  for (int i = 0; i < n; ++i)
    tasks.push_back(raw_world(pool));
  co_return co_await duet::gather(std::move(tasks));
}

Task<JsonResponse> raw_db(HttpRequest&) {
  auto* pool = co_await loop_pool();
  WorldRow w = co_await raw_world(pool);
  co_return world_response(w);
}

Task<JsonResponse> raw_queries(HttpRequest& request) {
  auto* pool = co_await loop_pool();
  auto worlds = co_await raw_worlds(pool, queries_param(request));
  co_return worlds_response(worlds);
}

Task<HttpResponse> raw_fortunes(HttpRequest&) {
  auto* pool = co_await loop_pool();
  auto sql = shared_sql<kFortuneSelect>();
  std::vector<db::Value> no_params;
  auto result = co_await pool->read(std::move(sql), std::move(no_params));
  std::vector<FortuneRow> rows;
  rows.reserve(result.rows.size() + 1);
  for (auto& r : result.rows)
    rows.push_back({r.at(0).as_int(), r.at(1).as_string()});
  rows.push_back({0, "Additional fortune added at request time."});
  std::sort(rows.begin(), rows.end(),
            [](const FortuneRow& a, const FortuneRow& b) { return a.message < b.message; });
  duet::templates::Context context{{"fortunes", duet::templates::Value(rows)}};
  co_return HttpResponse(engine().get_template("fortunes.html")->render(context), 200,
                         "text/html; charset=utf-8");
}

Task<JsonResponse> raw_updates(HttpRequest& request) {
  auto* pool = co_await loop_pool();
  int n = queries_param(request);
  auto worlds = co_await raw_worlds(pool, n);
  std::vector<std::pair<std::int64_t, std::int64_t>> changes;
  for (auto& w : worlds) {
    w.randomNumber = random_number();
    changes.emplace_back(w.id, w.randomNumber);
  }
  std::sort(changes.begin(), changes.end());
  // One statement: UPDATE ... FROM (VALUES ...), typed by casts, rows in id order (one lock order).
  std::string sql = "UPDATE world SET randomnumber = v.r FROM (VALUES ";
  std::vector<db::Value> params;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    sql += (i ? ", " : "") + fmt::format("(${}::int, ${}::int)", 2 * i + 1, 2 * i + 2);
    params.emplace_back(changes[i].first);
    params.emplace_back(changes[i].second);
  }
  sql += ") AS v(id, r) WHERE world.id = v.id";
  co_await pool->execute(std::move(sql), std::move(params));
  co_return worlds_response(worlds);
}

duet::conf::Settings settings() {
  duet::conf::Settings s;
  s.DEBUG = false;
  s.ALLOWED_HOSTS = {"*"};
  s.SECRET_KEY = "tfb-benchmark-key";
  s.ROOT_URLCONF = "tfb.urls";
  s.MIDDLEWARE = {};  // TechEmpower's rules: no middleware beyond what the framework needs
  s.apply_environment();
  return s;
}

/// An environment setting that counts something: unset -> nullopt; a non-negative integer (0 only when
/// `zero_ok`) -> its value; anything else ends the program with a message naming the setting.
std::optional<std::size_t> env_count(const char* name, bool zero_ok) {
  const char* text = std::getenv(name);
  if (!text) return std::nullopt;
  std::size_t n = 0;
  auto [end, error] = std::from_chars(text, text + std::strlen(text), n);
  if (error != std::errc() || *end != '\0' || (n == 0 && !zero_ok)) {
    throw std::invalid_argument(
        fmt::format("{} must be a {} integer, not '{}'", name, zero_ok ? "non-negative" : "positive", text));
  }
  return n;
}

/// /queries and /updates start every query of a request at once. TFB_FANOUT_LIMIT=n lets n such requests
/// run at once per loop (0: no limit); the others wait their turn before their queries exist. Admitted all
/// together at 256 connections, their queries' state no longer fit the caches: duet spent about twice the
/// CPU per /queries?queries=20 request (docs/views.md has the figures).
constexpr std::size_t kFanOutLimit = 16;

duet::urls::View fan_out(duet::urls::View view, const std::optional<views::LimitConcurrency>& limit) {
  return limit ? (*limit)(std::move(view)) : std::move(view);
}

}  // namespace

int clamp_queries(const std::optional<std::string>& raw) {
  if (!raw || raw->empty()) return 1;
  int n = 0;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n);
  if (ec == std::errc::result_out_of_range) return raw->front() == '-' ? 1 : 500;
  if (ec != std::errc() || end != raw->data() + raw->size()) return 1;
  return std::clamp(n, 1, 500);
}

duet::urls::UrlPatterns urlpatterns() {
  using duet::urls::path;
  std::optional<views::LimitConcurrency> limit;
  if (auto n = env_count("TFB_FANOUT_LIMIT", true).value_or(kFanOutLimit))
    limit = views::limit_concurrency(n);
  duet::urls::UrlPatterns patterns{
      path("plaintext", plaintext, "plaintext"),
      path("json", json, "json"),
      path("db", single_query, "db"),
      path("queries", fan_out(multiple_queries, limit), "queries"),
      path("fortunes", fortunes, "fortunes"),
      path("updates", fan_out(updates, limit), "updates"),
  };
  if (db::vendor_of() == "postgresql") {
    patterns.push_back(path("raw/db", raw_db, "raw-db"));
    patterns.push_back(path("raw/queries", fan_out(raw_queries, limit), "raw-queries"));
    patterns.push_back(path("raw/fortunes", raw_fortunes, "raw-fortunes"));
    patterns.push_back(path("raw/updates", fan_out(raw_updates, limit), "raw-updates"));
  }
  return patterns;
}

void setup() {
  duet::conf::configure(settings());
  if (!db::configure_from_env())
    db::configure({{"default", db::DatabaseSettings::from_url("sqlite:///tfb.sqlite3")}});
  // TFB_POOL_SIZE=n: at most n PostgreSQL connections per event loop (the pool's default otherwise), to
  // measure the pool size against TechEmpower's pages (docs/postgresql.md has the figures).
  if (auto n = env_count("TFB_POOL_SIZE", false)) {
    auto sizing = db::postgresql::pool_sizing("default");
    sizing.max_size = *n;
    sizing.min_size = std::min(sizing.min_size, *n);
    db::postgresql::set_pool_sizing("default", sizing);
  }
  duet::urls::register_urlconf("tfb.urls", urlpatterns());
}

void load_data() {
  db::SchemaEditor editor;
  auto& conn = db::connection();
  conn.execute_script("DROP TABLE IF EXISTS world; DROP TABLE IF EXISTS fortune");
  editor.create_model(World::_meta());
  editor.create_model(Fortune::_meta());
  db::transaction::atomic tx;
  std::vector<World> worlds(kWorldRows);
  for (int i = 0; i < kWorldRows; ++i) {
    worlds[i].id = i + 1;
    worlds[i].randomNumber = random_number();
  }
  World::objects().bulk_create(std::move(worlds));
  std::vector<Fortune> fortunes(std::size(kFortunes));
  for (std::size_t i = 0; i < fortunes.size(); ++i) {
    fortunes[i].id = static_cast<std::int64_t>(i + 1);
    fortunes[i].message = kFortunes[i];
  }
  Fortune::objects().bulk_create(std::move(fortunes));
}

}  // namespace tfb
