// The compiled form of a template: tokens, the node tree, variables with their filters, and the
// per-render state. Internal to the template layer.
#pragma once

#include "duet/template/context.hpp"
#include "duet/template/engine.hpp"
#include "duet/template/library.hpp"
#include "duet/template/value.hpp"

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace duet::templates::detail {

struct Token {
  enum class Type { Text, Var, Block, Comment } type;
  std::string_view contents;
  int line;
};

// Django's Lexer: {{ }}, {% %} and {# #} on one line each; {% verbatim %} keeps its content as text.
std::vector<Token> tokenize(std::string_view source);
// Django's Token.split_contents(): whitespace-separated, quoted strings kept whole.
std::vector<std::string_view> split_contents(std::string_view s);

class BlockNode;

class Node {
 public:
  virtual ~Node() = default;
  virtual void render(Context& context, std::string& out) const = 0;
  // Django's get_nodes_by_type(BlockNode): every block, nested ones included.
  virtual void collect_blocks(std::vector<const BlockNode*>&) const {}
  virtual bool is_text() const { return false; }
  virtual bool is_extends() const { return false; }
  int line = 0;
};

class NodeList {
 public:
  void render(Context& context, std::string& out) const {
    for (const auto& n : nodes)
      n->render(context, out);
  }
  void collect_blocks(std::vector<const BlockNode*>& out) const {
    for (const auto& n : nodes)
      n->collect_blocks(out);
  }
  std::vector<std::unique_ptr<Node>> nodes;
};

// Django's Variable: a literal (number, quoted string: safe) or a dotted lookup.
class Operand {
 public:
  static Operand parse(std::string_view text);  // throws std::invalid_argument with Django's message
  // False when the lookup fails (Django's VariableDoesNotExist).
  bool resolve(const Context& context, Value& out) const;
  bool is_literal() const { return literal_.has_value(); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::optional<Value> literal_;
  std::vector<std::string> parts_;
};

struct FilterCall {
  const FilterDef* def = nullptr;
  std::string name;
  std::optional<Operand> arg;
};

struct EngineCore;

// Django's FilterExpression: `var|filter:arg|filter`.
class FilterExpression {
 public:
  // ignore_failures: a missing variable is None (if, for, firstof) instead of string_if_invalid.
  Value resolve(Context& context, bool ignore_failures = false) const;
  const Operand& operand() const { return var_; }
  bool has_filters() const { return !filters_.empty(); }
  const std::string& text() const { return text_; }

 private:
  friend class Parser;
  std::string text_;
  Operand var_;
  std::vector<FilterCall> filters_;
  const EngineCore* engine_ = nullptr;
};

// Django's render_value_in_context: str() then escape when autoescaping and not safe.
void render_value(const Value& v, const Context& context, std::string& out);

class Parser;
using TagCompiler = std::unique_ptr<Node> (*)(Parser& parser, const Token& token);

class Parser {
 public:
  Parser(std::vector<Token> tokens, const EngineCore& engine, std::string_view template_name);

  // Parses until a block tag whose name is in `until` (left unconsumed) or the end (an error if `until`
  // is not empty).
  NodeList parse(std::initializer_list<std::string_view> until = {});
  NodeList parse(const std::vector<std::string_view>& until);
  const Token& next_token();
  const Token& peek_token() const { return tokens_[pos_]; }
  bool at_end() const { return pos_ >= tokens_.size(); }
  void skip_past(std::string_view endtag, const Token& opening);
  FilterExpression compile_filter(std::string_view text, int line);
  const FilterDef* find_filter(std::string_view name) const;
  [[noreturn]] void error(int line, const std::string& message) const;
  void load_library(const Library& lib, const std::vector<std::string_view>& only, int line);

  const EngineCore& engine() const { return engine_; }
  std::string_view template_name() const { return name_; }
  // Blocks seen so far (names must be unique in a template).
  std::vector<std::string> block_names;
  // The tags being compiled and their lines (for "Unclosed tag" messages).
  std::vector<std::pair<std::string_view, int>> open_tags;
  // {% cycle ... as name %} nodes, for {% cycle name %} and {% resetcycle %}.
  std::unordered_map<std::string, const Node*> named_cycles;
  const Node* last_cycle = nullptr;

 private:
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  const EngineCore& engine_;
  std::string_view name_;
  std::unordered_map<std::string, const FilterDef*> filters_;
  std::unordered_map<std::string, const SimpleTag*> simple_tags_;
};

using TagMap = std::unordered_map<std::string_view, TagCompiler>;
const TagMap& builtin_tags();
void register_if_tag(TagMap& tags);
void register_loader_tags(TagMap& tags);
void register_misc_tags(TagMap& tags);

// Django's token_kwargs(): `a=b c=d` (or legacy `b as a and d as c`), consuming bits from `pos`.
std::vector<std::pair<std::string, FilterExpression>> token_kwargs(const std::vector<std::string_view>& bits,
                                                                   std::size_t& pos, Parser& parser, int line,
                                                                   bool support_legacy);
using RenderError = TemplateRenderError;
// Tags nest at most this deep (the parser recurses per level).
constexpr std::size_t kMaxNesting = 200;
std::unique_ptr<Node> compile_simple_tag(Parser& parser, const Token& token, std::string_view name,
                                         const SimpleTag& fn);

// Which block definition renders, for {% extends %}: per name, the chain from root to most derived.
struct BlockContext {
  std::unordered_map<std::string_view, std::vector<const BlockNode*>> blocks;
  void add_blocks(const std::vector<const BlockNode*>& list);
  const BlockNode* pop(std::string_view name);
  void push(std::string_view name, const BlockNode* b) { blocks[name].push_back(b); }
  const BlockNode* get(std::string_view name) const;
};

struct RenderState {
  const Template* tmpl = nullptr;
  int depth = 0;  // extends/include nesting, bounded against self-inclusion
  std::unique_ptr<BlockContext> blocks;
  std::unordered_map<const void*, std::size_t> cycles;
  std::unordered_map<const void*, std::optional<Value>> ifchanged;
};

// A template owns its engine (it renders {% include %} and {% extends %} through it, after the Engine may be
// gone), except the ones in the engine's cache: the engine owns those, and one that owned it back would keep
// both alive for ever (every Engine leaked with its cached templates). get_template() hands out a cached
// template through a pointer that owns the engine instead.
struct EngineCore : std::enable_shared_from_this<EngineCore> {
  explicit EngineCore(EngineOptions o) : options(std::move(o)) {}
  std::shared_ptr<const Template> get_template(std::string_view name) const;
  /// A template that owns this engine (from_string, or get_template without the cache).
  std::shared_ptr<const Template> compile(std::string source, std::string name) const;
  std::string load_source(std::string_view name) const;
  /// Empties the cache. Its templates are kept until the engine goes: a pointer handed out may still render
  /// one.
  void clear_cache() const;

  EngineOptions options;
  mutable std::shared_mutex mutex;
  mutable std::unordered_map<std::string, std::shared_ptr<const Template>> cache;
  mutable std::vector<std::shared_ptr<const Template>> cleared;
};

}  // namespace duet::templates::detail
