// ManyToManyField<M>: a many-to-many relation through an auto-created table; the member is the accessor of
// its related manager (`post.tags()`), it holds no value itself.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "duet/db/models/meta.hpp"
#include "duet/db/value.hpp"

namespace duet::db {

template <class M>
class ManyRelatedManager;
struct ModelState;

namespace detail {

/// Set by Model<T>'s constructor for the members constructed right after it: how a ManyToManyField
/// member learns its owner and its offset without naming the owner's type.
struct ConstructingModel {
  const char* base = nullptr;
  const ModelMeta& (*meta)() = nullptr;
};
inline thread_local ConstructingModel constructing_model;

/// The declared field at `offset` of an instance of `owner`; ImproperlyConfigured if it is not registered.
const ManyToManyInfo& many_to_many_at(const ModelMeta& owner, std::ptrdiff_t offset);

// The through-table operations; `reverse` means `source` is a target-side key (tag.related_set(&Post::tags)).
void m2m_add(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
             std::string_view alias);
void m2m_remove(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
                std::string_view alias);
void m2m_clear(const ManyToManyInfo& f, bool reverse, const Value& source, std::string_view alias);
void m2m_set(const ManyToManyInfo& f, bool reverse, const Value& source, const std::vector<Value>& targets,
             std::string_view alias);
/// CREATE TABLE of the through table plus its indexes (unique together, one per key), Django's DDL.
std::vector<std::string> through_table_sql(const ManyToManyInfo& f);
/// The lookup path from the far side back to the near one: "posts__pk" for post.tags(), "tags__pk" for
/// tag.related_set(&Post::tags).
std::string m2m_filter_path(const ManyToManyInfo& f, bool reverse);
}  // namespace detail

/// `ManyToManyField<Tag> tags;` declared in Post and registered in meta() like any field:
///
///     m.field(&Post::tags, "tags").related_name("posts");
///     post.tags().add(tag);            // also remove, clear, set and aadd, aremove, aclear, aset
///     for (const Tag& t : post.tags()) // a QuerySet<Tag>: filter, count, ... work too
///     tag.related_set(&Post::tags)     // the reverse side (Django's tag.post_set / tag.posts)
///     Post::objects().filter("tags__name", "c++")
template <class M>
class ManyToManyField {
 public:
  using m2m_target_type = M;

  ManyToManyField() noexcept {
    auto& c = detail::constructing_model;
    if (c.base) {
      owner_ = c.meta;
      offset_ = reinterpret_cast<const char*>(this) - c.base;
    }
  }
  // Copies keep the offset (the same in every instance of the owner type).
  ManyToManyField(const ManyToManyField&) = default;
  ManyToManyField& operator=(const ManyToManyField&) noexcept { return *this; }

  /// The related manager of this instance (defined in related_manager.hpp). ValueError if the owner has no
  /// primary key yet, as Django.
  ManyRelatedManager<M> operator()() const;

  /// For Meta: the field's owner meta getter and offset within it.
  const ModelMeta& (*_owner() const noexcept)() { return owner_; }
  std::ptrdiff_t _offset() const noexcept { return offset_; }

 private:
  const ModelMeta& (*owner_)() = nullptr;
  std::ptrdiff_t offset_ = 0;
};

namespace detail {
template <class F>
concept ManyToMany = requires {
  typename F::m2m_target_type;
};
}  // namespace detail

}  // namespace duet::db
