// CommonMiddleware (django.middleware.common): forbidden user agents, APPEND_SLASH and PREPEND_WWW
// redirects, Content-Length on buffered responses.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "duet/handlers/middleware.hpp"

namespace duet::urls {
class URLResolver;
}

namespace duet::middleware {

struct CommonOptions {
  /// Regexes (Perl/Python syntax) searched in the User-Agent header; a match answers 403 (Django's
  /// DISALLOWED_USER_AGENTS, which conf::Settings does not have yet). An invalid one throws
  /// conf::ImproperlyConfigured when the middleware is made.
  std::vector<std::string> disallowed_user_agents{};
  /// The URLconf APPEND_SLASH consults; by default urls::get_resolver(settings.ROOT_URLCONF).
  std::shared_ptr<const urls::URLResolver> urlconf{};
};

/// Django 3.2's CommonMiddleware. With APPEND_SLASH, a path without a trailing slash that does not resolve
/// while path + "/" does is answered with a 301 to the slashed path — before the view (process_request)
/// and again for a 404 from the view. With DEBUG, such a redirect of a POST, PUT or PATCH raises instead,
/// because the browser would drop the body. With PREPEND_WWW, a host without "www." is redirected to it.
/// Buffered responses get a Content-Length. CPU only, so it runs in either mode.
class CommonMiddleware : public handlers::Middleware {
 public:
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;

  CommonMiddleware() : CommonMiddleware(CommonOptions{}) {}
  explicit CommonMiddleware(CommonOptions options);
  ~CommonMiddleware() override;

  /// A spec for settings.MIDDLEWARE / BaseHandler::Options with these options.
  static handlers::MiddlewareSpec spec(CommonOptions options,
                                       std::string name = "duet.middleware.common.CommonMiddleware");

  std::optional<http::HttpResponse> process_request(http::HttpRequest& request) override;
  http::HttpResponse process_response(http::HttpRequest& request, http::HttpResponse response) override;

  /// True if APPEND_SLASH is on, path_info has no trailing slash, does not resolve, and path_info + "/"
  /// does.
  bool should_redirect_with_slash(http::HttpRequest& request);
  /// The full path with the slash appended, a leading "//" escaped so it cannot become another host.
  std::string get_full_path_with_slash(http::HttpRequest& request);

 private:
  struct Compiled;
  std::shared_ptr<const urls::URLResolver> resolver();
  CommonOptions options_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace duet::middleware
