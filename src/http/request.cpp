#include "duet/http/request.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <tuple>

#include "duet/http/cookies.hpp"
#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/multipart.hpp"

namespace duet::http {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

bool is_same_domain(std::string_view host, std::string pattern) {
  if (pattern.empty()) return false;
  for (auto& c : pattern)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (pattern[0] == '.') {
    return (host.size() >= pattern.size() && host.substr(host.size() - pattern.size()) == pattern) ||
           host == std::string_view(pattern).substr(1);
  }
  return host == pattern;
}

// host_validation_re = ^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9\.:]+\])(:\d+)?$ on the lower-cased host.
bool valid_host_syntax(std::string_view h) {
  std::size_t i = 0;
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    if (close == std::string_view::npos) return false;
    auto inner = h.substr(1, close - 1);
    auto colon = inner.find(':');
    if (colon == std::string_view::npos) return false;
    for (std::size_t k = 0; k < colon; ++k)
      if (!std::isxdigit(static_cast<unsigned char>(inner[k])) ||
          std::isupper(static_cast<unsigned char>(inner[k])))
        return false;
    auto tail = inner.substr(colon + 1);
    if (tail.empty()) return false;
    for (char c : tail)
      if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') || c == '.' || c == ':'))
        return false;
    i = close + 1;
  } else {
    while (i < h.size() && (std::islower(static_cast<unsigned char>(h[i])) ||
                            std::isdigit(static_cast<unsigned char>(h[i])) || h[i] == '.' || h[i] == '-'))
      ++i;
    if (i == 0) return false;
  }
  if (i == h.size()) return true;
  if (h[i] != ':' || i + 1 == h.size()) return false;
  for (std::size_t k = i + 1; k < h.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(h[k]))) return false;
  return true;
}

}  // namespace

