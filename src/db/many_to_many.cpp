// Many-to-many relations: the through table's DDL and the related managers' add/remove/clear/set.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/many_to_many.hpp"
#include "duet/db/schema.hpp"
#include "duet/db/transaction.hpp"

namespace duet::db::detail {

namespace {

// SQLite binds at most 32766 values; two per row inserted.
constexpr std::size_t kBatch = 500;

struct Columns {
  const std::string& source;
  const std::string& target;
};
Columns columns(const ManyToManyInfo& f, bool reverse) {
  if (reverse) return {f.target_column, f.source_column};
  return {f.source_column, f.target_column};
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

std::string key_type(const ModelMeta& m) {
  const FieldInfo& pk = m.pk();
  if (pk.type == FieldType::BigAutoField) return "bigint";
  if (pk.type == FieldType::AutoField) return "integer";
  return SchemaEditor::column_type(pk);
}

std::vector<Value> linked(const ManyToManyInfo& f, bool reverse, const Value& source,
                          std::string_view alias) {
  auto c = columns(f, reverse);
  std::vector<Value> out;
  connections[alias].for_each(fmt::format("SELECT {} FROM {} WHERE {} = ?", quote_name(c.target),
                                          quote_name(f.through_table), quote_name(c.source)),
                              {source}, [&](const Row& r) { out.push_back(r.at(0)); });
  return out;
}

}  // namespace

const ManyToManyInfo& many_to_many_at(const ModelMeta& owner, std::ptrdiff_t offset) {
  for (auto& f : owner.many_to_many) {
    if (static_cast<std::ptrdiff_t>(f.offset) == offset) return f;
  }
  throw ImproperlyConfigured(fmt::format(
      "{}: this ManyToManyField member is not registered in meta() (m.field(&{}::name, \"name\"))",
      owner.object_name, owner.object_name));
}

std::string m2m_filter_path(const ManyToManyInfo& f, bool reverse) {
  if (reverse) return f.name + "__pk";
  return (f.related_name.empty() ? f.model->model_name : f.related_name) + "__pk";
}

void m2m_add(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
             std::string_view alias) {
  if (targets.empty()) return;
  auto c = columns(f, reverse);
  auto& conn = connections[alias];
  transaction::atomic tx(alias);
  for (std::size_t i = 0; i < targets.size(); i += kBatch) {
    std::size_t end = std::min(targets.size(), i + kBatch);
    std::string rows;
    std::vector<Value> params;
    for (std::size_t k = i; k < end; ++k) {
      if (targets[k].is_null()) throw ValueError(fmt::format("{}.add(): a related key is NULL", f.name));
      rows += (k == i ? "" : ", ") + std::string("(?, ?)");
      params.push_back(source);
      params.push_back(targets[k]);
    }
    // Links that exist already are kept as they are (Django's add() skips them too).
    conn.execute(fmt::format("INSERT INTO {} ({}, {}) VALUES {} ON CONFLICT DO NOTHING",
                             quote_name(f.through_table), quote_name(c.source), quote_name(c.target), rows),
                 params);
  }
}

void m2m_remove(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
                std::string_view alias) {
  if (targets.empty()) return;
  auto c = columns(f, reverse);
  auto& conn = connections[alias];
  transaction::atomic tx(alias);
  for (std::size_t i = 0; i < targets.size(); i += kBatch) {
    std::size_t end = std::min(targets.size(), i + kBatch);
    std::vector<Value> params{source};
    params.insert(params.end(), targets.begin() + i, targets.begin() + end);
    conn.execute(fmt::format("DELETE FROM {} WHERE {} = ? AND {} IN ({})", quote_name(f.through_table),
                             quote_name(c.source), quote_name(c.target), placeholders(end - i)),
                 params);
  }
}

void m2m_clear(const ManyToManyInfo& f, bool reverse, const Value& source, std::string_view alias) {
  auto c = columns(f, reverse);
  connections[alias].execute(
      fmt::format("DELETE FROM {} WHERE {} = ?", quote_name(f.through_table), quote_name(c.source)),
      {source});
}

void m2m_set(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
             std::string_view alias) {
  transaction::atomic tx(alias);
  auto old = linked(f, reverse, source, alias);
  std::set<Value> wanted(targets.begin(), targets.end());
  std::set<Value> have(old.begin(), old.end());
  std::vector<Value> to_remove, to_add;
  for (auto& v : have) {
    if (!wanted.count(v)) to_remove.push_back(v);
  }
  for (auto& v : targets) {
    if (!have.count(v)) to_add.push_back(v);
  }
  m2m_remove(f, reverse, source, to_remove, alias);
  m2m_add(f, reverse, source, to_add, alias);
}

std::vector<std::string> through_table_sql(const ManyToManyInfo& f) {
  const ModelMeta& owner = *f.model;
  const ModelMeta& target = f.related_model();
  const std::string& table = f.through_table;
  std::vector<std::string> out;
  out.push_back(
      fmt::format("CREATE TABLE {0} (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
                  "{1} {2} NOT NULL REFERENCES {3} ({4}) DEFERRABLE INITIALLY DEFERRED, "
                  "{5} {6} NOT NULL REFERENCES {7} ({8}) DEFERRABLE INITIALLY DEFERRED)",
                  quote_name(table), quote_name(f.source_column), key_type(owner), quote_name(owner.db_table),
                  quote_name(owner.pk().column), quote_name(f.target_column), key_type(target),
                  quote_name(target.db_table), quote_name(target.pk().column)));
  out.push_back(fmt::format("CREATE UNIQUE INDEX {} ON {} ({}, {})",
                            quote_name(table + "_" + f.source_column + "_" + f.target_column + "_uniq"),
                            quote_name(table), quote_name(f.source_column), quote_name(f.target_column)));
  out.push_back(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(table + "_" + f.source_column + "_idx"),
                            quote_name(table), quote_name(f.source_column)));
  out.push_back(fmt::format("CREATE INDEX {} ON {} ({})", quote_name(table + "_" + f.target_column + "_idx"),
                            quote_name(table), quote_name(f.target_column)));
  return out;
}

}  // namespace duet::db::detail
