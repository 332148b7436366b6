// HttpResponse and its family (django.http.response). A response is a value: every subclass only sets
// fields in its constructor, so a view returning HttpResponse can return any of them without losing data.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/http/cookies.hpp"
#include "duet/http/headers.hpp"
#include "duet/runtime/task.hpp"

namespace duet::http {

/// A sync chunk generator: returns the next chunk, std::nullopt at the end.
using ChunkGenerator = std::function<std::optional<std::string>()>;
/// An async chunk generator: each call returns a task producing the next chunk, std::nullopt at the end.
using AsyncChunkGenerator = std::function<Task<std::optional<std::string>>()>;

class HttpResponse;

/// Content produced later, after the middleware's process_template_response hooks (the template layer's
/// TemplateResponse). The handler renders a response that has one before returning it.
class DeferredRender {
 public:
  virtual ~DeferredRender() = default;
  /// Sets the response's content (called once, by HttpResponse::render()).
  virtual void render(HttpResponse& response) = 0;
};

/// The standard reason phrase for `status` ("Unknown Status Code" if none).
std::string_view reason_phrase_for(int status) noexcept;

class HttpResponse {
 public:
  /// content_type defaults to "text/html; charset=<DEFAULT_CHARSET>". Throws std::invalid_argument for a
  /// status outside 100..599.
  explicit HttpResponse(std::string content = {}, int status = 200,
                        std::optional<std::string_view> content_type = std::nullopt);

  int status_code() const noexcept { return status_; }
  void set_status(int status);
  /// The custom phrase if set, else the standard one.
  std::string reason_phrase() const;
  void set_reason_phrase(std::string phrase) { extras().reason = std::move(phrase); }
  /// The charset of Content-Type, else DEFAULT_CHARSET.
  std::string charset() const;

  ResponseHeaders headers;

  /// Django's set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite); a cookie of
  /// the same name replaces the earlier one.
  void set_cookie(std::string_view key, std::string_view value = "", const CookieOptions& options = {});
  /// Expires the cookie; Secure is set for __Secure-/__Host- names and SameSite=None, as Django does.
  void delete_cookie(std::string_view key, std::string_view path = "/",
                     std::optional<std::string> domain = std::nullopt,
                     std::optional<std::string> samesite = std::nullopt);
  const std::vector<ResponseCookie>& cookies() const noexcept;

  /// Headers to send, Set-Cookie lines included, in order.
  std::vector<std::pair<std::string, std::string>> serialize_headers() const;

  // ---- deferred rendering (TemplateResponse) ----
  /// The renderer of a deferred response, kept after rendering (it holds the template name and context);
  /// null for an ordinary response. Copies of a response share it.
  const std::shared_ptr<DeferredRender>& deferred() const noexcept;
  /// Makes the response deferred: is_rendered() is false until render() or set_content().
  void set_deferred(std::shared_ptr<DeferredRender> renderer);
  bool is_rendered() const noexcept { return rendered_; }
  /// Renders a deferred response; a no-op when already rendered (Django's SimpleTemplateResponse.render()).
  HttpResponse& render();

  // ---- buffered content (not for streaming responses: those throw std::logic_error; nor for a deferred
  // response before render(): Django's ContentNotRenderedError) ----
  const std::string& content() const;
  /// Moves the content out, leaving it empty (for the handler handing a finished response to the server).
  std::string take_content() &&;
  void set_content(std::string content);
  void write(std::string_view data);

  // ---- streaming ----
  bool streaming() const noexcept { return stream() != nullptr; }
  /// True if the streaming content comes from an async generator.
  bool is_async() const noexcept;
  /// The next non-empty chunk, std::nullopt at the end. An async generator is driven through
  /// duet::async_to_sync (so this is for sync threads); a buffered response yields its content once.
  std::optional<std::string> next_chunk();
  /// The async twin: an async generator is awaited directly; a sync one runs chunk by chunk through
  /// duet::sync_to_async, so the loop never blocks and nothing is buffered whole.
  Task<std::optional<std::string>> anext_chunk();
  /// Reads the whole streaming content (tests, small responses).
  std::string consume();

