// Helpers for the server tests: a server on a free port and a blocking raw-socket client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <duet/asgi/application.hpp>
#include <duet/runtime.hpp>
#include <duet/server/server.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace duet::testing {

/// A Runtime and a started Server on 127.0.0.1:<free port>.
struct TestServer {
  explicit TestServer(asgi::Application app, server::ServerOptions options = {}, std::size_t loops = 2)
      : runtime(RuntimeOptions{.loops = loops}) {
    if (options.unix_socket.empty() && options.host == "127.0.0.1") options.port = 0;
    if (options.port == 8000) options.port = 0;
    server = std::make_unique<server::Server>(runtime, std::move(app), options);
    server->start();
  }
  ~TestServer() { server.reset(); }
  std::uint16_t port() const { return server->port(); }

  Runtime runtime;
  std::unique_ptr<server::Server> server;
};

/// A blocking client socket with a receive timeout, so a test fails instead of hanging.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, const char* host = "127.0.0.1") {
    sockaddr_storage storage{};
    socklen_t length;
    if (std::string(host).find(':') != std::string::npos) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      ::inet_pton(AF_INET6, host, &in6->sin6_addr);
      length = sizeof(sockaddr_in6);
    } else {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      in->sin_port = htons(port);
      ::inet_pton(AF_INET, host, &in->sin_addr);
      length = sizeof(sockaddr_in);
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect_or_throw(reinterpret_cast<sockaddr*>(&storage), length);
  }
  explicit RawClient(const std::string& unix_path) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof un.sun_path, "%s", unix_path.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect_or_throw(reinterpret_cast<sockaddr*>(&un), sizeof un);
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads until the peer closes (or the timeout); returns everything read.
  std::string read_all(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    set_timeout(timeout);
    std::string out = std::move(pending_);
    pending_.clear();
    char buffer[8192];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// True if the server closed the connection (recv returns 0 or a reset) within the timeout.
  bool closed_by_peer(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    set_timeout(timeout);
    char buffer[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

  /// Reads exactly one response (Content-Length, chunked, or no body); returns head + raw body.
  std::string read_response(bool head_request = false) {
    set_timeout(std::chrono::seconds(10));
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos)
      fill();
    std::string head = pending_.substr(0, head_end + 4);
    std::string lower = head;
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t body_start = head_end + 4;
    std::size_t total = body_start;
    bool informational = head.starts_with("HTTP/1.1 1");
    if (!head_request && !informational) {
      if (auto cl = lower.find("content-length: "); cl != std::string::npos) {
        total += std::stoul(lower.substr(cl + 16));
        while (pending_.size() < total)
          fill();
      } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        while (pending_.find("\r\n0\r\n\r\n", body_start - 2) == std::string::npos)
          fill();
        total = pending_.find("\r\n0\r\n\r\n", body_start - 2) + 7;
      }
    }
    std::string response = pending_.substr(0, total);
    pending_.erase(0, total);
    return response;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  void connect_or_throw(sockaddr* address, socklen_t length) {
    if (::connect(fd_, address, length) != 0) throw std::runtime_error("connect failed");
  }
  void set_timeout(std::chrono::seconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void fill() {
    char buffer[8192];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) throw std::runtime_error("connection closed while reading a response; got: " + pending_);
    pending_.append(buffer, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string pending_;
};

/// The body of a raw response (after the head), de-chunked if needed.
/// Polls `condition` for up to 10 s (not a timing assertion: only a bound so a failure does not hang).
template <class F>
bool eventually(F condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

inline std::string body_of(const std::string& response) {
  std::size_t start = response.find("\r\n\r\n");
  if (start == std::string::npos) return {};
  std::string body = response.substr(start + 4);
  if (response.find("Transfer-Encoding: chunked") == std::string::npos) return body;
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    std::size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string::npos) break;
    std::size_t size = std::stoul(body.substr(pos, line_end - pos), nullptr, 16);
    if (size == 0) break;
    out += body.substr(line_end + 2, size);
    pos = line_end + 2 + size + 2;
  }
  return out;
}

/// Runs a shell command and returns its stdout.
inline std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace duet::testing
