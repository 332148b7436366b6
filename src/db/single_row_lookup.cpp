// Whether a get() query can match more than one row. Django's get() fetches up to 21 rows to tell "one"
// from "several" and say how many; when the condition pins a primary key or unique field to a value and
// adds no join that can repeat a row, at most one row can match and the LIMIT only costs the server a plan
// node per query (on PostgreSQL about a tenth of a primary-key SELECT's CPU; docs/postgresql.md).
#include <string_view>

#include "duet/db/models/query.hpp"

namespace duet::db::detail {
namespace {

using Node = Q::Node;

/// The field of `meta` a lookup's first step names ("pk" included), or null; `rest` gets what follows
/// the first "__" (a lookup such as "exact", or the rest of a path).
const FieldInfo* first_step(const ModelMeta& meta, std::string_view lookup, std::string_view& rest) {
  auto sep = lookup.find("__");
  std::string_view head = lookup.substr(0, sep);
  rest = sep == std::string_view::npos ? std::string_view() : lookup.substr(sep + 2);
  if (head == "pk") return &meta.pk();
  return meta.find_field(head);
}

/// What one walk of a condition tree finds out.
struct Verdict {
  /// A condition may join rows that repeat the model's row: a path through a relation (a reverse or
  /// many-to-many one can), or a name not resolved here. Conservative: every followed key counts.
  bool may_repeat = false;
  /// A condition ANDed at the top is `primary key or unique field = value`. Not NULL: `IS NULL` can match
  /// many rows of a nullable unique field.
  bool pins = false;
};

/// One walk, each lookup resolved once (get() asks this of every query it runs). `top`: still on the
/// chain of non-negated ANDs from the root, where a pinning condition holds for the whole query.
void classify(const ModelMeta& meta, const Node& n, bool top, Verdict& v) {
  if (n.type != Node::Type::Leaf) {
    const bool and_chain = top && !n.negated && n.type == Node::Type::And;
    for (auto& child : n.children) {
      classify(meta, *child, and_chain, v);
      if (v.may_repeat) return;
    }
    return;
  }
  std::string_view rest;
  const FieldInfo* f = n.root && n.root != &meta ? nullptr : first_step(meta, n.lookup, rest);
  if (!f || rest.find("__") != std::string_view::npos ||
      (f->is_relation() && !rest.empty() && rest != "exact")) {
    v.may_repeat = true;
    return;
  }
  if (top && !n.negated && (f->primary_key || f->unique) && (rest.empty() || rest == "exact")) {
    const ExprNode& rhs = n.rhs.node();
    if (rhs.kind == Expr::Kind::Value && !rhs.value.is_null()) v.pins = true;
  }
}

}  // namespace

bool matches_at_most_one_row(const Query& q) {
  if (q.where.empty() || !q.annotations.empty()) return false;
  Verdict v;
  classify(*q.model, *q.where.node(), true, v);
  return v.pins && !v.may_repeat;
}

}  // namespace duet::db::detail
