#include "site.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <duet/handlers/middleware.hpp>
#include <duet/http/json_response.hpp>
#include <duet/middleware/register.hpp>
#include <duet/runtime.hpp>
#include <optional>
#include <string>

using duet::Task;
using duet::http::HttpRequest;
using duet::http::JsonResponse;
using duet::urls::path;

namespace blog {

namespace {

// ---- serializers ----

boost::json::object author_json(const Author& a) {
  return {{"id", a.pk().as_int()}, {"name", a.name.value()}, {"email", a.email.value_or("")}};
}

// Needs the author loaded (select_related, or the instance just created with it).
boost::json::object post_json(const Post& p) {
  return {{"id", p.pk().as_int()},
          {"title", p.title.value()},
          {"body", p.body.value_or("")},
          {"author", author_json(*p.author)},
          {"created", db::format_datetime(p.created.value())}};
}

JsonResponse error(std::string message, int status) {
  return JsonResponse(boost::json::object{{"error", std::move(message)}}, true, status);
}

/// A JSON object body, or nullopt.
std::optional<boost::json::object> json_object(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::optional<std::string> string_field(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) return std::nullopt;
  return std::string(v->as_string());
}

// Post fields from a request body; an error message when invalid.
struct PostInput {
  db::Values values;
  std::string error;
};
PostInput post_input(std::string_view body) {
  auto o = json_object(body);
  if (!o) return {{}, "the body must be a JSON object"};
  auto title = string_field(*o, "title");
  auto* author = o->if_contains("author");
  if (!title || !author || !author->is_int64())
    return {{}, "'title' (text) and 'author' (an id) are required"};
  return {
      {{"title", *title}, {"body", string_field(*o, "body").value_or("")}, {"author_id", author->as_int64()}},
      {}};
}

// ---- views.py: sync ----

JsonResponse authors(HttpRequest& request) {
  if (request.method == "POST") {
    auto o = json_object(request.body());
    auto name = o ? string_field(*o, "name") : std::nullopt;
    if (!name) return error("'name' is required", 400);
    if (Author::objects().filter("name", *name).exists())
      return error("an author with this name exists", 400);
    Author a = Author::objects().create({{"name", *name}, {"email", string_field(*o, "email").value_or("")}});
    return JsonResponse(author_json(a), true, 201);
  }
  boost::json::array out;
  for (const Author& a : Author::objects().all())
    out.push_back(author_json(a));
  return JsonResponse(boost::json::object{{"authors", std::move(out)}});
}

JsonResponse posts(HttpRequest& request) {
  if (request.method == "POST") {
    auto input = post_input(request.body());
    if (!input.error.empty()) return error(input.error, 400);
    auto author = input.values.back().second.as_int();
    if (!Author::objects().filter("pk", author).exists()) return error("no such author", 400);
    Post p = Post::objects().create(input.values);
    p.refresh_from_db();
    return JsonResponse(post_json(Post::objects().select_related("author").get("pk", p.pk())), true, 201);
  }
  auto qs = Post::objects().select_related("author");
  if (auto author = request.GET().get("author")) qs = qs.filter("author__name", *author);
  boost::json::array out;
  for (const Post& p : qs.slice(0, 100))
    out.push_back(post_json(p));
  return JsonResponse(boost::json::object{{"posts", std::move(out)}});
}

JsonResponse post_detail(HttpRequest& request) {
  auto id = request.resolver_match->kwarg<std::int64_t>("id");
  try {
    Post post = Post::objects().select_related("author").get("pk", id);
    auto out = post_json(post);
    boost::json::array tags;
    for (const Tag& t : post.tags())
      tags.push_back(boost::json::string(t.name.value()));
    out["tags"] = std::move(tags);
    return JsonResponse(out);
  } catch (const Post::DoesNotExist&) {
    return error("no post with id " + std::to_string(id), 404);
  }
}

// ---- views.py: async (the same, awaiting the ORM's a-twins; nothing blocks the loop) ----
// As docs/db.md says for g++ 12, every value a co_await expression uses is named first.

Task<JsonResponse> aposts(HttpRequest& request) {
  if (request.method == "POST") {
    std::string body(co_await request.abody());
    auto input = post_input(body);
    if (!input.error.empty()) co_return error(input.error, 400);
    auto author_id = input.values.back().second.as_int();
    auto author_qs = Author::objects().filter("pk", author_id);
    if (!co_await author_qs.aexists()) co_return error("no such author", 400);
    auto created = co_await Post::objects().acreate(input.values);
    auto with_author = Post::objects().select_related("author");
    auto pk = created.pk();
    auto post = co_await with_author.aget("pk", pk);
    co_return JsonResponse(post_json(post), true, 201);
  }
  auto qs = Post::objects().select_related("author").slice(0, 100);
  auto list = co_await qs.alist();
  boost::json::array out;
  for (const Post& p : list)
    out.push_back(post_json(p));
  co_return JsonResponse(boost::json::object{{"posts", std::move(out)}, {"mode", "async"}});
}

Task<JsonResponse> apost_detail(HttpRequest& request) {
  auto id = request.resolver_match->kwarg<std::int64_t>("id");
  auto qs = Post::objects().select_related("author").filter("pk", id);
  auto post = co_await qs.afirst();  // nullopt when absent: no exception to catch around a co_await
  if (!post) co_return error("no post with id " + std::to_string(id), 404);
  co_return JsonResponse(post_json(*post));
}

}  // namespace

// ---- settings.py ----

duet::conf::Settings settings() {
  duet::conf::Settings s;
  s.DEBUG = false;
  s.ALLOWED_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"};
  s.SECRET_KEY = "blog-example-key-change-me";
  s.ROOT_URLCONF = "blog.urls";
  s.MIDDLEWARE = {"duet.middleware.common.CommonMiddleware"};
  s.apply_environment();
  return s;
}

void configure_database(const std::string& database) {
  if (db::configure_from_env()) return;  // DATABASE_URL
  db::DatabaseSettings d;
  d.name = database;
  db::configure({{"default", d}});
}

// ---- urls.py ----

duet::urls::UrlPatterns urlpatterns() {
  return {
      path("authors/", authors, "authors"),
      path("posts/", posts, "posts"),
      path("posts/<int:id>/", post_detail, "post-detail"),
      path("async/posts/", aposts, "aposts"),
      path("async/posts/<int:id>/", apost_detail, "apost-detail"),
  };
}

void setup() {
  duet::conf::configure(settings());
  duet::middleware::register_builtin_middleware();
  duet::urls::register_urlconf("blog.urls", urlpatterns());
}

duet::core::management::ManagementOptions management_options() {
  duet::core::management::ManagementOptions o;
  o.program = "blog";
  o.migration_dirs["blog"] = BLOG_SOURCE_DIR "/migrations";
  return o;
}

}  // namespace blog
