#include "duet/server/threaded_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "access_log.hpp"
#include "head_scanner.hpp"
#include "request_parser.hpp"
#include "response_head.hpp"

namespace duet::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

using detail::Framing;
using detail::HeadScan;
using detail::RequestParser;

void set_timeout(int fd, int option, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // error or SO_SNDTIMEO (write timeout)
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<asgi::Address> address_from(const sockaddr_storage& storage) {
  char host[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return asgi::Address{host, ntohs(in->sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return asgi::Address{host, ntohs(in6->sin6_port)};
  }
  if (storage.ss_family == AF_UNIX) {
    auto* un = reinterpret_cast<const sockaddr_un*>(&storage);
    return asgi::Address{un->sun_path, 0};
  }
  return std::nullopt;
}

struct BodyError {
  int status;
};

/// The request body read from the blocking socket: Content-Length or chunked, bounded by max_body.
class SocketInput final : public asgi::InputStream {
 public:
  SocketInput(int fd, std::string& buffer, RequestParser& parser, const ServerOptions& options)
      : fd_(fd), buffer_(buffer), parser_(parser), options_(options) {
    chunked_ = parser.chunked();
    remaining_ = chunked_ ? 0 : parser.content_length().value_or(0);
    done_ = !chunked_ && remaining_ == 0;
    expect_continue_ = parser.expect_continue() && !done_;
  }

  std::size_t read(std::span<char> dest) override {
    while (pending_offset_ == pending_.size()) {
      if (done_) return 0;
      pending_.clear();
      pending_offset_ = 0;
      fill();
    }
    std::size_t n = std::min(dest.size(), pending_.size() - pending_offset_);
    std::memcpy(dest.data(), pending_.data() + pending_offset_, n);
    pending_offset_ += n;
    return n;
  }

  bool done() const noexcept { return done_; }

 private:
  void fill() {
    if (expect_continue_) {
      expect_continue_ = false;
      if (!send_all(fd_, "HTTP/1.1 100 Continue\r\n\r\n")) throw asgi::ClientDisconnected();
    }
    if (buffer_.empty()) receive_more();
    if (chunked_) {
      int status = 0;
      std::size_t used = parser_.parse_chunked(buffer_.data(), buffer_.size(), pending_, status);
      if (status) throw BodyError{status};
      buffer_.erase(0, used);
      done_ = parser_.is_done();
      if (!done_ && pending_.empty() && used == 0) receive_more();
    } else {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), remaining_));
      pending_.assign(buffer_, 0, n);
      buffer_.erase(0, n);
      remaining_ -= n;
      done_ = remaining_ == 0;
    }
  }

  void receive_more() {
    set_timeout(fd_, SO_RCVTIMEO, options_.timeouts.body);
    char chunk[16 * 1024];
    ssize_t n;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) throw asgi::ClientDisconnected();
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }

  int fd_;
  std::string& buffer_;
  RequestParser& parser_;
  const ServerOptions& options_;
  std::string pending_;
  std::size_t pending_offset_ = 0;
  bool chunked_ = false;
  std::uint64_t remaining_ = 0;
  bool done_ = false;
  bool expect_continue_ = false;
};

}  // namespace

struct ThreadedServer::Impl {
  Impl(asgi::SyncApplication app, ServerOptions options) : app(std::move(app)), options(std::move(options)) {}

  void accept_loop();
  void serve_connection(int fd);
  bool serve_one(int fd, std::string& buffer, asgi::Scope& scope, bool first);
  void set_idle(int fd, bool idle);

  asgi::SyncApplication app;
  ServerOptions options;
  std::shared_ptr<asgi::State> state = std::make_shared<asgi::State>();
  int listen_fd = -1;
  std::uint16_t port = 0;
  std::thread acceptor;

  std::mutex mutex;
  std::condition_variable changed;
  std::map<int, bool> connections;  // fd -> idle
  std::size_t active_threads = 0;
  bool stopping = false;
  bool stopped = false;
  std::chrono::steady_clock::time_point grace_deadline;
};

