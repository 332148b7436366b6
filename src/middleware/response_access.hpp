// Replacing a response's streaming content in place. HttpResponse::set_streaming is protected (only the
// response family sets it); a middleware that wraps the stream (gzip) or empties it (304) must keep all
// else of the response — status, headers and cookies — and HttpResponse has no public way to copy cookies
// into a new response. So this derives to reach the protected member, on any response.
#pragma once

#include <utility>

#include "duet/http/response.hpp"

namespace duet::middleware::detail {

struct ResponseAccess : http::HttpResponse {
  static void restream(http::HttpResponse& response, http::ChunkGenerator generator) {
    using Setter = void (http::HttpResponse::*)(http::ChunkGenerator);
    Setter setter = &ResponseAccess::set_streaming;
    (response.*setter)(std::move(generator));
  }
  static void restream(http::HttpResponse& response, http::AsyncChunkGenerator generator) {
    using Setter = void (http::HttpResponse::*)(http::AsyncChunkGenerator);
    Setter setter = &ResponseAccess::set_streaming;
    (response.*setter)(std::move(generator));
  }
  /// Empties a streaming response's content, keeping its generator's mode (so the server drains it
  /// without an extra thread hop).
  static void drop_stream(http::HttpResponse& response) {
    if (response.is_async()) {
      restream(response, http::AsyncChunkGenerator(
                             []() -> Task<std::optional<std::string>> { co_return std::nullopt; }));
    } else {
      restream(response, http::ChunkGenerator([]() -> std::optional<std::string> { return std::nullopt; }));
    }
  }
};

}  // namespace duet::middleware::detail
