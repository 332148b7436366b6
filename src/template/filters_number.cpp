// Numeric filters: add, divisibleby, floatformat, filesizeformat, get_digit.
#include "filters.hpp"
#include "text.hpp"

#include <cmath>

namespace duet::templates::detail {

namespace {

using Args = const Value*;

struct Decimal {
  bool neg = false;
  std::string int_digits, frac_digits;  // no sign, no exponent
};

// A decimal number text ("-12.5", "1e+16", "1.5e-07") as positional digits.
bool parse_decimal(std::string_view s, Decimal& d) {
  if (s.empty()) return false;
  std::size_t i = 0;
  if (s[0] == '-' || s[0] == '+') d.neg = s[i++] == '-';
  std::string digits;
  int point = -1;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      if (point >= 0) return false;
      point = static_cast<int>(digits.size());
    } else if (s[i] >= '0' && s[i] <= '9') {
      digits += s[i];
    } else {
      return false;
    }
  }
  if (digits.empty()) return false;
  if (point < 0) point = static_cast<int>(digits.size());
  if (i < s.size()) {
    std::int64_t e;
    if (!parse_int(s.substr(i + 1), e) || e > 400 || e < -400) return false;
    point += static_cast<int>(e);
  }
  if (point <= 0) {
    d.int_digits = "0";
    d.frac_digits = std::string(-point, '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    d.int_digits = digits + std::string(point - digits.size(), '0');
  } else {
    d.int_digits = digits.substr(0, point);
    d.frac_digits = digits.substr(point);
  }
  auto nz = d.int_digits.find_first_not_of('0');
  d.int_digits = nz == std::string::npos ? "0" : d.int_digits.substr(nz);
  return true;
}

std::string increment(std::string digits) {
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (digits[i] == '9') {
      digits[i] = '0';
    } else {
      ++digits[i];
      return digits;
    }
  }
  return "1" + digits;
}

Value floatformat(const Value& v, const Value* arg) {
  std::string input;
  Decimal d;
  switch (v.kind()) {
    case Value::Kind::Int:
      input = v.str();
      break;
    case Value::Kind::Float:
      input = python_float_repr(v.as_double());
      break;
    default: {
      auto f = py_float(v);
      if (!f) return Value(std::string());
      input = python_float_repr(*f);
      if (v.is_string()) {
        std::string quoted;
        python_str_repr(quoted, v.string_view());
        if (!std::isfinite(*f)) return Value(input);
        if (!parse_decimal(input, d)) return Value(std::string());
        input = quoted;
      }
    }
  }
  if (d.int_digits.empty()) {
    if (input == "inf" || input == "-inf" || input == "nan") return Value(input);
    if (!parse_decimal(input, d)) return Value(std::string());
  }
  std::int64_t p = -1;
  if (arg) {
    std::string a = arg->str();
    if (!a.empty() && a.back() == 'g') {
      a.pop_back();
      if (a.empty()) a = "-1";
    }
    if (arg->is_number()) {
      p = py_int(*arg).value_or(-1);
    } else if (!parse_int(a, p)) {
      return Value(input);
    }
  }
  bool has_fraction = d.frac_digits.find_first_not_of('0') != std::string::npos;
  if (!has_fraction && p < 0) {
    bool zero = d.int_digits == "0";
    return Value::safe((d.neg && !zero ? "-" : "") + d.int_digits);
  }
  std::size_t q = static_cast<std::size_t>(p < 0 ? -p : p);
  if (q > 400) return Value(input);
  std::string frac = d.frac_digits;
  std::string whole = d.int_digits + frac.substr(0, std::min(q, frac.size()));
  if (frac.size() < q) whole += std::string(q - frac.size(), '0');
  if (frac.size() > q && frac[q] >= '5') whole = increment(whole);  // ROUND_HALF_UP
  std::string ip = whole.substr(0, whole.size() - q), fp = whole.substr(whole.size() - q);
  if (ip.empty()) ip = "0";
  bool zero =
      ip.find_first_not_of('0') == std::string::npos && fp.find_first_not_of('0') == std::string::npos;
  std::string out = (d.neg && !zero ? "-" : "") + ip;
  if (q) out += "." + fp;
  return Value::safe(out);
}

}  // namespace

void register_number_filters(Library& l) {
  add(l, "add", FilterArg::Required, false, [](const Value& v, Args a, bool) -> Value {
    auto x = py_int(v), y = py_int(*a);
    if (x && y) return Value(*x + *y);
    if (v.is_string() && a->is_string())
      return Value(std::string(v.string_view()) + std::string(a->string_view()));
    if (v.is_number() && a->is_number()) return Value(v.as_double() + a->as_double());
    bool seq_a = v.list() || (v.json() && v.json()->is_array());
    bool seq_b = a->list() || (a->json() && a->json()->is_array());
    if (seq_a && seq_b) {
      List x1, y1;
      v.items(x1);
      a->items(y1);
      x1.insert(x1.end(), y1.begin(), y1.end());
      return Value(std::move(x1));
    }
    return Value(std::string());
  });
  add(l, "divisibleby", FilterArg::Required, false, [](const Value& v, Args a, bool) -> Value {
    auto x = py_int(v), y = py_int(*a);
    if (!x || !y || *y == 0) return Value(std::string());
    return Value(*x % *y == 0);
  });
  add(l, "floatformat", FilterArg::Optional, true,
      [](const Value& v, Args a, bool) { return floatformat(v, a); });
  add(l, "filesizeformat", FilterArg::None, true, [](const Value& v, Args, bool) {
    const char* nbsp = "\xc2\xa0";
    auto b = py_int(v);
    if (!b || (v.is_string() && !py_int(v))) return Value(std::string("0") + nbsp + "bytes");
    std::int64_t bytes = *b;
    bool negative = bytes < 0;
    if (negative) bytes = -bytes;
    std::string out;
    const double KB = 1024.0, MB = KB * 1024, GB = MB * 1024, TB = GB * 1024, PB = TB * 1024;
    auto fmt = [&](double x, const char* unit) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f", x);
      return std::string(buf) + nbsp + unit;
    };
    auto db = static_cast<double>(bytes);
    if (db < KB)
      out = std::to_string(bytes) + nbsp + (bytes == 1 ? "byte" : "bytes");
    else if (db < MB)
      out = fmt(db / KB, "KB");
    else if (db < GB)
      out = fmt(db / MB, "MB");
    else if (db < TB)
      out = fmt(db / GB, "GB");
    else if (db < PB)
      out = fmt(db / TB, "TB");
    else
      out = fmt(db / PB, "PB");
    return Value(negative ? "-" + out : out);
  });
  add(l, "get_digit", FilterArg::Required, false, [](const Value& v, Args a, bool) -> Value {
    auto x = py_int(v), n = py_int(*a);
    if (!x || !n || v.kind() == Value::Kind::Float) return v;
    if (*n < 1) return v;
    std::string s = std::to_string(*x);
    if (static_cast<std::size_t>(*n) > s.size()) return Value(0);
    char c = s[s.size() - *n];
    if (c < '0' || c > '9') return v;
    return Value(c - '0');
  });
}

}  // namespace duet::templates::detail
