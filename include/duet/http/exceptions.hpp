// The exceptions a view or the request machinery throws to produce a client error (django.core.exceptions,
// django.http). Each knows the status the handler layer turns it into; anything else becomes a 500.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace duet::http {

/// Base of every exception that maps to a specific HTTP status.
class HttpException : public std::runtime_error {
 public:
  HttpException(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status_code() const noexcept { return status_; }

 private:
  int status_;
};

/// 404. Django: django.http.Http404.
class Http404 : public HttpException {
 public:
  explicit Http404(const std::string& message = "Not Found") : HttpException(404, message) {}
};

/// 403.
class PermissionDenied : public HttpException {
 public:
  explicit PermissionDenied(const std::string& message = "Permission denied") : HttpException(403, message) {}
};

/// 400: the request is malformed.
class BadRequest : public HttpException {
 public:
  explicit BadRequest(const std::string& message = "Bad Request") : HttpException(400, message) {}

 protected:
  BadRequest(int status, const std::string& message) : HttpException(status, message) {}
};

/// 400: the client did something suspicious (logged as a security event by the handler layer).
class SuspiciousOperation : public HttpException {
 public:
  explicit SuspiciousOperation(const std::string& message) : HttpException(400, message) {}

 protected:
  SuspiciousOperation(int status, const std::string& message) : HttpException(status, message) {}
};

/// The Host header is not in ALLOWED_HOSTS (or is malformed).
class DisallowedHost : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// A redirect to a scheme other than http, https or ftp.
class DisallowedRedirect : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// A multipart body that looks like an attack (e.g. a part header block too large).
class SuspiciousMultipartForm : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// A path that escapes its allowed directory.
class SuspiciousFileOperation : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS.
class TooManyFieldsSent : public SuspiciousOperation {
 public:
  TooManyFieldsSent()
      : SuspiciousOperation(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.") {}
};

/// More files than DATA_UPLOAD_MAX_NUMBER_FILES.
class TooManyFilesSent : public SuspiciousOperation {
 public:
  TooManyFilesSent()
      : SuspiciousOperation("The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES.") {}
};

/// 413: the body (or the non-file part of a multipart body) exceeds DATA_UPLOAD_MAX_MEMORY_SIZE.
class RequestDataTooBig : public SuspiciousOperation {
 public:
  RequestDataTooBig()
      : SuspiciousOperation(413, "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.") {}
};

/// 400: a multipart body that cannot be parsed. (Django lets this become a 500; a malformed body is the
/// client's fault, so duet answers 400.)
class MultiPartParserError : public BadRequest {
 public:
  explicit MultiPartParserError(const std::string& message) : BadRequest(message) {}
};

/// 400: the body could not be read (the client went away or sent less than it announced).
class UnreadablePostError : public BadRequest {
 public:
  explicit UnreadablePostError(const std::string& message) : BadRequest(message) {}
};

/// Reading the body after it was consumed as a stream (or the reverse).
class RawPostDataException : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A header name or value containing CR or LF (header injection).
class BadHeaderError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The status an exception maps to: an HttpException's own status, 500 for anything else.
int status_for_exception(std::exception_ptr error) noexcept;

}  // namespace duet::http
