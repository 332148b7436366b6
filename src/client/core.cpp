// One exchange: prepare the request, lease a connection (opening it, TLS included, when needed), write the
// request, read the head; the body is read by next_chunk. Redirects are followed here too.
#include "core.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cctype>

#include "duet/runtime/runtime.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::client::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

void set_header(Headers& headers, std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& field) { return iequals(field.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

bool has_header(const Headers& headers, std::string_view name) {
  return find_header(headers, name).has_value();
}

/// application/x-www-form-urlencoded, as browsers and httpx encode it.
std::string form_encode(const Params& fields) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  auto encode = [&](std::string_view text) {
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else if (c == ' ') {
        out += '+';
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    encode(name);
    out += '=';
    encode(value);
  }
  return out;
}

Origin origin_of(const boost::urls::url& url) {
  Origin origin{std::string(url.scheme()), std::string(url.encoded_host_address()), std::string(url.port())};
  if (origin.port.empty()) origin.port = origin.tls() ? "443" : "80";
  // "[::1]" names the address ::1; the resolver and TLS want it bare.
  if (origin.host.size() > 2 && origin.host.front() == '[')
    origin.host = origin.host.substr(1, origin.host.size() - 2);
  return origin;
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

template <class Stream, class Message>
Task<error_code> write_message(Stream& stream, Message& message) {
  error_code ec;
  co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

template <class Stream>
Task<error_code> read_head(Stream& stream, beast::flat_buffer& buffer, Parser& parser) {
  error_code ec;
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

template <class Stream>
Task<error_code> read_some(Stream& stream, beast::flat_buffer& buffer, Parser& parser) {
  error_code ec;
  co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

bool is_disconnect(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated;
}

/// The awaiting coroutine was cancelled (a client that went away, with_timeout, a failed gather sibling):
/// that is not a failure of the request, so it stays what every cancelled Asio operation gives.
void rethrow_cancellation(const error_code& ec) {
  if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
}

[[noreturn]] void throw_read_error(const error_code& ec, const StreamState& state) {
  rethrow_cancellation(ec);
  if (ec == beast::error::timeout) {
    throw ReadTimeout("no response data within the read timeout", state.method, state.url);
  }
  if (ec == http::error::body_limit) {
    throw ResponseTooLarge(
        "response body larger than max_response_size (" + std::to_string(state.limit) + " bytes)",
        state.method, state.url);
  }
  if (ec == http::error::header_limit) {
    throw ResponseTooLarge("response head larger than max_header_size", state.method, state.url);
  }
  if (is_disconnect(ec) || ec == http::error::partial_message) {
    throw RemoteProtocolError("server disconnected without sending a complete response", state.method,
                              state.url);
  }
  if (ec.category() == boost::beast::http::make_error_code(http::error::bad_version).category()) {
    throw RemoteProtocolError("malformed response: " + ec.message(), state.method, state.url);
  }
  throw ReadError("reading the response failed: " + ec.message(), state.method, state.url);
}

}  // namespace

ClientCore::ClientCore(ClientOptions options) : options_(std::move(options)) {
  if (options_.max_connections_per_origin == 0) options_.max_connections_per_origin = 1;
  if (options_.max_redirects < 0) options_.max_redirects = 0;
}

OriginPool& ClientCore::pool_for(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& pool = pools_[key];
  if (!pool) pool = std::make_unique<OriginPool>();
  return *pool;
}

asio::ssl::context& ClientCore::ssl_context() {
  std::lock_guard lock(mutex_);
  if (!ssl_) {
    auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    if (options_.verify) {
      context->set_verify_mode(asio::ssl::verify_peer);
      if (options_.ca_file.empty()) {
        context->set_default_verify_paths();
      } else {
        context->load_verify_file(options_.ca_file);
      }
    } else {
      context->set_verify_mode(asio::ssl::verify_none);
    }
    ssl_ = std::move(context);
  }
  return *ssl_;
}

void ClientCore::close_idle() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, pool] : pools_) {
      auto taken = pool->take_idle();
      for (auto& connection : taken)
        idle.push_back(std::move(connection));
    }
  }
  // A loop thread must not block (and its own connections close at once); any other caller, a Client's
  // destructor included, returns with the sockets closed.
  close_on_their_loops(std::move(idle), !in_event_loop());
}

std::size_t ClientCore::open_connections() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, pool] : pools_)
    total += pool->open();
  return total;
}

