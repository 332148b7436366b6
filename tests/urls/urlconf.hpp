// The URLconf both test files use: the same as the Django 3.2 one the expected values were taken from.
#pragma once

#include <string>

#include "duet/urls.hpp"

namespace urls_test {

using namespace duet::urls;

// Views are opaque to the urls layer; a string names them here.
using ViewName = std::string;

inline UrlPatterns blog_patterns() {
  return {
      path("", ViewName("index"), "index"),
      path("<int:year>/<slug:slug>/", ViewName("post"), "post"),
      re_path(R"(^archive/(?P<y>[0-9]{4})/(?:page-(?P<p>\d+)/)?$)", ViewName("arch"), "arch"),
  };
}

inline std::shared_ptr<const URLResolver> root() {
  static auto r = make_resolver({
      path("articles/<int:year>/", ViewName("year"), "year"),
      path("blog/", include(blog_patterns(), "blog")),
      path("b2/", include(blog_patterns(), "blog", "b2")),
      re_path(R"(^x/(\d+)/(\w+)/$)", ViewName("pos"), "pos"),
      path("p/<path:rest>", ViewName("p"), "p"),
      path("u/<uuid:id>/", ViewName("u"), "u"),
  });
  return r;
}

}  // namespace urls_test
