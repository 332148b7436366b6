// Model<T>: the base of every model, and Meta<T>, the builder its static meta() fills.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "duet/db/detail/async_query.hpp"
#include "duet/db/detail/on_strand.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/expressions.hpp"
#include "duet/db/models/fields.hpp"
#include "duet/db/models/foreign_key.hpp"
#include "duet/db/models/many_to_many.hpp"
#include "duet/db/models/meta.hpp"
#include "duet/db/models/query.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db {

template <class T>
class QuerySet;
template <class T>
class Model;

/// What T::meta() receives: the model's options and its fields, each registered with its column name.
///
///     static void meta(duet::db::Meta<Book>& m) {
///       m.db_table("blog_book").ordering({"-published", "title"});
///       m.field(&Book::title, "title").max_length(200);
///       m.field(&Book::author, "author").on_delete(duet::db::CASCADE).related_name("books");
///     }
template <class T>
class Meta {
 public:
  explicit Meta(ModelMeta& m) : m_(m) {}

  Meta& db_table(std::string table) { return m_.db_table = std::move(table), *this; }
  Meta& app_label(std::string label) { return m_.app_label = std::move(label), *this; }
  Meta& ordering(std::vector<std::string> order) { return m_.ordering = std::move(order), *this; }
  Meta& verbose_name(std::string name) { return m_.verbose_name = std::move(name), *this; }
  Meta& constraint(UniqueConstraint c) { return m_.unique_constraints.push_back(std::move(c)), *this; }
  Meta& constraint(CheckConstraint c) { return m_.check_constraints.push_back(std::move(c)), *this; }
  Meta& index(Index i) { return m_.indexes.push_back(std::move(i)), *this; }
  Meta& unique_together(std::vector<std::string> fields) {
    return m_.unique_constraints.push_back({std::move(fields), {}}), *this;
  }

  /// Registers the member `member` as the field `name`. The member's type decides the field type.
  template <class FieldT, class C>
  requires(std::is_base_of_v<C, T> && !detail::ManyToMany<FieldT>) FieldBuilder
      field(FieldT C::*member, std::string name) {
    m_.fields.push_back(make_info(member, std::move(name)));
    return FieldBuilder(m_.fields.back());
  }

  /// A many-to-many field: no column, a through table (see ManyToManyInfo).
  template <class Target, class C>
  requires std::is_base_of_v<C, T> ManyToManyBuilder field(ManyToManyField<Target> C::*member,
                                                           std::string name) {
    ManyToManyInfo f;
    f.name = std::move(name);
    const T& proto = T::_proto();
    f.offset = static_cast<std::size_t>(reinterpret_cast<const char*>(&(proto.*member)) -
                                        reinterpret_cast<const char*>(&proto));
    f.related_model = []() -> const ModelMeta& { return Target::_meta(); };
    f.self_referential = std::is_same_v<Target, T>;
    // From the type, not Target::_meta(): the target's meta may be the one being built (or refer back here).
    f.target_column = detail::lower(detail::demangled_object_name(typeid(Target).name())) + "_id";
    m_.many_to_many.push_back(std::move(f));
    return ManyToManyBuilder(m_.many_to_many.back());
  }

  template <class FieldT, class C>
  static FieldInfo make_info(FieldT C::*member, std::string name) {
    FieldInfo f;
    f.name = std::move(name);
    f.type = FieldT::field_type;
    const T& proto = T::_proto();
    f.offset = static_cast<std::size_t>(reinterpret_cast<const char*>(&(proto.*member)) -
                                        reinterpret_cast<const char*>(&proto));
    f.get = [](const void* p) -> Value { return static_cast<const FieldT*>(p)->to_db(); };
    f.set = [](void* p, const Value& v) { static_cast<FieldT*>(p)->from_db(v); };
    if constexpr (std::is_same_v<FieldT, ValueField<std::int64_t, FieldT::field_type>>) {
      f.set_int = [](void* p, std::int64_t v) { *static_cast<FieldT*>(p) = v; };
    } else if constexpr (std::is_same_v<FieldT, ValueField<std::string, FieldT::field_type>>) {
      f.set_text = [](void* p, std::string_view v) { *static_cast<FieldT*>(p) = v; };
    }
    if constexpr (detail::Relation<FieldT>) {
      f.related_model = []() -> const ModelMeta& { return FieldT::related_type::_meta(); };
      f.make_related = [](void* p) -> void* { return static_cast<FieldT*>(p)->_emplace_cache(); };
      f.clear_related = [](void* p) { static_cast<FieldT*>(p)->_clear_cache(); };
      f.related_object = [](const void* p) -> const void* { return &static_cast<const FieldT*>(p)->get(); };
    }
    return f;
  }