 protected:
  void set_streaming(ChunkGenerator generator);
  void set_streaming(AsyncChunkGenerator generator);

 private:
  struct Stream;
  // What few responses have, kept out of line: a response is moved four or five times on its way from a
  // view to the server, and each move and destruction touches only what is inline.
  struct Extras {
    std::optional<std::string> reason;
    std::vector<ResponseCookie> cookies;
    std::shared_ptr<Stream> stream;
    std::shared_ptr<DeferredRender> deferred;
  };
  // A unique_ptr that copies what it points to, so that HttpResponse stays a copyable value.
  struct ExtrasPtr {
    std::unique_ptr<Extras> p;
    ExtrasPtr() = default;
    ExtrasPtr(const ExtrasPtr& other) : p(other.p ? std::make_unique<Extras>(*other.p) : nullptr) {}
    ExtrasPtr(ExtrasPtr&&) noexcept = default;
    ExtrasPtr& operator=(const ExtrasPtr& other) {
      if (this != &other) p = other.p ? std::make_unique<Extras>(*other.p) : nullptr;
      return *this;
    }
    ExtrasPtr& operator=(ExtrasPtr&&) noexcept = default;
  };
  Extras& extras() {
    if (!extras_.p) extras_.p = std::make_unique<Extras>();
    return *extras_.p;
  }
  Stream* stream() const noexcept { return extras_.p ? extras_.p->stream.get() : nullptr; }

  int status_ = 200;
  bool content_yielded_ = false;
  bool rendered_ = true;
  std::string content_;
  ExtrasPtr extras_;
};

/// 302 to `redirect_to`; throws DisallowedRedirect for a scheme other than http, https, ftp.
class HttpResponseRedirect : public HttpResponse {
 public:
  explicit HttpResponseRedirect(std::string_view redirect_to, int status = 302);
  std::string url() const { return headers["Location"]; }
};

/// 301.
class HttpResponsePermanentRedirect : public HttpResponseRedirect {
 public:
  explicit HttpResponsePermanentRedirect(std::string_view redirect_to)
      : HttpResponseRedirect(redirect_to, 301) {}
};

/// 304, without Content-Type and body.
class HttpResponseNotModified : public HttpResponse {
 public:
  HttpResponseNotModified();
};

class HttpResponseBadRequest : public HttpResponse {
 public:
  explicit HttpResponseBadRequest(std::string content = {}) : HttpResponse(std::move(content), 400) {}
};

class HttpResponseNotFound : public HttpResponse {
 public:
  explicit HttpResponseNotFound(std::string content = {}) : HttpResponse(std::move(content), 404) {}
};

class HttpResponseForbidden : public HttpResponse {
 public:
  explicit HttpResponseForbidden(std::string content = {}) : HttpResponse(std::move(content), 403) {}
};

/// 405 with an Allow header listing `permitted_methods`.
class HttpResponseNotAllowed : public HttpResponse {
 public:
  explicit HttpResponseNotAllowed(const std::vector<std::string>& permitted_methods,
                                  std::string content = {});
};

class HttpResponseGone : public HttpResponse {
 public:
  explicit HttpResponseGone(std::string content = {}) : HttpResponse(std::move(content), 410) {}
};

class HttpResponseServerError : public HttpResponse {
 public:
  explicit HttpResponseServerError(std::string content = {}) : HttpResponse(std::move(content), 500) {}
};

/// Streams chunks from a sync or an async generator (django.http.StreamingHttpResponse).
class StreamingHttpResponse : public HttpResponse {
 public:
  explicit StreamingHttpResponse(ChunkGenerator generator, int status = 200,
                                 std::optional<std::string_view> content_type = std::nullopt);
  explicit StreamingHttpResponse(AsyncChunkGenerator generator, int status = 200,
                                 std::optional<std::string_view> content_type = std::nullopt);
};

}  // namespace duet::http
