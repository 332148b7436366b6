// ConditionalGetMiddleware (django.middleware.http): ETag and Last-Modified answered with 304 or 412.
#pragma once

#include "duet/handlers/middleware.hpp"

namespace duet::middleware {

/// Django's ConditionalGetMiddleware: for a successful (2xx) GET or HEAD, adds an ETag (MD5 of a
/// non-empty buffered body) unless there is one or Cache-Control says no-store, then answers
/// If-None-Match / If-Modified-Since with 304 Not Modified and a failed If-Match / If-Unmodified-Since
/// with 412 Precondition Failed (RFC 7232 §6). Django 3.2 leaves HEAD alone; duet's HEAD responses still
/// carry the GET body at this point, so the same ETag holds and HEAD is treated as GET. CPU only, so it
/// runs in either mode.
class ConditionalGetMiddleware : public handlers::Middleware {
 public:
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;

  http::HttpResponse process_response(http::HttpRequest& request, http::HttpResponse response) override;
};

}  // namespace duet::middleware
