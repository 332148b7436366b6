// Template inheritance and composition: {% block %}, {% extends %} (with block.super), {% include %}.
#include "nodes.hpp"
#include "text.hpp"

#include <algorithm>

namespace duet::templates::detail {

class BlockNode final : public Node {
 public:
  std::string name;
  NodeList body;
  void collect_blocks(std::vector<const BlockNode*>& out) const override {
    out.push_back(this);
    body.collect_blocks(out);
  }
  void render(Context& context, std::string& out) const override;
};

namespace {

// What {{ block }} is while a block renders: {{ block.super }} renders the overridden definition.
struct BlockFrame {
  const BlockNode* node;
  Context* context;
};

class BlockType final : public TypeInfo {
 public:
  std::string_view type_name() const override { return "BlockNode"; }
  bool attr(const void* obj, const std::shared_ptr<const void>&, std::string_view name,
            Value& out) const override {
    const auto& f = *static_cast<const BlockFrame*>(obj);
    if (name == "name") return out = Value::borrowed(f.node->name, nullptr), true;
    if (name != "super") return false;
    BlockContext* bc = f.context->render_state() ? f.context->render_state()->blocks.get() : nullptr;
    if (!bc || !bc->get(f.node->name)) {
      out = Value(std::string());
      return true;
    }
    std::string s;
    f.node->render(*f.context, s);
    out = Value::safe(std::move(s));
    return true;
  }
  std::string str(const void* obj) const override {
    return "<Block Node: " + static_cast<const BlockFrame*>(obj)->node->name + ">";
  }
  static const BlockType& instance() {
    static const BlockType t;
    return t;
  }
};

}  // namespace

void BlockNode::render(Context& context, std::string& out) const {
  BlockContext* bc = context.render_state() ? context.render_state()->blocks.get() : nullptr;
  ScopeGuard scope(context);
  if (!bc) {
    BlockFrame frame{this, &context};
    context.set("block", Value::object(&BlockType::instance(), &frame, nullptr));
    body.render(context, out);
    return;
  }
  const BlockNode* push = bc->pop(name);
  const BlockNode* block = push ? push : this;
  BlockFrame frame{block, &context};
  context.set("block", Value::object(&BlockType::instance(), &frame, nullptr));
  block->body.render(context, out);
  if (push) bc->push(name, push);
}

void BlockContext::add_blocks(const std::vector<const BlockNode*>& list) {
  for (const BlockNode* b : list) {
    auto& v = blocks[b->name];
    v.insert(v.begin(), b);
  }
}

const BlockNode* BlockContext::pop(std::string_view name) {
  auto it = blocks.find(name);
  if (it == blocks.end() || it->second.empty()) return nullptr;
  const BlockNode* b = it->second.back();
  it->second.pop_back();
  return b;
}

const BlockNode* BlockContext::get(std::string_view name) const {
  auto it = blocks.find(name);
  if (it == blocks.end() || it->second.empty()) return nullptr;
  return it->second.back();
}

namespace {

constexpr int kMaxDepth = 64;  // extends/include nesting; deeper is a loop

std::string relative_name(std::string_view current, std::string_view name) {
  if (!(name.substr(0, 2) == "./" || name.substr(0, 3) == "../")) return std::string(name);
  std::string base(current);
  auto slash = base.rfind('/');
  base = slash == std::string::npos ? "" : base.substr(0, slash);
  std::string_view rest = name;
  while (true) {
    if (rest.substr(0, 2) == "./") {
      rest.remove_prefix(2);
    } else if (rest.substr(0, 3) == "../") {
      if (base.empty())
        throw std::invalid_argument("The relative path '" + std::string(name) +
                                    "' points outside the file hierarchy that template '" +
                                    std::string(current) + "' is in.");
      auto s = base.rfind('/');
      base = s == std::string::npos ? "" : base.substr(0, s);
      rest.remove_prefix(3);
    } else {
      break;
    }
  }
  return base.empty() ? std::string(rest) : base + "/" + std::string(rest);
}

// A quoted template name is made relative at compile time (Django's construct_relative_path).
FilterExpression compile_template_name(Parser& parser, std::string_view bit, int line) {
  if (bit.size() >= 2 && (bit[0] == '"' || bit[0] == '\'') && bit.back() == bit[0]) {
    std::string inner(bit.substr(1, bit.size() - 2));
    try {
      std::string rel = relative_name(parser.template_name(), inner);
      if (rel != inner) return parser.compile_filter("\"" + rel + "\"", line);
    } catch (const std::invalid_argument& e) {
      parser.error(line, e.what());
    }
  }
  return parser.compile_filter(bit, line);
}

class ExtendsNode final : public Node {
 public:
  FilterExpression parent_name;
  NodeList body;
  std::vector<const BlockNode*> blocks;
  std::string template_name;
  bool is_extends() const override { return true; }
  void collect_blocks(std::vector<const BlockNode*>& out) const override { body.collect_blocks(out); }
  void render(Context& context, std::string& out) const override {
    RenderState* st = context.render_state();
    Value parent = parent_name.resolve(context);
    if (!parent.truthy())
      throw TemplateSyntaxError(template_name, line,
                                "Invalid template name in 'extends' tag: " + parent.repr() +
                                    ". Got this from the '" + parent_name.text() + "' variable.");
    if (st->depth >= kMaxDepth) throw RenderError("Template inheritance is nested too deeply (a loop?)");
    auto tmpl = st->tmpl->engine().get_template(parent.str());
    if (!st->blocks) st->blocks = std::make_unique<BlockContext>();
    st->blocks->add_blocks(blocks);
    for (const auto& n : tmpl->nodes().nodes) {
      if (n->is_text()) continue;
      if (!n->is_extends()) {
        std::vector<const BlockNode*> parent_blocks;
        tmpl->nodes().collect_blocks(parent_blocks);
        st->blocks->add_blocks(parent_blocks);
      }
      break;
    }
    const Template* saved = st->tmpl;
    st->tmpl = tmpl.get();
    ++st->depth;
    try {
      tmpl->nodes().render(context, out);
    } catch (...) {
      st->tmpl = saved;
      --st->depth;
      throw;
    }
    st->tmpl = saved;
    --st->depth;
  }
};

std::unique_ptr<Node> do_extends(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  if (bits.size() != 2) parser.error(token.line, "'extends' takes one argument");
  auto node = std::make_unique<ExtendsNode>();
  node->parent_name = compile_template_name(parser, bits[1], token.line);
  node->template_name = std::string(parser.template_name());
  node->body = parser.parse();
  for (const auto& n : node->body.nodes)
    if (n->is_extends())
      parser.error(token.line, "'extends' cannot appear more than once in the same template");
  node->body.collect_blocks(node->blocks);
  return node;
}

std::unique_ptr<Node> do_block(Parser& parser, const Token& token) {
  auto bits = split_words(token.contents);
  if (bits.size() != 2) parser.error(token.line, "'block' tag takes only one argument");
  std::string name(bits[1]);
  if (std::find(parser.block_names.begin(), parser.block_names.end(), name) != parser.block_names.end())
    parser.error(token.line, "'block' tag with name '" + name + "' appears more than once");
  parser.block_names.push_back(name);
  auto node = std::make_unique<BlockNode>();
  node->name = name;
  node->body = parser.parse({"endblock"});
  const Token& end = parser.next_token();
  if (end.contents != "endblock" && end.contents != "endblock " + name)
    parser.error(end.line, "Invalid block tag on line " + std::to_string(end.line) +
                               ": 'endblock', expected 'endblock' or 'endblock " + name +
                               "'. Did you forget to register or load this tag?");
  return node;
}

class IncludeNode final : public Node {
 public:
  FilterExpression name;
  std::vector<std::pair<std::string, FilterExpression>> extra;
  bool only = false;
  std::string current_template;
  void render(Context& context, std::string& out) const override {
    RenderState* st = context.render_state();
    Value v = name.resolve(context);
    std::shared_ptr<const Template> tmpl;
    const auto& engine = st->tmpl->engine();
    if (v.is_string()) {
      tmpl = engine.get_template(relative_name(current_template, v.string_view()));
    } else {
      List names;
      v.items(names);
      std::string tried;
      for (const auto& n : names) {
        try {
          tmpl = engine.get_template(n.str());
          break;
        } catch (const TemplateDoesNotExist&) {
          tried += (tried.empty() ? "" : ", ") + n.str();
        }
      }
      if (!tmpl) throw TemplateDoesNotExist(tried);
    }
    if (st->depth >= kMaxDepth) throw RenderError("Template inclusion is nested too deeply (a loop?)");
    List values;
    for (const auto& [k, fe] : extra)
      values.push_back(fe.resolve(context));
    // The included template gets its own render state (blocks, cycles): Template::render_to makes it.
    if (only) {
      Context isolated;
      isolated.set_autoescape(context.autoescape());
      for (std::size_t i = 0; i < extra.size(); ++i)
        isolated.set(extra[i].first, values[i]);
      isolated.set_render_state(st);
      tmpl->render_to(isolated, out);
      return;
    }
    ScopeGuard scope(context);
    for (std::size_t i = 0; i < extra.size(); ++i)
      context.set(extra[i].first, values[i]);
    tmpl->render_to(context, out);
  }
};

std::unique_ptr<Node> do_include(Parser& parser, const Token& token) {
  auto bits = split_contents(token.contents);
  if (bits.size() < 2)
    parser.error(token.line,
                 "'include' tag takes at least one argument: the name of the template to be included.");
  auto node = std::make_unique<IncludeNode>();
  bool seen_with = false, seen_only = false;
  std::size_t pos = 2;
  while (pos < bits.size()) {
    std::string_view option = bits[pos++];
    if ((option == "with" && seen_with) || (option == "only" && seen_only))
      parser.error(token.line, "The '" + std::string(option) + "' option was specified more than once.");
    if (option == "with") {
      seen_with = true;
      node->extra = token_kwargs(bits, pos, parser, token.line, false);
      if (node->extra.empty())
        parser.error(token.line, "\"with\" in 'include' tag needs at least one keyword argument.");
    } else if (option == "only") {
      seen_only = node->only = true;
    } else {
      parser.error(token.line, "Unknown argument for 'include' tag: '" + std::string(option) + "'.");
    }
  }
  node->current_template = std::string(parser.template_name());
  node->name = compile_template_name(parser, bits[1], token.line);
  return node;
}

}  // namespace

void register_loader_tags(TagMap& tags) {
  tags["block"] = do_block;
  tags["extends"] = do_extends;
  tags["include"] = do_include;
}

}  // namespace duet::templates::detail
