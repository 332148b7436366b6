// Django's Parser: tokens to a node tree; filter expressions; text and variable nodes.
#include "nodes.hpp"
#include "text.hpp"

#include <algorithm>
#include <stdexcept>

namespace duet::templates::detail {

namespace {
class TextNode final : public Node {
 public:
  explicit TextNode(std::string_view t) : text_(t) {}
  void render(Context&, std::string& out) const override { out.append(text_); }
  bool is_text() const override { return true; }

 private:
  std::string_view text_;
};

class VariableNode final : public Node {
 public:
  explicit VariableNode(FilterExpression fe) : fe_(std::move(fe)) {}
  void render(Context& context, std::string& out) const override {
    render_value(fe_.resolve(context), context, out);
  }

 private:
  FilterExpression fe_;
};

bool is_var_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         u >= 0x80;
}
bool is_word_char(char c) {
  return is_var_char(c) && c != '.';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of a quoted constant at s[i] ("..." '...' _("...") _('...')), 0 if none.
std::size_t match_constant(std::string_view s, std::size_t i) {
  std::size_t j = i;
  bool i18n = s.substr(i, 2) == "_(";
  if (i18n) j += 2;
  if (j >= s.size() || (s[j] != '"' && s[j] != '\'')) return 0;
  char q = s[j++];
  while (j < s.size() && s[j] != q)
    j += s[j] == '\\' ? 2 : 1;
  if (j >= s.size()) return 0;
  ++j;
  if (i18n) {
    if (j >= s.size() || s[j] != ')') return 0;
    ++j;
  }
  return j - i;
}

// [\w.]+ or a number [-+.]?\d[\d.e]*
std::size_t match_var(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_var_char(s[j]))
    ++j;
  if (j > i) return j - i;
  if (j < s.size() && (s[j] == '-' || s[j] == '+' || s[j] == '.')) ++j;
  if (j >= s.size() || !is_digit(s[j])) return 0;
  while (j < s.size() && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e'))
    ++j;
  return j - i;
}

std::string text_list_or(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += i + 1 == items.size() ? " or " : ", ";
    out += "'" + std::string(items[i]) + "'";
  }
  return out;
}
}  // namespace

Parser::Parser(std::vector<Token> tokens, const EngineCore& engine, std::string_view name)
    : tokens_(std::move(tokens)), engine_(engine), name_(name) {
  for (const auto& [n, def] : builtin_filters().filters())
    filters_[n] = &def;
  for (const auto& lib : engine.options.builtins)
    load_library(*lib, {}, 0);
}

void Parser::error(int line, const std::string& message) const {
  throw TemplateSyntaxError(std::string(name_), line, message);
}

const Token& Parser::next_token() {
  return tokens_[pos_++];
}

const FilterDef* Parser::find_filter(std::string_view name) const {
  auto it = filters_.find(std::string(name));
  return it == filters_.end() ? nullptr : it->second;
}

void Parser::load_library(const Library& lib, const std::vector<std::string_view>& only, int line) {
  if (only.empty()) {
    for (const auto& [n, def] : lib.filters())
      filters_[n] = &def;
    for (const auto& [n, t] : lib.tags())
      simple_tags_[n] = &t;
    return;
  }
  for (auto name : only) {
    bool found = false;
    if (auto* f = lib.find_filter(name)) filters_[std::string(name)] = f, found = true;
    if (auto* t = lib.find_tag(name)) simple_tags_[std::string(name)] = t, found = true;
    if (!found) error(line, "'" + std::string(name) + "' is not a valid tag or filter in the tag library");
  }
}

