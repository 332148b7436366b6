#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include "websocket_session.hpp"

namespace duet::server::detail {

namespace {
std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

bool is_websocket_upgrade(const asgi::Scope& scope) noexcept {
  for (const auto& h : scope.headers) {
    if (h.name != "upgrade") continue;
    for (auto token : boost::beast::http::token_list{h.value}) {
      if (boost::beast::iequals(token, "websocket")) return true;
    }
  }
  return false;
}

int check_websocket_request(const asgi::Scope& scope) noexcept {
  if (scope.method != "GET" || scope.http_version != "1.1") return 400;
  auto version = asgi::find_header(scope.headers, "sec-websocket-version");
  if (!version || trim(*version) != "13") return 400;
  auto key = asgi::find_header(scope.headers, "sec-websocket-key");
  // A base64-encoded 16-byte nonce is 24 characters (RFC 6455 §4.1).
  if (!key) return 400;
  std::string_view k = trim(*key);
  if (k.size() != 24 || boost::beast::detail::base64::decoded_size(k.size()) < 16) return 400;
  return 0;
}

void make_websocket_scope(asgi::Scope& scope, bool tls) {
  scope.type = asgi::ScopeType::websocket;
  scope.scheme = tls ? "wss" : "ws";
  scope.subprotocols.clear();
  for (const auto& h : scope.headers) {
    if (h.name != "sec-websocket-protocol") continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      if (!item.empty() && scope.subprotocols.size() < 64) scope.subprotocols.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
}

bool valid_close_code(unsigned code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

}  // namespace duet::server::detail
