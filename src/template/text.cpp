#include "text.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <unicode/ucasemap.h>
#include <unicode/uchar.h>

#include "duet/detail/byte_words.hpp"

namespace duet::templates::detail {

namespace {
// High bit set in the first byte of `w` (in memory order) that needs escaping: all the caller uses.
inline std::uint64_t special_mask(std::uint64_t w) {
  using duet::detail::word_has_byte;
  return word_has_byte(w, '&') | word_has_byte(w, '<') | word_has_byte(w, '>') | word_has_byte(w, '"') |
         word_has_byte(w, '\'');
}
}  // namespace

// Escaping is the renderer's hottest loop: find special bytes 8 at a time, copy clean runs in one append.
void escape_append(std::string& out, std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t m = special_mask(duet::detail::load_word(p));
      if (!m) {
        p += 8;
        continue;
      }
      if constexpr (std::endian::native == std::endian::little) p += std::countr_zero(m) / 8;
    }
    const char* rep;
    switch (*p) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\'':
        rep = "&#x27;";
        break;
      default:
        ++p;
        continue;
    }
    out.append(run, p - run);
    out.append(rep);
    run = ++p;
  }
  out.append(run, end - run);
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  escape_append(out, s);
  return out;
}

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  std::string out;
  std::size_t pos = 0;
  if (sci[0] == '-') {
    out.push_back('-');
    pos = 1;
  }
  auto e = sci.find('e');
  std::string digits;
  for (std::size_t i = pos; i < e; ++i)
    if (sci[i] != '.') digits.push_back(sci[i]);
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  if (exp >= -5 + 1 && exp < 16) {
    if (exp >= 0) {
      if (digits.size() <= static_cast<std::size_t>(exp) + 1) {
        out += digits;
        out.append(exp + 1 - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, exp + 1);
        out += '.';
        out += digits.substr(exp + 1);
      }
    } else {
      out += "0.";
      out.append(-exp - 1, '0');
      out += digits;
    }
  } else {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
  }
  return out;
}

void python_str_repr(std::string& out, std::string_view s) {
  char q = '\'';
  if (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos) q = '"';
  out.push_back(q);
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == q || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back(q);
}

char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
  if (len <= 1 || i + len > s.size()) {
    ++i;
    return b0;
  }
  char32_t cp = b0 & (0x7f >> len);
  for (int k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::size_t code_point_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    next_code_point(s, i);
    ++n;
  }
  return n;
}

std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t start = i;
    next_code_point(s, i);
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool is_space(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

bool is_alnum(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  // Letters of the Latin-1 supplement and beyond count as word characters (approximation of \w).
  return c != 0xd7 && c != 0xf7 && c >= 0xc0;
}

// Case mapping is ICU's (Unicode's full mappings, root locale), which is what Python's str.lower(),
// str.upper() and str.title() apply: ß upper-cases to SS, a final Σ lower-cases to ς.
char32_t to_lower(char32_t c) {
  return static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
}

char32_t to_upper(char32_t c) {
  return static_cast<char32_t>(u_toupper(static_cast<UChar32>(c)));
}

bool is_cased(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASED);
}

bool is_case_ignorable(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASE_IGNORABLE);
}

namespace {

// The root locale's case map, built once and shared: lower/upper take it as const. Never freed (renders
// may run during static destruction).
const UCaseMap* root_case_map() {
  static const UCaseMap* map = [] {
    UErrorCode err = U_ZERO_ERROR;
    return ucasemap_open("", 0, &err);
  }();
  return map;
}

// Titlecasing may store a break iterator in the map, so each thread has its own. With WHOLE_STRING it
// titlecases the first character and needs no word breaking.
const UCaseMap* title_case_map() {
  struct Owned {
    UCaseMap* map;
    ~Owned() { ucasemap_close(map); }
  };
  thread_local Owned owned{[] {
    UErrorCode err = U_ZERO_ERROR;
    return ucasemap_open("", U_TITLECASE_WHOLE_STRING | U_TITLECASE_NO_BREAK_ADJUSTMENT, &err);
  }()};
  return owned.map;
}

using CaseFunction = int32_t (*)(const UCaseMap*, char*, int32_t, const char*, int32_t, UErrorCode*);

// Maps valid UTF-8 with `fn`; text ICU cannot take (over 2 GiB) is returned unchanged.
std::string map_case(std::string_view s, CaseFunction fn, const UCaseMap* map) {
  if (s.empty() || !map || s.size() > static_cast<std::size_t>(INT32_MAX / 3)) return std::string(s);
  std::string out(s.size() + 16, '\0');
  UErrorCode err = U_ZERO_ERROR;
  int32_t n =
      fn(map, out.data(), static_cast<int32_t>(out.size()), s.data(), static_cast<int32_t>(s.size()), &err);
  if (err == U_BUFFER_OVERFLOW_ERROR) {
    out.assign(static_cast<std::size_t>(n), '\0');
    err = U_ZERO_ERROR;
    n = fn(map, out.data(), static_cast<int32_t>(out.size()), s.data(), static_cast<int32_t>(s.size()), &err);
  }
  if (U_FAILURE(err)) return std::string(s);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

int32_t to_title_whole(const UCaseMap* map, char* dest, int32_t cap, const char* src, int32_t len,
                       UErrorCode* err) {
  return ucasemap_utf8ToTitle(const_cast<UCaseMap*>(map), dest, cap, src, len, err);
}

}  // namespace

std::string lower(std::string_view s) {
  return map_case(s, ucasemap_utf8ToLower, root_case_map());
}

std::string upper(std::string_view s) {
  return map_case(s, ucasemap_utf8ToUpper, root_case_map());
}

std::string title_case(char32_t c) {
  std::string one;
  append_utf8(one, c);
  return map_case(one, to_title_whole, title_case_map());
}

std::string lower_case(char32_t c) {
  std::string one;
  append_utf8(one, c);
  return lower(one);
}

std::string_view strip(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e) {
    std::size_t i = b;
    if (!is_space(next_code_point(s, i))) break;
    b = i;
  }
  while (e > b) {
    std::size_t k = e - 1;
    while (k > b && (static_cast<unsigned char>(s[k]) & 0xc0) == 0x80)
      --k;
    std::size_t i = k;
    if (!is_space(next_code_point(s, i))) break;
    e = k;
  }
  return s.substr(b, e - b);
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0, start = std::string_view::npos;
  while (i < s.size()) {
    std::size_t here = i;
    bool sp = is_space(next_code_point(s, i));
    if (sp) {
      if (start != std::string_view::npos) out.push_back(s.substr(start, here - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = here;
    }
  }
  if (start != std::string_view::npos) out.push_back(s.substr(start));
  return out;
}

bool parse_int(std::string_view s, std::int64_t& out) {
  s = strip(s);
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

bool parse_float(std::string_view s, double& out) {
  s = strip(s);
  if (s.empty()) return false;
  std::string t(s);
  if (t == "inf" || t == "+inf" || t == "infinity") return out = HUGE_VAL, true;
  if (t == "-inf" || t == "-infinity") return out = -HUGE_VAL, true;
  if (t == "nan") return out = NAN, true;
  if (t[0] == '+') t.erase(0, 1);
  auto r = std::from_chars(t.data(), t.data() + t.size(), out);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

}  // namespace duet::templates::detail
