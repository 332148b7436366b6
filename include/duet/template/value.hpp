// The value a template sees: what a context holds, what a lookup returns and what a filter takes and gives.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace duet::templates {

class Value;
using List = std::vector<Value>;
// Insertion-ordered, like a Python dict; lookups are linear (template dicts are small).
using Dict = std::vector<std::pair<std::string, Value>>;

// A naive date and time (no time zone), what `date`, `time`, `now` and `timesince` format.
struct DateTime {
  int year = 1970, month = 1, day = 1;
  int hour = 0, minute = 0, second = 0, microsecond = 0;
  bool has_time = true;  // false for a Python `date`
  static DateTime now();
};

// Describes an exposed C++ type to the engine: its attributes by name and how it prints.
class TypeInfo {
 public:
  virtual ~TypeInfo() = default;
  virtual std::string_view type_name() const = 0;
  // Sets `out` and returns true when the object has the attribute.
  virtual bool attr(const void* obj, const std::shared_ptr<const void>& owner, std::string_view name,
                    Value& out) const = 0;
  virtual std::string str(const void* obj) const;
  // Sequence protocol (for loops, `length`, unpacking); false when the type is not a sequence.
  virtual bool items(const void* obj, const std::shared_ptr<const void>& owner, List& out) const;
  virtual bool truthy(const void*) const { return true; }
};

template <class T>
class Attributes;

// Specialize to expose a struct: `static void describe(Attributes<T>& a) { a.attr("id", &T::id); }`.
template <class T>
struct Expose;

template <class T>
concept Exposed = requires(class Attributes<T>& a) {
  Expose<T>::describe(a);
};

// Custom conversion for types that are neither exposed structs nor built-in: specialize with
// `static Value convert(const T&)`.
template <class T>
struct ValueConverter;

template <class T>
concept Convertible = requires(const T& t) {
  { ValueConverter<T>::convert(t) } -> std::same_as<Value>;
};

class Value {
 public:
  enum class Kind : std::uint8_t {
    None,
    Bool,
    Int,
    Float,
    String,
    List,
    Dict,
    Json,
    Object,
    Callable,
    DateTime
  };

  Value() = default;  // None
  Value(std::nullptr_t) {}
  Value(std::nullopt_t) {}
  Value(bool b) : kind_(Kind::Bool) { num_.b = b; }
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) Value(T i)
      : kind_(Kind::Int) {
    num_.i = static_cast<std::int64_t>(i);
  }
  Value(double d) : kind_(Kind::Float) { num_.d = d; }
  Value(float d) : Value(static_cast<double>(d)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::string s);
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(List l);
  Value(Dict d);
  Value(boost::json::value j);
  Value(DateTime dt);
  Value(std::function<Value()> f);

  template <class T>
  requires(std::is_constructible_v<Value, const T&>) Value(const std::vector<T>& v)
      : Value(convert_list(v)) {}
  template <class T>
  requires(std::is_constructible_v<Value, const T&>) Value(const std::map<std::string, T>& m)
      : Value(convert_dict(m)) {}
  template <class T>
  requires(std::is_constructible_v<Value, const T&>) Value(const std::unordered_map<std::string, T>& m)
      : Value(convert_dict(m)) {}
  template <class T>
  requires(std::is_constructible_v<Value, const T&>) Value(const std::optional<T>& o)
      : Value(o ? Value(*o) : Value()) {}
  template <class T>
  requires(Exposed<T> && !std::is_same_v<T, Value>) Value(const T& obj);
  template <class T>
  requires(Convertible<T> && !Exposed<T> && !std::is_same_v<T, Value>) Value(const T& obj)
      : Value(ValueConverter<T>::convert(obj)) {}

  // A string that is not escaped on output (Django's mark_safe).
  static Value safe(std::string s);
  // A string that points into memory kept alive by `owner` (no copy).
  static Value borrowed(std::string_view s, std::shared_ptr<const void> owner, bool safe = false);
  // A JSON value the caller keeps alive for as long as the Value is used (no copy).
  static Value json_ref(const boost::json::value& j);
  // An exposed struct the caller keeps alive (no copy).
  template <class T>
  requires Exposed<T>
  static Value ref(const T& obj);
  static Value object(const TypeInfo* type, const void* obj, std::shared_ptr<const void> owner);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_safe() const { return safe_; }
  // Python truthiness.
  bool truthy() const;
  // Python str(): what {{ value }} prints before escaping.
  std::string str() const;
  void append_str(std::string& out) const;
  // Python repr(), used for containers.
  std::string repr() const;
  // Valid only when is_string().
  std::string_view string_view() const { return str_; }
  std::int64_t as_int() const { return num_.i; }
  double as_double() const { return kind_ == Kind::Float ? num_.d : static_cast<double>(num_.i); }
  bool as_bool() const { return num_.b; }
  const List* list() const;
  const Dict* dict() const;
  const boost::json::value* json() const;
  const DateTime* datetime() const;
  const TypeInfo* type() const { return type_; }
  const void* object_ptr() const { return ptr_; }

  // Template lookup of one dotted part: dict key, then attribute, then list index. False when absent.
  bool lookup(std::string_view part, Value& out) const;
  // Calls a callable (Django calls callables found during lookup); other values are returned as is.
  Value resolved() const;
  // Elements for iteration: list items, dict keys, string characters. False when not iterable.
  bool items(List& out) const;
  // len(); nullopt when the value has no length.
  std::optional<std::size_t> length() const;
  Value with_safe(bool s) const {
    Value v = *this;
    v.safe_ = s;
    return v;
  }

  // Python ==; and ordering (nullopt when Python would raise TypeError).
  friend bool operator==(const Value& a, const Value& b);
  static std::optional<int> compare(const Value& a, const Value& b);

 private:
  template <class C>
  static List convert_list(const C& c) {
    List l;
    l.reserve(c.size());
    for (const auto& e : c)
      l.emplace_back(e);
    return l;
  }
  template <class M>
  static Dict convert_dict(const M& m) {
    Dict d;
    d.reserve(m.size());
    for (const auto& [k, v] : m)
      d.emplace_back(k, Value(v));
    return d;
  }

  Kind kind_ = Kind::None;
  bool safe_ = false;
  union {
    bool b;
    std::int64_t i;
    double d;
  } num_{};
  std::string_view str_;
  const void* ptr_ = nullptr;
  const TypeInfo* type_ = nullptr;
  std::shared_ptr<const void> owner_;
};

