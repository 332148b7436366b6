// Model instances and QuerySets of the ORM as template values (header-only: include it where you put them
// in a context; it needs the duet::db library, the template library itself does not).
//
//     Context ctx{{"book", book}, {"books", Book::objects().select_related("author")}};
//     {{ book.title }} {{ book.author.name }} {{ book.get_status_display }} {% for b in books %}...{% endfor
//     %}
#pragma once

#include "duet/db.hpp"
#include "duet/template/engine.hpp"
#include "duet/template/value.hpp"

#include <chrono>
#include <concepts>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace duet::templates {

namespace orm_detail {

// A column value as the template sees it: what the Python attribute would hold.
inline Value column_value(const db::FieldInfo& field, const db::Value& v) {
  if (v.is_null()) return Value();
  using db::FieldType;
  switch (field.type) {
    case FieldType::BooleanField:
      return Value(v.as_bool());
    case FieldType::AutoField:
    case FieldType::BigAutoField:
    case FieldType::IntegerField:
    case FieldType::BigIntegerField:
      return Value(v.as_int());
    case FieldType::FloatField:
      return Value(v.as_double());
    case FieldType::DateTimeField: {
      auto t = v.as_datetime();
      auto day = std::chrono::floor<std::chrono::days>(t);
      std::chrono::year_month_day ymd(day);
      std::chrono::hh_mm_ss hms(t - day);
      DateTime d;
      d.year = static_cast<int>(ymd.year());
      d.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
      d.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
      d.hour = static_cast<int>(hms.hours().count());
      d.minute = static_cast<int>(hms.minutes().count());
      d.second = static_cast<int>(hms.seconds().count());
      d.microsecond = static_cast<int>(hms.subseconds().count());
      return Value(d);
    }
    case FieldType::DateField: {
      auto ymd = v.as_date();
      DateTime d;
      d.year = static_cast<int>(ymd.year());
      d.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
      d.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
      d.has_time = false;
      return Value(d);
    }
    case FieldType::JSONField:
      return Value(v.as_json());
    case FieldType::BinaryField: {
      const auto& b = v.as_blob();
      return Value(std::string(b.begin(), b.end()));
    }
    default:
      if (v.is_int()) return Value(v.as_int());
      if (v.is_double()) return Value(v.as_double());
      return Value(v.as_string());
  }
}

// The template view of a model instance, from its ModelMeta alone (so a key can be followed to a model the
// template never saw by type): fields by name (and attname), pk, choices' display, annotations, followed
// keys; {{ obj }} is the model's str() when it has one, else Django's "Book object (1)".
class ModelType final : public TypeInfo {
 public:
  /// One per model, made on first use and kept for the program's life.
  static const ModelType& of(const db::ModelMeta& meta) {
    static std::mutex mutex;
    static auto* types = new std::map<const db::ModelMeta*, std::unique_ptr<ModelType>>;  // never destroyed
    std::lock_guard lock(mutex);
    auto& slot = (*types)[&meta];
    if (!slot) slot.reset(new ModelType(meta));
    return *slot;
  }
  template <class T>
  static const ModelType& of() {
    static const ModelType& type = of(T::_meta());
    return type;
  }

  std::string_view type_name() const override { return meta_.object_name; }

  bool attr(const void* obj, const std::shared_ptr<const void>& owner, std::string_view name,
            Value& out) const override {
    if (name == "pk") {
      out = column_value(meta_.pk(), meta_.pk().value_of(obj));
      return true;
    }
    for (const auto& field : meta_.fields) {
      if (field.is_relation()) {
        if (name == field.attname) {
          out = column_value(field.related_model().pk(), field.value_of(obj));
          return true;
        }
        if (name == field.name) return relation(field, obj, owner, out);
        continue;
      }
      if (name == field.name) {
        out = column_value(field, field.value_of(obj));
        return true;
      }
      constexpr std::string_view get = "get_", display = "_display";
      if (!field.choices.empty() && name.size() == get.size() + field.name.size() + display.size() &&
          name.starts_with(get) && name.ends_with(display) &&
          name.substr(get.size(), field.name.size()) == field.name) {
        // Django's get_FOO_display(): the label of the value, else the value itself.
        db::Value v = field.value_of(obj);
        for (const auto& [choice, label] : field.choices) {
          if (choice == v) {
            out = Value(label);
            return true;
          }
        }
        out = column_value(field, v);
        return true;
      }
    }
    const auto& state =
        *reinterpret_cast<const db::ModelState*>(static_cast<const char*>(obj) + meta_.state_offset);
    for (const auto& [n, v] : state.annotations) {
      if (n == name) {
        out = v.is_null()     ? Value()
              : v.is_int()    ? Value(v.as_int())
              : v.is_double() ? Value(v.as_double())
                              : Value(v.as_string());
        return true;
      }
    }
    return false;
  }