 private:
  ModelMeta& m_;
};

struct SaveOptions {
  std::string using_;
  bool force_insert = false;
  /// Only these fields are written (UPDATE only).
  std::vector<std::string> update_fields;
};

/// The base of every model (CRTP). A model is a struct of typed field members plus a static meta():
///
///     struct Author : duet::db::Model<Author> {
///       duet::db::CharField name;
///       duet::db::IntegerField born;
///       static void meta(duet::db::Meta<Author>& m) {
///         m.field(&Author::name, "name").max_length(100);
///         m.field(&Author::born, "born").null();
///       }
///     };
///
/// As in Django, a model with no field marked primary_key gets `id`, an auto-incrementing key (the `id`
/// member below). `Author::objects()` is the manager: a QuerySet over all rows.
template <class T>
class Model {
 public:
  using model_type = T;

  /// Thrown by get() when nothing matched: catch `Book::DoesNotExist` (or any ObjectDoesNotExist).
  struct DoesNotExist : ObjectDoesNotExist {
    using ObjectDoesNotExist::ObjectDoesNotExist;
  };
  struct MultipleObjectsReturned : db::MultipleObjectsReturned {
    using db::MultipleObjectsReturned::MultipleObjectsReturned;
  };

  BigAutoField id;
  ModelState _state;

  Model() noexcept {
    (void)registered_;
    // Read by the ManyToManyField members constructed next (see many_to_many.hpp).
    detail::constructing_model = {reinterpret_cast<const char*>(static_cast<T*>(this)), &Model::_meta};
  }

  static QuerySet<T> objects();
  static const ModelMeta& _meta();
  /// A default-constructed instance, used to find where each member lives.
  static const T& _proto() {
    static const T proto{};
    return proto;
  }

  /// The primary key's value (NULL before the first save of an auto key).
  Value pk() const { return _meta().pk().value_of(self()); }

  /// INSERT when new, else UPDATE (and INSERT if the row is gone), as Django's save().
  void save(SaveOptions options = {}) {
    ensure_sync_context("Model::save()", "asave()");
    detail::save_object(_meta(), self(), _state, alias_for(options.using_), options.force_insert,
                        options.update_fields);
  }
  /// Without options: no SaveOptions temporary (it owns strings) in the caller's co_await expression, which
  /// g++ 12 would relocate bitwise (GCC bug 99576). With options, name them first.
  /// On PostgreSQL natively on the loop (UPDATE, or INSERT ... RETURNING the key); on SQLite on the strand.
  Task<void> asave() {
    if (auto alias = alias_for({}); detail::native_async(alias)) {
      return detail::on_loop([this, alias, fields = std::vector<std::string>{}] {
        return detail::async_save(_meta(), self(), _state, alias, false, fields);
      });
    }
    return detail::on_strand(
        [this] { detail::save_object(_meta(), self(), _state, alias_for({}), false, {}); });
  }
  Task<void> asave(SaveOptions options) {
    if (auto alias = alias_for(options.using_); detail::native_async(alias)) {
      return detail::on_loop([this, alias, options] {
        return detail::async_save(_meta(), self(), _state, alias, options.force_insert,
                                  options.update_fields);
      });
    }
    return detail::on_strand([this, options] {
      detail::save_object(_meta(), self(), _state, alias_for(options.using_), options.force_insert,
                          options.update_fields);
    });
  }
  /// Deletes the row, honouring on_delete of the keys pointing at it (`delete` is a C++ keyword).
  DeleteResult delete_() {
    ensure_sync_context("Model::delete_()", "adelete()");
    return detail::delete_object(_meta(), self(), _state, alias_for({}));
  }
  Task<DeleteResult> adelete() {
    return detail::on_strand(
        [this] { return detail::delete_object(_meta(), self(), _state, alias_for({})); });
  }
  void refresh_from_db() {
    ensure_sync_context("Model::refresh_from_db()", "arefresh_from_db()");
    refresh();
  }
  Task<void> arefresh_from_db() {
    return detail::on_strand([this] { refresh(); });
  }
  /// Checks every field (null, blank, max_length, choices, unique); throws ValidationError listing them.
  void full_clean() const {
    ensure_sync_context("Model::full_clean()", "afull_clean()");
    detail::full_clean_object(_meta(), self(), alias_for({}));
  }
  Task<void> afull_clean() const {
    return detail::on_strand([this] { detail::full_clean_object(_meta(), self(), alias_for({})); });
  }

