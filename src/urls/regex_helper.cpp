#include "regex_helper.hpp"

#include <memory>

namespace duet::urls::detail {
namespace {

constexpr std::size_t kMaxPossibilities = 64;
constexpr int kMaxRepeat = 100;

// Skips a group whose '(' was consumed, up to and including its ')'.
void skip_group(std::string_view s, std::size_t& i) {
  int depth = 1;
  bool in_class = false;
  while (i < s.size() && depth > 0) {
    char c = s[i++];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i < s.size() && s[i] == '^') ++i;
      if (i < s.size() && s[i] == ']') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
  }
}

struct Node {
  enum Kind { kText, kParam, kBackref, kSeq, kOptional } kind;
  std::string text;
  std::vector<Node> children;
};

bool contains_param(const Node& n) {
  if (n.kind == Node::kParam || n.kind == Node::kBackref) return true;
  for (const auto& c : n.children)
    if (contains_param(c)) return true;
  return false;
}

struct Parser {
  std::string_view s;
  std::size_t i = 0;
  int unnamed = 0;

  // Parses until the end or the ')' closing the current group (consumed).
  std::vector<Node> seq(bool in_group) {
    std::vector<Node> out;
    while (i < s.size()) {
      char c = s[i++];
      if (c == ')' && in_group) return out;
      if (c == '|') {
        // Only the first alternative is used; the final regex check in reverse() rejects a wrong guess.
        if (in_group) {
          skip_group(s, i);
        } else {
          i = s.size();
        }
        return out;
      }
      if (c == '^' || c == '$') continue;
      if (c == '*' || c == '+' || c == '?' || c == '{') {
        quantify(out, c);
        continue;
      }
      if (c == '.') {
        out.push_back({Node::kText, ".", {}});
      } else if (c == '\\') {
        if (i >= s.size()) break;
        char e = s[i++];
        std::string rep;
        switch (e) {
          case 'd':
            rep = "0";
            break;
          case 'D':
          case 'S':
          case 'w':
            rep = "x";
            break;
          case 's':
            rep = " ";
            break;
          case 'W':
            rep = "!";
            break;
          case 'A':
          case 'b':
          case 'B':
          case 'Z':
          case 'z':
            break;
          default:
            if (e >= '0' && e <= '9') break;  // numeric backreference: not reversible
            rep = std::string(1, e);
        }
        if (!rep.empty()) out.push_back({Node::kText, rep, {}});
      } else if (c == '[') {
        std::string rep;
        if (i < s.size() && s[i] == '^') ++i;
        bool first = true;
        while (i < s.size()) {
          char k = s[i++];
          if (k == ']' && !first) break;
          if (rep.empty()) {
            if (k == '\\' && i < s.size()) {
              char e = s[i++];
              rep = e == 'd' ? "0" : (e == 'w' ? "x" : std::string(1, e));
            } else {
              rep = std::string(1, k);
            }
          } else if (k == '\\') {
            ++i;
          }
          first = false;
        }
        out.push_back({Node::kText, rep, {}});
      } else if (c == '(') {
        group(out);
      } else {
        out.push_back({Node::kText, std::string(1, c), {}});
      }
    }
    return out;
  }

  void group(std::vector<Node>& out) {
    if (i < s.size() && s[i] == '?') {
      ++i;
      if (i < s.size() && s[i] == ':') {
        ++i;
        out.push_back({Node::kSeq, {}, seq(true)});
        return;
      }
      bool p = i < s.size() && s[i] == 'P';
      if (p) ++i;
      if (i < s.size() && s[i] == '<' && i + 1 < s.size() && s[i + 1] != '=' && s[i + 1] != '!') {
        auto close = s.find('>', i);
        std::string name(s.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1));
        i = close == std::string_view::npos ? s.size() : close + 1;
        skip_group(s, i);
        out.push_back({Node::kParam, name, {}});
        return;
      }
      if (p && i < s.size() && s[i] == '=') {
        auto close = s.find(')', i);
        std::string name(s.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1));
        i = close == std::string_view::npos ? s.size() : close + 1;
        out.push_back({Node::kBackref, name, {}});
        return;
      }
      skip_group(s, i);  // lookarounds, comments, flags
      return;
    }
    skip_group(s, i);
    out.push_back({Node::kParam, "_" + std::to_string(unnamed++), {}});
  }

  void quantify(std::vector<Node>& out, char q) {
    int min = q == '+' ? 1 : 0;
    if (q == '{') {
      auto close = s.find('}', i);
      if (close == std::string_view::npos) {
        out.push_back({Node::kText, "{", {}});
        return;
      }
      auto body = s.substr(i, close - i);
      i = close + 1;
      min = 0;
      for (char d : body) {
        if (d < '0' || d > '9') break;
        min = std::min(min * 10 + (d - '0'), kMaxRepeat);
      }
    }
    if (i < s.size() && (s[i] == '?' || s[i] == '+')) ++i;  // lazy / possessive
    if (out.empty()) return;
    if (min == 0) {
      if (contains_param(out.back())) {
        Node opt{Node::kOptional, {}, {}};
        opt.children.push_back(std::move(out.back()));
        out.back() = std::move(opt);
      } else {
        out.pop_back();
      }
    } else {
      Node last = out.back();
      for (int k = 1; k < min; ++k)
        out.push_back(last);
    }
  }
};

