// Exceptions become responses: the right status, and a DEBUG page only when DEBUG is on.
#include <gtest/gtest.h>

#include "support.hpp"

using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::urls::path;

namespace {

duet::urls::UrlPatterns error_views() {
  return {
      path("404/", [](HttpRequest&) -> HttpResponse { throw duet::http::Http404("no such book"); }),
      path("403/", [](HttpRequest&) -> HttpResponse { throw duet::http::PermissionDenied(); }),
      path("400/", [](HttpRequest&) -> HttpResponse { throw duet::http::BadRequest("bad input"); }),
      path("413/", [](HttpRequest&) -> HttpResponse { throw duet::http::RequestDataTooBig(); }),
      path("500/", [](HttpRequest&) -> HttpResponse { throw std::out_of_range("index <12> out of range"); }),
      path("async500/",
           [](HttpRequest&) -> Task<HttpResponse> {
             co_await duet::sleep(std::chrono::milliseconds(1));
             throw std::logic_error("async <failure>");
           }),
      path(
          "books/<int:id>/", [](HttpRequest&) { return HttpResponse("book"); }, "book"),
  };
}

}  // namespace

TEST(Exceptions, MapToTheirStatuses) {
  duet::test::Client client(duet::handlers::get_asgi_application(duet::testing::options({}, error_views())));
  EXPECT_EQ(client.get("/404/").status_code, 404);
  EXPECT_EQ(client.get("/403/").status_code, 403);
  EXPECT_EQ(client.get("/400/").status_code, 400);
  EXPECT_EQ(client.get("/413/").status_code, 413);
  EXPECT_EQ(client.get("/500/").status_code, 500);
  EXPECT_EQ(client.get("/async500/").status_code, 500);
  EXPECT_EQ(client.get("/nowhere/").status_code, 404);
}

TEST(Exceptions, WithoutDebugThePagesRevealNothing) {
  duet::test::Client client(duet::handlers::get_asgi_application(duet::testing::options({}, error_views())));
  auto r = client.get("/500/");
  EXPECT_NE(r.content.find("Server Error (500)"), std::string::npos);
  EXPECT_EQ(r.content.find("out_of_range"), std::string::npos);
  auto nf = client.get("/nowhere/");
  EXPECT_NE(nf.content.find("The requested resource was not found on this server."), std::string::npos);
  EXPECT_EQ(nf.content.find("books/"), std::string::npos);
}

TEST(Exceptions, DebugPageShowsTheErrorEscapedAndHidesSecrets) {
  duet::test::Client client(
      duet::handlers::get_asgi_application(duet::testing::options({}, error_views(), /*debug=*/true)));
  auto r = client.get("/500/", {{"q", "<script>"}});
  EXPECT_EQ(r.status_code, 500);
  EXPECT_NE(r.content.find("std::out_of_range"), std::string::npos);
  EXPECT_NE(r.content.find("index &lt;12&gt; out of range"), std::string::npos);
  EXPECT_EQ(r.content.find("<script>"), std::string::npos);
  EXPECT_NE(r.content.find("SECRET_KEY"), std::string::npos);
  EXPECT_EQ(r.content.find("not-so-secret-but-hidden"), std::string::npos);
  EXPECT_NE(r.content.find("********************"), std::string::npos);
  auto a = client.get("/async500/");
  EXPECT_NE(a.content.find("std::logic_error"), std::string::npos);
  EXPECT_NE(a.content.find("async &lt;failure&gt;"), std::string::npos);
}

TEST(Exceptions, Debug404ListsThePatternsTried) {
  duet::test::Client client(
      duet::handlers::get_asgi_application(duet::testing::options({}, error_views(), /*debug=*/true)));
  auto r = client.get("/nowhere/");
  EXPECT_EQ(r.status_code, 404);
  EXPECT_NE(r.content.find("books/&lt;int:id&gt;/"), std::string::npos) << r.content;
  EXPECT_NE(r.content.find("didn't match any of these"), std::string::npos);
}

// Django's technical_404_response for an Http404 raised by a view: the patterns tried up to the view's own
// (request.resolver_match.tried), "matched the last one", and the view's message.
TEST(Exceptions, Debug404FromAViewListsThePatternsUpToItsOwn) {
  duet::test::Client client(
      duet::handlers::get_asgi_application(duet::testing::options({}, error_views(), /*debug=*/true)));
  auto nf = client.get("/404/");
  EXPECT_EQ(nf.status_code, 404);
  EXPECT_NE(nf.content.find("<li>404/ </li>"), std::string::npos) << nf.content;
  EXPECT_EQ(nf.content.find("403/"), std::string::npos);  // patterns after the match were not tried
  EXPECT_NE(nf.content.find("The current path, <code>404/</code>, matched the last one."), std::string::npos);
  EXPECT_NE(nf.content.find("no such book"), std::string::npos);
}
