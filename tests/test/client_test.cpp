// The test clients and the request factory themselves: what they send, what they keep.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/http/json_response.hpp>
#include <duet/test/client.hpp>
#include <duet/test/request_factory.hpp>
#include <duet/urls/resolvers.hpp>

using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::urls::path;

namespace {

// Echoes what the view saw.
duet::http::JsonResponse echo(HttpRequest& request) {
  boost::json::object out;
  out["method"] = request.method;
  out["path"] = request.path;
  out["query"] = request.GET().urlencode();
  out["form"] = request.POST().urlencode();
  out["body_size"] = request.method == "POST" && request.content_type == "multipart/form-data"
                         ? 0
                         : static_cast<std::int64_t>(request.body().size());
  out["cookie"] = request.COOKIES().count("session") ? request.COOKIES().at("session") : "";
  out["accept"] = request.headers.get("Accept").value_or("");
  out["secure"] = request.is_secure();
  auto files = request.FILES().getlist("upload");
  out["upload"] = files.empty() ? "" : files.front()->read();
  return duet::http::JsonResponse(out);
}

HttpResponse login(HttpRequest&) {
  HttpResponse response("logged in");
  response.set_cookie("session", "s3cr3t");
  return response;
}

HttpResponse logout(HttpRequest&) {
  HttpResponse response("logged out");
  response.delete_cookie("session");
  return response;
}

duet::asgi::Application app() {
  duet::handlers::BaseHandler::Options options;
  options.middleware = std::vector<duet::handlers::MiddlewareSpec>{};
  options.urlconf = duet::urls::make_resolver({
      path("echo/", echo),
      path("login/", login),
      path("logout/", logout),
      path("go/", [](HttpRequest&) { return duet::http::HttpResponseRedirect("/hop/"); }),
      path("hop/",
           [](HttpRequest&) { return duet::http::HttpResponsePermanentRedirect("http://testserver/echo/"); }),
  });
  auto settings = std::make_shared<duet::conf::Settings>();
  settings->ALLOWED_HOSTS = {"testserver"};
  options.settings = settings;
  return duet::handlers::get_asgi_application(options);
}

}  // namespace

TEST(Client, SendsQueryFormHeadersAndSecure) {
  duet::test::Client client(app());
  auto get =
      client
          .get("/echo/", {{"q", "a b"}, {"q", "c"}}, {.headers = {{"Accept", "text/plain"}}, .secure = true})
          .json();
  EXPECT_EQ(get.at("method"), "GET");
  EXPECT_EQ(get.at("query"), "q=a+b&q=c");
  EXPECT_EQ(get.at("accept"), "text/plain");
  EXPECT_EQ(get.at("secure"), true);
  auto post =
      client.post("/echo/", {{"name", "Ada"}}, {}, {{"upload", "a.txt", "file body", "text/plain"}}).json();
  EXPECT_EQ(post.at("form"), "name=Ada");
  EXPECT_EQ(post.at("upload"), "file body");
  auto json = client.post_json("/echo/", boost::json::object{{"x", 1}}).json();
  EXPECT_EQ(json.at("body_size"), 7);
  EXPECT_EQ(client.put("/echo/", "12345").json().at("body_size"), 5);
  EXPECT_EQ(client.delete_("/echo/").json().at("method"), "DELETE");
  auto head = client.head("/echo/");
  EXPECT_EQ(head.status_code, 200);
}

TEST(Client, KeepsCookiesLikeABrowser) {
  duet::test::Client client(app());
  client.get("/login/");
  EXPECT_EQ(client.cookies().at("session"), "s3cr3t");
  EXPECT_EQ(client.get("/echo/").json().at("cookie"), "s3cr3t");
  client.get("/logout/");
  EXPECT_EQ(client.cookies().count("session"), 0u);
  EXPECT_EQ(client.get("/echo/").json().at("cookie"), "");
}

TEST(Client, FollowsRedirectsWhenAsked) {
  duet::test::Client client(app());
  auto once = client.get("/go/");
  EXPECT_EQ(once.status_code, 302);
  EXPECT_EQ(once.url(), "/hop/");
  auto followed = client.get("/go/", {}, {.follow = true});
  EXPECT_EQ(followed.status_code, 200);
  ASSERT_EQ(followed.redirect_chain.size(), 2u);
  EXPECT_EQ(followed.redirect_chain[0], (std::pair<std::string, int>{"/hop/", 302}));
  EXPECT_EQ(followed.redirect_chain[1], (std::pair<std::string, int>{"/echo/", 301}));
}

TEST(Client, JsonRefusesANonJsonResponse) {
  duet::test::Client client(app());
  EXPECT_THROW(client.get("/login/").json(), std::invalid_argument);
  EXPECT_THROW(client.get("/login/")["X-Missing"], std::out_of_range);
}

TEST(RequestFactory, MakesRequestsForCallingAViewDirectly) {
  duet::test::RequestFactory factory(
      std::vector<std::pair<std::string, std::string>>{{"Accept", "application/json"}});
  auto request = factory.get("/echo/", {{"page", "2"}});
  auto response = echo(request);
  auto json = boost::json::parse(response.content()).as_object();
  EXPECT_EQ(json.at("query"), "page=2");
  EXPECT_EQ(json.at("accept"), "application/json");
  auto post = factory.post("/echo/", {{"a", "1"}, {"a", "2"}});
  EXPECT_EQ(post.POST().getlist("a"), (std::vector<std::string>{"1", "2"}));
  auto put = factory.put("/echo/", "raw", "text/plain");
  EXPECT_EQ(put.body(), "raw");
  EXPECT_EQ(put.content_type, "text/plain");
}
