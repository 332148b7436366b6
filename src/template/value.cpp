// Value: construction, Python-like truthiness, str()/repr(), lookups, iteration and comparison.
#include "duet/template/value.hpp"

#include "text.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <tuple>

namespace duet::templates {

namespace json = boost::json;

std::string TypeInfo::str(const void*) const {
  return "<" + std::string(type_name()) + " object>";
}
bool TypeInfo::items(const void*, const std::shared_ptr<const void>&, List&) const {
  return false;
}

DateTime DateTime::now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  localtime_r(&ts.tv_sec, &tm);
  return DateTime{tm.tm_year + 1900,
                  tm.tm_mon + 1,
                  tm.tm_mday,
                  tm.tm_hour,
                  tm.tm_min,
                  tm.tm_sec,
                  static_cast<int>(ts.tv_nsec / 1000),
                  true};
}

Value::Value(std::string s) : kind_(Kind::String) {
  auto p = std::make_shared<const std::string>(std::move(s));
  str_ = *p;
  owner_ = std::move(p);
}

Value::Value(List l) : kind_(Kind::List) {
  auto p = std::make_shared<const List>(std::move(l));
  ptr_ = p.get();
  owner_ = std::move(p);
}

Value::Value(Dict d) : kind_(Kind::Dict) {
  auto p = std::make_shared<const Dict>(std::move(d));
  ptr_ = p.get();
  owner_ = std::move(p);
}

Value::Value(json::value j) {
  auto p = std::make_shared<const json::value>(std::move(j));
  const json::value& ref = *p;
  if (ref.is_array() || ref.is_object() || ref.is_string()) {
    if (ref.is_string()) {
      kind_ = Kind::String;
      str_ = std::string_view(ref.get_string().data(), ref.get_string().size());
    } else {
      kind_ = Kind::Json;
      ptr_ = &ref;
    }
    owner_ = std::move(p);
  } else {
    *this = json_ref(ref);
  }
}

Value::Value(DateTime dt) : kind_(Kind::DateTime) {
  auto p = std::make_shared<const DateTime>(dt);
  ptr_ = p.get();
  owner_ = std::move(p);
}

Value::Value(std::function<Value()> f) : kind_(Kind::Callable) {
  auto p = std::make_shared<const std::function<Value()>>(std::move(f));
  ptr_ = p.get();
  owner_ = std::move(p);
}

Value Value::safe(std::string s) {
  Value v(std::move(s));
  v.safe_ = true;
  return v;
}

Value Value::borrowed(std::string_view s, std::shared_ptr<const void> owner, bool safe) {
  Value v;
  v.kind_ = Kind::String;
  v.str_ = s;
  v.safe_ = safe;
  v.owner_ = std::move(owner);
  return v;
}

Value Value::json_ref(const json::value& j) {
  switch (j.kind()) {
    case json::kind::null:
      return Value();
    case json::kind::bool_:
      return Value(j.get_bool());
    case json::kind::int64:
      return Value(j.get_int64());
    case json::kind::uint64:
      return Value(static_cast<std::int64_t>(j.get_uint64()));
    case json::kind::double_:
      return Value(j.get_double());
    case json::kind::string:
      return borrowed(std::string_view(j.get_string().data(), j.get_string().size()), {});
    default: {
      Value v;
      v.kind_ = Kind::Json;
      v.ptr_ = &j;
      return v;
    }
  }
}

Value Value::object(const TypeInfo* type, const void* obj, std::shared_ptr<const void> owner) {
  Value v;
  v.kind_ = Kind::Object;
  v.type_ = type;
  v.ptr_ = obj;
  v.owner_ = std::move(owner);
  return v;
}

