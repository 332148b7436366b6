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

/// True when every condition of the tree is on a column of the model's own table: a key compared as is,
/// never followed (a reverse or many-to-many path joins rows that can repeat the model's row).
bool joins_nothing(const ModelMeta& meta, const Node& n) {
  if (n.type != Node::Type::Leaf) {
    for (auto& child : n.children) {
      if (!joins_nothing(meta, *child)) return false;
    }
    return true;
  }
  if (n.root && n.root != &meta) return false;
  std::string_view rest;
  const FieldInfo* f = first_step(meta, n.lookup, rest);
  if (!f) return false;
  if (rest.find("__") != std::string_view::npos) return false;
  return !f->is_relation() || rest.empty() || rest == "exact";
}

/// True when a condition ANDed at the top of the tree is `primary key or unique field = value` (not NULL:
/// `IS NULL` can match many rows of a nullable unique field).
bool pins_one_row(const ModelMeta& meta, const Node& n) {
  if (n.negated || n.type == Node::Type::Or) return false;
  if (n.type == Node::Type::And) {
    for (auto& child : n.children) {
      if (pins_one_row(meta, *child)) return true;
    }
    return false;
  }
  std::string_view rest;
  const FieldInfo* f = first_step(meta, n.lookup, rest);
  if (!f || !(f->primary_key || f->unique)) return false;
  if (!rest.empty() && rest != "exact") return false;
  const ExprNode& rhs = n.rhs.node();
  return rhs.kind == Expr::Kind::Value && !rhs.value.is_null();
}

}  // namespace

bool matches_at_most_one_row(const Query& q) {
  if (q.where.empty() || !q.annotations.empty()) return false;
  const Node& root = *q.where.node();
  return pins_one_row(*q.model, root) && joins_nothing(*q.model, root);
}

}  // namespace duet::db::detail
