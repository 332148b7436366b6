#include "duet/conf/settings.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace duet::conf {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool parse_bool(const std::string& name, const std::string& value) {
  auto v = lower(trim(value));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) return false;
  throw ImproperlyConfigured(name + ": expected a boolean (1/0, true/false, yes/no, on/off), got '" + value +
                             "'");
}

std::size_t parse_size(const std::string& name, const std::string& value) {
  auto v = trim(value);
  std::size_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
    throw ImproperlyConfigured(name + ": expected a non-negative integer, got '" + value + "'");
  return out;
}

std::optional<std::size_t> parse_limit(const std::string& name, const std::string& value) {
  auto v = lower(trim(value));
  if (v == "none" || v == "") return std::nullopt;
  return parse_size(name, value);
}

std::vector<std::string> parse_list(const std::string& value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    auto item = trim(std::string_view(value).substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::atomic<std::shared_ptr<const Settings>>& global() {
  static std::atomic<std::shared_ptr<const Settings>> instance{std::make_shared<const Settings>()};
  return instance;
}

}  // namespace

const std::vector<std::string>& Settings::environment_names() {
  static const std::vector<std::string> names = {"DEBUG",
                                                 "ALLOWED_HOSTS",
                                                 "SECRET_KEY",
                                                 "MIDDLEWARE",
                                                 "ROOT_URLCONF",
                                                 "APPEND_SLASH",
                                                 "PREPEND_WWW",
                                                 "DATA_UPLOAD_MAX_MEMORY_SIZE",
                                                 "DATA_UPLOAD_MAX_NUMBER_FIELDS",
                                                 "DATA_UPLOAD_MAX_NUMBER_FILES",
                                                 "FILE_UPLOAD_MAX_MEMORY_SIZE",
                                                 "FILE_UPLOAD_TEMP_DIR",
                                                 "USE_X_FORWARDED_HOST",
                                                 "USE_X_FORWARDED_PORT",
                                                 "SECURE_PROXY_SSL_HEADER",
                                                 "DEFAULT_CHARSET"};
  return names;
}

void Settings::apply_environment(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  for (const auto& name : environment_names()) {
    const std::string var = "DUET_" + name;
    auto value = getenv(var);
    if (!value) continue;
    const std::string& v = *value;
    if (name == "DEBUG")
      DEBUG = parse_bool(var, v);
    else if (name == "ALLOWED_HOSTS")
      ALLOWED_HOSTS = parse_list(v);
    else if (name == "SECRET_KEY")
      SECRET_KEY = v;
    else if (name == "MIDDLEWARE")
      MIDDLEWARE = parse_list(v);
    else if (name == "ROOT_URLCONF")
      ROOT_URLCONF = trim(v);
    else if (name == "APPEND_SLASH")
      APPEND_SLASH = parse_bool(var, v);
    else if (name == "PREPEND_WWW")
      PREPEND_WWW = parse_bool(var, v);
    else if (name == "DATA_UPLOAD_MAX_MEMORY_SIZE")
      DATA_UPLOAD_MAX_MEMORY_SIZE = parse_limit(var, v);
    else if (name == "DATA_UPLOAD_MAX_NUMBER_FIELDS")
      DATA_UPLOAD_MAX_NUMBER_FIELDS = parse_limit(var, v);
    else if (name == "DATA_UPLOAD_MAX_NUMBER_FILES")
      DATA_UPLOAD_MAX_NUMBER_FILES = parse_limit(var, v);
    else if (name == "FILE_UPLOAD_MAX_MEMORY_SIZE")
      FILE_UPLOAD_MAX_MEMORY_SIZE = parse_size(var, v);
    else if (name == "FILE_UPLOAD_TEMP_DIR")
      FILE_UPLOAD_TEMP_DIR = trim(v);
    else if (name == "USE_X_FORWARDED_HOST")
      USE_X_FORWARDED_HOST = parse_bool(var, v);
    else if (name == "USE_X_FORWARDED_PORT")
      USE_X_FORWARDED_PORT = parse_bool(var, v);
    else if (name == "SECURE_PROXY_SSL_HEADER") {
      auto parts = parse_list(v);
      if (parts.empty()) {
        SECURE_PROXY_SSL_HEADER.reset();
      } else if (parts.size() == 2) {
        SECURE_PROXY_SSL_HEADER = std::pair{parts[0], parts[1]};
      } else {
        throw ImproperlyConfigured(
            var + ": expected 'HEADER,value' (e.g. HTTP_X_FORWARDED_PROTO,https), got '" + v + "'");
      }
    } else if (name == "DEFAULT_CHARSET") {
      DEFAULT_CHARSET = trim(v);
    }
  }
}

void Settings::apply_environment() {
  apply_environment([](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  });
}

std::shared_ptr<const Settings> settings() {
  return global().load(std::memory_order_acquire);
}

void configure(Settings s) {
  global().store(std::make_shared<const Settings>(std::move(s)), std::memory_order_release);
}

SettingsOverride::SettingsOverride(Settings s) : previous_(settings()) {
  configure(std::move(s));
}
SettingsOverride::~SettingsOverride() {
  global().store(previous_, std::memory_order_release);
}

bool is_sensitive_setting(std::string_view name) {
  auto upper = std::string(name);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (std::string_view marker : {"API", "KEY", "PASS", "SECRET", "SIGNATURE", "TOKEN"})
    if (upper.find(marker) != std::string::npos) return true;
  return false;
}

}  // namespace duet::conf