Prepared ClientCore::prepare(std::string method, std::string url, const RequestOptions& options) const {
  for (auto& c : method)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!options_.base_url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    std::string base = options_.base_url;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    url = base + (url.starts_with('/') ? "" : "/") + url;
  }
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw InvalidURL("invalid URL '" + url + "': " + parsed.error().message(), method, url);
  Prepared request{std::move(method), boost::urls::url(*parsed), options_.headers, {}};
  auto scheme = request.url.scheme();
  if (scheme != "http" && scheme != "https") {
    throw InvalidURL("unsupported scheme '" + std::string(scheme) + "' (http and https are)", request.method,
                     url);
  }
  if (request.url.encoded_host().empty()) throw InvalidURL("URL has no host", request.method, url);
  request.url.remove_fragment();
  for (const auto& [name, value] : options.params)
    request.url.params().append({name, value});
  for (const auto& [name, value] : options.headers)
    set_header(request.headers, name, value);

  const char* content_type = nullptr;
  if (options.json) {
    request.body = boost::json::serialize(*options.json);
    content_type = "application/json";
  } else if (options.data) {
    request.body = form_encode(*options.data);
    content_type = "application/x-www-form-urlencoded";
  } else if (options.content) {
    request.body = *options.content;
  }
  if (content_type && !has_header(request.headers, "Content-Type"))
    request.headers.emplace_back("Content-Type", content_type);
  return request;
}

Task<Lease> ClientCore::connect(const Origin& origin, const Timeout& timeout, const std::string& method,
                                const std::string& url) {
  auto executor = co_await asio::this_coro::executor;
  auto* loop = &asio::query(executor, asio::execution::context);
  auto& pool = pool_for(origin.key());
  auto pooled = co_await pool.acquire(loop, options_.max_connections_per_origin, timeout.pool,
                                      options_.keepalive_expiry, method, url);
  Lease lease(shared_from_this(), &pool, nullptr);
  if (pooled) {
    pooled->reused = true;
    lease.set(std::move(pooled));
    co_return lease;
  }

  // The socket is bound to the loop itself, not to this request's executor: it outlives the request.
  // (A request's own executor would keep its flow alive and run later requests' handlers in it.)
  Executor io = executor;
  asio::io_context* home = nullptr;
  if (auto* runtime = Runtime::current()) {
    for (std::size_t i = 0; i < runtime->loop_count(); ++i) {
      if (&runtime->loop(i) == loop) {
        io = runtime->loop(i).get_executor();
        home = &runtime->loop(i);
      }
    }
  } else if (auto* plain = executor.target<asio::io_context::executor_type>()) {
    io = *plain;
    home = &plain->context();
  }

  asio::ip::tcp::resolver resolver(io);
  asio::steady_timer timer(io, timeout.connect);
  asio::ip::tcp::resolver::results_type endpoints;
  try {
    using namespace asio::experimental::awaitable_operators;
    auto which = co_await (resolver.async_resolve(origin.host, origin.port, asio::use_awaitable) ||
                           timer.async_wait(asio::use_awaitable));
    if (which.index() == 1) throw ConnectTimeout("resolving " + origin.host + " timed out", method, url);
    endpoints = std::get<0>(std::move(which));
  } catch (const boost::system::system_error& error) {
    rethrow_cancellation(error.code());
    throw ConnectError("cannot resolve " + origin.host + ": " + error.code().message(), method, url);
  }

  auto connection = std::make_unique<Connection>();
  connection->loop = loop;
  connection->home = home;
  connection->tcp.emplace(io);
  // After the socket exists: Asio shuts services down newest first, so the watch runs while the reactor
  // the socket is registered with is still there.
  asio::use_service<LoopWatch>(*loop).watch(shared_from_this());
  connection->tcp->expires_after(timeout.connect);
  error_code ec;
  co_await connection->tcp->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  rethrow_cancellation(ec);
  if (ec == beast::error::timeout) {
    throw ConnectTimeout("connecting to " + origin.host + ":" + origin.port + " timed out", method, url);
  }
  if (ec)
    throw ConnectError("cannot connect to " + origin.host + ":" + origin.port + ": " + ec.message(), method,
                       url);
  connection->tcp->socket().set_option(asio::ip::tcp::no_delay(true), ec);
  // Asio opens sockets without close-on-exec: a process that runs a child (a view calling a tool) would hand
  // it every pooled upstream connection, keeping them open after we close them.
  ::fcntl(connection->tcp->socket().native_handle(), F_SETFD, FD_CLOEXEC);

  if (origin.tls()) {
    connection->tls.emplace(std::move(*connection->tcp), ssl_context());
    connection->tcp.reset();
    auto* ssl = connection->tls->native_handle();
    if (!is_ip_address(origin.host)) SSL_set_tlsext_host_name(ssl, origin.host.c_str());  // SNI
    if (options_.verify) connection->tls->set_verify_callback(asio::ssl::host_name_verification(origin.host));
    connection->tls->next_layer().expires_after(timeout.connect);
    co_await connection->tls->async_handshake(asio::ssl::stream_base::client,
                                              asio::redirect_error(asio::use_awaitable, ec));
    rethrow_cancellation(ec);
    if (ec == beast::error::timeout) throw ConnectTimeout("TLS handshake timed out", method, url);
    if (ec) {
      std::string reason = ec.message();
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      throw ConnectError("TLS handshake with " + origin.host + " failed: " + reason, method, url);
    }
  }
  lease.set(std::move(connection));
  co_return lease;
}

