// urlize / urlizetrunc: Django's django.utils.html.urlize (links for URLs and e-mail addresses in text).
#include "filters.hpp"
#include "text.hpp"

#include <algorithm>

namespace duet::templates::detail {

namespace {

using Args = const Value*;
const char kHex[] = "0123456789ABCDEF";

std::string unquote(std::string_view s, bool plus) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (plus && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string quote(std::string_view s, std::string_view safe, bool plus) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' ||
        safe.find(c) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else if (plus && c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Django's smart_urlquote for ASCII host names.
std::string smart_urlquote(const std::string& url) {
  const std::string_view safe = "!$&'()*+,;=:/?#[]@~";
  auto uq = [&](std::string_view seg) { return quote(unquote(seg, false), safe, false); };
  std::string_view rest = url;
  std::string scheme, netloc;
  auto colon = rest.find(':');
  if (colon != std::string_view::npos && rest.substr(colon, 3) == "://") {
    scheme = lower(rest.substr(0, colon));
    rest.remove_prefix(colon + 3);
    auto end = rest.find_first_of("/?#");
    netloc = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  std::string_view path = rest, query, fragment;
  if (auto h = path.find('#'); h != std::string_view::npos) {
    fragment = path.substr(h + 1);
    path = path.substr(0, h);
  }
  bool has_query = false;
  if (auto q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
    has_query = true;
  }
  std::string out = scheme.empty() ? "" : scheme + "://" + netloc;
  out += uq(path);
  if (has_query && !query.empty()) {
    std::string q;
    std::size_t pos = 0;
    while (pos <= query.size()) {
      auto amp = query.find('&', pos);
      std::string_view part =
          query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
      if (!part.empty()) {
        auto eq = part.find('=');
        std::string k = unquote(part.substr(0, eq), true);
        std::string v = eq == std::string_view::npos ? "" : unquote(part.substr(eq + 1), true);
        q += (q.empty() ? "" : "&") + quote(k, "", true) + "=" + quote(v, "", true);
      }
      if (amp == std::string_view::npos) break;
      pos = amp + 1;
    }
    if (!q.empty()) out += "?" + q;
  }
  if (!fragment.empty()) out += "#" + uq(fragment);
  return out;
}

std::string html_unescape(std::string_view s) {
  std::string out(s);
  static const std::pair<const char*, const char*> ents[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#x27;", "'"}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : ents) {
    std::string r;
    std::size_t pos = 0, f;
    while ((f = out.find(from, pos)) != std::string::npos) {
      r.append(out, pos, f - pos);
      r += to;
      pos = f + std::strlen(from);
    }
    r.append(out, pos);
    out = r;
  }
  return out;
}

std::size_t count(std::string_view s, char c) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), c));
}

void trim_punctuation(std::string& lead, std::string& middle, std::string& trail) {
  bool trimmed = true;
  while (trimmed) {
    trimmed = false;
    for (auto [open, close] : {std::pair{'(', ')'}, std::pair{'[', ']'}}) {
      if (!middle.empty() && middle.front() == open) {
        middle.erase(0, 1);
        lead += open;
        trimmed = true;
      }
      if (!middle.empty() && middle.back() == close && count(middle, close) == count(middle, open) + 1) {
        middle.pop_back();
        trail = std::string(1, close) + trail;
        trimmed = true;
      }
    }
    std::string unesc = html_unescape(middle);
    std::size_t keep = unesc.find_last_not_of(".,:;!");
    std::string stripped = keep == std::string::npos ? "" : unesc.substr(0, keep + 1);
    if (stripped != unesc) {
      std::size_t cut = middle.size() - (unesc.size() - stripped.size());
      trail = middle.substr(stripped.size() <= middle.size() ? cut : middle.size()) + trail;
      middle = middle.substr(0, cut);
      trimmed = true;
    }
  }
}

bool iequals_prefix(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != p[i]) return false;
  return true;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// ^https?://\[?\w
bool simple_url(std::string_view m) {
  std::size_t i;
  if (iequals_prefix(m, "http://"))
    i = 7;
  else if (iequals_prefix(m, "https://"))
    i = 8;
  else
    return false;
  if (i < m.size() && m[i] == '[') ++i;
  return i < m.size() && word_char(m[i]);
}

// ^www\.|^(?!http)\w[^@]+\.(com|edu|gov|int|mil|net|org)($|/.*)$
bool simple_url_2(std::string_view m) {
  if (iequals_prefix(m, "www.")) return true;
  if (iequals_prefix(m, "http") || m.empty() || !word_char(m[0])) return false;
  for (const char* tld : {".com", ".edu", ".gov", ".int", ".mil", ".net", ".org"}) {
    std::string_view t(tld);
    for (std::size_t pos = 2; pos + t.size() <= m.size(); ++pos) {
      if (!iequals_prefix(m.substr(pos), t)) continue;
      std::string_view between = m.substr(1, pos - 1);
      if (between.find('@') != std::string_view::npos) break;
      std::string_view after = m.substr(pos + t.size());
      if (after.empty() || after[0] == '/') return true;
    }
  }
  return false;
}

bool is_email_simple(std::string_view v) {
  if (count(v, '@') != 1 || v.front() == '@' || v.back() == '@') return false;
  std::string_view p2 = v.substr(v.find('@') + 1);
  return p2.find('.') != std::string_view::npos && p2.front() != '.';
}

std::string urlize(const Value& input, std::optional<std::int64_t> limit, bool autoescape) {
  bool safe_input = input.is_safe();
  std::string text = input.str();
  auto trim_url = [&](const std::string& x) {
    if (!limit || static_cast<std::int64_t>(code_point_count(x)) <= *limit) return x;
    auto cps = code_points(x);
    std::string out;
    for (std::int64_t k = 0; k < std::max<std::int64_t>(0, *limit - 1); ++k)
      out += cps[k];
    return out + "\xe2\x80\xa6";
  };
  std::string out;
  auto is_sep = [](char c) {
    return c == '<' || c == '>' || c == '"' || c == '\'' || is_space(static_cast<unsigned char>(c));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    bool sep = is_sep(text[i]);
    while (j < text.size() && is_sep(text[j]) == sep)
      ++j;
    std::string word = text.substr(i, j - i);
    i = j;
    if (!sep && (word.find('.') != std::string::npos || word.find('@') != std::string::npos ||
                 word.find(':') != std::string::npos)) {
      std::string lead, middle = word, trail;
      trim_punctuation(lead, middle, trail);
      std::string url;
      bool nofollow = true;
      if (simple_url(middle)) {
        url = smart_urlquote(html_unescape(middle));
      } else if (simple_url_2(middle)) {
        url = smart_urlquote("http://" + html_unescape(middle));
      } else if (middle.find(':') == std::string::npos && is_email_simple(middle)) {
        url = "mailto:" + middle;
        nofollow = false;
      }
      if (!url.empty()) {
        std::string trimmed = trim_url(middle);
        if (autoescape && !safe_input) {
          lead = escape(lead);
          trail = escape(trail);
          trimmed = escape(trimmed);
        }
        out += lead + "<a href=\"" + escape(url) + "\"" + (nofollow ? " rel=\"nofollow\"" : "") + ">" +
               trimmed + "</a>" + trail;
        continue;
      }
    }
    out += (autoescape && !safe_input) ? escape(word) : word;
  }
  return out;
}

}  // namespace

void register_urlize_filters(Library& l) {
  add(l, "urlize", FilterArg::None, true,
      [](const Value& v, Args, bool ae) { return Value::safe(urlize(v, std::nullopt, ae)); });
  add(l, "urlizetrunc", FilterArg::Required, true,
      [](const Value& v, Args a, bool ae) { return Value::safe(urlize(v, py_int(*a).value_or(0), ae)); });
}

}  // namespace duet::templates::detail
