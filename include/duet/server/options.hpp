// ServerOptions: where to listen, limits, timeouts and shutdown behaviour of the HTTP/1.1 server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace duet::server {

/// Each limit answers with its own status and closes the connection.
struct Limits {
  /// Request line (method, target, version), without CRLF. Longer: 414 URI Too Long.
  std::size_t max_request_line = 8 * 1024;
  /// All header field lines together. Larger: 431 Request Header Fields Too Large.
  std::size_t max_header_bytes = 16 * 1024;
  /// Number of header fields. More: 431.
  std::size_t max_header_count = 100;
  /// Request body (Content-Length or the sum of chunks). Larger: 413 Content Too Large.
  std::uint64_t max_body = 10 * 1024 * 1024;
  /// Open connections across all loops; a connection past it gets 503 and is closed.
  std::size_t max_connections = 100'000;
  /// One WebSocket message (all its frames). Larger: the connection is closed with 1009 (too big).
  std::size_t max_websocket_message = 1024 * 1024;
};

/// Timeouts close the connection (a slow client cannot hold it forever). Checked about once a second.
struct Timeouts {
  /// From the first byte of a request to the end of its header block (total, like nginx's
  /// client_header_timeout): a slowloris client trickling header bytes is cut off.
  std::chrono::milliseconds header{10'000};
  /// Between two reads of the request body, while the application waits for it.
  std::chrono::milliseconds body{30'000};
  /// A keep-alive connection with no request in progress.
  std::chrono::milliseconds idle{10'000};
  /// Between two successful writes of the response.
  std::chrono::milliseconds write{30'000};
  /// TLS handshake, from accept to the end of the handshake.
  std::chrono::milliseconds tls_handshake{10'000};
  /// A WebSocket that receives nothing for this long is closed; a ping goes out at half of it, so a live
  /// client answering pings is never cut off. Zero disables both.
  std::chrono::milliseconds websocket_idle{40'000};
};

/// TLS (HTTPS, wss): set both paths to serve TLS on the TCP listener; scope.scheme becomes "https"/"wss".
struct TlsOptions {
  /// PEM certificate chain (the server's certificate first, then intermediates).
  std::string certfile;
  /// PEM private key of the certificate (unencrypted).
  std::string keyfile;

  bool enabled() const noexcept { return !certfile.empty() || !keyfile.empty(); }
};

struct ServerOptions {
  /// TCP host: an address ("127.0.0.1", "::", "0.0.0.0") or a name to resolve ("localhost").
  std::string host = "127.0.0.1";
  /// TCP port; 0 picks a free one (see Server::port()).
  std::uint16_t port = 8000;
  /// If set, listen on this Unix socket path instead of TCP.
  std::string unix_socket;
  Limits limits;
  Timeouts timeouts;
  /// Off unless both files are given (TCP only; a Unix socket with TLS is refused at start()).
  TlsOptions tls;
  /// The Server header; empty leaves it out.
  std::string server_header = "duet";
  /// The mount point the application sees as scope.root_path.
  std::string root_path;
  /// One line per request, combined log format, on stdout.
  bool access_log = false;
  /// Run the application's lifespan scope around serving (auto mode: skipped if unsupported).
  bool lifespan = true;
  /// How long in-flight requests may take to finish after shutdown starts.
  std::chrono::milliseconds graceful_timeout{30'000};
  /// Threaded mode only: connections served at once (one thread each); more wait in the accept queue.
  std::size_t threads = 64;
};

}  // namespace duet::server