const List* Value::list() const {
  return kind_ == Kind::List ? static_cast<const List*>(ptr_) : nullptr;
}
const Dict* Value::dict() const {
  return kind_ == Kind::Dict ? static_cast<const Dict*>(ptr_) : nullptr;
}
const json::value* Value::json() const {
  return kind_ == Kind::Json ? static_cast<const json::value*>(ptr_) : nullptr;
}
const DateTime* Value::datetime() const {
  return kind_ == Kind::DateTime ? static_cast<const DateTime*>(ptr_) : nullptr;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::None:
      return false;
    case Kind::Bool:
      return num_.b;
    case Kind::Int:
      return num_.i != 0;
    case Kind::Float:
      return num_.d != 0.0;
    case Kind::String:
      return !str_.empty();
    case Kind::List:
      return !list()->empty();
    case Kind::Dict:
      return !dict()->empty();
    case Kind::Json: {
      const auto* j = json();
      return j->is_array() ? !j->get_array().empty() : !j->get_object().empty();
    }
    case Kind::Object:
      return type_ ? type_->truthy(ptr_) : true;
    case Kind::Callable:
    case Kind::DateTime:
      return true;
  }
  return false;
}

namespace {
void append_datetime(std::string& out, const DateTime& d) {
  char buf[64];
  if (d.has_time) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", d.year, d.month, d.day, d.hour, d.minute,
                  d.second);
    out += buf;
    if (d.microsecond) {
      std::snprintf(buf, sizeof buf, ".%06d", d.microsecond);
      out += buf;
    }
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    out += buf;
  }
}

void append_repr(std::string& out, const Value& v);

void append_json_repr(std::string& out, const json::value& j) {
  if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : j.get_array()) {
      if (!first) out += ", ";
      first = false;
      append_repr(out, Value::json_ref(e));
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (const auto& kv : j.get_object()) {
      if (!first) out += ", ";
      first = false;
      detail::python_str_repr(out, std::string_view(kv.key().data(), kv.key().size()));
      out += ": ";
      append_repr(out, Value::json_ref(kv.value()));
    }
    out += '}';
  }
}

void append_repr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String:
      detail::python_str_repr(out, v.string_view());
      return;
    case Value::Kind::List: {
      out += '[';
      bool first = true;
      for (const auto& e : *v.list()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, e);
      }
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : *v.dict()) {
        if (!first) out += ", ";
        first = false;
        detail::python_str_repr(out, k);
        out += ": ";
        append_repr(out, e);
      }
      out += '}';
      return;
    }
    case Value::Kind::Json:
      append_json_repr(out, *v.json());
      return;
    case Value::Kind::DateTime: {
      const auto& d = *v.datetime();
      char buf[96];
      if (d.has_time) {
        std::snprintf(buf, sizeof buf, "datetime.datetime(%d, %d, %d, %d, %d", d.year, d.month, d.day, d.hour,
                      d.minute);
        out += buf;
        if (d.second || d.microsecond) out += ", " + std::to_string(d.second);
        if (d.microsecond) out += ", " + std::to_string(d.microsecond);
        out += ')';
      } else {
        std::snprintf(buf, sizeof buf, "datetime.date(%d, %d, %d)", d.year, d.month, d.day);
        out += buf;
      }
      return;
    }
    default:
      v.append_str(out);
  }
}
}  // namespace

void Value::append_str(std::string& out) const {
  switch (kind_) {
    case Kind::None:
      out += "None";
      return;
    case Kind::Bool:
      out += num_.b ? "True" : "False";
      return;
    case Kind::Int: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, num_.i);
      out.append(buf, r.ptr);
      return;
    }
    case Kind::Float:
      out += detail::python_float_repr(num_.d);
      return;
    case Kind::String:
      out.append(str_);
      return;
    case Kind::List:
    case Kind::Dict:
    case Kind::Json:
      append_repr(out, *this);
      return;
    case Kind::Object:
      out += type_ ? type_->str(ptr_) : std::string("<object>");
      return;
    case Kind::Callable:
      out += "<function>";
      return;
    case Kind::DateTime:
      append_datetime(out, *datetime());
      return;
  }
}

std::string Value::str() const {
  if (kind_ == Kind::String) return std::string(str_);
  std::string out;
  append_str(out);
  return out;
}

std::string Value::repr() const {
  std::string out;
  append_repr(out, *this);
  return out;
}

Value Value::resolved() const {
  if (kind_ != Kind::Callable) return *this;
  return (*static_cast<const std::function<Value()>*>(ptr_))();
}

