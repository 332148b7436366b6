#include "duet/db/value.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "duet/db/exceptions.hpp"

namespace duet::db {

namespace {

int parse_int(std::string_view text, std::size_t pos, std::size_t len, std::string_view whole) {
  int v = 0;
  if (pos + len > text.size()) throw DataError(fmt::format("invalid date/time value '{}'", whole));
  auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
  if (ec != std::errc{} || p != text.data() + pos + len) {
    throw DataError(fmt::format("invalid date/time value '{}'", whole));
  }
  return v;
}

const char* class_name(const Value::Storage& v) {
  static constexpr const char* names[] = {"NULL", "integer", "real", "text", "blob"};
  return names[v.index()];
}

}  // namespace

std::string format_date(Date d) {
  return fmt::format("{:04d}-{:02d}-{:02d}", int(d.year()), unsigned(d.month()), unsigned(d.day()));
}

Date parse_date(std::string_view text) {
  // YYYY-MM-DD
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') {
    throw DataError(fmt::format("invalid date value '{}'", text));
  }
  Date d{std::chrono::year(parse_int(text, 0, 4, text)), std::chrono::month(parse_int(text, 5, 2, text)),
         std::chrono::day(parse_int(text, 8, 2, text))};
  if (!d.ok()) throw DataError(fmt::format("invalid date value '{}'", text));
  return d;
}

std::string format_datetime(DateTime t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  Date d{days};
  auto us = (t - days).count();
  auto secs = us / 1000000;
  auto frac = us % 1000000;
  return fmt::format("{} {:02d}:{:02d}:{:02d}.{:06d}", format_date(d), secs / 3600, (secs / 60) % 60,
                     secs % 60, frac);
}

DateTime parse_datetime(std::string_view text) {
  Date d = parse_date(text);
  std::chrono::microseconds tod{0};
  if (text.size() > 10) {
    if ((text[10] != ' ' && text[10] != 'T') || text.size() < 19 || text[13] != ':' || text[16] != ':') {
      throw DataError(fmt::format("invalid datetime value '{}'", text));
    }
    int h = parse_int(text, 11, 2, text), m = parse_int(text, 14, 2, text), s = parse_int(text, 17, 2, text);
    if (h > 23 || m > 59 || s > 60) throw DataError(fmt::format("invalid datetime value '{}'", text));
    std::int64_t us = 0;
    std::size_t i = 19;
    if (i < text.size() && text[i] == '.') {
      ++i;
      int digits = 0;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (digits < 6) {
          us = us * 10 + (text[i] - '0');
          ++digits;
        }
        ++i;
      }
      for (; digits < 6; ++digits)
        us *= 10;
    }
    if (i < text.size() && !(text.substr(i) == "Z" || text.substr(i) == "+00:00")) {
      throw DataError(fmt::format("invalid datetime value '{}' (only UTC is stored)", text));
    }
    tod = std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(s) +
          std::chrono::microseconds(us);
  }
  return DateTime(std::chrono::sys_days(d)) + tod;
}

Value::Value(const boost::json::value& json) : v_(boost::json::serialize(json)) {}

std::int64_t Value::as_int() const {
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (auto* d = std::get_if<double>(&v_)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec == std::errc{} && p == s->data() + s->size()) return v;
  }
  throw DataError(fmt::format("cannot convert {} value {} to an integer", class_name(v_), repr()));
}

double Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) {
    try {
      std::size_t used = 0;
      double v = std::stod(*s, &used);
      if (used == s->size()) return v;
    } catch (const std::exception&) {
    }
  }
  throw DataError(fmt::format("cannot convert {} value {} to a float", class_name(v_), repr()));
}

std::string Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v_)) return fmt::format("{}", *d);
  if (auto* b = std::get_if<Blob>(&v_)) return std::string(b->begin(), b->end());
  throw DataError("cannot convert NULL to a string");
}

const Blob& Value::as_blob() const {
  if (auto* b = std::get_if<Blob>(&v_)) return *b;
  throw DataError(fmt::format("cannot convert {} value {} to bytes", class_name(v_), repr()));
}

boost::json::value Value::as_json() const {
  if (is_null()) return nullptr;
  std::string text = as_string();
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) throw DataError(fmt::format("invalid JSON stored: {}", ec.message()));
  return v;
}

boost::json::value Value::to_json() const {
  return std::visit(
      [](const auto& v) -> boost::json::value {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<V, Blob>) {
          std::string hex;
          for (unsigned char c : v)
            hex += fmt::format("{:02x}", c);
          return boost::json::string(hex);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return boost::json::string(v);
        } else {
          return v;
        }
      },
      v_);
}

std::string Value::repr() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<V, Blob>) {
          return fmt::format("<{} bytes>", v.size());
        } else if constexpr (std::is_same_v<V, std::string>) {
          return "'" + (v.size() > 60 ? v.substr(0, 57) + "..." : v) + "'";
        } else {
          return fmt::format("{}", v);
        }
      },
      v_);
}

}  // namespace duet::db