Task<void> ClientCore::exchange(const Prepared& request, const Timeout& timeout, StreamState& state) {
  auto origin = origin_of(request.url);
  state.method = request.method;
  state.url = request.url_string();
  state.timeout = timeout;
  state.limit = options_.max_response_size;

  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  auto target = request.url.encoded_target();
  message.target(target.empty() ? std::string_view("/") : std::string_view(target));
  bool default_port =
      request.url.port().empty() || (origin.tls() ? origin.port == "443" : origin.port == "80");
  std::string host(request.url.encoded_host_and_port());
  if (default_port && !request.url.port().empty()) host = std::string(request.url.encoded_host());
  message.set(http::field::host, host);
  if (!has_header(request.headers, "User-Agent")) message.set(http::field::user_agent, "duet-client/0.1");
  if (!has_header(request.headers, "Accept")) message.set(http::field::accept, "*/*");
  for (const auto& [name, value] : request.headers)
    message.insert(name, value);
  message.body() = request.body;
  message.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    auto lease = co_await connect(origin, timeout, state.method, state.url);
    // A pooled connection the server closed just as we picked it fails at once; one retry on a fresh
    // connection is safe because the server cannot have seen the request.
    bool may_retry = lease->reused && attempt == 0;
    auto& connection = *lease;

    connection.lowest().expires_after(timeout.write);
    error_code ec;
    if (connection.tls) {
      ec = co_await write_message(*connection.tls, message);
    } else {
      ec = co_await write_message(*connection.tcp, message);
    }
    if (ec == beast::error::timeout)
      throw WriteTimeout("sending the request timed out", state.method, state.url);
    if (ec && may_retry && is_disconnect(ec)) continue;
    rethrow_cancellation(ec);
    if (ec) throw WriteError("sending the request failed: " + ec.message(), state.method, state.url);

    state.parser.emplace();
    state.parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options_.max_header_size, std::numeric_limits<std::uint32_t>::max())));
    state.parser->body_limit(options_.max_response_size);
    if (request.method == "HEAD") state.parser->skip(true);
    connection.lowest().expires_after(timeout.read);
    if (connection.tls) {
      ec = co_await read_head(*connection.tls, connection.buffer, *state.parser);
    } else {
      ec = co_await read_head(*connection.tcp, connection.buffer, *state.parser);
    }
    if (ec && may_retry && is_disconnect(ec) && !state.parser->got_some()) continue;
    if (ec) throw_read_error(ec, state);
    state.lease.emplace(std::move(lease));
    co_return;
  }
}

Task<std::size_t> ClientCore::append_body(StreamState& state, std::string& out, std::size_t want) {
  if (state.done || !state.parser || !state.lease || want == 0) co_return 0;
  auto& parser = *state.parser;
  auto& connection = **state.lease;
  // Only `want` bytes are zero-filled by the resize, never a fixed 64 KiB: a small response costs a small
  // buffer (a 64 KiB memset and its page faults per call were most of a small request's cost).
  const std::size_t start = out.size();
  out.resize(start + want);
  std::size_t n = 0;
  while (!parser.is_done()) {
    parser.get().body().data = out.data() + start;
    parser.get().body().size = want;
    error_code ec;
    connection.lowest().expires_after(state.timeout.read);
    if (connection.tls) {
      ec = co_await read_some(*connection.tls, connection.buffer, parser);
    } else {
      ec = co_await read_some(*connection.tcp, connection.buffer, parser);
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      out.resize(start);
      state.lease->release(false);
      throw_read_error(ec, state);
    }
    n = want - parser.get().body().size;
    if (n > 0) break;
  }
  out.resize(start + n);
  state.received += n;
  if (parser.is_done()) {
    state.done = true;
    state.lease->release(parser.keep_alive());
  }
  co_return n;
}

