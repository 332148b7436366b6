// Scope: what an application is told about a connection or request before any message (ASGI "scope").
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::asgi {

enum class ScopeType { http, websocket, lifespan };

std::string_view to_string(ScopeType type) noexcept;

/// One header as it came off the wire: the name lower-cased, the value as bytes. Order and duplicates are
/// kept (ASGI's list of byte pairs), so an application can see exactly what the client sent.
struct Header {
  // Not an aggregate: see messages.hpp on g++ 12 and aggregate temporaries in co_await.
  Header() = default;
  Header(std::string name, std::string value) : name(std::move(name)), value(std::move(value)) {}
  std::string name;
  std::string value;

  friend bool operator==(const Header&, const Header&) = default;
};
using Headers = std::vector<Header>;

/// The first value of header `name` (lower-case), or nullopt.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) noexcept;

/// A peer or local address. For TCP: host ("127.0.0.1", "::1") and port; for a Unix socket: the path in
/// `host` and port 0 (ASGI uses a one-element list there).
struct Address {
  Address() = default;
  Address(std::string host, std::uint16_t port) : host(std::move(host)), port(port) {}
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const Address&, const Address&) = default;
};

/// Values a lifespan startup handler stores for requests to see (ASGI "state"): the server gives each
/// request scope a shallow copy of the lifespan scope's map.
using State = std::map<std::string, std::any, std::less<>>;

struct Scope {
  // The fields a server sets for every request come first, together, and those it sets once per connection
  // (scheme, root path, addresses, state) after them: a request then touches few of the Scope's cache lines.
  ScopeType type = ScopeType::http;
  /// Upper-case as received: "GET".
  std::string method;
  /// Percent-decoded path, without the query string.
  std::string path;
  /// The request target's path exactly as received (not decoded).
  std::string raw_path;
  /// The bytes after '?', not decoded; empty if none.
  std::string query_string;
  Headers headers;
  /// "1.0", "1.1" (http), or empty for lifespan.
  std::string http_version = "1.1";
  /// "http", "https", "ws" or "wss".
  std::string scheme = "http";
  /// The prefix the application is mounted under (Django's SCRIPT_NAME); empty at the root.
  std::string root_path;
  std::optional<Address> client;
  std::optional<Address> server;
  /// websocket only: the subprotocols the client offered.
  std::vector<std::string> subprotocols;
  /// Shared with the lifespan scope (see State); may be null when the server ran no lifespan.
  std::shared_ptr<State> state;
};

/// Decodes %XX escapes; returns nullopt for a malformed escape. '+' is left alone (it means space only in
/// form bodies and query strings, not in paths).
std::optional<std::string> percent_decode_path(std::string_view raw);

}  // namespace duet::asgi
