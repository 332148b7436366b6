// {% if %}: Django's smartif Pratt parser (or < and < not < in, not in < is, is not, comparisons) and
// Python's semantics for each operator (an operator that would raise evaluates to False).
#include "nodes.hpp"
#include "text.hpp"

namespace duet::templates::detail {

namespace {

struct Cond {
  enum class Op { Literal, Or, And, Not, In, NotIn, Is, IsNot, Eq, Ne, Gt, Ge, Lt, Le } op = Op::Literal;
  FilterExpression literal;
  std::unique_ptr<Cond> first, second;

  Value eval(Context& context) const;
  bool test(Context& context) const { return eval(context).truthy(); }
};

bool contains(const Value& needle, const Value& hay, bool& error) {
  if (hay.is_string()) {
    if (!needle.is_string()) return error = true, false;
    return hay.string_view().find(needle.string_view()) != std::string_view::npos;
  }
  if (hay.dict() || (hay.json() && hay.json()->is_object())) {
    if (!needle.is_string()) return false;
    Value tmp;
    // Only keys count, not the items/keys/values pseudo-attributes.
    List keys;
    hay.items(keys);
    for (const auto& k : keys)
      if (k.string_view() == needle.string_view()) return true;
    return false;
  }
  List items;
  if (!hay.items(items)) return error = true, false;
  for (const auto& i : items)
    if (i == needle) return true;
  return false;
}

bool identical(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_none() || b.is_none()) return a.is_none() && b.is_none();
  if (a.kind() == K::Bool && b.kind() == K::Bool) return a.as_bool() == b.as_bool();
  // CPython caches small ints; literals of equal small value are the same object.
  if (a.kind() == K::Int && b.kind() == K::Int)
    return a.as_int() == b.as_int() && a.as_int() >= -5 && a.as_int() <= 256;
  if (a.kind() == b.kind() && a.object_ptr() && a.object_ptr() == b.object_ptr()) return true;
  return false;
}

Value Cond::eval(Context& context) const {
  try {
    switch (op) {
      case Op::Literal:
        return literal.resolve(context, true);
      case Op::Or: {
        Value x = first->eval(context);
        return x.truthy() ? x : second->eval(context);
      }
      case Op::And: {
        Value x = first->eval(context);
        return x.truthy() ? second->eval(context) : x;
      }
      case Op::Not:
        return Value(!first->test(context));
      case Op::In:
      case Op::NotIn: {
        Value x = first->eval(context), y = second->eval(context);
        bool error = false;
        bool r = contains(x, y, error);
        if (error) return Value(false);
        return Value(op == Op::In ? r : !r);
      }
      case Op::Is:
        return Value(identical(first->eval(context), second->eval(context)));
      case Op::IsNot:
        return Value(!identical(first->eval(context), second->eval(context)));
      case Op::Eq:
        return Value(first->eval(context) == second->eval(context));
      case Op::Ne:
        return Value(!(first->eval(context) == second->eval(context)));
      default: {
        auto c = Value::compare(first->eval(context), second->eval(context));
        if (!c) return Value(false);
        switch (op) {
          case Op::Gt:
            return Value(*c > 0);
          case Op::Ge:
            return Value(*c >= 0);
          case Op::Lt:
            return Value(*c < 0);
          default:
            return Value(*c <= 0);
        }
      }
    }
  } catch (const std::exception&) {
    if (op == Op::Literal) throw;
    return Value(false);
  }
}

struct IfToken {
  std::string text;
  int bp = 0;  // 0 for a literal
  bool prefix = false;
  Cond::Op op = Cond::Op::Literal;
};

class IfParser {
 public:
  IfParser(Parser& parser, const std::vector<std::string_view>& bits, int line)
      : parser_(parser), line_(line) {
    for (std::size_t i = 0; i < bits.size(); ++i) {
      std::string t(bits[i]);
      if (t == "is" && i + 1 < bits.size() && bits[i + 1] == "not")
        t = "is not", ++i;
      else if (t == "not" && i + 1 < bits.size() && bits[i + 1] == "in")
        t = "not in", ++i;
      tokens_.push_back(translate(t));
    }
    advance();
  }

