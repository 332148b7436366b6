// Expressions and filters: F (a reference to a field), Q (a condition tree), aggregates, arithmetic.
#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "duet/db/value.hpp"

namespace duet::db {

class ModelMeta;
class Q;

struct ExprNode;

/// An SQL expression tree: a bound value, a field reference, arithmetic, or an aggregate. Values convert
/// implicitly, so any place that takes an Expr takes 42, "text" or F("pages") + 1.
class Expr {
 public:
  enum class Kind { Value, List, Field, Combined, Aggregate, Star };

  /// NULL. Default-constructed expressions (every Q's Node has one) share one immutable node.
  Expr();
  Expr(Value v);
  template <class V>
  requires(std::constructible_from<Value, V&&> && !std::same_as<std::decay_t<V>, Value> &&
           !std::derived_from<std::decay_t<V>, Expr>) Expr(V&& v)
      : Expr(Value(std::forward<V>(v))) {}
  /// A list of values, for `in` and `range`.
  Expr(std::vector<Value> values);
  template <class T>
  requires(std::constructible_from<Value, const T&> && !std::same_as<T, Value>)
      Expr(const std::vector<T>& values)
      : Expr(std::vector<Value>(values.begin(), values.end())) {}
  Expr(std::initializer_list<Value> values) : Expr(std::vector<Value>(values)) {}

  Kind kind() const noexcept;
  const ExprNode& node() const noexcept { return *node_; }
  /// The name an aggregate gets when none is given: Sum("pages") → "pages__sum".
  std::string default_alias() const;
  bool contains_aggregate() const noexcept;

  friend Expr operator+(const Expr& a, const Expr& b) { return combine('+', a, b); }
  friend Expr operator-(const Expr& a, const Expr& b) { return combine('-', a, b); }
  friend Expr operator*(const Expr& a, const Expr& b) { return combine('*', a, b); }
  friend Expr operator/(const Expr& a, const Expr& b) { return combine('/', a, b); }
  friend Expr operator%(const Expr& a, const Expr& b) { return combine('%', a, b); }

  explicit Expr(std::shared_ptr<const ExprNode> node) : node_(std::move(node)) {}

 private:
  static Expr combine(char op, const Expr& a, const Expr& b);
  std::shared_ptr<const ExprNode> node_;
};

struct ExprNode {
  Expr::Kind kind = Expr::Kind::Value;
  Value value;
  std::vector<Value> list;
  std::string path;                 // Field: "author__name"; Aggregate: its source path when a field
  const ModelMeta* root = nullptr;  // Field built from member pointers: the model they belong to
  char op = 0;                      // Combined
  std::string function;             // Aggregate: COUNT, SUM, AVG, MIN, MAX
  bool distinct = false;
  std::shared_ptr<const ExprNode> lhs, rhs;  // Combined: both; Aggregate: lhs is the argument
};

/// Sort direction for order_by(): `F("title").desc()`, or the string form "-title".
struct OrderBy {
  OrderBy(std::string p, bool desc = false, const ModelMeta* r = nullptr);
  OrderBy(const char* p) : OrderBy(std::string(p)) {}
  /// "-title" → descending title; "?" → random order.
  std::string path;
  bool descending = false;
  const ModelMeta* root = nullptr;
};

namespace detail {
std::string field_path_at(const ModelMeta& meta, std::size_t offset, const char* model_hint);

// ForeignKey<M> exposes `related_type`; the next member pointer of a path must belong to M.
template <class Member>
concept Relation = requires {
  typename Member::related_type;
};

template <class... Ps>
struct PathCheck : std::true_type {};
template <class M1, class C1, class M2, class C2, class... Rest>
struct PathCheck<M1 C1::*, M2 C2::*, Rest...> {
  static_assert(Relation<M1>,
                "F(&A::x, &B::y): every member but the last must be a ForeignKey/OneToOneField to the next "
                "one's model");
  static constexpr bool value =
      std::is_base_of_v<C2, typename M1::related_type> && PathCheck<M2 C2::*, Rest...>::value;
  static_assert(std::is_base_of_v<C2, typename M1::related_type>,
                "F(&A::fk, &B::y): B must be the model that A::fk points to");
};

template <class Model, class Member, class C>
std::size_t member_offset(Member C::*mp) {
  const Model& proto = Model::_proto();
  return static_cast<std::size_t>(reinterpret_cast<const char*>(&(proto.*mp)) -
                                  reinterpret_cast<const char*>(&proto));
}

template <class Member, class C>
std::string path_piece(Member C::*mp) {
  using M = typename C::model_type;
  return field_path_at(M::_meta(), member_offset<M>(mp), M::_meta().object_name.c_str());
}
}  // namespace detail

/// A reference to a field — by name, `F("author__name")`, or checked by the compiler, through member
/// pointers: `F(&Book::author, &Author::name)` does not compile unless Book::author is a key to Author.
/// Its lookup methods build the Q conditions filter() takes:
///     Book::objects().filter(F(&Book::author, &Author::name).icontains("tolk"))
class F : public Expr {
 public:
  explicit F(std::string path);
  explicit F(const char* path) : F(std::string(path)) {}
  template <class Member, class C, class... Rest>
  explicit F(Member C::*first, Rest... rest) : F(build_path(first, rest...), &C::model_type::_meta()) {
    static_assert(detail::PathCheck<Member C::*, Rest...>::value);
  }

