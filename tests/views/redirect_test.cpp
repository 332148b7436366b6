// RedirectView through the real handler.
#include <gtest/gtest.h>

#include <duet/views/redirect.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
namespace urls = duet::urls;
using duet::views::RedirectView;

urls::UrlPatterns patterns() {
  return {
      urls::path("articles/<int:id>/", urls::View([](HttpRequest&) { return HttpResponse("article"); }),
                 "article"),
      urls::path("old/<int:id>/", RedirectView::as_view({.url = "/new/%(id)s/?x=100%%"})),
      urls::path("perm/<int:id>/", RedirectView::as_view({.url = "/new/%(id)s/", .permanent = true})),
      urls::path("named/<int:id>/", RedirectView::as_view({.pattern_name = "article", .query_string = true})),
      urls::path("plain/", RedirectView::as_view({.url = "/elsewhere/"})),
      urls::path("gone/", RedirectView::as_view()),
      urls::path("broken/<int:id>/", RedirectView::as_view({.url = "/x/%(missing)s/"})),
  };
}

class Redirect : public ::testing::TestWithParam<Chain> {};

TEST_P(Redirect, UrlIsFilledFromTheUrlArguments) {
  App app(GetParam(), patterns(), {});
  auto r = app.get("/old/7/");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(header(r, "location"), "/new/7/?x=100%");
  auto p = app.get("/perm/8/");
  EXPECT_EQ(p.status, 301);
  EXPECT_EQ(header(p, "location"), "/new/8/");
}

TEST_P(Redirect, PatternNameIsReversedAndQueryStringKeptOnlyWhenAsked) {
  App app(GetParam(), patterns(), {});
  Request req;
  req.path = "/named/5/";
  req.query_string = "a=1&b=2";
  auto r = app(req);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(header(r, "location"), "/articles/5/?a=1&b=2");
  req.path = "/plain/";
  EXPECT_EQ(header(app(req), "location"), "/elsewhere/");
}

TEST_P(Redirect, EveryMethodRedirectsAndNoUrlIsGone) {
  App app(GetParam(), patterns(), {});
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}) {
    Request req;
    req.method = method;
    req.path = "/plain/";
    EXPECT_EQ(app(req).status, 302) << method;
  }
  EXPECT_EQ(app.get("/gone/").status, 410);
  EXPECT_EQ(app.get("/broken/1/").status, 500);
}

INSTANTIATE_TEST_SUITE_P(Chains, Redirect,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
