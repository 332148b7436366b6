// GZipMiddleware (django.middleware.gzip): compresses responses for clients that accept gzip.
#pragma once

#include <string>
#include <string_view>

#include "duet/handlers/middleware.hpp"

namespace duet::middleware {

/// Django's GZipMiddleware: a buffered response of at least 200 bytes, or any streaming one, without a
/// Content-Encoding, is compressed when Accept-Encoding names gzip; Vary gets Accept-Encoding either way. A
/// buffered response is kept as is if compressing does not make it shorter. A streaming response is
/// compressed chunk by chunk as it is sent — each chunk flushed, so server-sent events still arrive when
/// written (Django buffers inside the compressor) — and its generator keeps its mode: a sync one still
/// runs on the sync strand, an async one on the loop. A strong ETag becomes weak. CPU only, so it runs in
/// either mode.
class GZipMiddleware : public handlers::Middleware {
 public:
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;
  /// Shorter buffered responses are not worth compressing.
  static constexpr std::size_t min_length = 200;

  http::HttpResponse process_response(http::HttpRequest& request, http::HttpResponse response) override;
};

/// gzip (level 6, mtime 0, as Django's compress_string) of `data`.
std::string compress_string(std::string_view data);
/// Inverse of compress_string, for tests and clients; throws std::runtime_error on corrupt input or when
/// the result would exceed `max_size`.
std::string decompress_string(std::string_view data, std::size_t max_size = 64 * 1024 * 1024);

}  // namespace duet::middleware