ThreadedServer::ThreadedServer(asgi::SyncApplication app, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(app), std::move(options))) {}

ThreadedServer::~ThreadedServer() {
  if (impl_->listen_fd >= 0 && !impl_->stopped) {
    impl_->options.graceful_timeout = std::chrono::milliseconds(0);
    shutdown();
    wait();
  }
}

std::uint16_t ThreadedServer::port() const noexcept {
  return impl_->port;
}

void ThreadedServer::start() {
  auto& o = impl_->options;
  if (o.tls.enabled())
    throw std::invalid_argument("ThreadedServer does not serve TLS (use the async Server)");
  if (!o.unix_socket.empty()) {
    asio::io_context io;
    struct stat st;
    if (::stat(o.unix_socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(o.unix_socket.c_str());
    asio::local::stream_protocol::acceptor acceptor(io,
                                                    asio::local::stream_protocol::endpoint(o.unix_socket));
    impl_->listen_fd = acceptor.release();
  } else {
    asio::io_context io;
    boost::system::error_code ec;
    tcp::endpoint endpoint;
    auto address = asio::ip::make_address(o.host, ec);
    if (ec) {
      tcp::resolver resolver(io);
      endpoint = *resolver.resolve(o.host, std::to_string(o.port)).begin();
    } else {
      endpoint = tcp::endpoint(address, o.port);
    }
    tcp::acceptor acceptor(io, endpoint, true);
    impl_->port = acceptor.local_endpoint().port();
    impl_->listen_fd = acceptor.release();
  }
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

void ThreadedServer::Impl::accept_loop() {
  for (;;) {
    {
      // At most `threads` connections at once; the rest wait in the kernel's accept queue.
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return active_threads < options.threads || stopping; });
      if (stopping) break;
    }
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      std::lock_guard lock(mutex);
      if (stopping) break;
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex);
    if (stopping) {
      ::close(fd);
      break;
    }
    ++active_threads;
    connections[fd] = true;
    std::thread([this, fd] {
      serve_connection(fd);
      std::lock_guard lock(mutex);
      connections.erase(fd);
      ::close(fd);
      --active_threads;
      changed.notify_all();
    }).detach();
  }
}

void ThreadedServer::Impl::set_idle(int fd, bool idle) {
  std::lock_guard lock(mutex);
  connections[fd] = idle;
}

void ThreadedServer::Impl::serve_connection(int fd) {
  asgi::Scope scope;
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0)
    scope.client = address_from(storage);
  length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0)
    scope.server = address_from(storage);
  scope.root_path = options.root_path;
  scope.state = state;
  set_timeout(fd, SO_SNDTIMEO, options.timeouts.write);
  std::string buffer;
  bool first = true;
  while (serve_one(fd, buffer, scope, first))
    first = false;
}

