// FileResponse (django.http.FileResponse), with single byte-range support.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "duet/http/response.hpp"

namespace duet::http {

class HttpRequest;

struct FileResponseOptions {
  /// Content-Disposition: attachment instead of inline.
  bool as_attachment = false;
  /// The name the client sees; defaults to the file's name.
  std::optional<std::string> filename{};
  /// Defaults to a guess from the file name's extension, else application/octet-stream.
  std::optional<std::string> content_type{};
  /// The request's Range header: a single "bytes=a-b", "bytes=a-" or "bytes=-n" range gives 206 with
  /// Content-Range, an unsatisfiable one 416; anything else (several ranges, bad syntax) is ignored and the
  /// whole file is sent, as RFC 9110 allows.
  std::optional<std::string> range{};
  std::size_t block_size = 64 * 1024;
};

/// Streams a file in blocks with Content-Length, Content-Type, Content-Disposition and Accept-Ranges.
/// Throws Http404 if the file cannot be opened.
class FileResponse : public StreamingHttpResponse {
 public:
  explicit FileResponse(const std::filesystem::path& path, FileResponseOptions options = {});
  /// Takes the Range header from `request`.
  FileResponse(HttpRequest& request, const std::filesystem::path& path, FileResponseOptions options = {});
};

/// The MIME type for a file name, from its extension (Python's mimetypes for common types), or "".
std::string guess_content_type(std::string_view filename);

}  // namespace duet::http
