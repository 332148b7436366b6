// The client's shared core: connections, the per-origin pool, and one request/response exchange.
// Private to src/client: Beast stays out of the public headers.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "duet/client/client.hpp"

namespace duet::client::detail {

/// One HTTP/1.1 connection, plain or TLS. It is bound to the event loop that opened it and is only reused
/// by requests running on that loop.
struct Connection {
  boost::asio::execution_context* loop = nullptr;
  /// The io_context the socket is registered with, when its executor is one (see dispose()).
  boost::asio::io_context* home = nullptr;
  std::optional<boost::beast::tcp_stream> tcp;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
  bool reused = false;

  boost::beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *tcp; }
  /// False when the peer has closed (or sent something unasked) while the connection sat in the pool.
  bool looks_alive();
};

/// Closes `connection` on the thread of the loop its socket is registered with: at once when that is this
/// thread (or the loop is not an io_context), else posted to that loop. The runtime's loops run without
/// Asio's per-socket lock (BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO), so a socket must not be closed from
/// another thread while its reactor may be completing an operation on it.
void dispose(std::unique_ptr<Connection> connection);
/// dispose() for many; with `wait`, returns once every loop has closed its share (or has stopped).
void close_on_their_loops(std::vector<std::unique_ptr<Connection>> connections, bool wait);

/// Where a connection goes: "https://host:443".
struct Origin {
  std::string scheme;
  std::string host;
  std::string port;
  bool tls() const { return scheme == "https"; }
  std::string key() const { return scheme + "://" + host + ":" + port; }
};

/// The connections of one origin: idle ones, a count of all open ones (bounded), and the requests waiting for
/// a free slot.
class OriginPool {
 public:
  struct Waiter;
  OriginPool() = default;
  OriginPool(const OriginPool&) = delete;
  OriginPool& operator=(const OriginPool&) = delete;
  /// Idle connections still here are closed on their loops (see dispose()).
  ~OriginPool();
  /// A connection to use, or null with a slot reserved (open a new one). Throws PoolTimeout.
  Task<std::unique_ptr<Connection>> acquire(boost::asio::execution_context* loop, std::size_t limit,
                                            std::chrono::milliseconds pool_timeout,
                                            std::chrono::milliseconds keepalive_expiry,
                                            const std::string& method, const std::string& url);
  /// Returns a connection (kept idle if `reusable`, else closed) or, for null, a slot that opened none.
  void release(std::unique_ptr<Connection> connection, bool reusable);
  std::size_t open() const;
  /// Takes the idle connections out of the pool (their slots freed) for the caller to close.
  std::vector<std::unique_ptr<Connection>> take_idle();
  /// Closes the idle connections of `loop` (which is being destroyed), on this thread: the loop runs no more.
  void forget_loop(boost::asio::execution_context* loop);

 private:
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::deque<std::unique_ptr<Connection>> idle_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

class ClientCore;

/// A connection lent to one exchange; gives it back on destruction (closing it unless marked reusable).
class Lease {
 public:
  Lease(std::shared_ptr<ClientCore> core, OriginPool* pool, std::unique_ptr<Connection> connection)
      : core_(std::move(core)), pool_(pool), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept
      : core_(std::move(other.core_)),
        pool_(other.pool_),
        connection_(std::move(other.connection_)),
        released_(std::exchange(other.released_, true)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() { release(false); }
  Connection* operator->() const { return connection_.get(); }
  Connection& operator*() const { return *connection_; }
  explicit operator bool() const { return connection_ != nullptr; }
  void set(std::unique_ptr<Connection> connection) { connection_ = std::move(connection); }
  void release(bool reusable);

 private:
  std::shared_ptr<ClientCore> core_;
  OriginPool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
  bool released_ = false;
};

/// A request ready to send.
struct Prepared {
  std::string method;
  boost::urls::url url;
  Headers headers;
  std::string body;
  std::string url_string() const { return std::string(url.buffer()); }
};

using Parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

/// The state behind a StreamingResponse: the lease, the parser and the timeouts of its reads.
struct StreamState {
  std::optional<Lease> lease;
  std::optional<Parser> parser;
  Timeout timeout;
  std::string method;
  std::string url;
  std::size_t received = 0;
  std::size_t limit = 0;
  bool done = false;
};

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  explicit ClientCore(ClientOptions options);

  Task<Response> request(std::string method, std::string url, RequestOptions options);
  Task<StreamingResponse> stream(std::string method, std::string url, RequestOptions options);
  /// The next piece of a streamed body, or nullopt at its end (the connection then goes back to the pool).
  static Task<std::optional<std::string>> next_chunk(StreamState& state);
  /// Appends at most `want` body bytes to `out` (at least one unless the body has ended); returns how many.
  static Task<std::size_t> append_body(StreamState& state, std::string& out, std::size_t want);
  /// How much to ask for next: the rest of a known length (at most 64 KiB), else a step that grows.
  static std::size_t next_read_size(const StreamState& state, std::size_t have);

  /// Closes the idle connections, each on its own loop; waits for that unless called on a loop thread.
  void close_idle();
  std::size_t open_connections() const;
  const ClientOptions& options() const { return options_; }
  /// Called as `loop` is destroyed: its sockets must go before it does.
  void forget_loop(boost::asio::execution_context* loop);

 private:
  Prepared prepare(std::string method, std::string url, const RequestOptions& options) const;
  /// Sends `request` and reads the head; the body is left to the caller (in `state`).
  Task<void> exchange(const Prepared& request, const Timeout& timeout, StreamState& state);
  Task<Lease> connect(const Origin& origin, const Timeout& timeout, const std::string& method,
                      const std::string& url);
  OriginPool& pool_for(const std::string& key);
  boost::asio::ssl::context& ssl_context();

  ClientOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<OriginPool>> pools_;
  std::unique_ptr<boost::asio::ssl::context> ssl_;
};

/// An Asio service on every loop the client opened connections on. When the loop (io_context) is destroyed
/// it tells the clients, which close their idle connections of that loop while it still exists: a client kept
/// in a static (the common case) outlives the runtime's loops.
class LoopWatch : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;
  explicit LoopWatch(boost::asio::execution_context& context) : service(context) {}
  void watch(const std::shared_ptr<ClientCore>& core);

 private:
  void shutdown() override;
  std::mutex mutex_;
  std::vector<std::weak_ptr<ClientCore>> cores_;
};

/// Fills a public response head from the parser.
template <class Head>
void copy_head(const Parser& parser, Head& head) {
  const auto& message = parser.get();
  head.status_code = static_cast<int>(message.result_int());
  head.reason_phrase = std::string(message.reason());
  head.http_version = message.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  for (const auto& field : message) {
    head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace duet::client::detail
