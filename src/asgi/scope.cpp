#include "duet/asgi/scope.hpp"

#include <type_traits>

#include "duet/asgi/messages.hpp"

namespace duet::asgi {

std::string_view to_string(ScopeType type) noexcept {
  switch (type) {
    case ScopeType::http:
      return "http";
    case ScopeType::websocket:
      return "websocket";
    case ScopeType::lifespan:
      return "lifespan";
  }
  return "unknown";
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& h : headers) {
    if (h.name == name) return std::string_view(h.value);
  }
  return std::nullopt;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode_path(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= raw.size()) return std::nullopt;
    int hi = hex_value(raw[i + 1]);
    int lo = hex_value(raw[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string_view type_of(const ReceiveEvent& event) noexcept {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::type; }, event);
}

std::string_view type_of(const SendEvent& event) noexcept {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::type; }, event);
}

}  // namespace duet::asgi