bool ThreadedServer::Impl::serve_one(int fd, std::string& buffer, asgi::Scope& scope, bool first) {
  {
    std::lock_guard lock(mutex);
    if (stopping) return false;
    connections[fd] = buffer.empty();
  }
  // The head. SO_RCVTIMEO bounds each wait; the header deadline bounds the whole head.
  const auto header_deadline = std::chrono::steady_clock::now() + options.timeouts.header;
  set_timeout(fd, SO_RCVTIMEO, buffer.empty() && !first ? options.timeouts.idle : options.timeouts.header);
  HeadScan scan;
  for (;;) {
    buffer.erase(0, detail::leading_empty_lines(buffer.data(), buffer.size()));
    if (!buffer.empty()) {
      scan = detail::scan_head(buffer.data(), buffer.size(), options.limits);
      if (scan.result != HeadScan::need_more) break;
      if (std::chrono::steady_clock::now() > header_deadline) return false;
    }
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (buffer.empty()) {
      set_idle(fd, false);
      set_timeout(fd, SO_RCVTIMEO, options.timeouts.header);
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  set_idle(fd, false);
  auto fail = [&](int status) {
    std::string out;
    detail::write_error(out, status, options.server_header);
    send_all(fd, out);
    ::shutdown(fd, SHUT_WR);
    return false;
  };
  if (scan.result == HeadScan::error) return fail(scan.status);
  RequestParser parser(options.limits, scope);
  if (int status = parser.parse_head(buffer.data(), scan.head_length)) return fail(status);
  buffer.erase(0, scan.head_length);

  SocketInput input(fd, buffer, parser, options);
  asgi::SyncResponse response;
  try {
    response = app(scope, input);
  } catch (const BodyError& e) {
    return fail(e.status);
  } catch (const asgi::ClientDisconnected&) {
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "duet: %s %s: %s\n", scope.method.c_str(), scope.path.c_str(), e.what());
    return fail(500);
  }
  bool keep_alive;
  {
    std::lock_guard lock(mutex);
    keep_alive = parser.keep_alive() && input.done() && !stopping;
  }
  std::string out;
  const bool streamed = static_cast<bool>(response.next_chunk);
  detail::HeadPlan plan;
  try {
    plan = detail::write_head(out, response.status, response.headers,
                              streamed ? -1 : static_cast<std::int64_t>(response.body.size()),
                              parser.head_request(), parser.version(), keep_alive, options.server_header);
  } catch (const std::exception&) {
    return fail(500);
  }
  std::uint64_t body_bytes = 0;
  auto append = [&](const std::string& piece) {
    body_bytes += piece.size();
    if (plan.framing == Framing::none || piece.empty()) return;
    if (plan.framing == Framing::chunked) {
      char hex[20];
      out.append(hex, std::to_chars(hex, hex + sizeof hex, piece.size(), 16).ptr).append("\r\n");
      out.append(piece).append("\r\n");
    } else {
      out.append(piece);
    }
  };
  append(response.body);
  if (streamed) {
    try {
      while (auto piece = response.next_chunk()) {
        append(*piece);
        // Streamed: write as it comes, so a slow generator's client sees data early.
        if (!send_all(fd, out)) return false;
        out.clear();
      }
    } catch (const std::exception&) {
      return false;  // half a response: closing is the only signal left
    }
  }
  if (plan.framing == Framing::chunked) out.append("0\r\n\r\n");
  if (!send_all(fd, out)) return false;
  if (options.access_log) detail::write_access_log(scope, response.status, body_bytes);
  if (plan.framing == Framing::content_length &&
      body_bytes != static_cast<std::uint64_t>(plan.declared_length)) {
    return false;
  }
  return plan.keep_alive;
}

void ThreadedServer::shutdown() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopping) return;
  impl_->stopping = true;
  impl_->grace_deadline = std::chrono::steady_clock::now() + impl_->options.graceful_timeout;
  // Wakes the acceptor's accept() (Linux returns EINVAL) and every idle connection's recv().
  ::shutdown(impl_->listen_fd, SHUT_RDWR);
  for (auto [fd, idle] : impl_->connections) {
    if (idle) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->changed.notify_all();
}

void ThreadedServer::wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [&] { return impl_->stopping; });
  if (impl_->stopped) return;
  if (!impl_->changed.wait_until(lock, impl_->grace_deadline, [&] { return impl_->active_threads == 0; })) {
    for (auto [fd, idle] : impl_->connections)
      ::shutdown(fd, SHUT_RDWR);
    impl_->changed.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->active_threads == 0; });
  }
  lock.unlock();
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  ::close(impl_->listen_fd);
  lock.lock();
  impl_->stopped = true;
}

int ThreadedServer::serve() {
  start();
  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) shutdown();
  });
  std::thread signal_thread([&io] { io.run(); });
  if (impl_->options.unix_socket.empty()) {
    std::fprintf(stderr, "duet: serving on http://%s:%u (threaded, %zu threads)\n",
                 impl_->options.host.c_str(), port(), impl_->options.threads);
  } else {
    std::fprintf(stderr, "duet: serving on unix:%s (threaded)\n", impl_->options.unix_socket.c_str());
  }
  wait();
  io.stop();
  signal_thread.join();
  return 0;
}

}  // namespace duet::server