namespace {
bool index_of(std::string_view part, std::size_t size, std::size_t& idx) {
  std::int64_t i;
  if (!detail::parse_int(part, i)) return false;
  if (i < 0) i += static_cast<std::int64_t>(size);
  if (i < 0 || static_cast<std::size_t>(i) >= size) return false;
  idx = static_cast<std::size_t>(i);
  return true;
}

Value pair(Value a, Value b) {
  List l;
  l.reserve(2);
  l.push_back(std::move(a));
  l.push_back(std::move(b));
  return Value(std::move(l));
}
}  // namespace

bool Value::lookup(std::string_view part, Value& out) const {
  switch (kind_) {
    case Kind::Dict: {
      const Dict& d = *dict();
      for (const auto& [k, v] : d) {
        if (k == part) {
          out = v;
          return true;
        }
      }
      if (part == "items" || part == "keys" || part == "values") {
        List l;
        l.reserve(d.size());
        for (const auto& [k, v] : d) {
          Value key = borrowed(k, owner_);
          l.push_back(part == "items" ? pair(key, v) : part == "keys" ? key : v);
        }
        out = Value(std::move(l));
        return true;
      }
      return false;
    }
    case Kind::Json: {
      const json::value& j = *json();
      if (j.is_object()) {
        const auto& o = j.get_object();
        if (auto it = o.find(json::string_view(part.data(), part.size())); it != o.end()) {
          out = json_ref(it->value());
          if (out.kind_ == Kind::String || out.kind_ == Kind::Json) out.owner_ = owner_;
          return true;
        }
        if (part == "items" || part == "keys" || part == "values") {
          List l;
          l.reserve(o.size());
          for (const auto& kv : o) {
            Value key = borrowed(std::string_view(kv.key().data(), kv.key().size()), owner_);
            Value val = json_ref(kv.value());
            if (val.kind_ == Kind::String || val.kind_ == Kind::Json) val.owner_ = owner_;
            l.push_back(part == "items" ? pair(key, val) : part == "keys" ? key : val);
          }
          out = Value(std::move(l));
          return true;
        }
        return false;
      }
      const auto& a = j.get_array();
      std::size_t idx;
      if (!index_of(part, a.size(), idx)) return false;
      out = json_ref(a[idx]);
      if (out.kind_ == Kind::String || out.kind_ == Kind::Json) out.owner_ = owner_;
      return true;
    }
    case Kind::List: {
      std::size_t idx;
      if (!index_of(part, list()->size(), idx)) return false;
      out = (*list())[idx];
      return true;
    }
    case Kind::String: {
      std::int64_t i;
      if (!detail::parse_int(part, i)) return false;
      auto cps = detail::code_points(str_);
      if (i < 0) i += static_cast<std::int64_t>(cps.size());
      if (i < 0 || static_cast<std::size_t>(i) >= cps.size()) return false;
      out = borrowed(cps[i], owner_);
      return true;
    }
    case Kind::Object: {
      if (type_ && type_->attr(ptr_, owner_, part, out)) return true;
      List l;
      std::size_t idx;
      if (type_ && type_->items(ptr_, owner_, l) && index_of(part, l.size(), idx)) {
        out = l[idx];
        return true;
      }
      return false;
    }
    case Kind::DateTime: {
      const auto& d = *datetime();
      if (part == "year") return out = Value(d.year), true;
      if (part == "month") return out = Value(d.month), true;
      if (part == "day") return out = Value(d.day), true;
      if (d.has_time) {
        if (part == "hour") return out = Value(d.hour), true;
        if (part == "minute") return out = Value(d.minute), true;
        if (part == "second") return out = Value(d.second), true;
        if (part == "microsecond") return out = Value(d.microsecond), true;
      }
      return false;
    }
    default:
      return false;
  }
}

bool Value::items(List& out) const {
  out.clear();
  switch (kind_) {
    case Kind::List:
      out = *list();
      return true;
    case Kind::Dict:
      out.reserve(dict()->size());
      for (const auto& kv : *dict())
        out.push_back(borrowed(kv.first, owner_));
      return true;
    case Kind::Json: {
      const json::value& j = *json();
      if (j.is_array()) {
        out.reserve(j.get_array().size());
        for (const auto& e : j.get_array()) {
          Value v = json_ref(e);
          if (v.kind_ == Kind::String || v.kind_ == Kind::Json) v.owner_ = owner_;
          out.push_back(std::move(v));
        }
      } else {
        for (const auto& kv : j.get_object())
          out.push_back(borrowed(std::string_view(kv.key().data(), kv.key().size()), owner_));
      }
      return true;
    }
    case Kind::String:
      for (auto cp : detail::code_points(str_))
        out.push_back(borrowed(cp, owner_, safe_));
      return true;
    case Kind::Object:
      return type_ && type_->items(ptr_, owner_, out);
    default:
      return false;
  }
}

