// A tiny blocking HTTP/1.1 server for the client tests (one thread per connection, plain or TLS), whose
// answers the test scripts: delays, chunked bodies, closed connections, raw bytes.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace duet::client::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Request = http::request<http::string_body>;

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  /// Sent with Transfer-Encoding: chunked, one chunk each, `chunk_delay` apart (body is ignored).
  std::vector<std::string> chunks{};
  std::chrono::milliseconds chunk_delay{0};
  /// Before anything is sent.
  std::chrono::milliseconds delay{0};
  /// Close the connection after this reply (without saying so when `silent_close`).
  bool close = false;
  bool silent_close = false;
  /// Sent as is instead of a built reply.
  std::string raw{};
  /// Do not read the request at all; just sleep this long and close (for write timeouts).
  std::chrono::milliseconds stall{0};
};

class TestServer {
 public:
  using Handler = std::function<Reply(const Request&)>;

  explicit TestServer(Handler handler, std::shared_ptr<asio::ssl::context> tls = nullptr)
      : handler_(std::move(handler)), tls_(std::move(tls)), acceptor_(io_) {
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    stopping_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& thread : threads_)
      thread.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_; }
  int max_concurrent() const { return max_concurrent_; }
  int requests() const { return requests_; }
  /// Connections whose client has not closed them yet.
  int concurrent() const { return concurrent_; }

 private:
  void accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      ++accepted_;
      std::lock_guard lock(mutex_);
      open_fds_.push_back(socket.native_handle());
      threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(asio::ip::tcp::socket socket) {
    int now = ++concurrent_;
    int seen = max_concurrent_;
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    if (tls_) {
      asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, *tls_);
      boost::system::error_code ec;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) exchange(stream);
    } else {
      exchange(socket);
    }
    --concurrent_;
    // Forget the descriptor before the socket closes it: the number may be reused by the client's sockets.
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, socket.native_handle());
  }

  template <class Stream>
  void exchange(Stream& stream) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      Request request;
      boost::system::error_code ec;
      http::read(stream, buffer, request, ec);
      if (ec) return;
      ++requests_;
      Reply reply = handler_(request);
      if (reply.stall.count()) {
        std::this_thread::sleep_for(reply.stall);
        return;
      }
      if (reply.delay.count()) std::this_thread::sleep_for(reply.delay);
      if (!reply.raw.empty()) {
        asio::write(stream, asio::buffer(reply.raw), ec);
        if (reply.close || reply.silent_close) return;
        continue;
      }
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                         std::string(http::obsolete_reason(static_cast<http::status>(reply.status))) + "\r\n";
      for (const auto& [name, value] : reply.headers)
        head += name + ": " + value + "\r\n";
      if (reply.close) head += "Connection: close\r\n";
      if (!reply.chunks.empty()) {
        head += "Transfer-Encoding: chunked\r\n\r\n";
        asio::write(stream, asio::buffer(head), ec);
        for (const auto& chunk : reply.chunks) {
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
          std::string piece = size + chunk + "\r\n";
          asio::write(stream, asio::buffer(piece), ec);
          if (ec) return;
          if (reply.chunk_delay.count()) std::this_thread::sleep_for(reply.chunk_delay);
        }
        asio::write(stream, asio::buffer(std::string("0\r\n\r\n")), ec);
      } else {
        head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
        if (request.method() != http::verb::head) head += reply.body;
        asio::write(stream, asio::buffer(head), ec);
      }
      if (ec || reply.close || reply.silent_close) return;
    }
  }

  Handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  std::atomic<int> requests_{0};
};

}  // namespace duet::client::testing
