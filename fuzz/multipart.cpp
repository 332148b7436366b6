// Fuzzes the multipart parser: the first byte picks a chunk size, so boundaries and headers are split at
// every position; any input must end in a parsed form or a 400-class exception, never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "duet/conf/settings.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t step = data[0] % 64 + 1;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const duet::conf::Settings settings = [] {
    duet::conf::Settings s;
    s.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024;
    s.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50;
    s.DATA_UPLOAD_MAX_NUMBER_FILES = 5;
    s.FILE_UPLOAD_MAX_MEMORY_SIZE = 256;  // exercise the temp-file path too
    return s;
  }();
  try {
    duet::http::MultiPartParser parser("multipart/form-data; boundary=XyZ", settings);
    for (std::size_t pos = 0; pos < body.size(); pos += step)
      parser.feed(body.substr(pos, step));
    auto form = parser.finish();
    for (const auto& [name, files] : form.files.lists())
      for (const auto& f : files)
        if (f && f->read().size() != f->size()) std::abort();
  } catch (const duet::http::HttpException& e) {
    if (e.status_code() != 400 && e.status_code() != 413) std::abort();
  }
  return 0;
}
