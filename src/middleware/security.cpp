#include "duet/middleware/security.hpp"

#include <boost/regex.hpp>

#include <cctype>

#include "duet/conf/settings.hpp"

namespace duet::middleware {

struct SecurityMiddleware::Compiled {
  std::vector<boost::regex> redirect_exempt;
};

SecurityMiddleware::SecurityMiddleware(SecurityOptions options)
    : options_(std::move(options)), compiled_(std::make_unique<Compiled>()) {
  for (const auto& pattern : options_.redirect_exempt) {
    try {
      compiled_->redirect_exempt.emplace_back(pattern, boost::regex::perl);
    } catch (const boost::regex_error& e) {
      throw conf::ImproperlyConfigured("SECURE_REDIRECT_EXEMPT has an invalid regular expression '" +
                                       pattern + "': " + e.what());
    }
  }
}

SecurityMiddleware::~SecurityMiddleware() = default;

handlers::MiddlewareSpec SecurityMiddleware::spec(SecurityOptions options, std::string name) {
  auto spec = handlers::middleware_spec<SecurityMiddleware>(std::move(name));
  spec.make = [options = std::move(options)] { return std::make_unique<SecurityMiddleware>(options); };
  return spec;
}

std::optional<http::HttpResponse> SecurityMiddleware::process_request(http::HttpRequest& request) {
  if (!options_.ssl_redirect || request.is_secure()) return std::nullopt;
  std::string_view path = request.path;
  while (path.starts_with('/'))
    path.remove_prefix(1);
  for (const auto& re : compiled_->redirect_exempt)
    if (boost::regex_search(path.begin(), path.end(), re)) return std::nullopt;
  std::string host = options_.ssl_host ? *options_.ssl_host : request.get_host();
  return http::HttpResponsePermanentRedirect("https://" + host + request.get_full_path());
}

http::HttpResponse SecurityMiddleware::process_response(http::HttpRequest& request,
                                                        http::HttpResponse response) {
  if (options_.hsts_seconds > 0 && request.is_secure() &&
      !response.headers.contains("Strict-Transport-Security")) {
    std::string sts = "max-age=" + std::to_string(options_.hsts_seconds);
    if (options_.hsts_include_subdomains) sts += "; includeSubDomains";
    if (options_.hsts_preload) sts += "; preload";
    response.headers.set("Strict-Transport-Security", sts);
  }
  if (options_.content_type_nosniff) response.headers.setdefault("X-Content-Type-Options", "nosniff");
  if (options_.browser_xss_filter) response.headers.setdefault("X-XSS-Protection", "1; mode=block");
  if (!options_.referrer_policy.empty()) {
    // Django accepts "a, b" and writes "a,b".
    std::string policy;
    std::string_view rest = options_.referrer_policy;
    for (bool first = true;; first = false) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
        item.remove_prefix(1);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
        item.remove_suffix(1);
      if (!first) policy += ',';
      policy += item;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    response.headers.setdefault("Referrer-Policy", policy);
  }
  if (!options_.cross_origin_opener_policy.empty())
    response.headers.setdefault("Cross-Origin-Opener-Policy", options_.cross_origin_opener_policy);
  return response;
}

}  // namespace duet::middleware
