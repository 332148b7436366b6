#include "duet/http/file_response.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>

#include "duet/http/encoding.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/request.hpp"

namespace duet::http {
namespace {

struct ByteRange {
  std::size_t first, last;  // inclusive
};

std::optional<std::size_t> to_size(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// nullopt: ignore the header; a range with first > last: unsatisfiable.
std::optional<ByteRange> parse_range(std::string_view header, std::size_t size) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ')
      s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
      s.remove_suffix(1);
    return s;
  };
  header = trim(header);
  if (header.substr(0, 6) != "bytes=") return std::nullopt;
  auto spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  const ByteRange unsatisfiable{1, 0};
  if (a.empty()) {
    auto n = to_size(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return unsatisfiable;
    return ByteRange{size - std::min(*n, size), size - 1};
  }
  auto first = to_size(a);
  if (!first) return std::nullopt;
  std::size_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    auto l = to_size(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) return unsatisfiable;
  return ByteRange{*first, last};
}

std::string lower_ext(std::string_view filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(filename.substr(dot + 1));
  for (auto& c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

std::string guess_content_type(std::string_view filename) {
  static const std::map<std::string, std::string, std::less<>> types = {{"html", "text/html"},
                                                                        {"htm", "text/html"},
                                                                        {"txt", "text/plain"},
                                                                        {"css", "text/css"},
                                                                        {"csv", "text/csv"},
                                                                        {"js", "text/javascript"},
                                                                        {"mjs", "text/javascript"},
                                                                        {"json", "application/json"},
                                                                        {"xml", "text/xml"},
                                                                        {"pdf", "application/pdf"},
                                                                        {"zip", "application/zip"},
                                                                        {"tar", "application/x-tar"},
                                                                        {"gz", "application/gzip"},
                                                                        {"tgz", "application/gzip"},
                                                                        {"bz2", "application/x-bzip"},
                                                                        {"xz", "application/x-xz"},
                                                                        {"png", "image/png"},
                                                                        {"jpg", "image/jpeg"},
                                                                        {"jpeg", "image/jpeg"},
                                                                        {"gif", "image/gif"},
                                                                        {"webp", "image/webp"},
                                                                        {"svg", "image/svg+xml"},
                                                                        {"ico", "image/vnd.microsoft.icon"},
                                                                        {"bmp", "image/bmp"},
                                                                        {"mp3", "audio/mpeg"},
                                                                        {"wav", "audio/x-wav"},
                                                                        {"ogg", "audio/ogg"},
                                                                        {"mp4", "video/mp4"},
                                                                        {"webm", "video/webm"},
                                                                        {"woff", "font/woff"},
                                                                        {"woff2", "font/woff2"},
                                                                        {"ttf", "font/ttf"},
                                                                        {"wasm", "application/wasm"},
                                                                        {"md", "text/markdown"},
                                                                        {"py", "text/x-python"},
                                                                        {"c", "text/plain"},
                                                                        {"h", "text/plain"},
                                                                        {"cpp", "text/plain"},
                                                                        {"doc", "application/msword"},
                                                                        {"bin", "application/octet-stream"}};
  auto it = types.find(lower_ext(filename));
  return it == types.end() ? std::string() : it->second;
}

FileResponse::FileResponse(HttpRequest& request, const std::filesystem::path& path,
                           FileResponseOptions options)
    : FileResponse(path, [&] {
        if (!options.range) options.range = request.headers.get("range");
        return std::move(options);
      }()) {}

FileResponse::FileResponse(const std::filesystem::path& path, FileResponseOptions options)
    : StreamingHttpResponse(ChunkGenerator([] { return std::optional<std::string>(); })) {
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!*in || ec || std::filesystem::is_directory(path)) throw Http404("File not found");

  std::string name = options.filename ? *options.filename : path.filename().string();
  std::string ctype = options.content_type ? *options.content_type : guess_content_type(name);
  headers.set("Content-Type", ctype.empty() ? "application/octet-stream" : ctype);
  if (!name.empty()) {
    bool ascii =
        std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    std::string expr;
    if (ascii) {
      std::string escaped;
      for (char c : name) {
        if (c == '\\' || c == '"') escaped.push_back('\\');
        escaped.push_back(c);
      }
      expr = "filename=\"" + escaped + "\"";
    } else {
      expr = "filename*=utf-8''" + quote(name, "");
    }
    headers.set("Content-Disposition",
                std::string(options.as_attachment ? "attachment" : "inline") + "; " + expr);
  } else if (options.as_attachment) {
    headers.set("Content-Disposition", "attachment");
  }
  headers.set("Accept-Ranges", "bytes");

  std::size_t first = 0, remaining = size;
  if (options.range) {
    if (auto r = parse_range(*options.range, size)) {
      if (r->first > r->last) {
        set_status(416);
        headers.set("Content-Range", "bytes */" + std::to_string(size));
        headers.set("Content-Length", "0");
        set_streaming(ChunkGenerator([] { return std::optional<std::string>(); }));
        return;
      }
      set_status(206);
      first = r->first;
      remaining = r->last - r->first + 1;
      headers.set("Content-Range", "bytes " + std::to_string(r->first) + "-" + std::to_string(r->last) + "/" +
                                       std::to_string(size));
    }
  }
  headers.set("Content-Length", std::to_string(remaining));
  in->seekg(static_cast<std::streamoff>(first));
  auto block = std::max<std::size_t>(options.block_size, 1);
  set_streaming(ChunkGenerator([in, remaining, block]() mutable -> std::optional<std::string> {
    if (remaining == 0 || !*in) return std::nullopt;
    std::string buf(std::min(block, remaining), '\0');
    in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in->gcount());
    if (n == 0) return std::nullopt;
    buf.resize(n);
    remaining -= n;
    return buf;
  }));
}

}  // namespace duet::http
