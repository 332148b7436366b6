#include "request_building.hpp"

#include <cctype>

#include "duet/http/encoding.hpp"

namespace duet::test::detail {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string encode_multipart(const Data& form, const std::vector<File>& files) {
  std::string body;
  for (const auto& [name, value] : form) {
    body.append("--").append(kBoundary).append("\r\nContent-Disposition: form-data; name=\"").append(name);
    body.append("\"\r\n\r\n").append(value).append("\r\n");
  }
  for (const auto& file : files) {
    body.append("--")
        .append(kBoundary)
        .append("\r\nContent-Disposition: form-data; name=\"")
        .append(file.field);
    body.append("\"; filename=\"")
        .append(file.filename)
        .append("\"\r\nContent-Type: ")
        .append(file.content_type);
    body.append("\r\n\r\n").append(file.content).append("\r\n");
  }
  body.append("--").append(kBoundary).append("--\r\n");
  return body;
}

std::string with_query(std::string_view path, const Data& query) {
  std::string target(path);
  if (!query.empty()) target += (target.find('?') == std::string::npos ? "?" : "&") + http::urlencode(query);
  return target;
}

}  // namespace duet::test::detail
