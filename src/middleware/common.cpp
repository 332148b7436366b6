#include "duet/middleware/common.hpp"

#include <boost/regex.hpp>

#include "duet/conf/settings.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/urls/resolvers.hpp"

namespace duet::middleware {

struct CommonMiddleware::Compiled {
  std::vector<boost::regex> disallowed_user_agents;
};

namespace {

boost::regex compile(const std::string& pattern, const char* setting) {
  try {
    return boost::regex(pattern, boost::regex::perl);
  } catch (const boost::regex_error& e) {
    throw conf::ImproperlyConfigured(std::string(setting) + " has an invalid regular expression '" + pattern +
                                     "': " + e.what());
  }
}

bool is_valid_path(const urls::URLResolver& resolver, std::string_view path) {
  try {
    resolver.resolve(path);
    return true;
  } catch (const urls::Resolver404&) {
    return false;
  }
}

// Django's escape_leading_slashes: "//evil.com/" would be read by a browser as another host.
std::string escape_leading_slashes(std::string url) {
  if (url.starts_with("//")) url = "/%2F" + url.substr(2);
  return url;
}

}  // namespace

CommonMiddleware::CommonMiddleware(CommonOptions options)
    : options_(std::move(options)), compiled_(std::make_unique<Compiled>()) {
  for (const auto& pattern : options_.disallowed_user_agents)
    compiled_->disallowed_user_agents.push_back(compile(pattern, "DISALLOWED_USER_AGENTS"));
}

CommonMiddleware::~CommonMiddleware() = default;

handlers::MiddlewareSpec CommonMiddleware::spec(CommonOptions options, std::string name) {
  auto spec = handlers::middleware_spec<CommonMiddleware>(std::move(name));
  spec.make = [options = std::move(options)] { return std::make_unique<CommonMiddleware>(options); };
  return spec;
}

std::shared_ptr<const urls::URLResolver> CommonMiddleware::resolver() {
  // Looked up per request, not cached: a URLconf may be registered again (tests, reloads).
  return options_.urlconf ? options_.urlconf : urls::get_resolver(settings().ROOT_URLCONF);
}

bool CommonMiddleware::should_redirect_with_slash(http::HttpRequest& request) {
  if (!settings().APPEND_SLASH || request.path_info.ends_with('/')) return false;
  auto r = resolver();
  return !is_valid_path(*r, request.path_info) && is_valid_path(*r, request.path_info + "/");
}

std::string CommonMiddleware::get_full_path_with_slash(http::HttpRequest& request) {
  std::string new_path = escape_leading_slashes(request.get_full_path(/*force_append_slash=*/true));
  if (settings().DEBUG &&
      (request.method == "POST" || request.method == "PUT" || request.method == "PATCH")) {
    throw std::runtime_error("You called this URL via " + request.method +
                             ", but the URL doesn't end in a slash and you have APPEND_SLASH set. duet can't "
                             "redirect to the slash "
                             "URL while maintaining " +
                             request.method + " data. Change your form to point to " + request.get_host() +
                             new_path +
                             " (note the trailing slash), or set APPEND_SLASH=false in your settings.");
  }
  return new_path;
}

std::optional<http::HttpResponse> CommonMiddleware::process_request(http::HttpRequest& request) {
  if (auto user_agent = request.headers.get("User-Agent")) {
    for (const auto& re : compiled_->disallowed_user_agents)
      if (boost::regex_search(*user_agent, re)) throw http::PermissionDenied("Forbidden user agent");
  }

  // Called even without PREPEND_WWW, as in Django: a Host outside ALLOWED_HOSTS is refused here (400).
  const std::string host = request.get_host();
  std::string redirect_url;
  if (settings().PREPEND_WWW && !host.empty() && !host.starts_with("www."))
    redirect_url = request.scheme() + "://www." + host;
  const std::string full_path = request.get_full_path();
  std::string path = should_redirect_with_slash(request) ? get_full_path_with_slash(request) : full_path;
  if (!redirect_url.empty() || path != full_path)
    return http::HttpResponsePermanentRedirect(redirect_url + path);
  return std::nullopt;
}

http::HttpResponse CommonMiddleware::process_response(http::HttpRequest& request,
                                                      http::HttpResponse response) {
  if (response.status_code() == 404 && should_redirect_with_slash(request))
    return http::HttpResponsePermanentRedirect(get_full_path_with_slash(request));
  if (!response.streaming() && !response.headers.contains("Content-Length"))
    response.headers.set("Content-Length", std::to_string(response.content().size()));
  return response;
}

}  // namespace duet::middleware
