// The tags that shape control flow and scope: for/empty, with, cycle, firstof, ifchanged, regroup,
// and the table of built-in tags.
#include "forloop.hpp"
#include "nodes.hpp"
#include "text.hpp"

#include <algorithm>

namespace duet::templates::detail {

bool ForloopType::attr(const void* obj, const std::shared_ptr<const void>&, std::string_view name,
                       Value& out) const {
  const auto& f = *static_cast<const ForloopState*>(obj);
  if (name == "counter0") return out = Value(f.index), true;
  if (name == "counter") return out = Value(f.index + 1), true;
  if (name == "revcounter") return out = Value(f.length - f.index), true;
  if (name == "revcounter0") return out = Value(f.length - f.index - 1), true;
  if (name == "first") return out = Value(f.index == 0), true;
  if (name == "last") return out = Value(f.index + 1 == f.length), true;
  if (name == "parentloop") return out = f.parent, true;
  return false;
}

std::string ForloopType::str(const void* obj) const {
  const auto& f = *static_cast<const ForloopState*>(obj);
  std::string out = "{'parentloop': " + f.parent.repr();
  out += ", 'counter0': " + std::to_string(f.index) + ", 'counter': " + std::to_string(f.index + 1);
  out += ", 'revcounter': " + std::to_string(f.length - f.index) +
         ", 'revcounter0': " + std::to_string(f.length - f.index - 1);
  out += std::string(", 'first': ") + (f.index == 0 ? "True" : "False");
  out += std::string(", 'last': ") + (f.index + 1 == f.length ? "True" : "False") + "}";
  return out;
}

const ForloopType& ForloopType::instance() {
  static const ForloopType t;
  return t;
}

ForloopState* ForloopState::current(Context& context) {
  const Value* v = context.find("forloop");
  if (!v || v->kind() != Value::Kind::Object || v->type() != &ForloopType::instance()) return nullptr;
  return const_cast<ForloopState*>(static_cast<const ForloopState*>(v->object_ptr()));
}

namespace {

class ForNode final : public Node {
 public:
  std::vector<std::string> loopvars;
  FilterExpression sequence;
  bool reversed = false;
  NodeList body, empty;

  void collect_blocks(std::vector<const BlockNode*>& out) const override {
    body.collect_blocks(out);
    empty.collect_blocks(out);
  }

  void render(Context& context, std::string& out) const override {
    Value parent;
    if (const Value* p = context.find("forloop"))
      parent = *p;
    else
      parent = Value(Dict{});
    ScopeGuard scope(context);
    Value values = sequence.resolve(context, true);
    List materialized;
    const List* items = values.list();
    if (!items) {
      values.items(materialized);  // not iterable: nothing (Django raises TypeError)
      items = &materialized;
    }
    const std::size_t n = items->size();
    if (n == 0) {
      empty.render(context, out);
      return;
    }
    ForloopState state;
    state.parent = std::move(parent);
    state.length = static_cast<std::int64_t>(n);
    context.set("forloop", Value::object(&ForloopType::instance(), &state, nullptr));
    const bool unpack = loopvars.size() > 1;
    std::vector<std::size_t> slots;
    for (const auto& v : loopvars)
      slots.push_back(context.bind(v, Value()));
    List parts;
    for (std::size_t i = 0; i < n; ++i) {
      const Value& item = (*items)[reversed ? n - 1 - i : i];
      state.index = static_cast<std::int64_t>(i);
      if (unpack) {
        std::size_t len = 1;
        parts.clear();
        if (item.items(parts)) len = parts.size();
        if (len != loopvars.size())
          throw RenderError("Need " + std::to_string(loopvars.size()) +
                            " values to unpack in for loop; got " + std::to_string(len) + ". ");
        for (std::size_t k = 0; k < slots.size(); ++k)
          context.slot(slots[k]) = parts[k];
      } else {
        context.slot(slots[0]) = item;
      }
      body.render(context, out);
    }
  }
};

std::unique_ptr<Node> do_for(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  std::string contents(token.contents);
  if (bits.size() < 4)
    parser.error(token.line, "'for' statements should have at least four words: " + contents);
  bool reversed = bits.back() == "reversed";
  std::size_t in_index = bits.size() - (reversed ? 3 : 2);
  if (bits[in_index] != "in")
    parser.error(token.line, "'for' statements should use the format 'for x in y': " + contents);
  std::string joined;
  for (std::size_t i = 1; i < in_index; ++i)
    joined += (i > 1 ? " " : "") + std::string(bits[i]);
  auto node = std::make_unique<ForNode>();
  // re.split(r' *, *', ...)
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && cur.back() == ' ')
      cur.pop_back();
    std::size_t s = cur.find_first_not_of(' ');
    node->loopvars.push_back(s == std::string::npos ? std::string() : cur.substr(s));
    cur.clear();
  };
  for (char c : joined) {
    if (c == ',')
      flush();
    else
      cur += c;
  }
  flush();
  for (const auto& v : node->loopvars)
    if (v.empty() || v.find_first_of(" \"'|") != std::string::npos)
      parser.error(token.line, "'for' tag received an invalid argument: " + contents);
  node->sequence = parser.compile_filter(bits[in_index + 1], token.line);
  node->reversed = reversed;
  node->body = parser.parse({"empty", "endfor"});
  const Token& t = parser.next_token();
  if (t.contents == "empty") {
    node->empty = parser.parse({"endfor"});
    parser.next_token();
  }
  return node;
}

