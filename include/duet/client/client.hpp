// The HTTP client: AsyncClient (coroutines) and Client (blocking), one shared core — duet's httpx.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/client/exceptions.hpp"
#include "duet/client/response.hpp"
#include "duet/runtime/task.hpp"

namespace duet::client {

/// httpx's four timeouts. Each bounds one wait, not the whole request: `read` is the longest silence
/// between two pieces of the response, `write` the longest stall while sending.
struct Timeout {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds read{5'000};
  std::chrono::milliseconds write{5'000};
  std::chrono::milliseconds pool{5'000};

  /// The same value for all four (httpx.Timeout(10.0)).
  static Timeout all(std::chrono::milliseconds value) { return {value, value, value, value}; }
};

/// Query parameters or form fields; a name may repeat.
using Params = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  /// Prefixed to relative request URLs ("http://api.local:8000").
  std::string base_url{};
  /// Sent with every request; a request's own headers override them by name.
  Headers headers{};
  Timeout timeout{};
  /// Follow 301/302/303/307/308 (off by default, as in httpx); at most max_redirects of them.
  bool follow_redirects = false;
  int max_redirects = 20;
  /// Open connections per origin (scheme, host, port); a request past it waits up to timeout.pool.
  std::size_t max_connections_per_origin = 100;
  /// Idle keep-alive connections are closed after this long.
  std::chrono::milliseconds keepalive_expiry{5'000};
  /// Body bytes accepted per response (ResponseTooLarge past it) and bytes of a response head.
  std::size_t max_response_size = 64 * 1024 * 1024;
  std::size_t max_header_size = 64 * 1024;
  /// TLS: verify the server's certificate chain and host name. Trust comes from the system's CA store,
  /// or from `ca_file` (a PEM bundle, httpx's verify="path") when set.
  bool verify = true;
  std::string ca_file{};
};

/// Per-request settings; all optional, the client's options apply otherwise.
struct RequestOptions {
  /// Appended to the URL's query string.
  Params params{};
  Headers headers{};
  /// A raw body (set Content-Type in headers).
  std::optional<std::string> content{};
  /// A form body, application/x-www-form-urlencoded.
  std::optional<Params> data{};
  /// A JSON body, application/json.
  std::optional<boost::json::value> json{};
  std::optional<bool> follow_redirects{};
  std::optional<Timeout> timeout{};
};

namespace detail {
class ClientCore;
}

/// The coroutine client. One per process (or per upstream service) is the intended use: it keeps a
/// keep-alive pool per origin and reuses connections on the loop that opened them. Safe to use from many
/// coroutines and loops at once.
///
///     duet::client::AsyncClient client;
///     auto response = co_await client.get("https://example.org/api/", {.params = {{"q", "duet"}}});
///     response.raise_for_status();
///     auto data = response.json();
///
/// Fan-out is `co_await duet::gather(std::move(tasks))` over a vector of `client.get(...)` tasks.
class AsyncClient {
 public:
  explicit AsyncClient(ClientOptions options = {});
  ~AsyncClient();
  AsyncClient(AsyncClient&&) noexcept;
  AsyncClient& operator=(AsyncClient&&) noexcept;

  Task<Response> request(std::string method, std::string url, RequestOptions options = {});
  Task<Response> get(std::string url, RequestOptions options = {});
  Task<Response> head(std::string url, RequestOptions options = {});
  Task<Response> options(std::string url, RequestOptions options = {});
  Task<Response> post(std::string url, RequestOptions options = {});
  Task<Response> put(std::string url, RequestOptions options = {});
  Task<Response> patch(std::string url, RequestOptions options = {});
  Task<Response> delete_(std::string url, RequestOptions options = {});
  /// Sends the request and returns once the head has arrived; read the body from the result.
  /// Redirects are not followed.
  Task<StreamingResponse> stream(std::string method, std::string url, RequestOptions options = {});

  /// Closes idle pooled connections (connections in use close when released).
  void close();
  /// Connections open now across all origins, idle or in use (for tests and metrics).
  std::size_t open_connections() const;

 private:
  friend class Client;
  std::shared_ptr<detail::ClientCore> core_;
};

/// The blocking client: the same core, each call run to completion through async_to_sync. Not for event-loop
/// threads (it throws SynchronousOnlyOperation there, naming AsyncClient): use it in sync views, scripts and
/// tests.
class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  Response request(std::string method, std::string url, RequestOptions options = {});
  Response get(std::string url, RequestOptions options = {});
  Response head(std::string url, RequestOptions options = {});
  Response options(std::string url, RequestOptions options = {});
  Response post(std::string url, RequestOptions options = {});
  Response put(std::string url, RequestOptions options = {});
  Response patch(std::string url, RequestOptions options = {});
  Response delete_(std::string url, RequestOptions options = {});
  StreamingResponse stream(std::string method, std::string url, RequestOptions options = {});

  void close();
  std::size_t open_connections() const;

 private:
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace duet::client
