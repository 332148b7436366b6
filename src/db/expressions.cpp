#include "duet/db/models/expressions.hpp"

#include <fmt/format.h>

#include "duet/db/exceptions.hpp"
#include "duet/db/models/meta.hpp"

namespace duet::db {

namespace {
std::shared_ptr<ExprNode> make(Expr::Kind kind) {
  auto n = std::make_shared<ExprNode>();
  n->kind = kind;
  return n;
}

Expr aggregate(const char* function, Expr of, bool distinct = false) {
  auto n = make(Expr::Kind::Aggregate);
  n->function = function;
  n->distinct = distinct;
  if (of.kind() == Expr::Kind::Field) n->path = of.node().path;
  n->lhs = std::make_shared<const ExprNode>(of.node());
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}
}  // namespace

// Nodes are immutable, so the NULL that default-constructed expressions hold can be one static node. It is
// held without a control block: copying it changes no reference count (a shared count would move its cache
// line between the loops' cores on every query that builds a Q).
Expr::Expr() {
  static const ExprNode null_node{};
  node_ = std::shared_ptr<const ExprNode>(std::shared_ptr<void>(), &null_node);
}

// Built in place (filter("id", n) makes one per query): not a default node whose members are then assigned.
Expr::Expr(Value v) : node_(std::make_shared<ExprNode>(Kind::Value, std::move(v))) {}

Expr::Expr(std::vector<Value> values) {
  auto n = make(Kind::List);
  n->list = std::move(values);
  node_ = std::move(n);
}

Expr::Kind Expr::kind() const noexcept {
  return node_->kind;
}

bool Expr::contains_aggregate() const noexcept {
  std::vector<const ExprNode*> stack{node_.get()};
  while (!stack.empty()) {
    auto* n = stack.back();
    stack.pop_back();
    if (n->kind == Kind::Aggregate) return true;
    if (n->lhs) stack.push_back(n->lhs.get());
    if (n->rhs) stack.push_back(n->rhs.get());
  }
  return false;
}

std::string Expr::default_alias() const {
  if (node_->kind != Kind::Aggregate || node_->path.empty()) {
    throw ValueError("Complex aggregates require an alias: aggregate({{\"name\", expr}})");
  }
  return node_->path + "__" + detail::lower(node_->function);
}

Expr Expr::combine(char op, const Expr& a, const Expr& b) {
  auto n = make(Kind::Combined);
  n->op = op;
  n->lhs = a.node_;
  n->rhs = b.node_;
  return Expr(std::shared_ptr<const ExprNode>(std::move(n)));
}

OrderBy::OrderBy(std::string p, bool desc, const ModelMeta* r) : descending(desc), root(r) {
  if (!p.empty() && p[0] == '-') {
    descending = !descending;
    p.erase(0, 1);
  }
  if (p.empty()) throw FieldError("order_by(): empty field name");
  path = std::move(p);
}

namespace detail {
std::string field_path_at(const ModelMeta& meta, std::size_t offset, const char* model_hint) {
  if (auto* f = meta.field_at_offset(offset)) return f->name;
  throw FieldError(fmt::format("F(&{}::...): that member is not a field registered in {}::meta()", model_hint,
                               model_hint));
}
}  // namespace detail

F::F(std::string path)
    : Expr(std::shared_ptr<const ExprNode>([&] {
        if (path.empty()) throw FieldError("F(): empty field name");
        auto n = make(Kind::Field);
        n->path = std::move(path);
        return n;
      }())) {}

F::F(std::string path, const ModelMeta* root)
    : Expr(std::shared_ptr<const ExprNode>([&] {
        auto n = make(Kind::Field);
        n->path = std::move(path);
        n->root = root;
        return n;
      }())) {}

const std::string& F::path() const noexcept {
  return node().path;
}

Q F::lookup(std::string_view name, Expr v) const {
  return Q(path() + "__" + std::string(name), std::move(v), node().root);
}
Q F::exact(Expr v) const {
  return lookup("exact", std::move(v));
}
Q F::iexact(Expr v) const {
  return lookup("iexact", std::move(v));
}
Q F::contains(Expr v) const {
  return lookup("contains", std::move(v));
}
Q F::icontains(Expr v) const {
  return lookup("icontains", std::move(v));
}
Q F::in(Expr values) const {
  return lookup("in", std::move(values));
}
Q F::gt(Expr v) const {
  return lookup("gt", std::move(v));
}
Q F::gte(Expr v) const {
  return lookup("gte", std::move(v));
}
Q F::lt(Expr v) const {
  return lookup("lt", std::move(v));
}
Q F::lte(Expr v) const {
  return lookup("lte", std::move(v));
}
Q F::startswith(Expr v) const {
  return lookup("startswith", std::move(v));
}
Q F::istartswith(Expr v) const {
  return lookup("istartswith", std::move(v));
}
Q F::endswith(Expr v) const {
  return lookup("endswith", std::move(v));
}
Q F::iendswith(Expr v) const {
  return lookup("iendswith", std::move(v));
}
Q F::range(Value low, Value high) const {
  return lookup("range", Expr(std::vector<Value>{std::move(low), std::move(high)}));
}
Q F::isnull(bool is_null) const {
  return lookup("isnull", Value(is_null));
}
Q F::regex(std::string pattern) const {
  return lookup("regex", Value(std::move(pattern)));
}
Q F::iregex(std::string pattern) const {
  return lookup("iregex", Value(std::move(pattern)));
}
F F::year() const {
  return F(path() + "__year", node().root);
}
F F::month() const {
  return F(path() + "__month", node().root);
}
F F::day() const {
  return F(path() + "__day", node().root);
}

Q::Q(std::string lookup, Expr rhs, const ModelMeta* root) {
  if (lookup.empty()) throw FieldError("Q(): empty lookup");
  // Built in place, as Expr(Value): a default Node would make its NULL Expr only to assign `rhs` over it.
  node_ = std::make_shared<Node>(Node::Type::Leaf, false, std::move(lookup), std::move(rhs), root);
}

Q Q::combine(Node::Type type, const Q& a, const Q& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  auto n = std::make_shared<Node>();
  n->type = type;
  // Flatten (a & b) & c into one AND of three, as Django does.
  for (const Q* side : {&a, &b}) {
    auto& c = side->node_;
    if (c->type == type && !c->negated) {
      n->children.insert(n->children.end(), c->children.begin(), c->children.end());
    } else {
      n->children.push_back(c);
    }
  }
  Q q;
  q.node_ = std::move(n);
  return q;
}

Q operator~(const Q& a) {
  if (a.empty()) return a;
  auto n = std::make_shared<Q::Node>(*a.node_);
  n->negated = !n->negated;
  Q q;
  q.node_ = std::move(n);
  return q;
}

Expr Count(Expr of, bool distinct) {
  return aggregate("COUNT", std::move(of), distinct);
}
Expr Count(const char* path, bool distinct) {
  if (std::string_view(path) == "*")
    return aggregate("COUNT", Expr(std::shared_ptr<const ExprNode>(make(Expr::Kind::Star))));
  return aggregate("COUNT", F(path), distinct);
}
Expr Sum(Expr of) {
  return aggregate("SUM", std::move(of));
}
Expr Sum(const char* path) {
  return aggregate("SUM", F(path));
}
Expr Avg(Expr of) {
  return aggregate("AVG", std::move(of));
}
Expr Avg(const char* path) {
  return aggregate("AVG", F(path));
}
Expr Min(Expr of) {
  return aggregate("MIN", std::move(of));
}
Expr Min(const char* path) {
  return aggregate("MIN", F(path));
}
Expr Max(Expr of) {
  return aggregate("MAX", std::move(of));
}
Expr Max(const char* path) {
  return aggregate("MAX", F(path));
}

}  // namespace duet::db