std::pair<std::string, std::string> split_domain_port(std::string_view host_in) {
  std::string host(host_in);
  for (auto& c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!valid_host_syntax(host)) return {};
  if (host.back() == ']') return {host, ""};
  std::string domain = host, port;
  if (auto colon = host.rfind(':'); colon != std::string::npos) {
    domain = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  return {domain, port};
}

bool validate_host(std::string_view host, const std::vector<std::string>& allowed_hosts) {
  for (const auto& pattern : allowed_hosts)
    if (pattern == "*" || is_same_domain(host, pattern)) return true;
  return false;
}

// What Django computes on first use. Few requests read more than one or two of these, so they cost a request
// that reads none of them one pointer rather than ~400 bytes to construct and destroy.
struct HttpRequest::Lazy {
  std::optional<QueryDict> get;
  std::optional<QueryDict> post;
  std::optional<MultiValueDict<std::shared_ptr<UploadedFile>>> files;
  std::optional<std::map<std::string, std::string>> cookies;
  std::optional<std::map<std::string, std::string>> meta;
  std::optional<std::string> body;
};

HttpRequest::Lazy& HttpRequest::lazy() {
  if (!lazy_) lazy_ = std::make_unique<Lazy>();
  return *lazy_;
}

namespace {

// The full path (root_path + path_info) of a request to `full` under the mount point `root`.
std::string full_path_of(std::string_view full, std::string_view root) {
  if (root.empty()) return std::string(full);
  std::string pi(full.starts_with(root) ? full.substr(root.size()) : full);
  while (!root.empty() && root.back() == '/')
    root.remove_suffix(1);
  if (auto slash = pi.find('/'); slash != std::string::npos) pi.erase(slash, 1);
  std::string out;
  out.reserve(root.size() + 1 + pi.size());
  return out.append(root).append("/").append(pi);
}

// The path the URL resolver sees: `full` without the mount point.
std::string path_info_of(std::string_view full, std::string_view root) {
  if (!root.empty() && full.starts_with(root)) full.remove_prefix(root.size());
  if (full.empty()) return "/";  // Django: a request to the mount point itself
  return std::string(full);
}

}  // namespace

// Each member is built from the parts in place (not default-built, then assigned).
HttpRequest::HttpRequest(RequestParts&& parts, std::shared_ptr<const conf::Settings> settings)
    : method(std::move(parts.method)),
      path(full_path_of(parts.path, parts.root_path)),
      path_info(path_info_of(parts.path, parts.root_path)),
      headers(std::move(parts.headers)),
      settings_(settings ? std::move(settings) : conf::settings()),
      parts_{std::move(parts.scheme), std::move(parts.root_path), std::move(parts.query_string),
             std::move(parts.client), std::move(parts.server),    std::move(parts.body)} {
  finish_construction();
}

HttpRequest HttpRequest::from_view(RequestPartsView&& parts, std::shared_ptr<const conf::Settings> settings) {
  return HttpRequest(Borrowed{}, std::move(parts), std::move(settings));
}

HttpRequest::HttpRequest(Borrowed, RequestPartsView&& parts, std::shared_ptr<const conf::Settings> settings)
    : method(parts.method),
      path(full_path_of(parts.path, parts.root_path)),
      path_info(path_info_of(parts.path, parts.root_path)),
      headers(std::move(parts.headers)),
      settings_(settings ? std::move(settings) : conf::settings()),
      parts_{std::string(parts.scheme),
             std::string(parts.root_path),
             std::string(parts.query_string),
             std::nullopt,
             std::nullopt,
             std::move(parts.body)} {
  // Piecewise: the host is built in the pair, not built and then moved there.
  if (parts.client) {
    parts_.client.emplace(std::piecewise_construct, std::forward_as_tuple(parts.client->first),
                          std::forward_as_tuple(parts.client->second));
  }
  if (parts.server) {
    parts_.server.emplace(std::piecewise_construct, std::forward_as_tuple(parts.server->first),
                          std::forward_as_tuple(parts.server->second));
  }
  finish_construction();
}

void HttpRequest::finish_construction() {
  for (auto& c : method)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (auto ct = headers.get("content-type")) {
    auto [main, params] = parse_header_parameters(*ct);
    content_type = std::move(main);
    content_params = std::move(params);
  }
  auto charset = content_params.empty() ? content_params.end() : content_params.find("charset");
  encoding = charset != content_params.end() ? charset->second : settings_->DEFAULT_CHARSET;
}

HttpRequest::HttpRequest(HttpRequest&&) noexcept = default;
HttpRequest::~HttpRequest() = default;

std::map<std::string, std::string>& HttpRequest::META() {
  Lazy& computed = lazy();
  if (!computed.meta) {
    auto& m = computed.meta.emplace();
    for (const auto& [name, value] : headers.items())
      m[HttpHeaders::to_meta_key(name)] = value;
    m["REQUEST_METHOD"] = method;
    m["QUERY_STRING"] = parts_.query_string;
    m["SCRIPT_NAME"] = parts_.root_path;
    m["PATH_INFO"] = path_info;
    if (parts_.client) {
      m["REMOTE_ADDR"] = parts_.client->first;
      m["REMOTE_HOST"] = parts_.client->first;
      m["REMOTE_PORT"] = std::to_string(parts_.client->second);
    }
    if (parts_.server) {
      m["SERVER_NAME"] = parts_.server->first;
      m["SERVER_PORT"] = std::to_string(parts_.server->second);
    } else {
      m["SERVER_NAME"] = "unknown";
      m["SERVER_PORT"] = "0";
    }
    m["wsgi.url_scheme"] = parts_.scheme;
  }
  return *computed.meta;
}

std::string HttpRequest::scheme() {
  if (const auto& proxy = settings_->SECURE_PROXY_SSL_HEADER) {
    auto& m = META();
    if (auto it = m.find(proxy->first); it != m.end()) return it->second == proxy->second ? "https" : "http";
  }
  return parts_.scheme;
}

const QueryDict& HttpRequest::GET() {
  Lazy& computed = lazy();
  if (!computed.get)
    computed.get.emplace(parts_.query_string, false, settings_->DATA_UPLOAD_MAX_NUMBER_FIELDS);
  return *computed.get;
}

const std::map<std::string, std::string>& HttpRequest::COOKIES() {
  Lazy& computed = lazy();
  if (!computed.cookies) computed.cookies = parse_cookie(headers.get("cookie", ""));
  return *computed.cookies;
}

void HttpRequest::check_body_limit(std::size_t size) const {
  if (settings_->DATA_UPLOAD_MAX_MEMORY_SIZE && size > *settings_->DATA_UPLOAD_MAX_MEMORY_SIZE)
    throw RequestDataTooBig();
}

// Shared by body() and abody(): the body is still there to read, and its announced length is allowed.
void HttpRequest::check_body_readable() const {
  if (read_started_)
    throw RawPostDataException("You cannot access body after reading from request's data stream");
  if (auto cl = headers.get("content-length")) {
    std::size_t n = 0;
    try {
      n = std::stoull(*cl);
    } catch (const std::exception&) {
      n = 0;
    }
    check_body_limit(n);
  }
}

const std::string& HttpRequest::body() {
  Lazy& computed = lazy();
  if (computed.body) return *computed.body;
  check_body_readable();
  std::string data;
  if (parts_.body) {
    std::vector<char> chunk(kReadChunk);  // heap: sync threads may have small stacks
    for (;;) {
      auto n = parts_.body->read(std::span<char>(chunk));
      if (n == 0) break;
      data.append(chunk.data(), n);
      check_body_limit(data.size());
    }
  }
  read_started_ = true;
  computed.body = std::move(data);
  return *computed.body;
}

Task<std::string_view> HttpRequest::abody() {
  Lazy& computed = lazy();
  if (computed.body) co_return *computed.body;
  check_body_readable();
  std::string data;
  if (parts_.body) {
    std::vector<char> chunk(kReadChunk);
    for (;;) {
      auto n = co_await parts_.body->aread(std::span<char>(chunk));
      if (n == 0) break;
      data.append(chunk.data(), n);
      check_body_limit(data.size());
    }
  }
  read_started_ = true;
  computed.body = std::move(data);
  co_return *computed.body;
}

std::size_t HttpRequest::read(std::span<char> dst) {
  read_started_ = true;
  return parts_.body ? parts_.body->read(dst) : 0;
}

Task<std::size_t> HttpRequest::aread(std::span<char> dst) {
  read_started_ = true;
  if (!parts_.body) co_return 0;
  co_return co_await parts_.body->aread(dst);
}

// Fills POST/FILES from the body already in memory.
void HttpRequest::parse_loaded_body() {
  Lazy& computed = lazy();
  if (content_type == "multipart/form-data") {
    if (computed.body->empty()) {
      computed.post.emplace();
      computed.post->freeze();
      computed.files.emplace();
      return;
    }
    MultiPartParser parser(headers.get("content-type", ""), *settings_, upload_handler_factory);
    parser.feed(*computed.body);
    auto form = parser.finish();
    computed.post = std::move(form.post);
    computed.files = std::move(form.files);
  } else if (content_type == "application/x-www-form-urlencoded") {
    computed.post.emplace(*computed.body, false, settings_->DATA_UPLOAD_MAX_NUMBER_FIELDS);
    computed.files.emplace();
  } else {
    computed.post.emplace();
    computed.post->freeze();
    computed.files.emplace();
  }
}

void HttpRequest::load_post_sync() {
  Lazy& computed = lazy();
  if (computed.post) return;
  auto empty = [&computed] {
    computed.post.emplace();
    computed.post->freeze();
    computed.files.emplace();
  };
  if (method != "POST") return empty();
  if (read_started_ && !computed.body) return empty();  // Django: the stream was consumed by the view
  if (content_type == "multipart/form-data" && !computed.body) {
    // Stream the body through the parser so file data never has to fit in memory.
    MultiPartParser parser(headers.get("content-type", ""), *settings_, upload_handler_factory);
    read_started_ = true;
    bool any = false;
    if (parts_.body) {
      std::vector<char> chunk(kReadChunk);
      for (;;) {
        auto n = parts_.body->read(std::span<char>(chunk));
        if (n == 0) break;
        any = true;
        parser.feed(std::string_view(chunk.data(), n));
      }
    }
    if (!any) return empty();
    auto form = parser.finish();
    computed.post = std::move(form.post);
    computed.files = std::move(form.files);
    return;
  }
  body();
  parse_loaded_body();
}

Task<void> HttpRequest::aload_post() {
  Lazy& computed = lazy();
  if (computed.post) co_return;
  if (method != "POST" || (read_started_ && !computed.body)) {
    load_post_sync();
    co_return;
  }
  if (content_type == "multipart/form-data" && !computed.body) {
    MultiPartParser parser(headers.get("content-type", ""), *settings_, upload_handler_factory);
    read_started_ = true;
    bool any = false;
    if (parts_.body) {
      std::vector<char> chunk(kReadChunk);
      for (;;) {
        auto n = co_await parts_.body->aread(std::span<char>(chunk));
        if (n == 0) break;
        any = true;
        parser.feed(std::string_view(chunk.data(), n));
      }
    }
    if (!any) {
      computed.post.emplace();
      computed.post->freeze();
      computed.files.emplace();
      co_return;
    }
    auto form = parser.finish();
    computed.post = std::move(form.post);
    computed.files = std::move(form.files);
    co_return;
  }
  co_await abody();
  parse_loaded_body();
}

const QueryDict& HttpRequest::POST() {
  load_post_sync();
  return *lazy().post;
}

const MultiValueDict<std::shared_ptr<UploadedFile>>& HttpRequest::FILES() {
  load_post_sync();
  return *lazy().files;
}

std::string HttpRequest::get_port() {
  auto& m = META();
  if (settings_->USE_X_FORWARDED_PORT) {
    if (auto it = m.find("HTTP_X_FORWARDED_PORT"); it != m.end()) return it->second;
  }
  return m["SERVER_PORT"];
}

std::string HttpRequest::get_host() {
  auto& m = META();
  std::string host;
  if (settings_->USE_X_FORWARDED_HOST && m.count("HTTP_X_FORWARDED_HOST")) {
    host = m["HTTP_X_FORWARDED_HOST"];
  } else if (m.count("HTTP_HOST")) {
    host = m["HTTP_HOST"];
  } else {
    host = m["SERVER_NAME"];
    auto port = get_port();
    if (port != (is_secure() ? "443" : "80")) host += ":" + port;
  }
  auto allowed = settings_->ALLOWED_HOSTS;
  if (settings_->DEBUG && allowed.empty()) allowed = {".localhost", "127.0.0.1", "[::1]"};
  auto [domain, port] = split_domain_port(host);
  if (!domain.empty() && validate_host(domain, allowed)) return host;
  std::string msg = "Invalid HTTP_HOST header: '" + host + "'.";
  if (!domain.empty()) {
    msg += " You may need to add '" + domain + "' to ALLOWED_HOSTS.";
  } else {
    msg += " The domain name provided is not valid according to RFC 1034/1035.";
  }
  throw DisallowedHost(msg);
}

std::string HttpRequest::full_path(std::string_view p, bool force_append_slash) {
  std::string out = escape_uri_path(p);
  if (force_append_slash && (p.empty() || p.back() != '/')) out += "/";
  const auto& qs = parts_.query_string;
  if (!qs.empty()) out += "?" + iri_to_uri(qs);
  return out;
}

std::string HttpRequest::get_full_path(bool force_append_slash) {
  return full_path(path, force_append_slash);
}
std::string HttpRequest::get_full_path_info(bool force_append_slash) {
  return full_path(path_info, force_append_slash);
}

std::string HttpRequest::build_absolute_uri(std::optional<std::string_view> location) {
  std::string scheme_host = scheme() + "://" + get_host();
  if (!location) return iri_to_uri(scheme_host + get_full_path());
  std::string loc(*location);
  auto ref = boost::urls::parse_uri_reference(loc);
  if (ref && ref->has_scheme() && ref->has_authority()) return iri_to_uri(loc);
  bool simple = !loc.empty() && loc[0] == '/' && (loc.size() < 2 || loc[1] != '/') &&
                loc.find("/./") == std::string::npos && loc.find("/../") == std::string::npos;
  if (simple || !ref) return iri_to_uri(scheme_host + loc);
  std::string base_text = scheme_host + escape_uri_path(path);
  auto base = boost::urls::parse_uri(base_text);
  if (!base) return iri_to_uri(scheme_host + loc);
  boost::urls::url dest;
  if (!boost::urls::resolve(*base, *ref, dest)) return iri_to_uri(scheme_host + loc);
  return iri_to_uri(std::string(dest.buffer()));
}

int status_for_exception(std::exception_ptr error) noexcept {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const HttpException& e) {
    return e.status_code();
  } catch (...) {
  }
  return 500;
}

}  // namespace duet::http