class WithNode final : public Node {
 public:
  std::vector<std::pair<std::string, FilterExpression>> values;
  NodeList body;
  void collect_blocks(std::vector<const BlockNode*>& out) const override { body.collect_blocks(out); }
  void render(Context& context, std::string& out) const override {
    // Resolve all before binding any (Django builds the dict first).
    List resolved;
    resolved.reserve(values.size());
    for (const auto& [k, fe] : values)
      resolved.push_back(fe.resolve(context));
    ScopeGuard scope(context);
    for (std::size_t i = 0; i < values.size(); ++i)
      context.set(values[i].first, std::move(resolved[i]));
    body.render(context, out);
  }
};

bool kwarg_split(std::string_view bit, std::string_view& key, std::string_view& value) {
  std::size_t i = 0;
  while (i < bit.size() && (std::isalnum(static_cast<unsigned char>(bit[i])) || bit[i] == '_' ||
                            static_cast<unsigned char>(bit[i]) >= 0x80))
    ++i;
  if (i > 0 && i < bit.size() && bit[i] == '=' && i + 1 < bit.size()) {
    key = bit.substr(0, i);
    value = bit.substr(i + 1);
    return true;
  }
  key = {};
  value = bit;
  return false;
}

std::unique_ptr<Node> do_with(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  std::size_t pos = 1;
  auto node = std::make_unique<WithNode>();
  node->values = token_kwargs(bits, pos, parser, token.line, true);
  if (node->values.empty()) parser.error(token.line, "'with' expected at least one variable assignment");
  if (pos < bits.size())
    parser.error(token.line, "'with' received an invalid token: '" + std::string(bits[pos]) + "'");
  node->body = parser.parse({"endwith"});
  parser.next_token();
  return node;
}

class CycleNode final : public Node {
 public:
  std::vector<FilterExpression> values;
  std::string variable;
  bool silent = false;
  void render(Context& context, std::string& out) const override {
    auto& pos = context.render_state()->cycles[this];
    Value v = values[pos % values.size()].resolve(context);
    pos = (pos + 1) % values.size();
    if (!variable.empty()) context.set_upward(variable, v);
    if (silent) return;
    render_value(v, context, out);
  }
  void reset(Context& context) const { context.render_state()->cycles[this] = 0; }
};

class NodeRef final : public Node {  // {% cycle name %}: the named node again, sharing its state
 public:
  explicit NodeRef(const Node* n) : target(n) {}
  const Node* target;
  void render(Context& context, std::string& out) const override { target->render(context, out); }
};

class ResetCycleNode final : public Node {
 public:
  const CycleNode* target;
  void render(Context& context, std::string&) const override { target->reset(context); }
};

