// Model metadata: what meta() declares about a model — its table, fields and options — in a type-erased
// form the query compiler, the schema editor and the migration autodetector read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/models/fields.hpp"
#include "duet/db/value.hpp"

namespace duet::db {

class ModelMeta;
class Q;

/// One declared field, type-erased: accessors work on the address of the member inside an instance.
struct FieldInfo {
  std::string name;     // "author"
  std::string attname;  // "author_id" for relations, else the name
  std::string column;   // db_column, or attname
  FieldType type = FieldType::IntegerField;
  std::size_t offset = 0;  // of the member within the model object

  bool null = false;
  bool blank = false;
  bool unique = false;
  bool db_index = false;
  bool primary_key = false;
  bool auto_now = false;
  bool auto_now_add = false;
  std::optional<int> max_length;
  int max_digits = 0;
  int decimal_places = 0;
  std::optional<Value> default_value;
  std::vector<std::pair<Value, std::string>> choices;
  std::string verbose_name;
  std::string help_text;

  // Relations.
  const ModelMeta& (*related_model)() = nullptr;
  std::optional<OnDelete> on_delete;
  std::string related_name;

  Value (*get)(const void* member) = nullptr;
  void (*set)(void* member, const Value& v) = nullptr;
  /// set() of an integer or a text, for the fields holding exactly that (null for the others): the native
  /// PostgreSQL path fills them from the driver's text without a Value in between.
  void (*set_int)(void* member, std::int64_t v) = nullptr;
  void (*set_text)(void* member, std::string_view v) = nullptr;
  /// Relations: a fresh target object in the member's cache (select_related fills it); its address.
  void* (*make_related)(void* member) = nullptr;
  /// Relations: drops the cached target object (the key changed).
  void (*clear_related)(void* member) = nullptr;
  /// Relations: the target object, as `book.author.get()` gives it — loaded on first use in sync code, else
  /// RelatedObjectNotLoaded; for code that follows keys without knowing the types (templates).
  const void* (*related_object)(const void* member) = nullptr;

  bool is_relation() const noexcept { return related_model != nullptr; }
  bool is_auto() const noexcept { return type == FieldType::AutoField || type == FieldType::BigAutoField; }
  Value value_of(const void* obj) const { return get(static_cast<const char*>(obj) + offset); }
  void assign(void* obj, const Value& v) const { set(static_cast<char*>(obj) + offset, v); }
  void* member(void* obj) const { return static_cast<char*>(obj) + offset; }
};

/// A foreign key seen from its target: Author's "book" relation is Book.author.
struct ReverseRelation {
  const ModelMeta* model;  // the model that declares the key (Book)
  const FieldInfo* field;  // the key (Book.author)
  std::string query_name;  // "book", or related_name: the name used in lookups (author__book__title)
  std::string accessor;    // "book_set", or related_name
};

/// A many-to-many field (Post.tags) and its auto-created through table, Django's
/// `<table>_<field>` with columns `<model>_id` and `<target>_id` (from_/to_ when the model points at
/// itself), unique together. Migrations create the through table from this.
struct ManyToManyInfo {
  std::string name;           // "tags"
  std::string through_table;  // "blog_post_tags" (db_table() overrides)
  std::string source_column;  // "post_id": the owner's key
  std::string target_column;  // "tag_id": the target's key
  const ModelMeta& (*related_model)() = nullptr;
  const ModelMeta* model = nullptr;  // the owner (set when its meta is finished)
  std::string related_name;
  std::size_t offset = 0;  // of the member within the owner object
  bool self_referential = false;
  bool blank = false;
  std::string verbose_name;
  std::string help_text;
  /// "blog.Post_tags": the through table's label in delete() counts, as Django names it.
  std::string through_label() const;
};

/// A many-to-many field seen from its target: Tag's "post" relation is Post.tags.
struct ReverseManyToMany {
  const ModelMeta* model;       // the model that declares the field (Post)
  const ManyToManyInfo* field;  // Post.tags
  std::string query_name;       // "post", or related_name
  std::string accessor;         // "post_set", or related_name
};

struct UniqueConstraint {
  std::vector<std::string> fields;
  std::string name;
};
/// A CHECK constraint given as SQL over the model's columns (e.g. "\"pages\" >= 0").
struct CheckConstraint {
  std::string check;
  std::string name;
};
struct Index {
  std::vector<std::string> fields;  // "-field" for descending
  std::string name;
};

/// Type-erased operations on a model's instances, for code that must create them without knowing the type
/// (prefetch_related). Set by Model<T>; null in metas that describe no C++ type.
struct ModelOps {
  std::shared_ptr<void> (*new_list)() = nullptr;              // a std::vector<T>
  void* (*push_copy)(void* list, const void* obj) = nullptr;  // appends a copy; its address
  void* (*emplace)(void* list) = nullptr;                     // appends a fresh instance; its address
  std::size_t (*size)(const void* list) = nullptr;
  void* (*at)(void* list, std::size_t i) = nullptr;
  void (*assign)(void* dst, const void* src) = nullptr;  // copy-assigns one instance to another
  /// The model's `str()` (Django's __str__), when it declares one.
  std::string (*str)(const void* obj) = nullptr;
};

class ModelMeta {
 public:
  std::string object_name;  // "Book"
  std::string model_name;   // "book"
  std::string app_label;    // "blog" (may be empty)
  std::string db_table;     // "blog_book"
  std::vector<FieldInfo> fields;
  /// Many-to-many fields: no column here, a through table each.
  std::vector<ManyToManyInfo> many_to_many;
  std::size_t pk_index = 0;
  std::vector<std::string> ordering;
  std::vector<UniqueConstraint> unique_constraints;
  std::vector<CheckConstraint> check_constraints;
  std::vector<Index> indexes;
  std::string verbose_name;
  /// Where the instance's ModelState lives (select_related fills related instances' too).
  std::size_t state_offset = 0;
  ModelOps ops;

