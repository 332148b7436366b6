// SecurityMiddleware (django.middleware.security): HTTPS redirect, HSTS and the protective headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "duet/handlers/middleware.hpp"

namespace duet::middleware {

/// Django's SECURE_* settings with Django 3.2's defaults (conf::Settings does not have them yet).
struct SecurityOptions {
  /// SECURE_HSTS_SECONDS: 0 sends no Strict-Transport-Security.
  std::int64_t hsts_seconds = 0;
  bool hsts_include_subdomains = false;  // SECURE_HSTS_INCLUDE_SUBDOMAINS
  bool hsts_preload = false;             // SECURE_HSTS_PRELOAD
  bool content_type_nosniff = true;      // SECURE_CONTENT_TYPE_NOSNIFF
  bool browser_xss_filter = false;       // SECURE_BROWSER_XSS_FILTER
  bool ssl_redirect = false;             // SECURE_SSL_REDIRECT
  /// SECURE_SSL_HOST: the host to redirect to; by default the request's.
  std::optional<std::string> ssl_host{};
  /// SECURE_REDIRECT_EXEMPT: regexes searched in the path without its leading '/'.
  std::vector<std::string> redirect_exempt{};
  /// SECURE_REFERRER_POLICY: a comma-separated list of policies; empty sends none.
  std::string referrer_policy = "same-origin";
  /// SECURE_CROSS_ORIGIN_OPENER_POLICY (Django 4.0+): empty (the 3.2 behaviour) sends none.
  std::string cross_origin_opener_policy{};
};

/// Django's SecurityMiddleware. CPU only, so it runs in either mode.
class SecurityMiddleware : public handlers::Middleware {
 public:
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;

  SecurityMiddleware() : SecurityMiddleware(SecurityOptions{}) {}
  /// Throws conf::ImproperlyConfigured for an invalid redirect_exempt regex.
  explicit SecurityMiddleware(SecurityOptions options);
  ~SecurityMiddleware() override;

  static handlers::MiddlewareSpec spec(SecurityOptions options,
                                       std::string name = "duet.middleware.security.SecurityMiddleware");

  std::optional<http::HttpResponse> process_request(http::HttpRequest& request) override;
  http::HttpResponse process_response(http::HttpRequest& request, http::HttpResponse response) override;

 private:
  struct Compiled;
  SecurityOptions options_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace duet::middleware
