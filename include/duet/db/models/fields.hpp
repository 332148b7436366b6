// Field types: the typed members a model declares (`CharField title;`), each holding one column's value.
#pragma once

#include <boost/json/value.hpp>
#include <concepts>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "duet/db/value.hpp"

namespace duet::db {

/// The kind of a field: decides its SQL type, its lookups and its validation.
enum class FieldType {
  AutoField,
  BigAutoField,
  IntegerField,
  BigIntegerField,
  FloatField,
  DecimalField,
  BooleanField,
  CharField,
  TextField,
  DateTimeField,
  DateField,
  UUIDField,
  JSONField,
  BinaryField,
  ForeignKey,
  OneToOneField,
};
std::string_view field_type_name(FieldType t) noexcept;

namespace detail {
template <FieldType K>
struct Kind {
  static constexpr FieldType type = K;
};
}  // namespace detail

/// A column value of C++ type T; null until assigned (like a fresh Django instance's None), or when the
/// database holds NULL. Reads convert implicitly (`std::string t = book.title;`) and throw
/// std::bad_optional_access on NULL; check `is_null()` for fields declared `.null()`.
template <class T, FieldType K>
class ValueField {
 public:
  using value_type = T;
  static constexpr FieldType field_type = K;

  ValueField() = default;
  ValueField(T v) : v_(std::move(v)) {}
  ValueField(std::nullptr_t) {}
  template <class U>
  requires(std::constructible_from<T, U&&> && !std::same_as<std::decay_t<U>, ValueField> &&
           !std::same_as<std::decay_t<U>, std::nullptr_t>) ValueField&
  operator=(U&& v) {
    v_.emplace(std::forward<U>(v));
    return *this;
  }
  ValueField& operator=(std::nullptr_t) {
    v_.reset();
    return *this;
  }

  bool is_null() const noexcept { return !v_.has_value(); }
  bool has_value() const noexcept { return v_.has_value(); }
  const T& value() const { return v_.value(); }
  T value_or(T fallback) const { return v_.value_or(std::move(fallback)); }
  const std::optional<T>& optional() const noexcept { return v_; }
  operator const T&() const { return v_.value(); }
  const T& operator*() const { return *v_; }
  const T* operator->() const { return &*v_; }

  template <class U>
  requires(!std::is_same_v<std::decay_t<U>, ValueField> &&
           requires(const T& t, const U& u) {
             { t == u } -> std::convertible_to<bool>;
           }) friend bool
  operator==(const ValueField& a, const U& b) {
    return a.v_.has_value() && *a.v_ == b;
  }
  friend bool operator==(const ValueField& a, const ValueField& b) { return a.v_ == b.v_; }
  friend std::ostream& operator<<(std::ostream& os, const ValueField& f) {
    if (!f.v_) return os << "None";
    if constexpr (requires { os << *f.v_; }) {
      return os << *f.v_;
    } else {
      return os << Value(*f.v_).repr();
    }
  }

  // The database side (used by the model's meta).
  Value to_db() const { return v_ ? Value(*v_) : Value(); }
  void from_db(const Value& v) {
    if (v.is_null()) {
      v_.reset();
    } else {
      v_.emplace(v.as<T>());
    }
  }

 private:
  std::optional<T> v_;
};

/// An auto-incrementing integer primary key; null until the instance is saved.
using AutoField = ValueField<std::int64_t, FieldType::AutoField>;
using BigAutoField = ValueField<std::int64_t, FieldType::BigAutoField>;
using IntegerField = ValueField<std::int64_t, FieldType::IntegerField>;
using BigIntegerField = ValueField<std::int64_t, FieldType::BigIntegerField>;
using FloatField = ValueField<double, FieldType::FloatField>;
/// Stored as exact decimal text ("12.50"), given as such; `max_digits` and `decimal_places` are validated.
using DecimalField = ValueField<std::string, FieldType::DecimalField>;
using BooleanField = ValueField<bool, FieldType::BooleanField>;
/// Needs `.max_length(n)` in meta().
using CharField = ValueField<std::string, FieldType::CharField>;
using TextField = ValueField<std::string, FieldType::TextField>;
/// UTC; `.auto_now()` sets it on every save, `.auto_now_add()` on the first.
using DateTimeField = ValueField<DateTime, FieldType::DateTimeField>;
using DateField = ValueField<Date, FieldType::DateField>;
/// 32 hex digits without dashes, as Django stores UUIDs on SQLite.
using UUIDField = ValueField<std::string, FieldType::UUIDField>;
using JSONField = ValueField<boost::json::value, FieldType::JSONField>;
using BinaryField = ValueField<Blob, FieldType::BinaryField>;

/// What deleting the referenced row does to the rows pointing at it (Django's on_delete).
enum class OnDelete { Cascade, Protect, Restrict, SetNull, SetDefault, DoNothing };
inline constexpr OnDelete CASCADE = OnDelete::Cascade;
inline constexpr OnDelete PROTECT = OnDelete::Protect;
inline constexpr OnDelete RESTRICT = OnDelete::Restrict;
inline constexpr OnDelete SET_NULL = OnDelete::SetNull;
inline constexpr OnDelete SET_DEFAULT = OnDelete::SetDefault;
inline constexpr OnDelete DO_NOTHING = OnDelete::DoNothing;

}  // namespace duet::db
