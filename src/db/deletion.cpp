// The deletion collector: follows keys pointing at the rows being deleted and applies their on_delete.
#include <fmt/format.h>

#include <set>

#include "compiler.hpp"
#include "duet/db/connection.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/query.hpp"
#include "duet/db/transaction.hpp"

namespace duet::db::detail {

namespace {

constexpr std::size_t kBatch = 500;

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += i ? ", ?" : "?";
  return out;
}

class Collector {
 public:
  explicit Collector(std::string alias) : alias_(std::move(alias)), conn_(connections[alias_]) {}

  void collect(const ModelMeta& meta, std::vector<Value> pks) {
    std::vector<Value> fresh;
    for (auto& pk : pks) {
      if (seen_.insert({&meta, pk}).second) fresh.push_back(std::move(pk));
    }
    if (fresh.empty()) return;
    deletes_.push_back({&meta, fresh});
    // Links in many-to-many through tables go with the rows on either side (Django cascades them).
    for (auto& m2m : meta.many_to_many)
      links_.push_back({&m2m, &m2m.source_column, fresh});
    for (auto& rel : meta.related_many_to_many())
      links_.push_back({rel.field, &rel.field->target_column, fresh});
    for (auto& rel : meta.related_objects()) {
      OnDelete action = rel.field->on_delete.value_or(OnDelete::Cascade);
      if (action == OnDelete::DoNothing) continue;
      auto children = select_pks(*rel.model, rel.field->column, fresh);
      if (children.empty()) continue;
      switch (action) {
        case OnDelete::Cascade:
          collect(*rel.model, std::move(children));
          break;
        case OnDelete::Protect:
          throw ProtectedError(
              fmt::format("Cannot delete some instances of model '{}' because they are referenced through "
                          "protected foreign "
                          "keys: '{}.{}'.",
                          meta.object_name, rel.model->object_name, rel.field->name));
        case OnDelete::Restrict:
          throw RestrictedError(
              fmt::format("Cannot delete some instances of model '{}' because they are referenced through "
                          "restricted foreign "
                          "keys: '{}.{}'.",
                          meta.object_name, rel.model->object_name, rel.field->name));
        case OnDelete::SetNull:
          updates_.push_back({rel.model, rel.field, std::move(children), Value()});
          break;
        case OnDelete::SetDefault:
          updates_.push_back(
              {rel.model, rel.field, std::move(children), rel.field->default_value.value_or(Value())});
          break;
        case OnDelete::DoNothing:
          break;
      }
    }
  }

  DeleteResult run() {
    DeleteResult result;
    transaction::atomic tx(alias_);
    for (auto& u : updates_) {
      for_batches(u.pks, [&](std::vector<Value> batch) {
        auto sql = fmt::format("UPDATE {} SET {} = ? WHERE {} IN ({})", quote_name(u.meta->db_table),
                               quote_name(u.field->column), quote_name(u.meta->pk().column),
                               placeholders(batch.size()));
        batch.insert(batch.begin(), u.value);
        conn_.execute(sql, batch);
      });
    }
    for (auto& l : links_) {
      std::int64_t n = 0;
      for_batches(l.pks, [&](std::vector<Value> batch) {
        auto sql = fmt::format("DELETE FROM {} WHERE {} IN ({})", quote_name(l.field->through_table),
                               quote_name(*l.column), placeholders(batch.size()));
        n += conn_.execute(sql, batch);
      });
      if (n) {
        result.total += n;
        result.per_model[l.field->through_label()] += n;
      }
    }
    // Dependents first (they were collected after what they point to); keys are deferred anyway.
    for (auto it = deletes_.rbegin(); it != deletes_.rend(); ++it) {
      std::int64_t n = 0;
      for_batches(it->pks, [&](std::vector<Value> batch) {
        auto sql = fmt::format("DELETE FROM {} WHERE {} IN ({})", quote_name(it->meta->db_table),
                               quote_name(it->meta->pk().column), placeholders(batch.size()));
        n += conn_.execute(sql, batch);
      });
      result.total += n;
      result.per_model[it->meta->label()] += n;
    }
    return result;
  }

 private:
  template <class Fn>
  static void for_batches(const std::vector<Value>& all, Fn&& fn) {
    for (std::size_t i = 0; i < all.size(); i += kBatch) {
      fn(std::vector<Value>(all.begin() + i, all.begin() + std::min(all.size(), i + kBatch)));
    }
  }
  std::vector<Value> select_pks(const ModelMeta& meta, const std::string& column,
                                const std::vector<Value>& keys) {
    std::vector<Value> out;
    for_batches(keys, [&](std::vector<Value> batch) {
      auto sql = fmt::format("SELECT {} FROM {} WHERE {} IN ({})", quote_name(meta.pk().column),
                             quote_name(meta.db_table), quote_name(column), placeholders(batch.size()));
      conn_.for_each(sql, batch, [&](const Row& r) { out.push_back(r.at(0)); });
    });
    return out;
  }

  struct Delete {
    const ModelMeta* meta;
    std::vector<Value> pks;
  };
  struct Links {
    const ManyToManyInfo* field;
    const std::string* column;
    std::vector<Value> pks;
  };
  struct Update {
    const ModelMeta* meta;
    const FieldInfo* field;
    std::vector<Value> pks;
    Value value;
  };
  std::string alias_;
  Connection& conn_;
  std::set<std::pair<const ModelMeta*, Value>> seen_;
  std::vector<Delete> deletes_;
  std::vector<Update> updates_;
  std::vector<Links> links_;
};

}  // namespace

DeleteResult delete_pks(const ModelMeta& meta, std::vector<Value> pks, std::string_view alias) {
  Collector c{std::string(alias)};
  // Collecting and deleting in one transaction: nothing can point at a row between the two.
  transaction::atomic tx(alias);
  c.collect(meta, std::move(pks));
  return c.run();
}

DeleteResult run_delete(const Query& q) {
  if (q.is_sliced()) throw TypeError("Cannot use 'limit' or 'offset' with delete().");
  Query inner(q);
  inner.ordering_set = true;
  inner.order_by.clear();
  inner.select_related.clear();
  Compiler c(inner);
  std::string where, having;
  c.where_having(where, having);
  auto pk = c.base_alias() + "." + quote_name(q.model->pk().column);
  std::string sql = "SELECT DISTINCT " + pk + " FROM " + c.from_clause();
  if (!where.empty()) sql += " WHERE " + where;
  std::vector<Value> pks;
  transaction::atomic tx(q.alias);
  connections[q.alias].for_each(sql, c.params, [&](const Row& r) { pks.push_back(r.at(0)); });
  if (pks.empty()) return {};
  return delete_pks(*q.model, std::move(pks), q.alias);
}

}  // namespace duet::db::detail
