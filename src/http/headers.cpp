#include "duet/http/headers.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "duet/detail/byte_words.hpp"
#include "duet/http/exceptions.hpp"

namespace duet::http {
namespace {

// Compares a stored lower-case name with a lookup key where '_' means '-'.
bool lookup_equal(std::string_view stored, std::string_view key) noexcept {
  if (stored.size() != key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char k = key[i] == '_' ? '-' : ascii_lower(key[i]);
    if (stored[i] != k) return false;
  }
  return true;
}

void check_header(std::string_view name, std::string_view value) {
  if (duet::detail::any_byte_below_or_in<'\r', '\n'>(name, 0) ||
      duet::detail::any_byte_below_or_in<'\r', '\n'>(value, 0) || name.empty())
    throw BadHeaderError("Header values can't contain newlines (got '" + std::string(name) + "')");
}

}  // namespace

bool header_name_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

HttpHeaders::HttpHeaders(const std::vector<std::pair<std::string, std::string>>& raw) {
  items_.reserve(raw.size());
  for (const auto& [name, value] : raw)
    add(name, value);
}

// What a server hands over is usually stored as is: names already lower-case (ASGI's rule), none with '_',
// none repeated. Then the vector is taken whole; otherwise each pair goes through add().
HttpHeaders::HttpHeaders(std::vector<std::pair<std::string, std::string>>&& raw) {
  auto storable_as_is = [&raw] {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const std::string& name = raw[i].first;
      if (name.empty()) return false;
      for (char c : name)
        if (c == '_' || (c >= 'A' && c <= 'Z')) return false;
      for (std::size_t j = 0; j < i; ++j)
        if (raw[j].first == name) return false;
    }
    return true;
  };
  if (storable_as_is()) {
    items_ = std::move(raw);
    return;
  }
  items_.reserve(raw.size());
  for (auto& [name, value] : raw)
    add(std::move(name), std::move(value));
}

void HttpHeaders::add(std::string name, std::string value) {
  if (name.empty() || name.find('_') != std::string::npos) return;
  for (auto& c : name)
    c = ascii_lower(c);
  for (auto& item : items_) {
    if (item.first == name) {
      item.second += name == "cookie" ? "; " : ",";
      item.second += value;
      return;
    }
  }
  items_.emplace_back(std::move(name), std::move(value));
}

const std::string* HttpHeaders::find(std::string_view name) const {
  for (const auto& item : items_)
    if (lookup_equal(item.first, name)) return &item.second;
  return nullptr;
}

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  if (auto* v = find(name)) return *v;
  return std::nullopt;
}

std::string HttpHeaders::get(std::string_view name, std::string fallback) const {
  if (auto* v = find(name)) return *v;
  return fallback;
}

const std::string& HttpHeaders::operator[](std::string_view name) const {
  if (auto* v = find(name)) return *v;
  throw std::out_of_range("no header '" + std::string(name) + "'");
}

std::string HttpHeaders::to_meta_key(std::string_view name) {
  std::string key;
  for (char c : name)
    key.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (key == "CONTENT_TYPE" || key == "CONTENT_LENGTH") return key;
  return "HTTP_" + key;
}

const std::string* ResponseHeaders::find(std::string_view name) const {
  for (const auto& item : items_)
    if (header_name_equal(item.first, name)) return &item.second;
  return nullptr;
}

void ResponseHeaders::set(std::string_view name, std::string_view value) {
  check_header(name, value);
  for (auto& item : items_) {
    if (header_name_equal(item.first, name)) {
      item.second = value;
      return;
    }
  }
  // A response usually gets a few headers (Content-Type, then middleware's): one allocation for them.
  if (items_.capacity() == 0) items_.reserve(4);
  items_.emplace_back(name, value);
}

std::vector<std::pair<std::string, std::string>> ResponseHeaders::take_items() && {
  return std::exchange(items_, {});
}

void ResponseHeaders::setdefault(std::string_view name, std::string_view value) {
  if (!contains(name)) set(name, value);
}

std::optional<std::string> ResponseHeaders::get(std::string_view name) const {
  if (auto* v = find(name)) return *v;
  return std::nullopt;
}

const std::string& ResponseHeaders::operator[](std::string_view name) const {
  if (auto* v = find(name)) return *v;
  throw std::out_of_range("no header '" + std::string(name) + "'");
}

bool ResponseHeaders::contains(std::string_view name) const {
  return find(name) != nullptr;
}

bool ResponseHeaders::erase(std::string_view name) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (header_name_equal(it->first, name)) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace duet::http
