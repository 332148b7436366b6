// String filters (Django's @stringfilter ones): case, padding, truncation, slugs, wrapping, quoting.
#include "filters.hpp"
#include "text.hpp"

#include <algorithm>

#include <unicode/uchar.h>

namespace duet::templates::detail {

namespace {

using Args = const Value*;

// Python's str.title(): a cased character after a cased one is lower-cased, any other is title-cased (full
// mappings, Python's final-sigma rule), then Django's two fix-ups.
std::string title(std::string_view s) {
  std::u32string cps;
  for (std::size_t i = 0; i < s.size();)
    cps.push_back(next_code_point(s, i));
  std::string titled;
  titled.reserve(s.size());
  bool prev_cased = false;
  for (std::size_t k = 0; k < cps.size(); ++k) {
    char32_t c = cps[k];
    if (!prev_cased) {
      titled += title_case(c);
    } else if (c == 0x3a3) {
      // Final sigma: a cased letter before (always, here) and none after, case-ignorables skipped.
      std::size_t j = k + 1;
      while (j < cps.size() && is_case_ignorable(cps[j]))
        ++j;
      append_utf8(titled, j < cps.size() && is_cased(cps[j]) ? 0x3c3 : 0x3c2);
    } else {
      titled += lower_case(c);
    }
    prev_cased = is_cased(c);
  }
  // Django: re.sub("([a-z])'([A-Z])", lower) then re.sub(r"\d([A-Z])", lower), non-overlapping.
  auto is_az = [](char32_t c) { return c >= 'a' && c <= 'z'; };
  auto is_AZ = [](char32_t c) { return c >= 'A' && c <= 'Z'; };
  std::u32string t;
  for (std::size_t i = 0; i < titled.size();)
    t.push_back(next_code_point(titled, i));
  for (std::size_t k = 0; k + 2 < t.size();) {
    if (is_az(t[k]) && t[k + 1] == '\'' && is_AZ(t[k + 2])) {
      t[k + 2] += 32;
      k += 3;
    } else {
      ++k;
    }
  }
  for (std::size_t k = 0; k + 1 < t.size();) {
    if (u_charType(static_cast<UChar32>(t[k])) == U_DECIMAL_DIGIT_NUMBER && is_AZ(t[k + 1])) {
      t[k + 1] += 32;
      k += 2;
    } else {
      ++k;
    }
  }
  std::string out;
  out.reserve(titled.size());
  for (char32_t c : t)
    append_utf8(out, c);
  return out;
}

std::string pad(std::string_view s, std::int64_t width, int where) {  // -1 ljust, 0 center, 1 rjust
  std::int64_t len = static_cast<std::int64_t>(code_point_count(s));
  if (width <= len) return std::string(s);
  std::int64_t marg = width - len;
  std::int64_t left = where < 0 ? 0 : where > 0 ? marg : marg / 2 + (marg & width & 1);
  return std::string(left, ' ') + std::string(s) + std::string(marg - left, ' ');
}

// Python slicing of a sequence of n items; fills the selected indices.
bool py_slice(const Value& arg, std::size_t n, std::vector<std::size_t>& idx) {
  std::string a = arg.str();
  std::vector<std::optional<std::int64_t>> bits;
  std::size_t start = 0;
  while (true) {
    auto colon = a.find(':', start);
    std::string part = a.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (part.empty()) {
      bits.push_back(std::nullopt);
    } else {
      std::int64_t v;
      if (!parse_int(part, v)) return false;
      bits.push_back(v);
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (bits.size() > 3) return false;
  std::optional<std::int64_t> b, e, st;
  if (bits.size() == 1) {
    e = bits[0];
  } else {
    b = bits[0];
    e = bits[1];
    if (bits.size() == 3) st = bits[2];
  }
  std::int64_t step = st.value_or(1);
  if (step == 0) return false;
  auto len = static_cast<std::int64_t>(n);
  auto norm = [&](std::optional<std::int64_t> v, std::int64_t def, std::int64_t lo, std::int64_t hi) {
    if (!v) return def;
    std::int64_t x = *v;
    if (x < 0) x += len;
    return std::clamp(x, lo, hi);
  };
  if (step > 0) {
    std::int64_t from = norm(b, 0, 0, len), to = norm(e, len, 0, len);
    for (std::int64_t i = from; i < to; i += step)
      idx.push_back(i);
  } else {
    std::int64_t from = norm(b, len - 1, -1, len - 1), to = norm(e, -1, -1, len - 1);
    for (std::int64_t i = from; i > to; i += step)
      idx.push_back(i);
  }
  return true;
}

const char kHex[] = "0123456789ABCDEF";

std::string quote(std::string_view s, std::string_view safe) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' ||
        safe.find(c) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string slugify(std::string_view s) {
  // NFKD + ASCII for the Latin-1 letters; other non-ASCII characters are dropped (allow_unicode=False).
  static const char* latin1 =
      "AAAAAA?CEEEEIIII?NOOOOO?OUUUUY??aaaaaa?ceeeeiiii?nooooo?ouuuuy?y";  // U+00C0..U+00FF
  std::string ascii;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = next_code_point(s, i);
    if (c < 0x80)
      ascii += static_cast<char>(c);
    else if (c >= 0xc0 && c <= 0xff && latin1[c - 0xc0] != '?')
      ascii += latin1[c - 0xc0];
  }
  std::string kept;
  for (char c : ascii) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(l)) || l == '_' || l == '-' ||
        is_space(static_cast<unsigned char>(l)))
      kept += l;
  }
  kept = std::string(strip(kept));
  std::string out;
  bool in_run = false;
  for (char c : kept) {
    if (c == '-' || is_space(static_cast<unsigned char>(c))) {
      if (!in_run) out += '-';
      in_run = true;
    } else {
      out += c;
      in_run = false;
    }
  }
  std::size_t b = out.find_first_not_of("-_"), e = out.find_last_not_of("-_");
  return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

std::string wrap(std::string_view text, std::int64_t width) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    auto cps = code_points(text.substr(pos, end - pos));
    pos = end;
    auto join = [&](std::size_t from, std::size_t to) {
      std::string s;
      for (std::size_t k = from; k < to && k < cps.size(); ++k)
        s += cps[k];
      return s;
    };
    std::size_t start = 0;
    auto remaining = [&] { return static_cast<std::int64_t>(cps.size() - start); };
    auto max_width = [&] { return width; };
    while (remaining() > max_width()) {
      std::int64_t space = -1;
      for (std::int64_t k = std::min<std::int64_t>(max_width(), remaining() - 1); k >= 0; --k)
        if (cps[start + k] == " ") {
          space = k;
          break;
        }
      space += 1;
      if (space == 0) {
        for (std::size_t k = start; k < cps.size(); ++k)
          if (cps[k] == " ") {
            space = static_cast<std::int64_t>(k - start) + 1;
            break;
          }
        if (space == 0) {
          out += join(start, cps.size());
          start = cps.size();
          break;
        }
      }
      out += join(start, start + space - 1) + "\n";
      start += space;
    }
    out += join(start, cps.size());
  }
  return out;
}

}  // namespace

