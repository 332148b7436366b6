// ForeignKey<M> / OneToOneField<M>: a key to another model, with its lazily loaded target.
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include "duet/db/detail/on_strand.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/fields.hpp"
#include "duet/db/models/meta.hpp"
#include "duet/db/value.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db {

namespace detail {
/// Loads the row with primary key `pk` into the object at `obj` (a model of `meta`); throws DoesNotExist.
void load_by_pk(const ModelMeta& meta, void* obj, const Value& pk, std::string_view alias);
/// The message RelatedObjectNotLoaded carries, naming select_related and afetch().
std::string not_loaded_message(const ModelMeta& target, std::string_view field);
Value pk_of(const ModelMeta& meta, const void* obj);
}  // namespace detail

/// `ForeignKey<Author> author;` declared in Book, registered in meta() with `.on_delete(CASCADE)`.
///
///     book.author = author;          // sets book.author_id and caches the object
///     book.author.id();              // the key, no query
///     book.author->name              // sync code: loads Author on first access (one query), then cached
///     co_await book.author.afetch()  // async code; or select_related("author") in the query
///
/// In async code (on an event-loop thread) an access that would query throws RelatedObjectNotLoaded.
template <class M, FieldType K = FieldType::ForeignKey>
class RelatedField {
 public:
  using related_type = M;
  static constexpr FieldType field_type = K;

  RelatedField() = default;
  RelatedField(const M& target) { *this = target; }
  RelatedField& operator=(const M& target) {
    id_ = detail::pk_of(M::_meta(), &target);
    cache_ = std::make_shared<M>(target);
    return *this;
  }
  RelatedField& operator=(std::nullptr_t) {
    id_ = Value();
    cache_.reset();
    return *this;
  }

  /// The key's value (book.author_id); NULL when unset.
  const Value& id() const noexcept { return id_; }
  void set_id(Value id) {
    if (!(id == id_)) cache_.reset();
    id_ = std::move(id);
  }
  bool is_null() const noexcept { return id_.is_null(); }
  bool is_cached() const noexcept { return cache_ != nullptr; }

  /// The target, loaded on first use in sync code. Throws RelatedObjectNotLoaded in async code,
  /// M::DoesNotExist when the row is gone, ObjectDoesNotExist when the key is NULL.
  const M& get() const {
    if (cache_) return *cache_;
    if (id_.is_null()) throw ObjectDoesNotExist(M::_meta().object_name + " key is NULL: no related object");
    if (in_event_loop() && !async_unsafe_allowed()) {
      throw RelatedObjectNotLoaded(detail::not_loaded_message(M::_meta(), ""));
    }
    auto obj = std::make_shared<M>();
    detail::load_by_pk(M::_meta(), obj.get(), id_, DEFAULT_DB_ALIAS);
    cache_ = std::move(obj);
    return *cache_;
  }
  const M* operator->() const { return &get(); }
  const M& operator*() const { return get(); }

  /// The target, loaded through the flow's sync strand if not cached yet; the result is cached.
  Task<M> afetch() const {
    if (!cache_) {
      if (id_.is_null()) throw ObjectDoesNotExist(M::_meta().object_name + " key is NULL: no related object");
      auto id = id_;
      auto task = detail::on_strand([id] {
        auto obj = std::make_shared<M>();
        detail::load_by_pk(M::_meta(), obj.get(), id, DEFAULT_DB_ALIAS);
        return obj;
      });
      cache_ = co_await std::move(task);
    }
    co_return *cache_;
  }

  // The database side (used by the model's meta).
  Value to_db() const { return id_; }
  void from_db(const Value& v) { set_id(v); }
  void* _emplace_cache() {
    cache_ = std::make_shared<M>();
    return cache_.get();
  }
  void _clear_cache() { cache_.reset(); }

 private:
  Value id_;
  mutable std::shared_ptr<M> cache_;
};

template <class M>
using ForeignKey = RelatedField<M, FieldType::ForeignKey>;
template <class M>
using OneToOneField = RelatedField<M, FieldType::OneToOneField>;

}  // namespace duet::db
