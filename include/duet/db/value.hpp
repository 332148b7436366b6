// Value: one SQL value as it crosses between C++ and the database (always as a bound parameter).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace duet::db {

using Blob = std::vector<unsigned char>;
/// DateTimeField's type: UTC, microsecond precision (Django stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite).
using DateTime = std::chrono::sys_time<std::chrono::microseconds>;
using Date = std::chrono::year_month_day;

/// "2024-05-01 12:30:00.250000" and back; parse accepts 'T' as separator and an optional fraction/"Z".
std::string format_datetime(DateTime t);
DateTime parse_datetime(std::string_view text);
std::string format_date(Date d);
Date parse_date(std::string_view text);

/// NULL, INTEGER, REAL, TEXT or BLOB — SQLite's storage classes, which every field type maps onto.
/// Booleans are integers, dates and times ISO text, JSON its serialized text.
class Value {
 public:
  using Storage = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(std::int64_t{b}) {}
  template <std::integral I>
  requires(!std::same_as<I, bool>) Value(I i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(float f) : v_(static_cast<double>(f)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Blob b) : v_(std::move(b)) {}
  Value(DateTime t) : v_(format_datetime(t)) {}
  Value(Date d) : v_(format_date(d)) {}
  Value(const boost::json::value& json);
  template <class T>
  Value(const std::optional<T>& o) {
    if (o) *this = Value(*o);
  }

  bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const noexcept { return std::holds_alternative<std::int64_t>(v_); }
  bool is_double() const noexcept { return std::holds_alternative<double>(v_); }
  bool is_string() const noexcept { return std::holds_alternative<std::string>(v_); }
  bool is_blob() const noexcept { return std::holds_alternative<Blob>(v_); }

  /// Conversions throw DataError when the stored class does not convert (text to integer, NULL to anything).
  std::int64_t as_int() const;
  double as_double() const;
  bool as_bool() const { return as_int() != 0; }
  std::string as_string() const;
  const Blob& as_blob() const;
  DateTime as_datetime() const { return parse_datetime(as_string()); }
  Date as_date() const { return parse_date(as_string()); }
  boost::json::value as_json() const;

  /// as<std::string>(), as<int>(), as<DateTime>(), ... ; as<std::optional<T>>() maps NULL to nullopt.
  template <class T>
  T as() const;

  /// A JSON rendering for APIs: NULL → null, numbers, text, blob → hex string.
  boost::json::value to_json() const;
  /// For messages and debugging: 'text', 42, NULL.
  std::string repr() const;

  const Storage& storage() const noexcept { return v_; }
  friend bool operator==(const Value&, const Value&) = default;
  /// An arbitrary but total order (by storage class, then value), for maps keyed by primary key.
  friend bool operator<(const Value& a, const Value& b) { return a.v_ < b.v_; }

 private:
  Storage v_;
};

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
T Value::as() const {
  if constexpr (std::same_as<T, Value>) {
    return *this;
  } else if constexpr (detail::is_optional<T>::value) {
    if (is_null()) return T{};
    return T(as<typename T::value_type>());
  } else if constexpr (std::same_as<T, bool>) {
    return as_bool();
  } else if constexpr (std::integral<T>) {
    return static_cast<T>(as_int());
  } else if constexpr (std::floating_point<T>) {
    return static_cast<T>(as_double());
  } else if constexpr (std::same_as<T, std::string>) {
    return as_string();
  } else if constexpr (std::same_as<T, Blob>) {
    return as_blob();
  } else if constexpr (std::same_as<T, DateTime>) {
    return as_datetime();
  } else if constexpr (std::same_as<T, Date>) {
    return as_date();
  } else if constexpr (std::same_as<T, boost::json::value>) {
    return as_json();
  } else {
    static_assert(sizeof(T) == 0, "Value::as<T>: no conversion to this type");
  }
}

/// A row of values as returned by values_list().
using Row = std::vector<Value>;

}  // namespace duet::db
