// HttpRequest exposed to templates: Django's attributes that make sense in a template, and what middleware
// attached to request.attrs (a templates::Value, a string, a number or a bool).
#include "request_value.hpp"

#include "duet/http/request.hpp"
#include "duet/urls/resolvers.hpp"

#include <any>
#include <cstdint>

namespace duet::templates {

namespace {

template <class Pairs>
Value dict_of(const Pairs& pairs) {
  Dict d;
  for (const auto& [k, v] : pairs)
    d.emplace_back(k, Value(v));
  return Value(std::move(d));
}

std::optional<Value> from_any(const std::any& a) {
  if (const auto* v = std::any_cast<Value>(&a)) return *v;
  if (const auto* s = std::any_cast<std::string>(&a)) return Value(*s);
  if (const auto* s = std::any_cast<const char*>(&a)) return Value(*s);
  if (const auto* b = std::any_cast<bool>(&a)) return Value(*b);
  if (const auto* i = std::any_cast<int>(&a)) return Value(*i);
  if (const auto* i = std::any_cast<std::int64_t>(&a)) return Value(*i);
  if (const auto* d = std::any_cast<double>(&a)) return Value(*d);
  return std::nullopt;
}

class RequestType final : public TypeInfo {
 public:
  std::string_view type_name() const override { return "HttpRequest"; }
  bool attr(const void* obj, const std::shared_ptr<const void>&, std::string_view name,
            Value& out) const override {
    // The accessors below are lazy (they parse on first use) hence non-const; the request outlives the
    // render it is given to.
    auto& r = *const_cast<http::HttpRequest*>(static_cast<const http::HttpRequest*>(obj));
    if (name == "path") {
      out = Value(r.path);
    } else if (name == "path_info") {
      out = Value(r.path_info);
    } else if (name == "method") {
      out = Value(r.method);
    } else if (name == "GET") {
      out = dict_of(r.GET().items());
    } else if (name == "POST") {
      out = dict_of(r.POST().items());
    } else if (name == "COOKIES") {
      out = dict_of(r.COOKIES());
    } else if (name == "META") {
      out = dict_of(r.META());
    } else if (name == "scheme") {
      out = Value(r.scheme());
    } else if (name == "is_secure") {
      out = Value(r.is_secure());
    } else if (name == "get_host") {
      out = Value(r.get_host());
    } else if (name == "get_full_path") {
      out = Value(r.get_full_path());
    } else if (name == "build_absolute_uri") {
      out = Value(r.build_absolute_uri());
    } else if (name == "resolver_match") {
      if (!r.resolver_match) {
        out = Value();
      } else {
        const auto& m = *r.resolver_match;
        out = Value(Dict{{"url_name", m.url_name},
                         {"view_name", m.view_name()},
                         {"namespace", m.namespace_()},
                         {"app_name", m.app_name()},
                         {"route", m.route}});
      }
    } else if (auto it = r.attrs.find(std::string(name)); it != r.attrs.end()) {
      auto v = from_any(it->second);
      if (!v) return false;
      out = std::move(*v);
    } else {
      return false;
    }
    return true;
  }
  std::string str(const void* obj) const override {
    const auto& r = *static_cast<const http::HttpRequest*>(obj);
    return "<HttpRequest: " + r.method + " '" + r.path + "'>";
  }
};

}  // namespace

Value request_value(http::HttpRequest& request) {
  static const RequestType type;
  return Value::object(&type, &request, nullptr);
}

}  // namespace duet::templates
