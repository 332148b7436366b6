// ProjectState: the models as the migrations describe them (django.db.migrations.state), independent of the
// C++ types — the autodetector compares it with the declared models, the schema editor renders it to DDL.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "duet/db/models/fields.hpp"
#include "duet/db/models/meta.hpp"
#include "duet/db/value.hpp"

namespace duet::db::migrations {

using db::CheckConstraint;
using db::FieldType;
using db::Index;
using db::OnDelete;
using db::UniqueConstraint;
using db::Value;
// The on_delete names, so that a migration file reads like the model declaration.
using db::CASCADE;
using db::DO_NOTHING;
using db::PROTECT;
using db::RESTRICT;
using db::SET_DEFAULT;
using db::SET_NULL;

/// One field as a migration records it: what decides its column, never its C++ member. Built with a chain,
/// as in a migration file: `Field("title", FieldType::CharField).max_length(200).db_index()`.
struct Field {
  std::string name;
  FieldType type = FieldType::IntegerField;
  std::string column;  // empty: the attname ("author_id" for relations, else the name)
  bool null_ = false;
  bool blank_ = false;
  bool unique_ = false;
  bool db_index_ = false;
  bool primary_key_ = false;
  std::optional<int> max_length_;
  int max_digits_ = 0;
  int decimal_places_ = 0;
  std::optional<Value> default_value;
  std::string to;  // relations: the target's "app.Model"
  std::optional<OnDelete> on_delete_;
  std::string related_name_;

  Field() = default;
  Field(std::string n, FieldType t, std::string target = {})
      : name(std::move(n)), type(t), to(std::move(target)) {}

  Field& null(bool v = true) { return null_ = v, *this; }
  Field& blank(bool v = true) { return blank_ = v, *this; }
  Field& unique(bool v = true) { return unique_ = v, *this; }
  Field& db_index(bool v = true) { return db_index_ = v, *this; }
  Field& primary_key(bool v = true) { return primary_key_ = v, *this; }
  Field& max_length(int n) { return max_length_ = n, *this; }
  Field& max_digits(int n) { return max_digits_ = n, *this; }
  Field& decimal_places(int n) { return decimal_places_ = n, *this; }
  Field& default_(Value v) { return default_value = std::move(v), *this; }
  Field& db_column(std::string c) { return column = std::move(c), *this; }
  Field& on_delete(OnDelete o) { return on_delete_ = o, *this; }
  Field& related_name(std::string s) { return related_name_ = std::move(s), *this; }

  bool is_relation() const noexcept { return !to.empty(); }
  bool is_auto() const noexcept { return type == FieldType::AutoField || type == FieldType::BigAutoField; }
  std::string attname() const { return is_relation() ? name + "_id" : name; }
  std::string column_name() const { return column.empty() ? attname() : column; }
  /// Same column definition and options (the autodetector's "did it change").
  friend bool operator==(const Field&, const Field&) = default;
};

/// A constraint of a model: unique over fields, or a CHECK given as SQL.
using Constraint = std::variant<UniqueConstraint, CheckConstraint>;
std::string_view constraint_name(const Constraint& c);

/// The options of a model that a migration records (Django's CreateModel options).
struct ModelOptions {
  std::string db_table;  // empty: "<app>_<model>"
  std::vector<std::string> ordering;
  std::vector<Constraint> constraints;
  std::vector<Index> indexes;
};

/// An auto-created many-to-many join table (Django's through model): two keys to the two sides.
struct ThroughTable {
  std::string field;  // the many-to-many field's name on the model
  std::string to;     // the other side's "app.Model"
  std::string db_table;
  std::string from_column;  // e.g. "post_id"
  std::string to_column;    // e.g. "tag_id"
  friend bool operator==(const ThroughTable&, const ThroughTable&) = default;
};

struct ModelState {
  std::string app_label;
  std::string name;  // "Post"
  std::vector<Field> fields;
  ModelOptions options;
  std::vector<ThroughTable> many_to_many;

  /// "post"
  std::string name_lower() const;
  std::string db_table() const;
  std::string label() const { return app_label + "." + name; }
  const Field* find_field(std::string_view name) const noexcept;
  Field* find_field(std::string_view name) noexcept;
  const Field& pk() const;
  const Constraint* find_constraint(std::string_view name) const noexcept;
  const Index* find_index(std::string_view name) const noexcept;

  /// The state of a declared model: names given to unnamed indexes and constraints as the schema editor
  /// would, so that migrations can add and remove them by name.
  static ModelState from_meta(const ModelMeta& meta);
};

/// Every model of every app at one point in the migration history. Keys are "app.model" in lower case, as
/// Django's; a model's name in an operation is case-insensitive.
class ProjectState {
 public:
  void add_model(ModelState m);
  void remove_model(std::string_view app, std::string_view name);
  /// Throws db::FieldError naming the app and model when absent.
  const ModelState& model(std::string_view app, std::string_view name) const;
  ModelState& model(std::string_view app, std::string_view name);
  const ModelState* find(std::string_view app, std::string_view name) const noexcept;
  /// By "app.Model" (a relation's `to`).
  const ModelState& model(std::string_view label) const;
  const std::map<std::string, ModelState>& models() const noexcept { return models_; }
  bool empty() const noexcept { return models_.empty(); }

  /// The declared (registered) models, optionally only those of some apps.
  static ProjectState from_models(const std::vector<const ModelMeta*>& metas);

 private:
  std::map<std::string, ModelState> models_;
};

bool operator==(const ModelState& a, const ModelState& b);
bool operator==(const ModelOptions& a, const ModelOptions& b);

/// The name the schema editor gives an unnamed index or constraint ("blog_post_title_idx").
std::string default_index_name(const ModelState& m, const Index& idx);
std::string default_unique_name(const ModelState& m, const UniqueConstraint& u);

}  // namespace duet::db::migrations
