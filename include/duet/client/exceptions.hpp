// The client's errors, named and arranged as httpx's so a Django user catches the same things.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace duet::client {

class Response;

/// Base of every error the client raises for a request or a response.
class HTTPError : public std::runtime_error {
 public:
  HTTPError(const std::string& message, std::string method, std::string url);
  /// The request that failed (httpx's exc.request): its method and full URL.
  const std::string& method() const noexcept { return method_; }
  const std::string& url() const noexcept { return url_; }

 private:
  std::string method_;
  std::string url_;
};

/// The request could not be completed (nothing, or only part of a response, came back).
class RequestError : public HTTPError {
 public:
  using HTTPError::HTTPError;
};

/// The URL is malformed or its scheme is not http/https.
class InvalidURL : public RequestError {
 public:
  using RequestError::RequestError;
};

class TransportError : public RequestError {
 public:
  using RequestError::RequestError;
};

/// One of the four timeouts of ClientOptions::timeout fired.
class TimeoutException : public TransportError {
 public:
  using TransportError::TransportError;
};
/// Resolving, connecting or the TLS handshake took longer than Timeout::connect.
class ConnectTimeout : public TimeoutException {
 public:
  using TimeoutException::TimeoutException;
};
/// No byte of the response arrived for Timeout::read.
class ReadTimeout : public TimeoutException {
 public:
  using TimeoutException::TimeoutException;
};
/// Sending the request stalled for Timeout::write.
class WriteTimeout : public TimeoutException {
 public:
  using TimeoutException::TimeoutException;
};
/// No connection of the origin's pool became free within Timeout::pool.
class PoolTimeout : public TimeoutException {
 public:
  using TimeoutException::TimeoutException;
};

class NetworkError : public TransportError {
 public:
  using TransportError::TransportError;
};
/// Name resolution failed, the connection was refused, or TLS verification failed.
class ConnectError : public NetworkError {
 public:
  using NetworkError::NetworkError;
};
/// The connection broke while reading the response.
class ReadError : public NetworkError {
 public:
  using NetworkError::NetworkError;
};
/// The connection broke while sending the request.
class WriteError : public NetworkError {
 public:
  using NetworkError::NetworkError;
};

class ProtocolError : public TransportError {
 public:
  using TransportError::TransportError;
};
/// The server sent something that is not valid HTTP/1.1 (or closed mid-response).
class RemoteProtocolError : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

/// The response body (or head) is larger than ClientOptions::max_response_size (max_header_size).
class ResponseTooLarge : public RequestError {
 public:
  using RequestError::RequestError;
};

/// response.json() on a body that is not JSON.
class DecodingError : public RequestError {
 public:
  using RequestError::RequestError;
};

/// More redirects than ClientOptions::max_redirects while following them.
class TooManyRedirects : public RequestError {
 public:
  using RequestError::RequestError;
};

/// Raised by Response::raise_for_status() for a 4xx or 5xx answer; carries the response.
class HTTPStatusError : public HTTPError {
 public:
  HTTPStatusError(const std::string& message, std::shared_ptr<const Response> response);
  const Response& response() const noexcept { return *response_; }

 private:
  std::shared_ptr<const Response> response_;
};

}  // namespace duet::client
