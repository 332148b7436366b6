// Django's Lexer and smart_split, producing views into the template source (no copies).
#include "nodes.hpp"
#include "text.hpp"

namespace duet::templates::detail {

namespace {
std::string_view trim_ascii(std::string_view s) {
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}
}  // namespace

std::vector<Token> tokenize(std::string_view src) {
  std::vector<Token> out;
  int line = 1;
  std::size_t text_start = 0;
  std::string verbatim_end;  // non-empty inside {% verbatim %}
  auto emit_text = [&](std::size_t end) {
    if (end > text_start) {
      std::string_view t = src.substr(text_start, end - text_start);
      out.push_back({Token::Type::Text, t, line});
      for (char c : t)
        line += c == '\n';
    }
  };
  std::size_t i = 0;
  while (i + 1 < src.size()) {
    std::size_t open = src.find('{', i);
    if (open == std::string_view::npos || open + 1 >= src.size()) break;
    char kind = src[open + 1];
    const char* close = kind == '%' ? "%}" : kind == '{' ? "}}" : kind == '#' ? "#}" : nullptr;
    if (!close) {
      i = open + 1;
      continue;
    }
    // The closer must come before any newline (Django's `.*?` does not cross lines).
    std::size_t end = src.find(close, open + 2);
    std::size_t nl = src.find('\n', open + 2);
    if (end == std::string_view::npos || (nl != std::string_view::npos && nl < end)) {
      i = open + 1;
      continue;
    }
    std::string_view whole = src.substr(open, end + 2 - open);
    std::string_view inner = trim_ascii(whole.substr(2, whole.size() - 4));
    if (!verbatim_end.empty()) {
      if (kind == '%' && inner == verbatim_end) {
        verbatim_end.clear();
      } else {
        i = end + 2;  // stays part of the text
        continue;
      }
    }
    emit_text(open);
    if (kind == '{') {
      out.push_back({Token::Type::Var, inner, line});
    } else if (kind == '%') {
      if (inner.substr(0, 9) == "verbatim" || inner.substr(0, 9) == "verbatim ")
        verbatim_end = "end" + std::string(inner);
      out.push_back({Token::Type::Block, inner, line});
    } else {
      out.push_back({Token::Type::Comment, inner, line});
    }
    text_start = i = end + 2;
  }
  emit_text(src.size());
  return out;
}

std::vector<std::string_view> split_contents(std::string_view s) {
  std::vector<std::string_view> bits;
  std::size_t i = 0;
  auto space = [&](std::size_t k) { return is_space(static_cast<unsigned char>(s[k])); };
  while (i < s.size()) {
    if (space(i)) {
      ++i;
      continue;
    }
    std::size_t start = i;
    bool ok = true;
    while (i < s.size() && !space(i)) {
      if (s[i] == '"' || s[i] == '\'') {
        char q = s[i++];
        while (i < s.size() && s[i] != q)
          i += s[i] == '\\' ? 2 : 1;
        if (i >= s.size()) {
          ok = false;
          break;
        }
        ++i;
      } else {
        ++i;
      }
    }
    if (!ok) {  // unbalanced quote: \S+
      i = start;
      while (i < s.size() && !space(i))
        ++i;
    }
    if (i > s.size()) i = s.size();
    bits.push_back(s.substr(start, i - start));
  }
  // _("translated text") split at spaces is one bit again.
  std::vector<std::string_view> out;
  for (std::size_t k = 0; k < bits.size(); ++k) {
    std::string_view b = bits[k];
    if (b.size() >= 3 && (b.substr(0, 3) == "_(\"" || b.substr(0, 3) == "_('")) {
      char sentinel[3] = {b[2], ')', 0};
      std::size_t j = k;
      while (j + 1 < bits.size() && !(bits[j].size() >= 2 && bits[j].substr(bits[j].size() - 2) == sentinel))
        ++j;
      const char* from = b.data();
      const char* to = bits[j].data() + bits[j].size();
      out.emplace_back(from, to - from);
      k = j;
      continue;
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace duet::templates::detail