  const std::string& path() const noexcept;

  Q exact(Expr v) const;
  Q iexact(Expr v) const;
  Q contains(Expr v) const;
  Q icontains(Expr v) const;
  Q in(Expr values) const;
  Q gt(Expr v) const;
  Q gte(Expr v) const;
  Q lt(Expr v) const;
  Q lte(Expr v) const;
  Q startswith(Expr v) const;
  Q istartswith(Expr v) const;
  Q endswith(Expr v) const;
  Q iendswith(Expr v) const;
  Q range(Value low, Value high) const;
  Q isnull(bool is_null = true) const;
  Q regex(std::string pattern) const;
  Q iregex(std::string pattern) const;
  /// Date parts: F(&Entry::pub_date).year().gte(2020) — a transform, chained before a lookup.
  F year() const;
  F month() const;
  F day() const;

  OrderBy asc() const { return {path(), false, node().root}; }
  OrderBy desc() const { return {path(), true, node().root}; }

 private:
  F(std::string path, const ModelMeta* root);
  Q lookup(std::string_view name, Expr v) const;
  template <class Member, class C, class... Rest>
  static std::string build_path(Member C::*first, Rest... rest) {
    std::string p = detail::path_piece(first);
    ((p += "__" + detail::path_piece(rest)), ...);
    return p;
  }
};

/// Django's Q: conditions combined with &, | and ~. `Q("title__icontains", "dune") | Q("pages__gt", 500)`.
class Q {
 public:
  struct Node {
    enum class Type { Leaf, And, Or } type = Type::And;
    bool negated = false;
    std::string lookup;  // Leaf: "author__name__icontains"
    Expr rhs;
    const ModelMeta* root = nullptr;  // Leaf built from member pointers
    std::vector<std::shared_ptr<const Node>> children;
  };

  /// The empty condition: matches every row.
  Q() = default;
  Q(std::string lookup, Expr rhs, const ModelMeta* root = nullptr);

  bool empty() const noexcept { return !node_; }
  const std::shared_ptr<const Node>& node() const noexcept { return node_; }

  friend Q operator&(const Q& a, const Q& b) { return combine(Node::Type::And, a, b); }
  friend Q operator|(const Q& a, const Q& b) { return combine(Node::Type::Or, a, b); }
  friend Q operator~(const Q& a);

 private:
  static Q combine(Node::Type type, const Q& a, const Q& b);
  std::shared_ptr<const Node> node_;
};

/// Aggregates for aggregate() and annotate(): `Count("book")`, `Sum("pages")`, `Avg(F("pages") * 2)`.
Expr Count(Expr of, bool distinct = false);
Expr Count(const char* path, bool distinct = false);
Expr Sum(Expr of);
Expr Sum(const char* path);
Expr Avg(Expr of);
Expr Avg(const char* path);
Expr Min(Expr of);
Expr Min(const char* path);
Expr Max(Expr of);
Expr Max(const char* path);

/// A named expression: {"num_books", Count("book")}.
using NamedExpr = std::pair<std::string, Expr>;

}  // namespace duet::db