std::size_t ClientCore::next_read_size(const StreamState& state, std::size_t have) {
  if (!state.parser) return 0;
  if (auto length = state.parser->content_length_remaining()) {
    return static_cast<std::size_t>(std::min<std::uint64_t>(*length, chunk_size));
  }
  // Chunked or until-close: grow with what has arrived so far, from a small first step.
  return std::clamp<std::size_t>(have, 4096, chunk_size);
}

Task<std::optional<std::string>> ClientCore::next_chunk(StreamState& state) {
  std::string out;
  while (!state.done) {
    auto want = std::max<std::size_t>(next_read_size(state, (**state.lease).buffer.size()), 1);
    if (co_await append_body(state, out, want) > 0) break;
  }
  if (out.empty()) co_return std::nullopt;
  co_return out;
}

Task<Response> ClientCore::request(std::string method, std::string url, RequestOptions options) {
  auto timeout = options.timeout.value_or(options_.timeout);
  bool follow = options.follow_redirects.value_or(options_.follow_redirects);
  auto prepared = prepare(std::move(method), std::move(url), options);
  std::vector<Response> history;
  for (;;) {
    StreamState state;
    co_await exchange(prepared, timeout, state);
    Response response;
    copy_head(*state.parser, response);
    response.method = state.method;
    response.url = state.url;
    if (auto length = state.parser->content_length()) {
      response.content.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, state.limit)));
    }
    // Straight into the response: no chunk strings in between.
    while (!state.done)
      co_await append_body(state, response.content,
                           std::max<std::size_t>(next_read_size(state, response.content.size()), 1));

    auto location = response.header("Location");
    if (!follow || !response.is_redirect() || !location) {
      response.history = std::move(history);
      co_return response;
    }
    if (static_cast<int>(history.size()) >= options_.max_redirects) {
      throw TooManyRedirects("exceeded max_redirects (" + std::to_string(options_.max_redirects) + ")",
                             prepared.method, prepared.url_string());
    }
    auto reference = boost::urls::parse_uri_reference(*location);
    if (!reference) {
      throw RemoteProtocolError("invalid Location '" + *location + "'", prepared.method,
                                prepared.url_string());
    }
    boost::urls::url next;
    if (auto resolved = boost::urls::resolve(prepared.url, *reference, next); !resolved) {
      throw RemoteProtocolError("cannot resolve Location '" + *location + "'", prepared.method,
                                prepared.url_string());
    }
    if (next.scheme() != "http" && next.scheme() != "https") {
      throw InvalidURL("redirect to unsupported scheme '" + std::string(next.scheme()) + "'", prepared.method,
                       std::string(next.buffer()));
    }
    next.remove_fragment();
    // As browsers and httpx: 303 turns everything but HEAD into GET; 301/302 turn POST into GET; 307/308
    // repeat the request as it was.
    int status = response.status_code;
    if ((status == 303 && prepared.method != "HEAD") ||
        ((status == 301 || status == 302) && prepared.method == "POST")) {
      prepared.method = "GET";
      prepared.body.clear();
      std::erase_if(prepared.headers, [](const auto& field) {
        return iequals(field.first, "Content-Type") || iequals(field.first, "Content-Length") ||
               iequals(field.first, "Transfer-Encoding");
      });
    }
    if (origin_of(next).key() != origin_of(prepared.url).key()) {
      // Credentials meant for one origin are not sent to another.
      std::erase_if(prepared.headers,
                    [](const auto& field) { return iequals(field.first, "Authorization"); });
    }
    prepared.url = std::move(next);
    history.push_back(std::move(response));
  }
}

Task<StreamingResponse> ClientCore::stream(std::string method, std::string url, RequestOptions options) {
  auto timeout = options.timeout.value_or(options_.timeout);
  auto prepared = prepare(std::move(method), std::move(url), options);
  StreamingResponse response;
  response.state_ = std::make_unique<StreamState>();
  co_await exchange(prepared, timeout, *response.state_);
  copy_head(*response.state_->parser, response);
  response.method = response.state_->method;
  response.url = response.state_->url;
  co_return response;
}

}  // namespace duet::client::detail