FilterExpression Parser::compile_filter(std::string_view token, int line) {
  FilterExpression fe;
  fe.text_ = std::string(token);
  fe.engine_ = &engine_;
  std::size_t i = 0;
  std::string tok(token);
  auto fail = [&](const std::string& msg) { error(line, msg); };
  try {
    if (std::size_t n = match_constant(token, 0)) {
      fe.var_ = Operand::parse(token.substr(0, n));
      i = n;
    } else if (std::size_t m = match_var(token, 0)) {
      fe.var_ = Operand::parse(token.substr(0, m));
      i = m;
    } else {
      std::size_t k = 0;
      while (k < token.size() && is_space(static_cast<unsigned char>(token[k])))
        ++k;
      if (k < token.size() && token[k] == '|') fail("Could not find variable at start of " + tok + ".");
      fail("Could not parse the remainder: '" + tok + "' from '" + tok + "'");
    }
    while (i < token.size()) {
      std::size_t j = i;
      while (j < token.size() && is_space(static_cast<unsigned char>(token[j])))
        ++j;
      if (j >= token.size() || token[j] != '|') break;
      ++j;
      while (j < token.size() && is_space(static_cast<unsigned char>(token[j])))
        ++j;
      std::size_t ns = j;
      while (j < token.size() && is_word_char(token[j]))
        ++j;
      if (j == ns) break;
      FilterCall call;
      call.name = std::string(token.substr(ns, j - ns));
      if (j < token.size() && token[j] == ':') {
        std::size_t a = j + 1;
        if (std::size_t n = match_constant(token, a)) {
          call.arg = Operand::parse(token.substr(a, n));
          j = a + n;
        } else if (std::size_t m = match_var(token, a)) {
          call.arg = Operand::parse(token.substr(a, m));
          j = a + m;
        }
      }
      call.def = find_filter(call.name);
      if (!call.def) fail("Invalid filter: '" + call.name + "'");
      int given = call.arg ? 2 : 1;
      if ((call.def->arg == FilterArg::None && given != 1) ||
          (call.def->arg == FilterArg::Required && given != 2))
        fail(call.name + " requires " + std::to_string(call.def->arg == FilterArg::None ? 1 : 2) +
             " arguments, " + std::to_string(given) + " provided");
      fe.filters_.push_back(std::move(call));
      i = j;
    }
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  if (i != token.size()) fail("Could not parse the remainder: '" + tok.substr(i) + "' from '" + tok + "'");
  return fe;
}

NodeList Parser::parse(std::initializer_list<std::string_view> until) {
  return parse(std::vector<std::string_view>(until));
}

NodeList Parser::parse(const std::vector<std::string_view>& until) {
  NodeList list;
  bool contains_nontext = false;
  while (pos_ < tokens_.size()) {
    const Token& tok = tokens_[pos_++];
    std::unique_ptr<Node> node;
    switch (tok.type) {
      case Token::Type::Text:
        node = std::make_unique<TextNode>(tok.contents);
        break;
      case Token::Type::Comment:
        continue;
      case Token::Type::Var:
        if (tok.contents.empty()) error(tok.line, "Empty variable tag on line " + std::to_string(tok.line));
        node = std::make_unique<VariableNode>(compile_filter(tok.contents, tok.line));
        break;
      case Token::Type::Block: {
        auto words = split_words(tok.contents);
        if (words.empty()) error(tok.line, "Empty block tag on line " + std::to_string(tok.line));
        std::string_view command = words[0];
        if (std::find(until.begin(), until.end(), command) != until.end()) {
          --pos_;
          return list;
        }
        open_tags.push_back({command, tok.line});
        if (open_tags.size() > kMaxNesting) error(tok.line, "Tags are nested too deeply");
        auto& tags = builtin_tags();
        if (auto it = simple_tags_.find(std::string(command)); it != simple_tags_.end()) {
          node = compile_simple_tag(*this, tok, command, *it->second);
        } else if (auto bt = tags.find(command); bt != tags.end()) {
          node = bt->second(*this, tok);
        } else if (!until.empty()) {
          std::vector<std::string_view> u(until.begin(), until.end());
          error(tok.line, "Invalid block tag on line " + std::to_string(tok.line) + ": '" +
                              std::string(command) + "', expected " + text_list_or(u) +
                              ". Did you forget to register or load this tag?");
        } else {
          error(tok.line, "Invalid block tag on line " + std::to_string(tok.line) + ": '" +
                              std::string(command) + "'. Did you forget to register or load this tag?");
        }
        open_tags.pop_back();
        if (!node) continue;  // {% load %} and friends compile to nothing
        if (node->is_extends() && contains_nontext)
          error(tok.line, "<ExtendsNode: extends " + std::string(split_contents(tok.contents).at(1)) +
                              "> must be the first tag in the template.");
        break;
      }
    }
    node->line = tok.line;
    if (!node->is_text()) contains_nontext = true;
    list.nodes.push_back(std::move(node));
  }
  if (!until.empty()) {
    // Unclosed: name the innermost open tag (Django's command_stack).
    std::string looking;
    for (std::size_t k = 0; k < until.size(); ++k)
      looking += (k ? ", " : "") + std::string(until[k]);
    int line = open_tags.empty() ? 1 : open_tags.back().second;
    std::string command = open_tags.empty() ? "?" : std::string(open_tags.back().first);
    error(line, "Unclosed tag on line " + std::to_string(line) + ": '" + command +
                    "'. Looking for one of: " + looking + ".");
  }
  return list;
}

void Parser::skip_past(std::string_view endtag, const Token& opening) {
  while (pos_ < tokens_.size()) {
    const Token& t = tokens_[pos_++];
    if (t.type == Token::Type::Block && t.contents == endtag) return;
  }
  error(opening.line, "Unclosed tag on line " + std::to_string(opening.line) + ": '" +
                          std::string(split_words(opening.contents)[0]) +
                          "'. Looking for one of: " + std::string(endtag) + ".");
}

}  // namespace duet::templates::detail