void register_string_filters(Library& l) {
  add(l, "lower", FilterArg::None, true, [](const Value& v, Args, bool) { return Value(lower(v.str())); });
  add(l, "upper", FilterArg::None, false, [](const Value& v, Args, bool) { return Value(upper(v.str())); });
  add(l, "title", FilterArg::None, true, [](const Value& v, Args, bool) { return Value(title(v.str())); });
  add(l, "capfirst", FilterArg::None, true, [](const Value& v, Args, bool) {
    std::string s = v.str();
    if (s.empty()) return Value(s);
    std::size_t i = 0;
    char32_t c = next_code_point(s, i);
    std::string out;
    append_utf8(out, c);
    return Value(upper(out) + s.substr(i));
  });
  add(l, "addslashes", FilterArg::None, true, [](const Value& v, Args, bool) {
    std::string out;
    for (char c : v.str()) {
      if (c == '\\' || c == '"' || c == '\'') out += '\\';
      out += c;
    }
    return Value(out);
  });
  add(l, "cut", FilterArg::Required, false, [](const Value& v, Args a, bool) {
    std::string s = v.str(), pat = a->str();
    if (!pat.empty()) {
      std::string out;
      std::size_t pos = 0, f;
      while ((f = s.find(pat, pos)) != std::string::npos) {
        out.append(s, pos, f - pos);
        pos = f + pat.size();
      }
      out.append(s, pos);
      s = out;
    }
    return Value(s).with_safe(v.is_safe() && pat != ";");
  });
  add(l, "ljust", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto w = py_int(*a);
    return w ? Value(pad(v.str(), *w, -1)) : Value(v.str());
  });
  add(l, "rjust", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto w = py_int(*a);
    return w ? Value(pad(v.str(), *w, 1)) : Value(v.str());
  });
  add(l, "center", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto w = py_int(*a);
    return w ? Value(pad(v.str(), *w, 0)) : Value(v.str());
  });
  add(l, "make_list", FilterArg::None, false, [](const Value& v, Args, bool) {
    List out;
    std::string s = v.str();
    for (auto cp : code_points(s))
      out.emplace_back(std::string(cp));
    return Value(std::move(out));
  });
  add(l, "slugify", FilterArg::None, true,
      [](const Value& v, Args, bool) { return Value(slugify(v.str())); });
  add(l, "wordcount", FilterArg::None, false,
      [](const Value& v, Args, bool) { return Value(split_words(v.str()).size()); });
  add(l, "wordwrap", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto w = py_int(*a);
    return w ? Value(wrap(v.str(), *w)) : Value(v.str());
  });
  add(l, "truncatechars", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    std::string s = v.str();
    auto n = py_int(*a);
    if (!n) return Value(s);
    auto cps = code_points(s);
    if (static_cast<std::int64_t>(cps.size()) <= *n) return Value(s);
    std::string out;
    for (std::int64_t k = 0; k < *n - 1; ++k)
      out += cps[k];
    return Value(out + "\xe2\x80\xa6");
  });
  add(l, "truncatewords", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    std::string s = v.str();
    auto n = py_int(*a);
    if (!n) return Value(s);
    auto words = split_words(s);
    std::string out;
    auto len = static_cast<std::int64_t>(words.size());
    bool truncated = len > *n;
    std::int64_t keep = truncated ? (*n < 0 ? std::max<std::int64_t>(0, len + *n) : *n) : len;
    for (std::int64_t k = 0; k < keep; ++k)
      out += (k ? " " : "") + std::string(words[k]);
    if (truncated && !(out.size() >= 4 && out.substr(out.size() - 4) == " \xe2\x80\xa6"))
      out += " \xe2\x80\xa6";
    return Value(out);
  });
  add(l, "slice", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    std::vector<std::size_t> idx;
    if (v.is_string()) {
      auto cps = code_points(v.string_view());
      if (!py_slice(*a, cps.size(), idx)) return v;
      std::string out;
      for (auto i : idx)
        out += cps[i];
      return Value(out);
    }
    List items;
    if (!v.items(items) || v.dict() || (v.json() && v.json()->is_object())) return v;
    if (!py_slice(*a, items.size(), idx)) return v;
    List out;
    for (auto i : idx)
      out.push_back(items[i]);
    return Value(std::move(out));
  });
  add(l, "stringformat", FilterArg::Required, true, [](const Value& v, Args a, bool) -> Value {
    std::string spec = "%" + a->str();
    char conv = spec.back();
    std::string flags = spec.substr(0, spec.size() - 1);
    if (flags.find_first_not_of("%-+ #0123456789.") != std::string::npos) return Value(std::string());
    char buf[512];
    switch (conv) {
      case 's':
      case 'r': {
        std::string s = conv == 's' ? v.str() : v.repr();
        std::snprintf(buf, sizeof buf, (flags + "s").c_str(), s.c_str());
        return Value(std::string(buf));
      }
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o': {
        std::optional<std::int64_t> i;
        if (v.is_number()) i = py_int(v);
        if (!i) return Value(std::string());
        std::string f = flags + "ll" + (conv == 'i' ? 'd' : conv);
        std::snprintf(buf, sizeof buf, f.c_str(), static_cast<long long>(*i));
        return Value(std::string(buf));
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        std::optional<double> d;
        if (v.is_number()) d = py_float(v);
        if (!d) return Value(std::string());
        std::snprintf(buf, sizeof buf, (flags + conv).c_str(), *d);
        return Value(std::string(buf));
      }
      default:
        return Value(std::string());
    }
  });
  add(l, "urlencode", FilterArg::Optional, false,
      [](const Value& v, Args a, bool) { return Value(quote(v.str(), a ? a->str() : std::string("/"))); });
  add(l, "iriencode", FilterArg::None, true,
      [](const Value& v, Args, bool) { return Value(quote(v.str(), "/#%[]=:;$&()+,!?*@'~")); });
}

}  // namespace duet::templates::detail
