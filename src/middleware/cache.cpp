#include "duet/middleware/cache.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "response_access.hpp"

namespace duet::middleware {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Python's re.split(r'\s*,\s*', value).
std::vector<std::string> split_commas(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = value.find(',', start);
    auto piece =
        value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    // Only whitespace next to the commas goes, as in the regex: the outer ends keep theirs.
    if (start != 0) piece = piece.substr(std::min(piece.size(), piece.find_first_not_of(" \t\r\n\f\v")));
    if (comma != std::string_view::npos) {
      auto end = piece.find_last_not_of(" \t\r\n\f\v");
      piece = end == std::string_view::npos ? std::string_view{} : piece.substr(0, end + 1);
    }
    out.emplace_back(piece);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// (?:W/)?"[^"]*"
bool is_etag(std::string_view s) {
  if (s.starts_with("W/")) s.remove_prefix(2);
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' &&
         s.substr(1, s.size() - 2).find('"') == std::string_view::npos;
}

// Python's str.strip('W/'): the characters 'W' and '/' from both ends.
std::string_view strip_weak(std::string_view s) {
  while (!s.empty() && (s.front() == 'W' || s.front() == '/'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == 'W' || s.back() == '/'))
    s.remove_suffix(1);
  return s;
}

std::optional<int> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                              "jul", "aug", "sep", "oct", "nov", "dec"};
  auto l = lower(name);
  for (std::size_t i = 0; i < months.size(); ++i)
    if (l == months[i]) return static_cast<int>(i) + 1;
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_word(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int to_int(std::string_view s) {
  int n = 0;
  for (char c : s)
    n = n * 10 + (c == ' ' ? 0 : c - '0');
  return n;
}

// "HH:MM:SS" -> seconds into the day, range-checked as Python's datetime does.
std::optional<int> parse_time(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return std::nullopt;
  auto h = t.substr(0, 2), m = t.substr(3, 2), s = t.substr(6, 2);
  if (!all_digits(h) || !all_digits(m) || !all_digits(s)) return std::nullopt;
  int hh = to_int(h), mm = to_int(m), ss = to_int(s);
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  return hh * 3600 + mm * 60 + ss;
}

std::optional<std::int64_t> to_epoch(int year, int month, int day, int seconds) {
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<std::int64_t>(sys_days(ymd).time_since_epoch().count()) * 86400 + seconds;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < 8) {
    auto next = s.find(' ', i);
    out.push_back(s.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i));
    if (next == std::string_view::npos) break;
    i = next + 1;
  }
  return out;
}

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("MD5 digest failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

}  // namespace

void patch_vary_headers(http::HttpResponse& response, const std::vector<std::string>& headers) {
  std::vector<std::string> vary;
  if (auto existing = response.headers.get("Vary")) vary = split_commas(*existing);
  std::vector<std::string> seen;
  for (const auto& v : vary)
    seen.push_back(lower(v));
  for (const auto& h : headers) {
    auto l = lower(h);
    if (std::find(seen.begin(), seen.end(), l) != seen.end()) continue;
    vary.push_back(h);
    seen.push_back(l);
  }
  if (std::find(vary.begin(), vary.end(), "*") != vary.end()) {
    response.headers.set("Vary", "*");
    return;
  }
  std::string joined;
  for (const auto& v : vary)
    joined += (joined.empty() ? "" : ", ") + v;
  response.headers.set("Vary", joined);
}