  /// A value computed by annotate(); NULL if there is none by that name.
  Value annotation(std::string_view name) const {
    for (auto& [n, v] : _state.annotations) {
      if (n == name) return v;
    }
    return Value();
  }

  /// The reverse side of a key: `author.related_set(&Book::author)` is Django's `author.book_set`, a
  /// QuerySet of the books whose author is this one.
  template <class R, class FK>
  QuerySet<R> related_set(FK R::*key) const;
  /// The reverse side of a many-to-many field: `tag.related_set(&Post::tags)` is Django's `tag.post_set`
  /// (or `tag.posts` with related_name): a manager with add/remove/clear/set and their a-twins.
  template <class R, class Target>
  ManyRelatedManager<R> related_set(ManyToManyField<Target> R::*field) const;

 private:
  T* self() { return static_cast<T*>(this); }
  const T* self() const { return static_cast<const T*>(this); }
  std::string alias_for(const std::string& requested) const {
    if (!requested.empty()) return requested;
    if (!_state.db.empty()) return _state.db;
    return std::string(DEFAULT_DB_ALIAS);
  }
  void refresh() {
    if (!detail::refresh_object(_meta(), self(), _state, alias_for({}))) {
      throw DoesNotExist(detail::does_not_exist_message(_meta()));
    }
  }

  static inline const bool registered_ = (register_model(&Model::_meta), true);
};

template <class T>
const ModelMeta& Model<T>::_meta() {
  static_assert(
      requires(Meta<T> & m) { T::meta(m); },
      "a model needs `static void meta(duet::db::Meta<T>& m)` registering its fields");
  // Built on first use and never destroyed: other statics may still use it during exit.
  static const ModelMeta* meta = [] {
    auto m = std::make_unique<ModelMeta>();
    m->object_name = detail::demangled_object_name(typeid(T).name());
    Meta<T> builder(*m);
    T::meta(builder);
    bool has_pk = false;
    for (auto& f : m->fields)
      has_pk = has_pk || f.primary_key;
    if (!has_pk) {
      auto id = Meta<T>::make_info(&Model<T>::id, "id");
      id.primary_key = true;
      m->fields.insert(m->fields.begin(), std::move(id));
    }
    const T& proto = T::_proto();
    m->state_offset = static_cast<std::size_t>(reinterpret_cast<const char*>(&proto._state) -
                                               reinterpret_cast<const char*>(&proto));
    m->ops.new_list = []() -> std::shared_ptr<void> { return std::make_shared<std::vector<T>>(); };
    m->ops.push_copy = [](void* list, const void* obj) -> void* {
      return &static_cast<std::vector<T>*>(list)->emplace_back(*static_cast<const T*>(obj));
    };
    m->ops.emplace = [](void* list) -> void* { return &static_cast<std::vector<T>*>(list)->emplace_back(); };
    m->ops.size = [](const void* list) { return static_cast<const std::vector<T>*>(list)->size(); };
    m->ops.at = [](void* list, std::size_t i) -> void* { return &(*static_cast<std::vector<T>*>(list))[i]; };
    m->ops.assign = [](void* dst, const void* src) { *static_cast<T*>(dst) = *static_cast<const T*>(src); };
    if constexpr (requires(const T& t) { std::string(t.str()); }) {
      m->ops.str = [](const void* obj) { return std::string(static_cast<const T*>(obj)->str()); };
    }
    detail::finish_meta(*m);
    return m.release();
  }();
  return *meta;
}

}  // namespace duet::db
