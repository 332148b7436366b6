// ManyRelatedManager<M>: both sides of a many-to-many relation (`post.tags()`,
// `tag.related_set(&Post::tags)`) — a QuerySet<M> of the related rows plus add/remove/clear/set and their
// a-twins.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "duet/db/detail/on_strand.hpp"
#include "duet/db/exceptions.hpp"
#include "duet/db/models/many_to_many.hpp"
#include "duet/db/models/queryset.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/task.hpp"

namespace duet::db {

template <class M>
class ManyRelatedManager : public QuerySet<M> {
 public:
  /// `source` is the key of the instance the manager belongs to; `state` its ModelState (prefetch cache).
  ManyRelatedManager(const ManyToManyInfo& field, bool reverse, Value source, const ModelState& state)
      : QuerySet<M>(M::objects()
                        .filter(Q(detail::m2m_filter_path(field, reverse), source))
                        .using_(state.db.empty() ? std::string(DEFAULT_DB_ALIAS) : state.db)),
        field_(&field),
        reverse_(reverse),
        source_(std::move(source)),
        state_(&state),
        alias_(state.db.empty() ? std::string(DEFAULT_DB_ALIAS) : state.db) {
    if (auto cached = state.find_prefetched(cache_name())) this->_set_result_cache(std::move(cached));
  }

  /// Adds the objects (or primary keys) to the relation; ones already related are left alone.
  template <class... O>
  void add(const O&... objs) {
    ensure_sync_context("ManyRelatedManager::add()", "aadd()");
    detail::m2m_add(*field_, reverse_, source_, keys(objs...), alias_);
    invalidate();
  }
  void add(const std::vector<M>& objs) {
    ensure_sync_context("ManyRelatedManager::add()", "aadd()");
    detail::m2m_add(*field_, reverse_, source_, keys_of(objs), alias_);
    invalidate();
  }
  template <class... O>
  void remove(const O&... objs) {
    ensure_sync_context("ManyRelatedManager::remove()", "aremove()");
    detail::m2m_remove(*field_, reverse_, source_, keys(objs...), alias_);
    invalidate();
  }
  void remove(const std::vector<M>& objs) {
    ensure_sync_context("ManyRelatedManager::remove()", "aremove()");
    detail::m2m_remove(*field_, reverse_, source_, keys_of(objs), alias_);
    invalidate();
  }
  /// Removes every link of this instance (the related rows themselves stay).
  void clear() {
    ensure_sync_context("ManyRelatedManager::clear()", "aclear()");
    detail::m2m_clear(*field_, reverse_, source_, alias_);
    invalidate();
  }
  /// Makes the relation exactly `objs`: removes the others, adds the missing (Django's set()).
  void set(const std::vector<M>& objs) {
    ensure_sync_context("ManyRelatedManager::set()", "aset()");
    detail::m2m_set(*field_, reverse_, source_, keys_of(objs), alias_);
    invalidate();
  }
  void set(const std::vector<Value>& pks) {
    ensure_sync_context("ManyRelatedManager::set()", "aset()");
    detail::m2m_set(*field_, reverse_, source_, pks, alias_);
    invalidate();
  }

  // The a-twins run on the flow's sync strand. The keys are taken now, so the objects need not outlive
  // the call.
  template <class... O>
  Task<void> aadd(const O&... objs) {
    return run(&detail::m2m_add, keys(objs...));
  }
  Task<void> aadd(const std::vector<M>& objs) { return run(&detail::m2m_add, keys_of(objs)); }
  template <class... O>
  Task<void> aremove(const O&... objs) {
    return run(&detail::m2m_remove, keys(objs...));
  }
  Task<void> aremove(const std::vector<M>& objs) { return run(&detail::m2m_remove, keys_of(objs)); }
  Task<void> aclear() {
    invalidate();
    return detail::on_strand(
        [f = field_, r = reverse_, s = source_, a = alias_] { detail::m2m_clear(*f, r, s, a); });
  }
  Task<void> aset(const std::vector<M>& objs) { return run(&detail::m2m_set, keys_of(objs)); }
  Task<void> aset(const std::vector<Value>& pks) { return run(&detail::m2m_set, pks); }

 private:
  using Op = void (*)(const ManyToManyInfo&, bool, const Value&, const std::vector<Value>&, std::string_view);

  // The name prefetch_related() stores the list under: the field, or the reverse accessor.
  std::string cache_name() const {
    if (!reverse_) return field_->name;
    return field_->related_name.empty() ? field_->model->model_name + "_set" : field_->related_name;
  }
  void invalidate() {
    // Django drops the prefetched list of a relation that changed.
    state_->clear_prefetched(cache_name());
  }
  Task<void> run(Op op, std::vector<Value> targets) {
    invalidate();
    return detail::on_strand([op, f = field_, r = reverse_, s = source_, t = std::move(targets), a = alias_] {
      op(*f, r, s, t, a);
    });
  }
  static Value key_of(const M& obj) {
    Value pk = obj.pk();
    if (pk.is_null()) {
      throw ValueError("Cannot add or remove an unsaved " + M::_meta().object_name +
                       " in a many-to-many relation: save() it first.");
    }
    return pk;
  }
  template <class O>
  static Value key_of(const O& v) {
    if constexpr (std::is_base_of_v<M, O>) {
      return key_of(static_cast<const M&>(v));
    } else {
      static_assert(std::is_constructible_v<Value, const O&>,
                    "add()/remove() take instances of the related model or primary key values");
      return Value(v);
    }
  }
  template <class... O>
  static std::vector<Value> keys(const O&... objs) {
    return std::vector<Value>{key_of(objs)...};
  }
  static std::vector<Value> keys_of(const std::vector<M>& objs) {
    std::vector<Value> out;
    out.reserve(objs.size());
    for (auto& o : objs)
      out.push_back(key_of(o));
    return out;
  }

  const ManyToManyInfo* field_;
  bool reverse_;
  Value source_;
  const ModelState* state_;
  std::string alias_;
};

namespace detail {
template <class M>
Value m2m_source_key(const ModelMeta& owner, const void* obj, std::string_view field) {
  Value pk = owner.pk().value_of(obj);
  if (pk.is_null()) {
    throw ValueError("\"" + owner.object_name + "\" needs to have a value for field \"" + owner.pk().name +
                     "\" before the many-to-many relationship '" + std::string(field) + "' can be used.");
  }
  return pk;
}
}  // namespace detail

template <class M>
ManyRelatedManager<M> ManyToManyField<M>::operator()() const {
  if (!owner_) {
    throw ImproperlyConfigured("a ManyToManyField is used outside of a model instance");
  }
  const ModelMeta& owner = owner_();
  const ManyToManyInfo& f = detail::many_to_many_at(owner, offset_);
  const char* obj = reinterpret_cast<const char*>(this) - offset_;
  const auto& state = *reinterpret_cast<const ModelState*>(obj + owner.state_offset);
  return ManyRelatedManager<M>(f, false, detail::m2m_source_key<M>(owner, obj, f.name), state);
}

template <class T>
template <class R, class Target>
ManyRelatedManager<R> Model<T>::related_set(ManyToManyField<Target> R::*field) const {
  static_assert(std::is_base_of_v<Target, T>, "related_set(&X::field): X::field must point to this model");
  const ModelMeta& owner = R::_meta();
  const ManyToManyInfo& f =
      detail::many_to_many_at(owner, static_cast<std::ptrdiff_t>(detail::member_offset<R>(field)));
  return ManyRelatedManager<R>(f, true, detail::m2m_source_key<R>(_meta(), self(), f.name), _state);
}

}  // namespace duet::db