std::vector<std::string> parse_etags(std::string_view value) {
  if (trim(value) == "*") return {"*"};
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = value.find(',', start);
    auto tag =
        trim(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (is_etag(tag) && out.size() < 1000) out.emplace_back(tag);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string quote_etag(std::string_view etag) {
  if (is_etag(etag)) return std::string(etag);
  std::string out;
  out.reserve(etag.size() + 2);
  out += '"';
  out += etag;
  out += '"';
  return out;
}

void set_response_etag(http::HttpResponse& response) {
  if (!response.streaming() && !response.content().empty())
    response.headers.set("ETag", quote_etag(md5_hex(response.content())));
}

std::optional<std::int64_t> parse_http_date(std::string_view date) {
  if (date.size() > 64) return std::nullopt;
  auto parts = split_spaces(date);
  // RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (parts.size() == 6 && parts[0].size() == 4 && parts[0].back() == ',' &&
      all_word(parts[0].substr(0, 3)) && parts[1].size() == 2 && all_digits(parts[1]) &&
      parts[2].size() == 3 && all_word(parts[2]) && parts[3].size() == 4 && all_digits(parts[3]) &&
      parts[5] == "GMT") {
    auto month = month_number(parts[2]);
    auto time = parse_time(parts[4]);
    if (!month || !time) return std::nullopt;
    return to_epoch(to_int(parts[3]), *month, to_int(parts[1]), *time);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is taken within 50 years of now.
  if (parts.size() == 4 && parts[0].size() >= 7 && parts[0].size() <= 10 && parts[0].back() == ',' &&
      all_word(parts[0].substr(0, parts[0].size() - 1)) && parts[1].size() == 9 && parts[1][2] == '-' &&
      parts[1][6] == '-' && parts[3] == "GMT") {
    auto day = parts[1].substr(0, 2), mon = parts[1].substr(3, 3), yy = parts[1].substr(7, 2);
    if (!all_digits(day) || !all_word(mon) || !all_digits(yy)) return std::nullopt;
    auto month = month_number(mon);
    auto time = parse_time(parts[2]);
    if (!month || !time) return std::nullopt;
    int year = to_int(yy);
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    int current_year = utc.tm_year + 1900;
    int century = current_year - current_year % 100;
    year += (year - current_year % 100 > 50) ? century - 100 : century;
    return to_epoch(year, *month, to_int(day), *time);
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (the day space-padded, hence the empty part).
  {
    std::vector<std::string_view> p = parts;
    std::string_view day;
    if (p.size() == 6 && p[2].empty() && p[3].size() == 1) {
      day = p[3];
      p.erase(p.begin() + 2);
    } else if (p.size() == 5 && p[2].size() == 2) {
      day = p[2];
    }
    if (p.size() == 5 && !day.empty() && p[0].size() == 3 && all_word(p[0]) && p[1].size() == 3 &&
        all_word(p[1]) && all_digits(day) && p[4].size() == 4 && all_digits(p[4])) {
      auto month = month_number(p[1]);
      auto time = parse_time(p[3]);
      if (!month || !time) return std::nullopt;
      return to_epoch(to_int(p[4]), *month, to_int(day), *time);
    }
  }
  return std::nullopt;
}

namespace {

bool if_match_passes(const std::optional<std::string>& target, const std::vector<std::string>& etags) {
  if (!target) return false;  // no representation to match
  if (etags.size() == 1 && etags[0] == "*") return true;
  if (target->starts_with("W/")) return false;  // If-Match uses the strong comparison
  return std::find(etags.begin(), etags.end(), *target) != etags.end();
}

bool if_none_match_passes(const std::optional<std::string>& target, const std::vector<std::string>& etags) {
  if (!target) return true;
  if (etags.size() == 1 && etags[0] == "*") return false;
  auto t = strip_weak(*target);  // If-None-Match uses the weak comparison
  return std::none_of(etags.begin(), etags.end(), [&](const std::string& e) { return strip_weak(e) == t; });
}

http::HttpResponse precondition_failed() {
  return http::HttpResponse({}, 412);
}

http::HttpResponse not_modified(http::HttpResponse response) {
  static const std::vector<std::string> kept = {
      "Cache-Control", "Date", "ETag", "Expires", "Last-Modified", "Content-Location", "Vary"};
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& name : kept)
    if (auto value = response.headers.get(name)) headers.emplace_back(name, *value);
  // The response is reused rather than replaced so its cookies survive (RFC 6265 §3: a 304 still sets them).
  response.headers = {};
  for (const auto& [name, value] : headers)
    response.headers.set(name, value);
  response.set_status(304);
  if (response.streaming()) {
    detail::ResponseAccess::drop_stream(response);
  } else {
    response.set_content({});
  }
  return response;
}

std::optional<std::int64_t> header_date(http::HttpRequest& request, std::string_view name) {
  auto value = request.headers.get(name);
  if (!value) return std::nullopt;
  return parse_http_date(*value);
}

}  // namespace

http::HttpResponse get_conditional_response(http::HttpRequest& request,
                                            const std::optional<std::string>& etag,
                                            std::optional<std::int64_t> last_modified,
                                            http::HttpResponse response) {
  if (response.status_code() < 200 || response.status_code() >= 300) return response;
  auto if_match = parse_etags(request.headers.get("If-Match", ""));
  auto if_unmodified_since = header_date(request, "If-Unmodified-Since");
  auto if_none_match = parse_etags(request.headers.get("If-None-Match", ""));
  auto if_modified_since = header_date(request, "If-Modified-Since");
  const bool safe = request.method == "GET" || request.method == "HEAD";

  // RFC 7232 §6, steps 1-4 (If-Range, step 5, is not supported, as in Django).
  if (!if_match.empty() && !if_match_passes(etag, if_match)) return precondition_failed();
  if (if_match.empty() && if_unmodified_since && !(last_modified && *last_modified <= *if_unmodified_since))
    return precondition_failed();
  if (!if_none_match.empty() && !if_none_match_passes(etag, if_none_match))
    return safe ? not_modified(std::move(response)) : precondition_failed();
  if (if_none_match.empty() && if_modified_since && last_modified && !(*last_modified > *if_modified_since) &&
      safe)
    return not_modified(std::move(response));
  return response;
}

}  // namespace duet::middleware
