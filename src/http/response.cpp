#include "duet/http/response.hpp"

#include <cctype>
#include <stdexcept>
#include <variant>

#include "duet/conf/settings.hpp"
#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/multipart.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/sync_to_async.hpp"

namespace duet::http {

struct HttpResponse::Stream {
  std::variant<ChunkGenerator, AsyncChunkGenerator> generator;
  bool finished = false;
};

std::string_view reason_phrase_for(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Requested Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 418:
      return "I'm a Teapot";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown Status Code";
  }
}

HttpResponse::HttpResponse(std::string content, int status, std::optional<std::string_view> content_type)
    : content_(std::move(content)) {
  set_status(status);
  if (content_type) {
    headers.set("Content-Type", *content_type);
  } else {
    headers.set("Content-Type", "text/html; charset=" + conf::settings()->DEFAULT_CHARSET);
  }
}

void HttpResponse::set_status(int status) {
  if (status < 100 || status > 599)
    throw std::invalid_argument("HTTP status code must be an integer from 100 to 599.");
  status_ = status;
}

std::string HttpResponse::reason_phrase() const {
  if (extras_.p && extras_.p->reason) return *extras_.p->reason;
  return std::string(reason_phrase_for(status_));
}

std::string HttpResponse::charset() const {
  if (auto ct = headers.get("Content-Type")) {
    auto [main, params] = parse_header_parameters(*ct);
    if (auto it = params.find("charset"); it != params.end()) return it->second;
  }
  return conf::settings()->DEFAULT_CHARSET;
}

void HttpResponse::set_cookie(std::string_view key, std::string_view value, const CookieOptions& options) {
  auto cookie = make_cookie(key, value, options);
  auto& cookies = extras().cookies;
  for (auto& c : cookies) {
    if (c.name == cookie.name) {
      c = std::move(cookie);
      return;
    }
  }
  cookies.push_back(std::move(cookie));
}

void HttpResponse::delete_cookie(std::string_view key, std::string_view path,
                                 std::optional<std::string> domain, std::optional<std::string> samesite) {
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  bool secure = key.rfind("__Secure-", 0) == 0 || key.rfind("__Host-", 0) == 0 ||
                (samesite && lower(*samesite) == "none");
  CookieOptions o;
  o.max_age = 0;
  o.expires = std::string("Thu, 01 Jan 1970 00:00:00 GMT");
  o.path = std::string(path);
  o.domain = std::move(domain);
  o.secure = secure;
  o.samesite = std::move(samesite);
  set_cookie(key, "", o);
}

std::vector<std::pair<std::string, std::string>> HttpResponse::serialize_headers() const {
  auto out = headers.items();
  for (const auto& c : cookies())
    out.emplace_back("Set-Cookie", c.output());
  return out;
}

const std::vector<ResponseCookie>& HttpResponse::cookies() const noexcept {
  static const std::vector<ResponseCookie> none;
  return extras_.p ? extras_.p->cookies : none;
}

const std::shared_ptr<DeferredRender>& HttpResponse::deferred() const noexcept {
  static const std::shared_ptr<DeferredRender> none;
  return extras_.p ? extras_.p->deferred : none;
}

const std::string& HttpResponse::content() const {
  if (stream()) throw std::logic_error("This StreamingHttpResponse instance has no `content` attribute.");
  if (!rendered_) throw std::logic_error("The response content must be rendered before it can be accessed.");
  return content_;
}

std::string HttpResponse::take_content() && {
  content();  // the same checks: not streaming, rendered
  return std::move(content_);
}

void HttpResponse::set_content(std::string content) {
  if (stream()) throw std::logic_error("This StreamingHttpResponse instance has no `content` attribute.");
  content_ = std::move(content);
  rendered_ = true;
}

void HttpResponse::set_deferred(std::shared_ptr<DeferredRender> renderer) {
  rendered_ = renderer == nullptr;
  if (renderer || extras_.p) extras().deferred = std::move(renderer);
}

HttpResponse& HttpResponse::render() {
  if (rendered_ || !deferred()) return *this;
  auto renderer = deferred();  // the renderer may replace the deferred renderer of this response
  renderer->render(*this);
  rendered_ = true;
  return *this;
}

void HttpResponse::write(std::string_view data) {
  if (stream()) throw std::logic_error("This StreamingHttpResponse instance is not writable");
  content_.append(data);
}

bool HttpResponse::is_async() const noexcept {
  const Stream* s = stream();
  return s && std::holds_alternative<AsyncChunkGenerator>(s->generator);
}

