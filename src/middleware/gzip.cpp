#include "duet/middleware/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include "duet/middleware/cache.hpp"
#include "response_access.hpp"

namespace duet::middleware {

namespace {

constexpr int kLevel = 6;                    // Django's compresslevel
constexpr std::size_t kMaxInput = 1u << 30;  // zlib counts in uInt: feed huge inputs in pieces

// One gzip member being written: deflate with the gzip wrapper (windowBits 15 + 16).
class GzipWriter {
 public:
  GzipWriter() {
    if (deflateInit2(&z_, kLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib deflateInit2 failed");
  }
  ~GzipWriter() { deflateEnd(&z_); }
  /// Starts a new gzip member, keeping the allocated state.
  void reset() {
    if (deflateReset(&z_) != Z_OK) throw std::runtime_error("zlib deflateReset failed");
  }
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  /// Compresses `in`; Z_SYNC_FLUSH makes everything written so far decodable, Z_FINISH ends the member.
  std::string write(std::string_view in, int flush) {
    std::string out;
    do {
      auto piece = in.substr(0, std::min(in.size(), kMaxInput));
      in.remove_prefix(piece.size());
      const int mode = in.empty() ? flush : Z_NO_FLUSH;
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
      z_.avail_in = static_cast<uInt>(piece.size());
      int rc;
      do {
        char buffer[16384];
        z_.next_out = reinterpret_cast<Bytef*>(buffer);
        z_.avail_out = sizeof buffer;
        rc = deflate(&z_, mode);
        if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib deflate failed");
        out.append(buffer, sizeof buffer - z_.avail_out);
      } while (z_.avail_out == 0 || (mode == Z_FINISH && rc != Z_STREAM_END));
    } while (!in.empty());
    return out;
  }

 private:
  z_stream z_{};
};

// Django's re_accepts_gzip: \bgzip\b, case-sensitive.
bool accepts_gzip(std::string_view accept_encoding) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t at = accept_encoding.find("gzip"); at != std::string_view::npos;
       at = accept_encoding.find("gzip", at + 1)) {
    bool before = at == 0 || !word(accept_encoding[at - 1]);
    bool after = at + 4 == accept_encoding.size() || !word(accept_encoding[at + 4]);
    if (before && after) return true;
  }
  return false;
}

// The state of one compressed stream: the original response (only its stream is read) and the writer.
struct GzipStream {
  explicit GzipStream(http::HttpResponse source) : source(std::move(source)) {}
  http::HttpResponse source;
  GzipWriter writer;
  bool done = false;
};

std::optional<std::string> next_sync(const std::shared_ptr<GzipStream>& s) {
  if (s->done) return std::nullopt;
  if (auto chunk = s->source.next_chunk()) return s->writer.write(*chunk, Z_SYNC_FLUSH);
  s->done = true;
  return s->writer.write({}, Z_FINISH);
}

Task<std::optional<std::string>> next_async(std::shared_ptr<GzipStream> s) {
  if (s->done) co_return std::nullopt;
  if (auto chunk = co_await s->source.anext_chunk()) co_return s->writer.write(*chunk, Z_SYNC_FLUSH);
  s->done = true;
  co_return s->writer.write({}, Z_FINISH);
}

}  // namespace

std::string compress_string(std::string_view data) {
  // deflate's state is ~256 KiB: allocating it per response (glibc then maps, faults in and trims it) cost
  // ~100x the compression of a 2 KB page here, so each thread keeps one and resets it.
  thread_local GzipWriter writer;
  writer.reset();
  return writer.write(data, Z_FINISH);
}

std::string decompress_string(std::string_view data, std::size_t max_size) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw std::runtime_error("zlib inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  if (data.size() > kMaxInput) throw std::runtime_error("gzip input too large");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  for (;;) {
    char buffer[16384];
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) throw std::runtime_error("corrupt gzip data");
    out.append(buffer, sizeof buffer - z.avail_out);
    if (out.size() > max_size) throw std::runtime_error("gzip data expands beyond the limit");
    if (rc == Z_STREAM_END) return out;
    if (z.avail_in == 0 && z.avail_out != 0) throw std::runtime_error("truncated gzip data");
  }
}

http::HttpResponse GZipMiddleware::process_response(http::HttpRequest& request, http::HttpResponse response) {
  if (!response.streaming() && response.content().size() < min_length) return response;
  if (response.headers.contains("Content-Encoding")) return response;
  patch_vary_headers(response, {"Accept-Encoding"});
  if (!accepts_gzip(request.headers.get("Accept-Encoding", ""))) return response;

  if (response.streaming()) {
    auto state = std::make_shared<GzipStream>(response);
    // The wrapper keeps the generator's mode: no new thread hop either way.
    if (response.is_async()) {
      detail::ResponseAccess::restream(response,
                                       http::AsyncChunkGenerator([state] { return next_async(state); }));
    } else {
      detail::ResponseAccess::restream(response, http::ChunkGenerator([state] { return next_sync(state); }));
    }
    // The compressed length is not known until the end.
    response.headers.erase("Content-Length");
  } else {
    std::string compressed = compress_string(response.content());
    if (compressed.size() >= response.content().size()) return response;
    response.set_content(std::move(compressed));
    response.headers.set("Content-Length", std::to_string(response.content().size()));
  }
  // RFC 7232 §2.1: a strong ETag names the exact bytes, which the encoding changed; a weak one still lets
  // conditional requests match.
  if (auto etag = response.headers.get("ETag"); etag && etag->starts_with('"'))
    response.headers.set("ETag", "W/" + *etag);
  response.headers.set("Content-Encoding", "gzip");
  return response;
}

}  // namespace duet::middleware
