#include "duet/urls/converters.hpp"

#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <charconv>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace duet::urls {
namespace {

class IntConverter : public Converter {
 public:
  std::string regex() const override { return "[0-9]+"; }
  std::any to_value(std::string_view s) const override {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) throw std::invalid_argument("not an int64");
    return v;
  }
  std::string to_url(const std::any& v) const override { return url_value_to_string(v); }
};

class StringConverter : public Converter {
 public:
  explicit StringConverter(std::string regex) : regex_(std::move(regex)) {}
  std::string regex() const override { return regex_; }
  std::any to_value(std::string_view s) const override { return std::string(s); }
  std::string to_url(const std::any& v) const override { return url_value_to_string(v); }

 private:
  std::string regex_;
};

class UUIDConverter : public Converter {
 public:
  std::string regex() const override {
    return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  }
  std::any to_value(std::string_view s) const override {
    try {
      return boost::uuids::string_generator()(std::string(s));
    } catch (const std::exception&) {
      throw std::invalid_argument("not a UUID");
    }
  }
  std::string to_url(const std::any& v) const override { return url_value_to_string(v); }
};

struct Registry {
  std::shared_mutex mutex;
  std::map<std::string, std::shared_ptr<const Converter>, std::less<>> converters{
      {"int", std::make_shared<IntConverter>()},
      {"str", std::make_shared<StringConverter>("[^/]+")},
      {"slug", std::make_shared<StringConverter>("[-a-zA-Z0-9_]+")},
      {"uuid", std::make_shared<UUIDConverter>()},
      {"path", std::make_shared<StringConverter>(".+")},
  };
};

Registry& registry() {
  static Registry r;
  return r;
}

template <class T>
const T* as(const std::any& v) {
  return std::any_cast<T>(&v);
}

}  // namespace

void register_converter(std::string name, std::shared_ptr<const Converter> converter) {
  auto& r = registry();
  std::unique_lock lock(r.mutex);
  r.converters[std::move(name)] = std::move(converter);
}

std::shared_ptr<const Converter> get_converter(std::string_view name) {
  auto& r = registry();
  std::shared_lock lock(r.mutex);
  auto it = r.converters.find(name);
  return it == r.converters.end() ? nullptr : it->second;
}

std::string url_value_to_string(const std::any& v) {
  if (auto* s = as<std::string>(v)) return *s;
  if (auto* s = as<const char*>(v)) return *s;
  if (auto* s = as<std::string_view>(v)) return std::string(*s);
  if (auto* b = as<bool>(v)) return *b ? "True" : "False";
  if (auto* i = as<std::int64_t>(v)) return std::to_string(*i);
  if (auto* i = as<int>(v)) return std::to_string(*i);
  if (auto* i = as<long>(v)) return std::to_string(*i);
  if (auto* i = as<long long>(v)) return std::to_string(*i);
  if (auto* i = as<unsigned>(v)) return std::to_string(*i);
  if (auto* i = as<unsigned long>(v)) return std::to_string(*i);
  if (auto* i = as<unsigned long long>(v)) return std::to_string(*i);
  if (auto* i = as<short>(v)) return std::to_string(*i);
  if (auto* d = as<double>(v)) {
    auto s = std::to_string(*d);
    while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.')
      s.pop_back();
    return s;
  }
  if (auto* u = as<boost::uuids::uuid>(v)) return boost::uuids::to_string(*u);
  throw std::invalid_argument(std::string("cannot use a value of type ") + v.type().name() + " in a URL");
}

std::string url_value_repr(const std::any& v) {
  if (as<std::string>(v) || as<const char*>(v) || as<std::string_view>(v) || as<boost::uuids::uuid>(v)) {
    std::string s = url_value_to_string(v), out = "'";
    for (char c : s) {
      if (c == '\\' || c == '\'') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  }
  try {
    return url_value_to_string(v);
  } catch (const std::exception&) {
    return std::string("<") + v.type().name() + ">";
  }
}

}  // namespace duet::urls