void HttpResponse::set_streaming(ChunkGenerator generator) {
  if (!generator) throw std::invalid_argument("StreamingHttpResponse needs a generator");
  extras().stream = std::make_shared<Stream>(Stream{std::move(generator)});
  content_.clear();
}

void HttpResponse::set_streaming(AsyncChunkGenerator generator) {
  if (!generator) throw std::invalid_argument("StreamingHttpResponse needs a generator");
  extras().stream = std::make_shared<Stream>(Stream{std::move(generator)});
  content_.clear();
}

std::optional<std::string> HttpResponse::next_chunk() {
  Stream* generator = stream();
  if (!generator) {
    if (!rendered_)
      throw std::logic_error("The response content must be rendered before it can be iterated over.");
    if (content_yielded_ || content_.empty()) return std::nullopt;
    content_yielded_ = true;
    return content_;
  }
  while (!generator->finished) {
    std::optional<std::string> chunk;
    if (auto* sync = std::get_if<ChunkGenerator>(&generator->generator)) {
      chunk = (*sync)();
    } else {
      auto& agen = std::get<AsyncChunkGenerator>(generator->generator);
      chunk = duet::async_to_sync([&agen]() { return agen(); });
    }
    if (!chunk) {
      generator->finished = true;
      break;
    }
    if (!chunk->empty()) return chunk;
  }
  return std::nullopt;
}

Task<std::optional<std::string>> HttpResponse::anext_chunk() {
  if (!this->stream()) co_return next_chunk();
  auto stream = extras_.p->stream;  // keeps the generator alive across suspensions
  while (!stream->finished) {
    std::optional<std::string> chunk;
    if (auto* sync = std::get_if<ChunkGenerator>(&stream->generator)) {
      chunk = co_await duet::sync_to_async([sync] { return (*sync)(); });
    } else {
      chunk = co_await std::get<AsyncChunkGenerator>(stream->generator)();
    }
    if (!chunk) {
      stream->finished = true;
      break;
    }
    if (!chunk->empty()) co_return chunk;
  }
  co_return std::nullopt;
}

std::string HttpResponse::consume() {
  std::string out;
  while (auto chunk = next_chunk())
    out += *chunk;
  return out;
}

namespace {

// The scheme urllib.parse.urlsplit would find, lower-cased ("" if none). Python drops leading C0 controls
// and spaces, and tabs/newlines anywhere, before parsing; so must we, or "java\tscript:" would slip by.
std::string url_scheme(std::string_view url) {
  std::string clean;
  std::size_t i = 0;
  while (i < url.size() && static_cast<unsigned char>(url[i]) <= 0x20)
    ++i;
  for (; i < url.size(); ++i)
    if (url[i] != '\t' && url[i] != '\r' && url[i] != '\n') clean.push_back(url[i]);
  auto colon = clean.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(clean[0])))
    return {};
  for (std::size_t k = 0; k < colon; ++k) {
    char c = clean[k];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return {};
  }
  std::string scheme = clean.substr(0, colon);
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

}  // namespace

HttpResponseRedirect::HttpResponseRedirect(std::string_view redirect_to, int status)
    : HttpResponse({}, status) {
  auto scheme = url_scheme(redirect_to);
  if (!scheme.empty() && scheme != "http" && scheme != "https" && scheme != "ftp")
    throw DisallowedRedirect("Unsafe redirect to URL with protocol '" + scheme + "'");
  headers.set("Location", iri_to_uri(redirect_to));
}

HttpResponseNotModified::HttpResponseNotModified() : HttpResponse({}, 304) {
  headers.erase("Content-Type");
}

HttpResponseNotAllowed::HttpResponseNotAllowed(const std::vector<std::string>& permitted_methods,
                                               std::string content)
    : HttpResponse(std::move(content), 405) {
  std::string allow;
  for (const auto& m : permitted_methods) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  headers.set("Allow", allow);
}

StreamingHttpResponse::StreamingHttpResponse(ChunkGenerator generator, int status,
                                             std::optional<std::string_view> content_type)
    : HttpResponse({}, status, content_type) {
  set_streaming(std::move(generator));
}

StreamingHttpResponse::StreamingHttpResponse(AsyncChunkGenerator generator, int status,
                                             std::optional<std::string_view> content_type)
    : HttpResponse({}, status, content_type) {
  set_streaming(std::move(generator));
}

}  // namespace duet::http
