// The remaining built-in tags: comment, autoescape, verbatim, spaceless, templatetag, widthratio,
// filter, now, load, url, csrf_token, and {% load %}-ed simple tags.
#include "date_format.hpp"
#include "nodes.hpp"

#include "duet/urls/resolvers.hpp"
#include "text.hpp"

#include <algorithm>
#include <cmath>

namespace duet::templates::detail {

namespace {

class EmptyNode final : public Node {  // comment, load: render nothing but are not text
 public:
  void render(Context&, std::string&) const override {}
};

class LiteralNode final : public Node {
 public:
  explicit LiteralNode(std::string t) : text(std::move(t)) {}
  std::string text;
  void render(Context&, std::string& out) const override { out += text; }
};

std::unique_ptr<Node> do_comment(Parser& parser, const Token& token) {
  parser.skip_past("endcomment", token);
  return std::make_unique<EmptyNode>();
}

class AutoescapeNode final : public Node {
 public:
  bool on = true;
  NodeList body;
  void collect_blocks(std::vector<const BlockNode*>& out) const override { body.collect_blocks(out); }
  void render(Context& context, std::string& out) const override {
    bool old = context.autoescape();
    context.set_autoescape(on);
    try {
      body.render(context, out);
    } catch (...) {
      context.set_autoescape(old);
      throw;
    }
    context.set_autoescape(old);
  }
};

std::unique_ptr<Node> do_autoescape(Parser& parser, const Token& token) {
  auto args = split_words(token.contents);
  if (args.size() != 2) parser.error(token.line, "'autoescape' tag requires exactly one argument.");
  if (args[1] != "on" && args[1] != "off")
    parser.error(token.line, "'autoescape' argument should be 'on' or 'off'");
  auto node = std::make_unique<AutoescapeNode>();
  node->on = args[1] == "on";
  node->body = parser.parse({"endautoescape"});
  parser.next_token();
  return node;
}

std::unique_ptr<Node> do_verbatim(Parser& parser, const Token&) {
  NodeList body = parser.parse({"endverbatim"});
  parser.next_token();
  Context empty;
  std::string text;
  body.render(empty, text);
  return std::make_unique<LiteralNode>(std::move(text));
}

bool ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class SpacelessNode final : public Node {
 public:
  NodeList body;
  void collect_blocks(std::vector<const BlockNode*>& out) const override { body.collect_blocks(out); }
  void render(Context& context, std::string& out) const override {
    std::string s;
    body.render(context, s);
    std::string_view v = strip(s);
    // re.sub(r'>\s+<', '><', ...)
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += v[i];
      if (v[i] == '>') {
        std::size_t j = i + 1;
        while (j < v.size() && ascii_space(v[j]))
          ++j;
        if (j > i + 1 && j < v.size() && v[j] == '<') i = j - 1;
      }
    }
  }
};

std::unique_ptr<Node> do_spaceless(Parser& parser, const Token&) {
  auto node = std::make_unique<SpacelessNode>();
  node->body = parser.parse({"endspaceless"});
  parser.next_token();
  return node;
}

std::unique_ptr<Node> do_templatetag(Parser& parser, const Token& token) {
  static const std::pair<const char*, const char*> mapping[] = {
      {"openblock", "{%"}, {"closeblock", "%}"}, {"openvariable", "{{"}, {"closevariable", "}}"},
      {"openbrace", "{"},  {"closebrace", "}"},  {"opencomment", "{#"},  {"closecomment", "#}"}};
  auto bits = split_words(token.contents);
  if (bits.size() != 2) parser.error(token.line, "'templatetag' statement takes one argument");
  for (const auto& [k, v] : mapping)
    if (bits[1] == k) return std::make_unique<LiteralNode>(v);
  parser.error(token.line,
               "Invalid templatetag argument: '" + std::string(bits[1]) +
                   "'. Must be one of: ['openblock', 'closeblock', 'openvariable', 'closevariable', "
                   "'openbrace', 'closebrace', 'opencomment', 'closecomment']");
}

// Python float(x) for widthratio: numbers, numeric strings; false otherwise.
bool to_float(const Value& v, double& out) {
  if (v.is_number()) return out = v.kind() == Value::Kind::Bool ? v.as_bool() : v.as_double(), true;
  if (v.is_string()) return parse_float(v.string_view(), out);
  return false;
}

class WidthRatioNode final : public Node {
 public:
  FilterExpression value, max_value, max_width;
  std::string asvar;
  void render(Context& context, std::string& out) const override {
    Value v = value.resolve(context), m = max_value.resolve(context), w = max_width.resolve(context);
    std::int64_t width;
    double wd;
    if (w.kind() == Value::Kind::Int || w.kind() == Value::Kind::Bool) {
      width = w.kind() == Value::Kind::Bool ? w.as_bool() : w.as_int();
    } else if (w.kind() == Value::Kind::Float) {
      width = static_cast<std::int64_t>(w.as_double());
    } else if (w.is_string() && parse_int(w.string_view(), width)) {
    } else {
      (void)wd;
      throw TemplateSyntaxError("", line, "widthratio final argument must be a number");
    }
    std::string result;
    double x, y;
    if (to_float(v, x) && to_float(m, y)) {
      if (y == 0) {
        result = "0";
      } else {
        double ratio = x / y * static_cast<double>(width);
        if (std::isfinite(ratio)) result = std::to_string(static_cast<std::int64_t>(std::nearbyint(ratio)));
      }
    }
    if (!asvar.empty()) {
      context.set(asvar, Value(result));
      return;
    }
    out += result;
  }
};

std::unique_ptr<Node> do_widthratio(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  auto node = std::make_unique<WidthRatioNode>();
  if (bits.size() == 6) {
    if (bits[4] != "as") parser.error(token.line, "Invalid syntax in widthratio tag. Expecting 'as' keyword");
    node->asvar = std::string(bits[5]);
  } else if (bits.size() != 4) {
    parser.error(token.line, "widthratio takes at least three arguments");
  }
  node->value = parser.compile_filter(bits[1], token.line);
  node->max_value = parser.compile_filter(bits[2], token.line);
  node->max_width = parser.compile_filter(bits[3], token.line);
  return node;
}

class FilterNode final : public Node {
 public:
  FilterExpression expr;
  NodeList body;
  void collect_blocks(std::vector<const BlockNode*>& out) const override { body.collect_blocks(out); }
  void render(Context& context, std::string& out) const override {
    std::string s;
    body.render(context, s);
    ScopeGuard scope(context);
    context.set("var", Value::safe(std::move(s)));
    expr.resolve(context).append_str(out);
  }
};

std::unique_ptr<Node> do_filter(Parser& parser, const Token& token) {
  std::string_view c = token.contents;
  auto sp = c.find_first_of(" \t\n");
  std::string_view rest = sp == std::string_view::npos ? "" : strip(c.substr(sp));
  auto node = std::make_unique<FilterNode>();
  node->expr = parser.compile_filter("var|" + std::string(rest), token.line);
  // The filter names, to refuse escape/safe as Django does.
  std::size_t i = 0;
  std::string r(rest);
  while (i <= r.size()) {
    std::size_t bar = r.find('|', i);
    std::string part = r.substr(i, bar == std::string::npos ? std::string::npos : bar - i);
    std::string name(strip(part.substr(0, part.find(':'))));
    if (name == "escape" || name == "safe")
      parser.error(token.line,
                   "\"filter " + name + "\" is not permitted.  Use the \"autoescape\" tag instead.");
    if (bar == std::string::npos) break;
    i = bar + 1;
  }
  node->body = parser.parse({"endfilter"});
  parser.next_token();
  return node;
}

const char* named_format(std::string_view name) {
  if (name == "DATE_FORMAT") return "N j, Y";
  if (name == "DATETIME_FORMAT") return "N j, Y, P";
  if (name == "TIME_FORMAT") return "P";
  if (name == "YEAR_MONTH_FORMAT") return "F Y";
  if (name == "MONTH_DAY_FORMAT") return "F j";
  if (name == "SHORT_DATE_FORMAT") return "m/d/Y";
  if (name == "SHORT_DATETIME_FORMAT") return "m/d/Y P";
  return nullptr;
}

class NowNode final : public Node {
 public:
  std::string format, asvar;
  void render(Context& context, std::string& out) const override {
    const char* named = named_format(format);
    std::string s = format_date(DateTime::now(), named ? named : format);
    if (!asvar.empty()) {
      context.set(asvar, Value(std::move(s)));
      return;
    }
    out += s;
  }
};

std::unique_ptr<Node> do_now(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  auto node = std::make_unique<NowNode>();
  if (bits.size() == 4 && bits[2] == "as") {
    node->asvar = std::string(bits[3]);
    bits.resize(2);
  }
  if (bits.size() != 2 || bits[1].size() < 2) parser.error(token.line, "'now' statement takes one argument");
  node->format = std::string(bits[1].substr(1, bits[1].size() - 2));
  return node;
}

std::unique_ptr<Node> do_load(Parser& parser, const Token& token) {
  auto bits = split_words(token.contents);
  const auto& libs = parser.engine().options.libraries;
  auto find = [&](std::string_view name) -> const Library& {
    auto it = libs.find(std::string(name));
    if (it == libs.end()) {
      std::string names;
      for (const auto& [n, l] : libs)
        names += (names.empty() ? "" : "\n") + n;
      parser.error(token.line,
                   "'" + std::string(name) + "' is not a registered tag library. Must be one of:\n" + names);
    }
    return *it->second;
  };
  if (bits.size() >= 4 && bits[bits.size() - 2] == "from") {
    std::vector<std::string_view> names(bits.begin() + 1, bits.end() - 2);
    parser.load_library(find(bits.back()), names, token.line);
  } else {
    for (std::size_t i = 1; i < bits.size(); ++i)
      parser.load_library(find(bits[i]), {}, token.line);
  }
  return std::make_unique<EmptyNode>();
}

// Splits `name=value` (Django's kwarg_re); key empty for a positional argument.
std::pair<std::string_view, std::string_view> split_kwarg(std::string_view bit) {
  std::size_t i = 0;
  while (i < bit.size() && (std::isalnum(static_cast<unsigned char>(bit[i])) || bit[i] == '_'))
    ++i;
  if (i > 0 && i + 1 < bit.size() && bit[i] == '=') return {bit.substr(0, i), bit.substr(i + 1)};
  return {{}, bit};
}

class UrlNode final : public Node {
 public:
  FilterExpression view;
  std::vector<FilterExpression> args;
  std::vector<std::pair<std::string, FilterExpression>> kwargs;
  std::string asvar;
  void render(Context& context, std::string& out) const override {
    const auto& reverser = context.render_state()->tmpl->engine().options.url_reverser;
    List a;
    for (const auto& fe : args)
      a.push_back(fe.resolve(context));
    Dict k;
    for (const auto& [n, fe] : kwargs)
      k.emplace_back(n, fe.resolve(context));
    std::string name = view.resolve(context).str();
    if (!reverser)
      throw RenderError("{% url %} needs EngineOptions::url_reverser (the urls layer's reverse())");
    std::optional<std::string> url;
    try {
      url = reverser(name, a, k);
    } catch (const urls::NoReverseMatch&) {
      // Django: {% url ... as var %} swallows NoReverseMatch; without `as` it propagates.
      if (asvar.empty()) throw;
    }
    if (!url && asvar.empty())
      throw RenderError("Reverse for '" + name + "' not found. '" + name +
                        "' is not a valid view function or pattern name.");
    if (!asvar.empty()) {
      context.set(asvar, Value(url.value_or("")));
      return;
    }
    render_value(Value(*url), context, out);
  }
};

std::unique_ptr<Node> do_url(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  if (bits.size() < 2) parser.error(token.line, "'url' takes at least one argument, a URL pattern name.");
  auto node = std::make_unique<UrlNode>();
  node->view = parser.compile_filter(bits[1], token.line);
  std::size_t end = bits.size();
  if (end - 2 >= 2 && bits[end - 2] == "as") {
    node->asvar = std::string(bits[end - 1]);
    end -= 2;
  }
  for (std::size_t i = 2; i < end; ++i) {
    auto [k, v] = split_kwarg(bits[i]);
    if (k.empty())
      node->args.push_back(parser.compile_filter(v, token.line));
    else
      node->kwargs.emplace_back(std::string(k), parser.compile_filter(v, token.line));
  }
  return node;
}

class CsrfTokenNode final : public Node {
 public:
  void render(Context& context, std::string& out) const override {
    const Value* t = context.find("csrf_token");
    if (!t) return;
    Value v = t->resolved();
    if (!v.truthy()) return;
    std::string s = v.str();
    if (s == "NOTPROVIDED") return;
    out += "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"";
    escape_append(out, s);
    out += "\">";
  }
};

std::unique_ptr<Node> do_csrf_token(Parser&, const Token&) {
  return std::make_unique<CsrfTokenNode>();
}

class SimpleTagNode final : public Node {
 public:
  const SimpleTag* fn = nullptr;
  std::vector<FilterExpression> args;
  std::vector<std::pair<std::string, FilterExpression>> kwargs;
  std::string target;
  void render(Context& context, std::string& out) const override {
    List a;
    for (const auto& fe : args)
      a.push_back(fe.resolve(context));
    Dict k;
    for (const auto& [n, fe] : kwargs)
      k.emplace_back(n, fe.resolve(context));
    Value result = (*fn)(context, a, k);
    if (!target.empty()) {
      context.set(target, std::move(result));
      return;
    }
    if (context.autoescape() && !result.is_safe()) {
      escape_append(out, result.str());
    } else {
      result.append_str(out);
    }
  }
};

}  // namespace

