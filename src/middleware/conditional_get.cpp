#include "duet/middleware/cache.hpp"
#include "duet/middleware/http.hpp"

namespace duet::middleware {

namespace {

// Django's needs_etag: no ETag for a response that must not be stored.
bool needs_etag(const http::HttpResponse& response) {
  std::string_view cc;
  auto value = response.headers.get("Cache-Control");
  if (!value) return true;
  cc = *value;
  while (!cc.empty()) {
    auto comma = cc.find(',');
    auto item = cc.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (item.size() == 8 && (item[0] | 0x20) == 'n' && (item[1] | 0x20) == 'o' && item[2] == '-' &&
        (item[3] | 0x20) == 's' && (item[4] | 0x20) == 't' && (item[5] | 0x20) == 'o' &&
        (item[6] | 0x20) == 'r' && (item[7] | 0x20) == 'e')
      return false;
    if (comma == std::string_view::npos) break;
    cc.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

http::HttpResponse ConditionalGetMiddleware::process_response(http::HttpRequest& request,
                                                              http::HttpResponse response) {
  // Too late to refuse an unsafe request with 412: its side effects already happened.
  if (request.method != "GET" && request.method != "HEAD") return response;
  if (needs_etag(response) && !response.headers.contains("ETag")) set_response_etag(response);
  auto etag = response.headers.get("ETag");
  std::optional<std::int64_t> last_modified;
  if (auto lm = response.headers.get("Last-Modified")) last_modified = parse_http_date(*lm);
  if (etag || last_modified)
    return get_conditional_response(request, etag, last_modified, std::move(response));
  return response;
}

}  // namespace duet::middleware