  const FieldInfo& pk() const { return fields[pk_index]; }
  /// By name or attname ("author" or "author_id"); null if none.
  const FieldInfo* find_field(std::string_view name) const noexcept;
  /// The field whose member starts at `offset`; null if that member was not declared in meta().
  const FieldInfo* field_at_offset(std::size_t offset) const noexcept;
  /// Keys of other registered models that point here (computed once, from the model registry).
  const std::vector<ReverseRelation>& related_objects() const;
  const ReverseRelation* find_related(std::string_view query_name) const;
  /// Many-to-many fields of other registered models (or this one) that point here.
  const std::vector<ReverseManyToMany>& related_many_to_many() const;
  const ReverseManyToMany* find_related_many_to_many(std::string_view query_name) const;
  const ManyToManyInfo* find_many_to_many(std::string_view name) const noexcept;
  /// "author, id, pages, title" — what a lookup may name (fields and reverse relations), sorted.
  std::string field_choices() const;
  std::string label() const { return app_label.empty() ? object_name : app_label + "." + object_name; }

 private:
  mutable std::once_flag related_once_;
  mutable std::vector<ReverseRelation> related_;
  mutable std::vector<ReverseManyToMany> related_m2m_;
};

/// Every model whose instances the program can create registers itself at static initialisation (as a
/// getter: nothing is built before main). Migrations and reverse relations read this.
void register_model(const ModelMeta& (*getter)()) noexcept;
/// Builds (if needed) and returns every registered model's meta, in registration order.
std::vector<const ModelMeta*> all_models();

namespace detail {
std::string demangled_object_name(const char* mangled);
std::string lower(std::string_view s);
/// Validates and completes a meta after T::meta() ran (pk, columns, defaults); throws ImproperlyConfigured.
void finish_meta(ModelMeta& meta);
}  // namespace detail

/// Returned by Meta::field() to set the field's options, Django's keyword arguments as a chain:
///     m.field(&Book::title, "title").max_length(200).unique();
class FieldBuilder {
 public:
  explicit FieldBuilder(FieldInfo& f) : f_(f) {}
  FieldBuilder& max_length(int n) { return f_.max_length = n, *this; }
  FieldBuilder& null(bool v = true) { return f_.null = v, *this; }
  FieldBuilder& blank(bool v = true) { return f_.blank = v, *this; }
  FieldBuilder& unique(bool v = true) { return f_.unique = v, *this; }
  FieldBuilder& db_index(bool v = true) { return f_.db_index = v, *this; }
  FieldBuilder& primary_key(bool v = true) { return f_.primary_key = v, *this; }
  FieldBuilder& db_column(std::string c) { return f_.column = std::move(c), *this; }
  FieldBuilder& default_(Value v) { return f_.default_value = std::move(v), *this; }
  FieldBuilder& choices(std::vector<std::pair<Value, std::string>> c) {
    return f_.choices = std::move(c), *this;
  }
  FieldBuilder& auto_now(bool v = true) { return f_.auto_now = v, *this; }
  FieldBuilder& auto_now_add(bool v = true) { return f_.auto_now_add = v, *this; }
  FieldBuilder& max_digits(int n) { return f_.max_digits = n, *this; }
  FieldBuilder& decimal_places(int n) { return f_.decimal_places = n, *this; }
  FieldBuilder& verbose_name(std::string s) { return f_.verbose_name = std::move(s), *this; }
  FieldBuilder& help_text(std::string s) { return f_.help_text = std::move(s), *this; }
  FieldBuilder& on_delete(OnDelete o) { return f_.on_delete = o, *this; }
  FieldBuilder& related_name(std::string s) { return f_.related_name = std::move(s), *this; }

 private:
  FieldInfo& f_;
};

/// Returned by Meta::field() for a ManyToManyField: `m.field(&Post::tags, "tags").related_name("posts")`.
class ManyToManyBuilder {
 public:
  explicit ManyToManyBuilder(ManyToManyInfo& f) : f_(f) {}
  ManyToManyBuilder& related_name(std::string s) { return f_.related_name = std::move(s), *this; }
  /// The through table's name (Django's `db_table` argument of ManyToManyField).
  ManyToManyBuilder& db_table(std::string s) { return f_.through_table = std::move(s), *this; }
  ManyToManyBuilder& blank(bool v = true) { return f_.blank = v, *this; }
  ManyToManyBuilder& verbose_name(std::string s) { return f_.verbose_name = std::move(s), *this; }
  ManyToManyBuilder& help_text(std::string s) { return f_.help_text = std::move(s), *this; }

 private:
  ManyToManyInfo& f_;
};

}  // namespace duet::db