using Alternatives = std::vector<Possibility>;

void append(Alternatives& acc, const Alternatives& next) {
  Alternatives out;
  for (const auto& a : acc) {
    for (const auto& b : next) {
      if (out.size() >= kMaxPossibilities) break;
      Possibility p = a;
      for (const auto& t : b.tokens) {
        p.tokens.push_back(t);
      }
      for (const auto& n : b.params)
        p.params.push_back(n);
      out.push_back(std::move(p));
    }
  }
  acc = std::move(out);
}

Alternatives flatten(const std::vector<Node>& nodes);

Alternatives flatten_node(const Node& n) {
  switch (n.kind) {
    case Node::kText:
      return {Possibility{{{false, n.text}}, {}}};
    case Node::kParam:
      return {Possibility{{{true, n.text}}, {n.text}}};
    case Node::kBackref:
      return {Possibility{{{true, n.text}}, {}}};
    case Node::kSeq:
      return flatten(n.children);
    case Node::kOptional: {
      Alternatives out{Possibility{}};
      for (auto& p : flatten(n.children))
        if (out.size() < kMaxPossibilities) out.push_back(std::move(p));
      return out;
    }
  }
  return {};
}

Alternatives flatten(const std::vector<Node>& nodes) {
  Alternatives acc{Possibility{}};
  for (const auto& n : nodes)
    append(acc, flatten_node(n));
  return acc;
}

}  // namespace

std::string translate_regex(std::string_view s, std::vector<std::string>* names) {
  std::string out;
  out.reserve(s.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      if (e == 'Z' && !in_class) {
        out += "\\z";
      } else {
        out.push_back('\\');
        out.push_back(e);
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      if (i + 1 < s.size() && s[i + 1] == '^') out.push_back(s[++i]);
      if (i + 1 < s.size() && s[i + 1] == ']') out.push_back(s[++i]);
      continue;
    }
    if (c == '(') {
      auto rest = s.substr(i);
      if (rest.substr(0, 4) == "(?P<") {
        auto close = rest.find('>');
        if (names) names->emplace_back(rest.substr(4, close == std::string_view::npos ? 0 : close - 4));
        out += "(?<";
        i += 3;
        continue;
      }
      if (rest.substr(0, 4) == "(?P=") {
        auto close = rest.find(')');
        if (close != std::string_view::npos) {
          out += "\\k<" + std::string(rest.substr(4, close - 4)) + ">";
          i += close;
          continue;
        }
      }
      if (rest.size() > 2 && rest[1] == '?' && rest[2] == '<' && rest.size() > 3 && rest[3] != '=' &&
          rest[3] != '!') {
        auto close = rest.find('>');
        if (names) names->emplace_back(rest.substr(3, close == std::string_view::npos ? 0 : close - 3));
      } else if (rest.size() < 2 || rest[1] != '?') {
        if (names) names->emplace_back();
      }
    }
    out.push_back(c);
  }
  return out;
}

std::string re_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("()[]{}?*+-|^$\\.&~# \t\n\r\v\f").find(c) != std::string_view::npos)
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::vector<Possibility> normalize(std::string_view python) {
  Parser p{python};
  auto nodes = p.seq(false);
  return flatten(nodes);
}

}  // namespace duet::urls::detail
