// RedirectView (django.views.generic.base.RedirectView).
#pragma once

#include <optional>
#include <string>

#include "duet/views/view.hpp"

namespace duet::views {

/// Redirects every method to `url` or to the URL named `pattern_name`:
///
///     path("old/<int:id>/", RedirectView::as_view({.url = "/new/%(id)s/", .permanent = true}))
///     path("go/<slug:slug>/", RedirectView::as_view({.pattern_name = "article", .query_string = true}))
///
/// `url` is a Python %-format string filled from the URL's keyword arguments ("%(id)s"; "%%" is a
/// percent sign); `pattern_name` is reversed with the URL's arguments. With `query_string`, the request's
/// query string is appended. 301 if `permanent`, else 302; 410 Gone when there is no URL.
struct RedirectOptions {
  std::string url{};
  std::string pattern_name{};
  bool permanent = false;
  bool query_string = false;
};

class RedirectView : public View<RedirectView>, public RedirectOptions {
 public:
  RedirectView() = default;
  explicit RedirectView(RedirectOptions options) : RedirectOptions(std::move(options)) {}

  /// as_view({.url = ...}): the options of this URL's redirect.
  static urls::View as_view(RedirectOptions options = {}) {
    return View<RedirectView>::as_view(RedirectView(std::move(options)));
  }

  /// The target, or nullopt for 410. Throws std::invalid_argument when `url` names a missing argument
  /// (a 500, as Django's KeyError), urls::NoReverseMatch when `pattern_name` does not reverse.
  std::optional<std::string> get_redirect_url();

  http::HttpResponse get(http::HttpRequest& request);
  http::HttpResponse head(http::HttpRequest& request) { return get(request); }
  http::HttpResponse post(http::HttpRequest& request) { return get(request); }
  http::HttpResponse options(http::HttpRequest& request) { return get(request); }
  http::HttpResponse delete_(http::HttpRequest& request) { return get(request); }
  http::HttpResponse put(http::HttpRequest& request) { return get(request); }
  http::HttpResponse patch(http::HttpRequest& request) { return get(request); }
};

}  // namespace duet::views
