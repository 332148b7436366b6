#include "duet/http/multipart.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "duet/conf/settings.hpp"
#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/headers.hpp"

namespace duet::http {
namespace {

std::string_view strip(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on ';' outside double quotes (email.message._parseparam).
std::vector<std::string_view> split_params(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && quoted) {
      ++i;
    } else if (line[i] == '"') {
      quoted = !quoted;
    } else if (line[i] == ';' && !quoted) {
      out.push_back(strip(line.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(strip(line.substr(std::min(start, line.size()))));
  return out;
}

bool valid_boundary(std::string_view b) {
  // Django: ^[ -~]{0,200}[!-~]$
  if (b.empty() || b.size() > 201) return false;
  for (char c : b)
    if (c < ' ' || c > '~') return false;
  return b.back() != ' ';
}

std::string sanitize_file_name(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  auto s = std::string(strip(out));
  if (s == "." || s == "..") return {};
  return to_valid_utf8(s);
}

}  // namespace

std::pair<std::string, std::map<std::string, std::string>> parse_header_parameters(std::string_view line) {
  auto parts = split_params(line);
  std::pair<std::string, std::map<std::string, std::string>> out;
  out.first = lower(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto p = parts[i];
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = lower(strip(p.substr(0, eq)));
    bool encoded = false;
    if (!name.empty() && name.back() == '*') {
      name.pop_back();
      encoded = std::count(p.begin(), p.end(), '\'') == 2;
    }
    std::string value(strip(p.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      std::string unq;
      for (std::size_t k = 1; k + 1 < value.size(); ++k) {
        if (value[k] == '\\' && k + 2 < value.size() && (value[k + 1] == '\\' || value[k + 1] == '"')) ++k;
        unq.push_back(value[k]);
      }
      value = std::move(unq);
    }
    if (encoded) {
      // charset'language'percent-encoded; only UTF-8 and ASCII-compatible charsets are meaningful here.
      auto last = value.rfind('\'');
      value = to_valid_utf8(percent_decode(std::string_view(value).substr(last + 1)));
    }
    out.second[name] = std::move(value);
  }
  return out;
}

// ---- MultipartReader ----

MultipartReader::MultipartReader(std::string boundary, Callbacks callbacks, std::size_t max_header_size)
    : delimiter_("\r\n--" + boundary), cb_(std::move(callbacks)), max_header_size_(max_header_size) {
  // The first boundary may open the body without a CRLF before it; pretending one was there lets one
  // delimiter search handle every boundary.
  buf_ = "\r\n";
}

void MultipartReader::feed(std::string_view data) {
  if (state_ == State::kDone) return;  // the epilogue is ignored
  buf_.append(data);
  process();
}

void MultipartReader::finish() {
  if (state_ != State::kDone)
    throw MultiPartParserError("Incomplete multipart body: the closing boundary is missing.");
}

void MultipartReader::process() {
  std::size_t pos = 0;  // consumed prefix of buf_
  auto rest = [&] { return std::string_view(buf_).substr(pos); };
  for (;;) {
    if (state_ == State::kPreamble) {
      auto at = rest().find(delimiter_);
      if (at == std::string_view::npos) {
        if (rest().size() >= delimiter_.size()) pos = buf_.size() - (delimiter_.size() - 1);
        break;
      }
      pos += at + delimiter_.size();
      state_ = State::kAfterDelimiter;
    } else if (state_ == State::kAfterDelimiter) {
      auto r = rest();
      if (r.size() < 2) break;
      if (r.substr(0, 2) == "--") {
        state_ = State::kDone;
        buf_.clear();
        return;
      }
      auto eol = r.find("\r\n");
      if (eol == std::string_view::npos) {
        if (r.size() > 256) throw MultiPartParserError("Malformed multipart boundary line.");
        break;
      }
      if (!strip(r.substr(0, eol)).empty()) throw MultiPartParserError("Malformed multipart boundary line.");
      pos += eol + 2;
      state_ = State::kHeaders;
    } else if (state_ == State::kHeaders) {
      auto r = rest();
      std::size_t end;
      std::size_t skip;
      if (r.substr(0, 2) == "\r\n") {
        end = 0;
        skip = 2;
      } else {
        end = r.find("\r\n\r\n");
        skip = 4;
      }
      if (end == std::string_view::npos) {
        if (r.size() > max_header_size_)
          throw SuspiciousMultipartForm("A multipart part's headers are too large.");
        if (r.size() < 2) break;
        break;
      }
      if (end > max_header_size_) throw SuspiciousMultipartForm("A multipart part's headers are too large.");
      std::vector<std::pair<std::string, std::string>> headers;
      auto block = r.substr(0, end);
      std::size_t lstart = 0;
      while (lstart < block.size()) {
        auto lend = block.find("\r\n", lstart);
        if (lend == std::string_view::npos) lend = block.size();
        auto line = block.substr(lstart, lend - lstart);
        lstart = lend + 2;
        if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !headers.empty()) {
          headers.back().second += " ";
          headers.back().second += strip(line);
          continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
          throw MultiPartParserError("Malformed multipart part header.");
        headers.emplace_back(lower(strip(line.substr(0, colon))), std::string(strip(line.substr(colon + 1))));
      }
      pos += end + skip;
      state_ = State::kBody;
      if (cb_.on_part_begin) cb_.on_part_begin(std::move(headers));
    } else if (state_ == State::kBody) {
      auto r = rest();
      auto at = r.find(delimiter_);
      if (at == std::string_view::npos) {
        // Keep a tail that may be the start of a delimiter split across feeds.
        if (r.size() >= delimiter_.size()) {
          auto safe = r.size() - (delimiter_.size() - 1);
          if (cb_.on_part_data) cb_.on_part_data(r.substr(0, safe));
          pos += safe;
        }
        break;
      }
      if (at > 0 && cb_.on_part_data) cb_.on_part_data(r.substr(0, at));
      pos += at + delimiter_.size();
      if (cb_.on_part_end) cb_.on_part_end();
      state_ = State::kAfterDelimiter;
    } else {
      break;
    }
  }
  buf_.erase(0, pos);
}

// ---- MultiPartParser ----

struct MultiPartParser::Impl {
  const conf::Settings& settings;
  UploadHandlerFactory make_handler;
  std::optional<MultipartReader> reader;
  ParsedForm form;
  std::size_t fields = 0, files = 0, field_bytes = 0;

  enum class Kind { kSkip, kField, kFile } kind = Kind::kSkip;
  std::string field_name, field_value;
  std::unique_ptr<FileUploadHandler> handler;

  explicit Impl(const conf::Settings& s, UploadHandlerFactory f) : settings(s), make_handler(std::move(f)) {}

  void count_field_bytes(std::size_t n) {
    field_bytes += n;
    if (settings.DATA_UPLOAD_MAX_MEMORY_SIZE && field_bytes > *settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
      throw RequestDataTooBig();
  }

  void begin(std::vector<std::pair<std::string, std::string>> headers) {
    kind = Kind::kSkip;
    std::optional<std::string> disposition, content_type;
    for (auto& [k, v] : headers) {
      if (k == "content-disposition") disposition = v;
      if (k == "content-type") content_type = v;
    }
    if (!disposition) return;  // Django skips parts without a Content-Disposition
    auto [kind_name, params] = parse_header_parameters(*disposition);
    auto name_it = params.find("name");
    if (name_it == params.end()) return;
    field_name = to_valid_utf8(strip(name_it->second));
    auto file_it = params.find("filename");
    if (file_it == params.end()) {
      ++fields;
      if (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS && fields > *settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
        throw TooManyFieldsSent();
      count_field_bytes(field_name.size() + 2);  // as Django counts "name="
      field_value.clear();
      kind = Kind::kField;
      return;
    }
    ++files;
    if (settings.DATA_UPLOAD_MAX_NUMBER_FILES && files > *settings.DATA_UPLOAD_MAX_NUMBER_FILES)
      throw TooManyFilesSent();
    auto file_name = sanitize_file_name(file_it->second);
    if (file_name.empty()) return;
    std::string ctype, charset;
    if (content_type) {
      auto [ct, ct_params] = parse_header_parameters(*content_type);
      ctype = ct;
      if (auto it = ct_params.find("charset"); it != ct_params.end()) charset = it->second;
    }
    if (!handler) {
      handler = make_handler ? make_handler()
                             : std::make_unique<SpillingUploadHandler>(settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
                                                                       settings.FILE_UPLOAD_TEMP_DIR);
    }
    handler->new_file(field_name, file_name, ctype, charset);
    kind = Kind::kFile;
  }

  void data(std::string_view d) {
    if (kind == Kind::kField) {
      count_field_bytes(d.size());
      field_value.append(d);
    } else if (kind == Kind::kFile) {
      handler->receive_data_chunk(d);
    }
  }

  void end() {
    if (kind == Kind::kField) {
      form.post.appendlist(field_name, to_valid_utf8(field_value));
    } else if (kind == Kind::kFile) {
      form.files.appendlist(field_name, handler->file_complete());
    }
    kind = Kind::kSkip;
  }
};

MultiPartParser::MultiPartParser(std::string_view content_type, const conf::Settings& settings,
                                 UploadHandlerFactory make_handler)
    : impl_(std::make_unique<Impl>(settings, std::move(make_handler))) {
  auto [ctype, params] = parse_header_parameters(content_type);
  if (ctype.rfind("multipart/", 0) != 0) throw MultiPartParserError("Invalid Content-Type: " + ctype);
  auto it = params.find("boundary");
  if (it == params.end() || !valid_boundary(it->second))
    throw MultiPartParserError("Invalid boundary in multipart: " +
                               (it == params.end() ? std::string("None") : it->second));
  auto* impl = impl_.get();
  impl_->reader.emplace(it->second, MultipartReader::Callbacks{
                                        [impl](auto headers) { impl->begin(std::move(headers)); },
                                        [impl](std::string_view d) { impl->data(d); },
                                        [impl] { impl->end(); },
                                    });
}

MultiPartParser::~MultiPartParser() = default;

void MultiPartParser::feed(std::string_view data) {
  impl_->reader->feed(data);
}

ParsedForm MultiPartParser::finish() {
  impl_->reader->finish();
  impl_->form.post.freeze();
  return std::move(impl_->form);
}

}  // namespace duet::http
