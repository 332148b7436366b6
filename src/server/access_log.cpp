#include "access_log.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <string>

namespace duet::server::detail {

namespace {
std::string_view log_time() {
  struct Cache {
    std::time_t second = -1;
    char text[40];
    std::size_t length = 0;
  };
  thread_local Cache cache;
  std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    cache.length = std::strftime(cache.text, sizeof cache.text, "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
    cache.second = now;
  }
  return {cache.text, cache.length};
}

// Quotes are escaped so a crafted User-Agent cannot forge a log field.
void append_quoted(std::string& line, std::string_view value) {
  line.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') line.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      line.append("\\x");
      constexpr char hex[] = "0123456789abcdef";
      line.push_back(hex[(c >> 4) & 0xf]);
      line.push_back(hex[c & 0xf]);
      continue;
    }
    line.push_back(c);
  }
  line.push_back('"');
}
}  // namespace

void write_access_log(const asgi::Scope& scope, int status, std::uint64_t body_bytes) {
  std::string line;
  line.reserve(160);
  line.append(scope.client ? scope.client->host : std::string("-"));
  line.append(" - - ");
  line.append(log_time());
  line.push_back(' ');
  std::string request = scope.method + ' ' + scope.raw_path;
  if (!scope.query_string.empty()) request += '?' + scope.query_string;
  request += " HTTP/" + scope.http_version;
  append_quoted(line, request);
  char number[24];
  line.push_back(' ');
  line.append(number, std::to_chars(number, number + sizeof number, status).ptr);
  line.push_back(' ');
  line.append(number, std::to_chars(number, number + sizeof number, body_bytes).ptr);
  line.push_back(' ');
  append_quoted(line, asgi::find_header(scope.headers, "referer").value_or("-"));
  line.push_back(' ');
  append_quoted(line, asgi::find_header(scope.headers, "user-agent").value_or("-"));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace duet::server::detail