std::optional<std::size_t> Value::length() const {
  switch (kind_) {
    case Kind::List:
      return list()->size();
    case Kind::Dict:
      return dict()->size();
    case Kind::Json:
      return json()->is_array() ? json()->get_array().size() : json()->get_object().size();
    case Kind::String:
      return detail::code_point_count(str_);
    case Kind::Object: {
      List l;
      if (type_ && type_->items(ptr_, owner_, l)) return l.size();
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

namespace {
bool is_sequence(const Value& v) {
  return v.kind() == Value::Kind::List || (v.kind() == Value::Kind::Json && v.json()->is_array());
}
bool is_mapping(const Value& v) {
  return v.kind() == Value::Kind::Dict || (v.kind() == Value::Kind::Json && v.json()->is_object());
}
}  // namespace

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.kind() == K::Float || b.kind() == K::Float) {
      double x = a.kind() == K::Bool ? a.as_bool() : a.as_double();
      double y = b.kind() == K::Bool ? b.as_bool() : b.as_double();
      return x == y;
    }
    std::int64_t x = a.kind() == K::Bool ? a.as_bool() : a.as_int();
    std::int64_t y = b.kind() == K::Bool ? b.as_bool() : b.as_int();
    return x == y;
  }
  if (a.kind() == K::String && b.kind() == K::String) return a.string_view() == b.string_view();
  if (a.is_none() || b.is_none()) return a.is_none() && b.is_none();
  if (is_sequence(a) && is_sequence(b)) {
    List x, y;
    a.items(x);
    b.items(y);
    return x == y;
  }
  if (is_mapping(a) && is_mapping(b)) {
    List keys;
    a.items(keys);
    if (keys.size() != *b.length()) return false;
    for (const auto& k : keys) {
      Value va, vb;
      if (!a.lookup(k.string_view(), va) || !b.lookup(k.string_view(), vb) || !(va == vb)) return false;
    }
    return true;
  }
  if (a.kind() == K::DateTime && b.kind() == K::DateTime) {
    const auto &x = *a.datetime(), &y = *b.datetime();
    return x.has_time == y.has_time && x.year == y.year && x.month == y.month && x.day == y.day &&
           x.hour == y.hour && x.minute == y.minute && x.second == y.second && x.microsecond == y.microsecond;
  }
  if (a.kind() == K::Object && b.kind() == K::Object) return a.object_ptr() == b.object_ptr();
  return false;
}

std::optional<int> Value::compare(const Value& a, const Value& b) {
  using K = Value::Kind;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.is_number() && b.is_number()) {
    double x = a.kind() == K::Bool ? a.as_bool() : a.as_double();
    double y = b.kind() == K::Bool ? b.as_bool() : b.as_double();
    if (a.kind() != K::Float && b.kind() != K::Float) {
      std::int64_t xi = a.kind() == K::Bool ? a.as_bool() : a.as_int();
      std::int64_t yi = b.kind() == K::Bool ? b.as_bool() : b.as_int();
      return sign(xi, yi);
    }
    return sign(x, y);
  }
  if (a.kind() == K::String && b.kind() == K::String) {
    int c = a.string_view().compare(b.string_view());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (is_sequence(a) && is_sequence(b)) {
    List x, y;
    a.items(x);
    b.items(y);
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i] == y[i]) continue;
      return compare(x[i], y[i]);
    }
    return sign(x.size(), y.size());
  }
  if (a.kind() == K::DateTime && b.kind() == K::DateTime) {
    const auto &x = *a.datetime(), &y = *b.datetime();
    if (x.has_time != y.has_time) return std::nullopt;
    auto tx = std::tie(x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond);
    auto ty = std::tie(y.year, y.month, y.day, y.hour, y.minute, y.second, y.microsecond);
    return tx < ty ? -1 : (ty < tx ? 1 : 0);
  }
  return std::nullopt;
}

}  // namespace duet::templates