inline Value mark_safe(std::string s) {
  return Value::safe(std::move(s));
}

// The registered attribute getters of an exposed type T (built once, on first use, thread-safely).
template <class T>
class Attributes final : public TypeInfo {
 public:
  using Getter = std::function<Value(const T&, const std::shared_ptr<const void>& owner)>;

  explicit Attributes(std::string name) : name_(std::move(name)) {}

  // The type's name in messages and in the default {{ obj }} output.
  Attributes& name(std::string n) {
    name_ = std::move(n);
    return *this;
  }

  // A data member: strings are returned without copying.
  template <class M>
  Attributes& attr(std::string name, M T::*member) {
    getters_.emplace_back(std::move(name), [member](const T& obj, const std::shared_ptr<const void>& owner) {
      const auto& field = obj.*member;
      if constexpr (std::is_same_v<std::decay_t<M>, std::string>) {
        return Value::borrowed(field, owner);
      } else {
        return Value(field);
      }
    });
    return *this;
  }
  // A computed attribute (Django's method without arguments).
  template <class F>
  requires std::is_invocable_v<F, const T&> Attributes& attr(std::string name, F fn) {
    getters_.emplace_back(
        std::move(name),
        [fn = std::move(fn)](const T& obj, const std::shared_ptr<const void>&) { return Value(fn(obj)); });
    return *this;
  }
  // How {{ obj }} prints (Python's __str__).
  Attributes& str(std::function<std::string(const T&)> fn) {
    str_ = std::move(fn);
    return *this;
  }

  std::string_view type_name() const override { return name_; }
  bool attr(const void* obj, const std::shared_ptr<const void>& owner, std::string_view name,
            Value& out) const override {
    for (const auto& [n, g] : getters_) {
      if (n == name) {
        out = g(*static_cast<const T*>(obj), owner);
        return true;
      }
    }
    return false;
  }
  std::string str(const void* obj) const override {
    if (str_) return str_(*static_cast<const T*>(obj));
    return TypeInfo::str(obj);
  }

  static const Attributes& instance() {
    static const Attributes a = [] {
      Attributes built{"object"};
      Expose<T>::describe(built);
      return built;
    }();
    return a;
  }

 private:
  std::string name_;
  std::vector<std::pair<std::string, Getter>> getters_;
  std::function<std::string(const T&)> str_;
};

template <class T>
requires(Exposed<T> && !std::is_same_v<T, Value>) Value::Value(const T& obj) {
  auto owned = std::make_shared<const T>(obj);
  *this = object(&Attributes<T>::instance(), owned.get(), owned);
}

template <class T>
requires Exposed<T> Value Value::ref(const T& obj) {
  return object(&Attributes<T>::instance(), &obj, nullptr);
}

}  // namespace duet::templates
