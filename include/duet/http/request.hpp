// HttpRequest (django.http.HttpRequest), built from server-neutral parts.
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "duet/conf/settings.hpp"
#include "duet/http/body.hpp"
#include "duet/http/headers.hpp"
#include "duet/http/multivaluedict.hpp"
#include "duet/http/querydict.hpp"
#include "duet/http/uploadedfile.hpp"
#include "duet/runtime/task.hpp"

namespace duet::urls {
class ResolverMatch;
}

namespace duet::http {

/// What a server (or a test client) knows about a request, in neutral form (close to an ASGI HTTP scope).
struct RequestParts {
  std::string method = "GET";
  std::string scheme = "http";
  /// The percent-decoded path, including root_path (ASGI "path").
  std::string path = "/";
  /// The mount point (ASGI "root_path", CGI SCRIPT_NAME), "" at the root.
  std::string root_path{};
  /// The raw query string, without '?'.
  std::string query_string{};
  /// Header pairs as received, in order.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::optional<std::pair<std::string, std::uint16_t>> client{};
  std::optional<std::pair<std::string, std::uint16_t>> server{};
  /// The body; null means empty.
  std::shared_ptr<BodySource> body{};
};

/// The same parts borrowed from a server that keeps its own copy of them (an ASGI scope): each string is
/// then copied once, straight into the request, instead of into RequestParts and moved from there (seven
/// string moves a request). The headers are owned: the request keeps them as they are.
struct RequestPartsView {
  std::string_view method = "GET";
  std::string_view scheme = "http";
  std::string_view path = "/";
  std::string_view root_path{};
  std::string_view query_string{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::optional<std::pair<std::string_view, std::uint16_t>> client{};
  std::optional<std::pair<std::string_view, std::uint16_t>> server{};
  std::shared_ptr<BodySource> body{};
};

/// A request. Plain attributes are data members (method, path, path_info, headers, content_type, ...);
/// what Django computes lazily is a member function: GET(), POST(), COOKIES(), FILES(), META(), body(),
/// scheme(). Reading the form or body may block on a streaming body source: async code calls
/// `co_await aload_post()` / `co_await abody()` first, after which the sync accessors do not block.
class HttpRequest {
 public:
  explicit HttpRequest(RequestParts&& parts,
                       std::shared_ptr<const conf::Settings> settings = conf::settings());
  explicit HttpRequest(const RequestParts& parts,
                       std::shared_ptr<const conf::Settings> settings = conf::settings())
      : HttpRequest(RequestParts(parts), std::move(settings)) {}
  /// From borrowed parts. A named function, not a constructor: a braced list of parts would otherwise fit
  /// both RequestParts and RequestPartsView.
  static HttpRequest from_view(RequestPartsView&& parts,
                               std::shared_ptr<const conf::Settings> settings = conf::settings());
  HttpRequest(HttpRequest&&) noexcept;
  ~HttpRequest();

  std::string method;
  /// Full path (root_path + path_info), decoded.
  std::string path;
  /// The path the URL resolver sees: without root_path.
  std::string path_info;
  HttpHeaders headers;
  /// Main Content-Type value, lower-cased ("multipart/form-data"), and its parameters.
  std::string content_type;
  std::map<std::string, std::string> content_params;
  /// Charset from Content-Type, else DEFAULT_CHARSET.
  std::string encoding;
  /// Set by the handler once the URL resolved.
  std::shared_ptr<const urls::ResolverMatch> resolver_match;
  /// Values middleware attaches to the request (Django sets attributes: request.user, request.session, ...).
  std::unordered_map<std::string, std::any> attrs;
  /// Replaces the default upload handler (before FILES()/POST() is first read).
  UploadHandlerFactory upload_handler_factory;

  const conf::Settings& settings() const noexcept { return *settings_; }

  /// "https" or "http", honouring SECURE_PROXY_SSL_HEADER.
  std::string scheme();
  bool is_secure() { return scheme() == "https"; }

  const QueryDict& GET();
  /// Form data of a POST request (urlencoded or multipart); empty for other methods and content types.
  /// Throws RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError.
  const QueryDict& POST();
  const MultiValueDict<std::shared_ptr<UploadedFile>>& FILES();
  const std::map<std::string, std::string>& COOKIES();
  /// CGI-style variables: HTTP_* headers, CONTENT_TYPE, CONTENT_LENGTH, REQUEST_METHOD, QUERY_STRING,
  /// PATH_INFO, SCRIPT_NAME, REMOTE_ADDR, REMOTE_PORT, SERVER_NAME, SERVER_PORT. Mutable, as in Django.
  std::map<std::string, std::string>& META();

  /// The whole body, read on first use; over DATA_UPLOAD_MAX_MEMORY_SIZE throws RequestDataTooBig; after the
  /// body was consumed as a stream throws RawPostDataException.
  const std::string& body();
  Task<std::string_view> abody();
  /// Reads the form data (and files) without blocking the loop; POST()/FILES() then return it.
  Task<void> aload_post();

  /// Streaming access to the body (Django's request.read()): 0 at the end.
  std::size_t read(std::span<char> dst);
  Task<std::size_t> aread(std::span<char> dst);

  /// Host (and port) from X-Forwarded-Host (if USE_X_FORWARDED_HOST), Host, or SERVER_NAME/PORT, validated
  /// against ALLOWED_HOSTS (with DEBUG and an empty list: localhost forms). Throws DisallowedHost.
  std::string get_host();
  std::string get_port();
  /// Path and query string, escaped ("/caf%C3%A9/?q=1").
  std::string get_full_path(bool force_append_slash = false);
  std::string get_full_path_info(bool force_append_slash = false);
  /// Absolute URI for `location` (default: this request's full path), resolved against this request.
  std::string build_absolute_uri(std::optional<std::string_view> location = std::nullopt);

 private:
  void load_post_sync();
  void parse_loaded_body();
  void check_body_limit(std::size_t size) const;
  void check_body_readable() const;
  std::string full_path(std::string_view p, bool force_append_slash);

  /// What the constructors leave of the parts (method, path and headers become public members).
  struct Origin {
    std::string scheme;
    std::string root_path;
    std::string query_string;
    std::optional<std::pair<std::string, std::uint16_t>> client;
    std::optional<std::pair<std::string, std::uint16_t>> server;
    std::shared_ptr<BodySource> body;
  };
  struct Borrowed {};
  HttpRequest(Borrowed, RequestPartsView&& parts, std::shared_ptr<const conf::Settings> settings);
  void finish_construction();

  std::shared_ptr<const conf::Settings> settings_;
  Origin parts_;
  struct Lazy;  // GET, POST, FILES, COOKIES, META and body once computed
  Lazy& lazy();
  std::unique_ptr<Lazy> lazy_;
  bool read_started_ = false;
};

/// Django's split_domain_port: ("example.com", "8000") for "Example.com:8000"; ("", "") if malformed.
std::pair<std::string, std::string> split_domain_port(std::string_view host);
/// Django's validate_host: `host` (a domain from split_domain_port) matches a pattern ("*", ".example.com",
/// "example.com").
bool validate_host(std::string_view host, const std::vector<std::string>& allowed_hosts);

}  // namespace duet::http
