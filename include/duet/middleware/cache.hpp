// Response helpers of django.utils.cache and django.utils.http: Vary, ETags, HTTP dates, conditional
// responses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/http/request.hpp"
#include "duet/http/response.hpp"

namespace duet::middleware {

/// Adds `headers` to the response's Vary, each once (case-insensitively); "*" absorbs all (Django's
/// patch_vary_headers).
void patch_vary_headers(http::HttpResponse& response, const std::vector<std::string>& headers);

/// The valid entity tags of an If-Match / If-None-Match value ("*" alone gives {"*"}); invalid ones are
/// dropped (Django's parse_etags). At most 1000 are kept, so a hostile header costs bounded work.
std::vector<std::string> parse_etags(std::string_view value);
/// Wraps `etag` in double quotes unless it already is a quoted (or weak) tag (Django's quote_etag).
std::string quote_etag(std::string_view etag);
/// Sets ETag to the quoted MD5 of a buffered non-empty body (Django's set_response_etag).
void set_response_etag(http::HttpResponse& response);

/// Seconds since the epoch of an HTTP date in RFC 1123, RFC 850 or asctime form; nullopt if malformed
/// (Django's parse_http_date_safe).
std::optional<std::int64_t> parse_http_date(std::string_view date);

/// RFC 7232 §6 evaluation of the request's preconditions against `etag` / `last_modified` (Django's
/// get_conditional_response): 412 for a failed If-Match or If-Unmodified-Since, 304 (keeping Cache-Control,
/// Content-Location, Date, ETag, Expires, Last-Modified, Vary and the cookies of `response`) for a GET or
/// HEAD whose If-None-Match or If-Modified-Since says the client's copy is current, else `response`
/// unchanged. Only a 2xx `response` is considered.
http::HttpResponse get_conditional_response(http::HttpRequest& request,
                                            const std::optional<std::string>& etag,
                                            std::optional<std::int64_t> last_modified,
                                            http::HttpResponse response);

}  // namespace duet::middleware
