// multipart/form-data parsing (django.http.multipartparser), push-style so the same parser serves a
// blocking read loop and an async one, and never holds more than a bounded window of the body.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/http/multivaluedict.hpp"
#include "duet/http/querydict.hpp"
#include "duet/http/uploadedfile.hpp"

namespace duet::conf {
struct Settings;
}

namespace duet::http {

/// Splits "form-data; name=\"a\"; filename*=UTF-8''%C3%A9" into ("form-data", {"name": "a", "filename":
/// "é"}): main value lower-cased, parameter names lower-cased, quotes removed, RFC 2231 values decoded.
std::pair<std::string, std::map<std::string, std::string>> parse_header_parameters(std::string_view line);

/// The low-level reader: finds boundaries and part headers, hands out body bytes as they arrive.
/// Throws MultiPartParserError on malformed input and SuspiciousMultipartForm on a part header block over
/// `max_header_size` bytes.
class MultipartReader {
 public:
  struct Callbacks {
    std::function<void(std::vector<std::pair<std::string, std::string>> headers)> on_part_begin;
    std::function<void(std::string_view data)> on_part_data;
    std::function<void()> on_part_end;
  };
  MultipartReader(std::string boundary, Callbacks callbacks, std::size_t max_header_size = 8192);
  void feed(std::string_view data);
  /// Call at the end of the body; throws MultiPartParserError unless the closing boundary was seen.
  void finish();
  bool done() const noexcept { return state_ == State::kDone; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone };
  void process();
  std::string delimiter_;  // "\r\n--" + boundary
  Callbacks cb_;
  std::size_t max_header_size_;
  std::string buf_;
  State state_ = State::kPreamble;
};

/// The result of parsing a form body: request.POST() and request.FILES().
struct ParsedForm {
  QueryDict post;
  MultiValueDict<std::shared_ptr<UploadedFile>> files;
};

/// Django's MultiPartParser with its limits: DATA_UPLOAD_MAX_NUMBER_FIELDS (TooManyFieldsSent),
/// DATA_UPLOAD_MAX_NUMBER_FILES (TooManyFilesSent), DATA_UPLOAD_MAX_MEMORY_SIZE on the non-file data
/// (RequestDataTooBig). Files go through the handler `make_handler` returns (SpillingUploadHandler with the
/// settings' limits when null).
class MultiPartParser {
 public:
  /// `content_type` is the full header value; throws MultiPartParserError for a missing/invalid boundary.
  MultiPartParser(std::string_view content_type, const conf::Settings& settings,
                  UploadHandlerFactory make_handler = nullptr);
  ~MultiPartParser();
  void feed(std::string_view data);
  ParsedForm finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::http
