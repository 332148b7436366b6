#include "duet/db/migrations/state.hpp"

#include <fmt/format.h>

#include "duet/db/exceptions.hpp"

namespace duet::db::migrations {

namespace {
std::string lower(std::string_view s) {
  return db::detail::lower(s);
}
std::string key(std::string_view app, std::string_view name) {
  return lower(app) + "." + lower(name);
}

bool same(const UniqueConstraint& a, const UniqueConstraint& b) {
  return a.fields == b.fields && a.name == b.name;
}
bool same(const CheckConstraint& a, const CheckConstraint& b) {
  return a.check == b.check && a.name == b.name;
}
bool same(const Index& a, const Index& b) {
  return a.fields == b.fields && a.name == b.name;
}
bool same(const Constraint& a, const Constraint& b) {
  if (a.index() != b.index()) return false;
  return std::visit([&](const auto& x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
}
template <class T>
bool same_list(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}
}  // namespace

std::string_view constraint_name(const Constraint& c) {
  return std::visit([](const auto& x) -> std::string_view { return x.name; }, c);
}

bool operator==(const ModelOptions& a, const ModelOptions& b) {
  return a.db_table == b.db_table && a.ordering == b.ordering && same_list(a.constraints, b.constraints) &&
         same_list(a.indexes, b.indexes);
}

bool operator==(const ModelState& a, const ModelState& b) {
  return a.app_label == b.app_label && a.name == b.name && a.fields == b.fields && a.options == b.options &&
         a.many_to_many == b.many_to_many;
}

std::string ModelState::name_lower() const {
  return lower(name);
}

std::string ModelState::db_table() const {
  return options.db_table.empty() ? app_label + "_" + name_lower() : options.db_table;
}

const Field* ModelState::find_field(std::string_view n) const noexcept {
  for (auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

Field* ModelState::find_field(std::string_view n) noexcept {
  for (auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

const Field& ModelState::pk() const {
  for (auto& f : fields)
    if (f.primary_key_) return f;
  throw FieldError(fmt::format("{}: the migration state has no primary key", label()));
}

const Constraint* ModelState::find_constraint(std::string_view n) const noexcept {
  for (auto& c : options.constraints)
    if (constraint_name(c) == n) return &c;
  return nullptr;
}

const Index* ModelState::find_index(std::string_view n) const noexcept {
  for (auto& i : options.indexes)
    if (i.name == n) return &i;
  return nullptr;
}

std::string default_index_name(const ModelState& m, const Index& idx) {
  std::string name = m.db_table();
  for (auto& f : idx.fields) {
    std::string_view n = f;
    if (!n.empty() && n[0] == '-') n.remove_prefix(1);
    const Field* field = m.find_field(n);
    name += "_" + (field ? field->column_name() : std::string(n));
  }
  return name + "_idx";
}

std::string default_unique_name(const ModelState& m, const UniqueConstraint& u) {
  std::string name = m.db_table();
  for (auto& f : u.fields) {
    const Field* field = m.find_field(f);
    name += "_" + (field ? field->column_name() : f);
  }
  return name + "_uniq";
}

ModelState ModelState::from_meta(const ModelMeta& meta) {
  ModelState m;
  m.app_label = meta.app_label;
  m.name = meta.object_name;
  for (auto& fi : meta.fields) {
    Field f(fi.name, fi.type);
    if (fi.column != fi.attname) f.column = fi.column;
    f.null_ = fi.null;
    f.blank_ = fi.blank;
    // A primary key and a one-to-one key are unique by nature: recorded as declared, not as implied.
    f.unique_ = fi.unique && !fi.primary_key && fi.type != FieldType::OneToOneField;
    f.db_index_ = fi.db_index;
    f.primary_key_ = fi.primary_key;
    f.max_length_ = fi.max_length;
    f.max_digits_ = fi.max_digits;
    f.decimal_places_ = fi.decimal_places;
    f.default_value = fi.default_value;
    if (fi.is_relation()) {
      const ModelMeta& target = fi.related_model();
      f.to = target.app_label + "." + target.object_name;
      f.on_delete_ = fi.on_delete;
      f.related_name_ = fi.related_name;
    }
    m.fields.push_back(std::move(f));
  }
  for (auto& m2m : meta.many_to_many) {
    const ModelMeta& target = m2m.related_model();
    m.many_to_many.push_back(ThroughTable{.field = m2m.name,
                                          .to = target.app_label + "." + target.object_name,
                                          .db_table = m2m.through_table,
                                          .from_column = m2m.source_column,
                                          .to_column = m2m.target_column});
  }
  // The table name is recorded only when it is not the default one.
  if (meta.db_table != meta.app_label + "_" + meta.model_name) m.options.db_table = meta.db_table;
  m.options.ordering = meta.ordering;
  for (auto& u : meta.unique_constraints) {
    UniqueConstraint c = u;
    if (c.name.empty()) c.name = default_unique_name(m, c);
    m.options.constraints.emplace_back(std::move(c));
  }
  for (auto& c : meta.check_constraints) {
    CheckConstraint cc = c;
    if (cc.name.empty()) cc.name = m.db_table() + "_check";
    m.options.constraints.emplace_back(std::move(cc));
  }
  for (auto& i : meta.indexes) {
    Index idx = i;
    if (idx.name.empty()) idx.name = default_index_name(m, idx);
    m.options.indexes.push_back(std::move(idx));
  }
  return m;
}

void ProjectState::add_model(ModelState m) {
  auto k = key(m.app_label, m.name);
  if (models_.count(k)) throw FieldError(fmt::format("The model {} is already in the migration state", k));
  models_.emplace(std::move(k), std::move(m));
}

void ProjectState::remove_model(std::string_view app, std::string_view name) {
  if (!models_.erase(key(app, name)))
    throw FieldError(fmt::format("The migration state has no model {}", key(app, name)));
}

const ModelState* ProjectState::find(std::string_view app, std::string_view name) const noexcept {
  auto it = models_.find(key(app, name));
  return it == models_.end() ? nullptr : &it->second;
}

const ModelState& ProjectState::model(std::string_view app, std::string_view name) const {
  if (auto* m = find(app, name)) return *m;
  std::string known;
  for (auto& [k, _] : models_)
    known += (known.empty() ? "" : ", ") + k;
  throw FieldError(fmt::format("The migration state has no model {}; it has: {}", key(app, name),
                               known.empty() ? "(none)" : known));
}

ModelState& ProjectState::model(std::string_view app, std::string_view name) {
  return const_cast<ModelState&>(static_cast<const ProjectState*>(this)->model(app, name));
}

const ModelState& ProjectState::model(std::string_view label) const {
  auto dot = label.find('.');
  if (dot == std::string_view::npos)
    throw FieldError(fmt::format("'{}' is not a model label (\"app.Model\")", label));
  return model(label.substr(0, dot), label.substr(dot + 1));
}

ProjectState ProjectState::from_models(const std::vector<const ModelMeta*>& metas) {
  ProjectState s;
  for (auto* m : metas)
    s.add_model(ModelState::from_meta(*m));
  return s;
}

}  // namespace duet::db::migrations