  std::unique_ptr<Cond> parse() {
    auto r = expression(0);
    if (!at_end_) fail("Unused '" + current_.text + "' at end of if expression.");
    return r;
  }

 private:
  static IfToken translate(const std::string& t) {
    using O = Cond::Op;
    static const std::pair<const char*, std::pair<int, O>> ops[] = {
        {"or", {6, O::Or}},        {"and", {7, O::And}}, {"not", {8, O::Not}},       {"in", {9, O::In}},
        {"not in", {9, O::NotIn}}, {"is", {10, O::Is}},  {"is not", {10, O::IsNot}}, {"==", {10, O::Eq}},
        {"!=", {10, O::Ne}},       {">", {10, O::Gt}},   {">=", {10, O::Ge}},        {"<", {10, O::Lt}},
        {"<=", {10, O::Le}}};
    for (const auto& [name, v] : ops)
      if (t == name) return IfToken{t, v.first, v.second == O::Not, v.second};
    return IfToken{t, 0, false, O::Literal};
  }
  [[noreturn]] void fail(const std::string& m) { parser_.error(line_, m); }
  void advance() {
    if (pos_ >= tokens_.size()) {
      at_end_ = true;
      current_ = IfToken{};
    } else {
      current_ = tokens_[pos_++];
    }
  }
  std::unique_ptr<Cond> nud(const IfToken& t, bool end) {
    if (end) fail("Unexpected end of expression in if tag.");
    auto c = std::make_unique<Cond>();
    if (t.op == Cond::Op::Literal) {
      c->literal = parser_.compile_filter(t.text, line_);
      return c;
    }
    if (!t.prefix) fail("Not expecting '" + t.text + "' in this position in if tag.");
    c->op = t.op;
    c->first = expression(t.bp);
    return c;
  }
  std::unique_ptr<Cond> expression(int rbp) {
    IfToken t = current_;
    bool end = at_end_;
    advance();
    auto left = nud(t, end);
    while (!at_end_ && rbp < current_.bp) {
      IfToken op = current_;
      advance();
      if (op.prefix) fail("Not expecting '" + op.text + "' as infix operator in if tag.");
      auto c = std::make_unique<Cond>();
      c->op = op.op;
      c->first = std::move(left);
      c->second = expression(op.bp);
      left = std::move(c);
    }
    return left;
  }

  Parser& parser_;
  int line_;
  std::vector<IfToken> tokens_;
  std::size_t pos_ = 0;
  IfToken current_;
  bool at_end_ = false;
};

class IfNode final : public Node {
 public:
  std::vector<std::pair<std::unique_ptr<Cond>, NodeList>> branches;  // null condition: else
  void collect_blocks(std::vector<const BlockNode*>& out) const override {
    for (const auto& [c, n] : branches)
      n.collect_blocks(out);
  }
  void render(Context& context, std::string& out) const override {
    for (const auto& [cond, nodes] : branches) {
      if (!cond || cond->test(context)) {
        nodes.render(context, out);
        return;
      }
    }
  }
};

std::unique_ptr<Node> do_if(Parser& parser, const Token& token) {
  auto node = std::make_unique<IfNode>();
  auto bits = split_contents(token.contents);
  bits.erase(bits.begin());
  auto cond = IfParser(parser, bits, token.line).parse();
  node->branches.emplace_back(std::move(cond), parser.parse({"elif", "else", "endif"}));
  const Token* t = &parser.next_token();
  while (t->contents.substr(0, 4) == "elif") {
    auto b = split_contents(t->contents);
    b.erase(b.begin());
    auto c = IfParser(parser, b, t->line).parse();
    node->branches.emplace_back(std::move(c), parser.parse({"elif", "else", "endif"}));
    t = &parser.next_token();
  }
  if (t->contents == "else") {
    node->branches.emplace_back(nullptr, parser.parse({"endif"}));
    t = &parser.next_token();
  }
  if (t->contents != "endif")
    parser.error(t->line, "Malformed template tag at line " + std::to_string(t->line) + ": \"" +
                              std::string(t->contents) + "\"");
  return node;
}

}  // namespace

void register_if_tag(TagMap& tags) {
  tags["if"] = do_if;
}

}  // namespace duet::templates::detail
