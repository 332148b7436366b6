// truncatechars_html / truncatewords_html: Django's Truncator._truncate_html (counts text outside tags,
// closes the tags left open).
#include "filters.hpp"
#include "text.hpp"

#include <algorithm>

namespace duet::templates::detail {

namespace {

using Args = const Value*;

struct Match {
  std::size_t start, end;
  bool is_text;
};

// Next match of `<[^>]+?>|([^<>\s]+)` (words) or `<[^>]+?>|(.)` (chars) at or after pos.
bool next_match(std::string_view t, std::size_t pos, bool words, Match& m) {
  for (std::size_t i = pos; i < t.size();) {
    if (t[i] == '<' && i + 1 < t.size() && t[i + 1] != '>') {
      std::size_t close = t.find('>', i + 1);
      if (close != std::string_view::npos) {
        m = {i, close + 1, false};
        return true;
      }
    }
    std::size_t j = i;
    char32_t c = next_code_point(t, j);
    if (!words) {
      m = {i, j, true};
      return true;
    }
    if (c != '<' && c != '>' && !is_space(c)) {
      std::size_t k = j;
      while (k < t.size()) {
        std::size_t n = k;
        char32_t d = next_code_point(t, n);
        if (d == '<' || d == '>' || is_space(d)) break;
        k = n;
      }
      m = {i, k, true};
      return true;
    }
    i = j;
  }
  return false;
}

// re_tag: <(/)?(\S+?)(?:(\s*/)|\s.*?)?>  → closing, lower-cased name, self-closing; false when not a tag.
bool parse_tag(std::string_view tag, bool& closing, std::string& name, bool& self_closing) {
  std::string_view body = tag.substr(1, tag.size() - 2);
  closing = !body.empty() && body[0] == '/';
  if (closing) body.remove_prefix(1);
  std::size_t ws = 0;
  while (ws < body.size() && !is_space(static_cast<unsigned char>(body[ws])))
    ++ws;
  if (ws == 0) return false;
  std::string_view n = body.substr(0, ws), rest = body.substr(ws);
  self_closing = false;
  if (rest.empty()) {
    if (n.size() > 1 && n.back() == '/') {
      n.remove_suffix(1);
      self_closing = true;
    }
  } else if (strip(rest) == "/") {
    self_closing = true;
  }
  name = lower(n);
  return true;
}

std::string truncate_html(const std::string& text, std::int64_t length, bool words) {
  if (words && length <= 0) return std::string();
  const std::int64_t truncate_len = words ? length : length - 1;  // chars keep room for "…"
  static const char* const singlets[] = {"br", "col", "link", "base", "img", "param", "area", "hr", "input"};
  std::size_t pos = 0, end_text_pos = 0;
  std::int64_t current = 0;
  std::vector<std::string> open;  // innermost first
  Match m;
  while (current <= length && next_match(text, pos, words, m)) {
    pos = m.end;
    if (m.is_text) {
      if (++current == truncate_len) end_text_pos = pos;
      continue;
    }
    bool closing, self_closing;
    std::string name;
    if (!parse_tag(std::string_view(text).substr(m.start, m.end - m.start), closing, name, self_closing) ||
        current >= truncate_len)
      continue;
    if (self_closing || std::find(std::begin(singlets), std::end(singlets), name) != std::end(singlets))
      continue;
    if (closing) {
      auto it = std::find(open.begin(), open.end(), name);
      if (it != open.end()) open.erase(open.begin(), it + 1);
    } else {
      open.insert(open.begin(), name);
    }
  }
  if (current <= length) return text;
  std::string out = text.substr(0, end_text_pos) + (words ? " \xe2\x80\xa6" : "\xe2\x80\xa6");
  for (const auto& t : open)
    out += "</" + t + ">";
  return out;
}

}  // namespace

void register_truncate_html_filters(Library& l) {
  add(l, "truncatechars_html", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto n = py_int(*a);
    if (!n) return v;
    return Value(truncate_html(v.str(), *n, false));
  });
  add(l, "truncatewords_html", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    auto n = py_int(*a);
    if (!n) return v;
    return Value(truncate_html(v.str(), *n, true));
  });
}

}  // namespace duet::templates::detail