std::unique_ptr<Node> do_cycle(Parser& parser, const Token& token) {
  auto args = split_contents(token.contents);
  if (args.size() < 2) parser.error(token.line, "'cycle' tag requires at least two arguments");
  if (args.size() == 2) {
    std::string name(args[1]);
    if (parser.named_cycles.empty())
      parser.error(token.line, "No named cycles in template. '" + name + "' is not defined");
    auto it = parser.named_cycles.find(name);
    if (it == parser.named_cycles.end())
      parser.error(token.line, "Named cycle '" + name + "' does not exist");
    return std::make_unique<NodeRef>(it->second);
  }
  auto node = std::make_unique<CycleNode>();
  bool as_form = false;
  if (args.size() > 4) {
    if (args[args.size() - 3] == "as") {
      if (args.back() != "silent")
        parser.error(token.line, "Only 'silent' flag is allowed after cycle's name, not '" +
                                     std::string(args.back()) + "'.");
      as_form = node->silent = true;
      args.pop_back();
    } else if (args[args.size() - 2] == "as") {
      as_form = true;
    }
  }
  std::size_t end = as_form ? args.size() - 2 : args.size();
  for (std::size_t i = 1; i < end; ++i)
    node->values.push_back(parser.compile_filter(args[i], token.line));
  if (as_form) {
    node->variable = std::string(args.back());
    parser.named_cycles[node->variable] = node.get();
  }
  parser.last_cycle = node.get();
  return node;
}

std::unique_ptr<Node> do_resetcycle(Parser& parser, const Token& token) {
  auto args = split_contents(token.contents);
  if (args.size() > 2) parser.error(token.line, "'resetcycle' has too many arguments.");
  const Node* target = parser.last_cycle;
  if (args.size() == 2) {
    auto it = parser.named_cycles.find(std::string(args[1]));
    if (it == parser.named_cycles.end())
      parser.error(token.line, "Named cycle '" + std::string(args[1]) + "' does not exist.");
    target = it->second;
  }
  if (!target) parser.error(token.line, "No cycles in template.");
  auto node = std::make_unique<ResetCycleNode>();
  node->target = static_cast<const CycleNode*>(target);
  return node;
}

class FirstOfNode final : public Node {
 public:
  std::vector<FilterExpression> vars;
  std::string asvar;
  void render(Context& context, std::string& out) const override {
    std::string first;
    for (const auto& fe : vars) {
      Value v = fe.resolve(context, true);
      if (v.truthy()) {
        render_value(v, context, first);
        break;
      }
    }
    if (!asvar.empty()) {
      context.set(asvar, Value::safe(std::move(first)));
      return;
    }
    out += first;
  }
};

std::unique_ptr<Node> do_firstof(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  bits.erase(bits.begin());
  if (bits.empty()) parser.error(token.line, "'firstof' statement requires at least one argument");
  auto node = std::make_unique<FirstOfNode>();
  if (bits.size() >= 2 && bits[bits.size() - 2] == "as") {
    node->asvar = std::string(bits.back());
    bits.resize(bits.size() - 2);
  }
  for (auto b : bits)
    node->vars.push_back(parser.compile_filter(b, token.line));
  return node;
}

class IfChangedNode final : public Node {
 public:
  NodeList yes, no;
  std::vector<FilterExpression> vars;
  void collect_blocks(std::vector<const BlockNode*>& out) const override {
    yes.collect_blocks(out);
    no.collect_blocks(out);
  }
  void render(Context& context, std::string& out) const override {
    // State lives in the innermost loop (so it resets when an outer loop moves on), else per render.
    std::optional<Value>* state;
    if (ForloopState* loop = ForloopState::current(context)) {
      auto it = std::find_if(loop->ifchanged.begin(), loop->ifchanged.end(),
                             [&](const auto& p) { return p.first == this; });
      if (it == loop->ifchanged.end()) {
        loop->ifchanged.emplace_back(this, std::nullopt);
        it = loop->ifchanged.end() - 1;
      }
      state = &it->second;
    } else {
      state = &context.render_state()->ifchanged[this];
    }
    std::string rendered;
    bool have_output = false;
    Value compare;
    if (!vars.empty()) {
      List l;
      for (const auto& fe : vars)
        l.push_back(fe.resolve(context, true));
      compare = Value(std::move(l));
    } else {
      yes.render(context, rendered);
      have_output = true;
      compare = Value(rendered);
    }
    if (!*state || !(**state == compare)) {
      *state = compare;
      if (have_output)
        out += rendered;
      else
        yes.render(context, out);
    } else {
      no.render(context, out);
    }
  }
};

std::unique_ptr<Node> do_ifchanged(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  auto node = std::make_unique<IfChangedNode>();
  node->yes = parser.parse({"else", "endifchanged"});
  const Token& t = parser.next_token();
  if (t.contents == "else") {
    node->no = parser.parse({"endifchanged"});
    parser.next_token();
  }
  for (std::size_t i = 1; i < bits.size(); ++i)
    node->vars.push_back(parser.compile_filter(bits[i], token.line));
  return node;
}