std::unique_ptr<Node> compile_simple_tag(Parser& parser, const Token& token, std::string_view,
                                         const SimpleTag& fn) {
  auto bits = split_contents(token.contents);
  auto node = std::make_unique<SimpleTagNode>();
  node->fn = &fn;
  std::size_t end = bits.size();
  if (end >= 3 && bits[end - 2] == "as") {
    node->target = std::string(bits[end - 1]);
    end -= 2;
  }
  for (std::size_t i = 1; i < end; ++i) {
    auto [k, v] = split_kwarg(bits[i]);
    if (k.empty()) {
      if (!node->kwargs.empty())
        parser.error(token.line, "'" + std::string(bits[0]) +
                                     "' received some positional argument(s) after some keyword argument(s)");
      node->args.push_back(parser.compile_filter(v, token.line));
    } else {
      node->kwargs.emplace_back(std::string(k), parser.compile_filter(v, token.line));
    }
  }
  return node;
}

void register_misc_tags(TagMap& t) {
  t["comment"] = do_comment;
  t["autoescape"] = do_autoescape;
  t["verbatim"] = do_verbatim;
  t["spaceless"] = do_spaceless;
  t["templatetag"] = do_templatetag;
  t["widthratio"] = do_widthratio;
  t["filter"] = do_filter;
  t["now"] = do_now;
  t["load"] = do_load;
  t["url"] = do_url;
  t["csrf_token"] = do_csrf_token;
}

}  // namespace duet::templates::detail