  std::string str(const void* obj) const override {
    if (meta_.ops.str) return meta_.ops.str(obj);
    db::Value pk = meta_.pk().value_of(obj);
    return meta_.object_name + " object (" + (pk.is_null() ? std::string("None") : pk.as_string()) + ")";
  }

 private:
  explicit ModelType(const db::ModelMeta& meta) : meta_(meta) {}

  // Follows a key as Django does: a NULL key is None; sync code loads the row on first use (then cached in
  // the instance); async code without select_related() gets RelatedObjectNotLoaded naming the fix.
  static bool relation(const db::FieldInfo& field, const void* obj, const std::shared_ptr<const void>& owner,
                       Value& out) {
    if (field.value_of(obj).is_null()) {
      out = Value();
      return true;
    }
    try {
      const void* target = field.related_object(static_cast<const char*>(obj) + field.offset);
      out = Value::object(&of(field.related_model()), target, owner);
      return true;
    } catch (const db::RelatedObjectNotLoaded&) {
      throw;
    } catch (const db::ObjectDoesNotExist&) {
      return false;  // Django: silent_variable_failure
    }
  }

  const db::ModelMeta& meta_;
};

// A QuerySet in a context: evaluated once, on first use, then iterated without copies.
template <class T>
struct QuerySetHolder {
  db::QuerySet<T> qs;
  std::once_flag once;
  std::vector<T> rows;
  const std::vector<T>& evaluated() {
    std::call_once(once, [this] { rows = qs.list(); });
    return rows;
  }
};

template <class T>
class QuerySetType final : public TypeInfo {
 public:
  static const QuerySetType& instance() {
    static const QuerySetType type;
    return type;
  }
  std::string_view type_name() const override { return "QuerySet"; }
  bool attr(const void* obj, const std::shared_ptr<const void>& owner, std::string_view name,
            Value& out) const override {
    auto& h = holder(obj);
    if (name == "all") {
      out = Value::object(this, obj, owner);  // the same, already-evaluated-or-not QuerySet
    } else if (name == "count") {
      out = Value(static_cast<std::int64_t>(h.evaluated().size()));
    } else if (name == "exists") {
      out = Value(!h.evaluated().empty());
    } else if (name == "first" || name == "last") {
      const auto& rows = h.evaluated();
      if (rows.empty()) {
        out = Value();
      } else {
        const T& row = name == "first" ? rows.front() : rows.back();
        out = Value::object(&ModelType::of<T>(), &row, owner);
      }
    } else {
      return false;
    }
    return true;
  }
  bool items(const void* obj, const std::shared_ptr<const void>& owner, List& out) const override {
    const auto& rows = holder(obj).evaluated();
    out.reserve(rows.size());
    for (const auto& row : rows)
      out.push_back(Value::object(&ModelType::of<T>(), &row, owner));
    return true;
  }
  bool truthy(const void* obj) const override { return !holder(obj).evaluated().empty(); }
  std::string str(const void* obj) const override {
    std::string s = "<QuerySet [";
    const auto& rows = holder(obj).evaluated();
    for (std::size_t i = 0; i < rows.size() && i < 20; ++i)
      s += (i ? ", <" : "<") + T::_meta().object_name + ": " + ModelType::of<T>().str(&rows[i]) + ">";
    if (rows.size() > 20) s += ", '...(remaining elements truncated)...'";
    return s + "]>";
  }

 private:
  static QuerySetHolder<T>& holder(const void* obj) {
    // Evaluation fills the holder's cache; the holder is owned by the Value, never shared as const data.
    return *const_cast<QuerySetHolder<T>*>(static_cast<const QuerySetHolder<T>*>(obj));
  }
};

}  // namespace orm_detail

template <class T>
requires std::derived_from<T, db::Model<T>>
struct ValueConverter<T> {
  static Value convert(const T& obj) {
    auto owned = std::make_shared<const T>(obj);
    return Value::object(&orm_detail::ModelType::of<T>(), owned.get(), owned);
  }
};

template <class T>
struct ValueConverter<db::QuerySet<T>> {
  static Value convert(const db::QuerySet<T>& qs) {
    auto holder = std::make_shared<orm_detail::QuerySetHolder<T>>();
    holder->qs = qs;
    return Value::object(&orm_detail::QuerySetType<T>::instance(), holder.get(), holder);
  }
};

}  // namespace duet::templates