// Django's GroupedResult namedtuple: .grouper, .list, and a two-item sequence.
struct Grouped {
  Value grouper, list;
};
class GroupedType final : public TypeInfo {
 public:
  std::string_view type_name() const override { return "GroupedResult"; }
  bool attr(const void* obj, const std::shared_ptr<const void>&, std::string_view name,
            Value& out) const override {
    const auto& g = *static_cast<const Grouped*>(obj);
    if (name == "grouper") return out = g.grouper, true;
    if (name == "list") return out = g.list, true;
    return false;
  }
  bool items(const void* obj, const std::shared_ptr<const void>&, List& out) const override {
    const auto& g = *static_cast<const Grouped*>(obj);
    out = {g.grouper, g.list};
    return true;
  }
  std::string str(const void* obj) const override {
    const auto& g = *static_cast<const Grouped*>(obj);
    return "GroupedResult(grouper=" + g.grouper.repr() + ", list=" + g.list.repr() + ")";
  }
  static const GroupedType& instance() {
    static const GroupedType t;
    return t;
  }
};

class RegroupNode final : public Node {
 public:
  FilterExpression target, expression;
  std::string var_name;
  void render(Context& context, std::string&) const override {
    Value list = target.resolve(context, true);
    List items, result;
    if (!list.is_none() && list.items(items)) {
      Value current_key;
      List current;
      bool have = false;
      auto flush = [&] {
        auto g = std::make_shared<Grouped>(Grouped{current_key, Value(std::move(current))});
        result.push_back(Value::object(&GroupedType::instance(), g.get(), g));
        current = List();
      };
      for (const auto& item : items) {
        context.set(var_name, item);
        Value key = expression.resolve(context, true);
        if (!have) {
          current_key = key;
          have = true;
        } else if (!(key == current_key)) {
          flush();
          current_key = key;
        }
        current.push_back(item);
      }
      if (have) flush();
    }
    context.set(var_name, Value(std::move(result)));
  }
};

std::unique_ptr<Node> do_regroup(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  if (bits.size() != 6) parser.error(token.line, "'regroup' tag takes five arguments");
  auto node = std::make_unique<RegroupNode>();
  node->target = parser.compile_filter(bits[1], token.line);
  if (bits[2] != "by") parser.error(token.line, "second argument to 'regroup' tag must be 'by'");
  if (bits[4] != "as") parser.error(token.line, "next-to-last argument to 'regroup' tag must be 'as'");
  node->var_name = std::string(bits[5]);
  node->expression = parser.compile_filter(std::string(bits[5]) + "." + std::string(bits[3]), token.line);
  return node;
}

}  // namespace

std::vector<std::pair<std::string, FilterExpression>> token_kwargs(const std::vector<std::string_view>& bits,
                                                                   std::size_t& pos, Parser& parser, int line,
                                                                   bool support_legacy) {
  std::vector<std::pair<std::string, FilterExpression>> out;
  if (pos >= bits.size()) return out;
  std::string_view key, value;
  bool kwarg_format = kwarg_split(bits[pos], key, value);
  if (!kwarg_format) {
    if (!support_legacy) return out;
    if (bits.size() - pos < 3 || bits[pos + 1] != "as") return out;
  }
  while (pos < bits.size()) {
    if (kwarg_format) {
      if (!kwarg_split(bits[pos], key, value)) return out;
      ++pos;
    } else {
      if (bits.size() - pos < 3 || bits[pos + 1] != "as") return out;
      key = bits[pos + 2];
      value = bits[pos];
      pos += 3;
    }
    out.emplace_back(std::string(key), parser.compile_filter(value, line));
    if (pos < bits.size() && !kwarg_format) {
      if (bits[pos] != "and") return out;
      ++pos;
    }
  }
  return out;
}

void register_core_tags(TagMap& t) {
  t["for"] = do_for;
  t["with"] = do_with;
  t["cycle"] = do_cycle;
  t["resetcycle"] = do_resetcycle;
  t["firstof"] = do_firstof;
  t["ifchanged"] = do_ifchanged;
  t["regroup"] = do_regroup;
}

const TagMap& builtin_tags() {
  static const TagMap tags = [] {
    TagMap t;
    register_core_tags(t);
    register_if_tag(t);
    register_loader_tags(t);
    register_misc_tags(t);
    return t;
  }();
  return tags;
}

}  // namespace duet::templates::detail
