// Variables and filter expressions: literal parsing, dotted lookup, filter application, output.
#include "date_format.hpp"
#include "nodes.hpp"
#include "text.hpp"

#include <stdexcept>

namespace duet::templates::detail {

namespace {
// Django's unescape_string_literal; false when `s` is not a quoted literal.
bool unquote(std::string_view s, std::string& out) {
  if (s.size() < 2 || (s[0] != '"' && s[0] != '\'') || s.back() != s[0]) return false;
  char q = s[0];
  std::string_view body = s.substr(1, s.size() - 2);
  out.clear();
  // .replace('\\' + quote, quote).replace('\\\\', '\\'), in that order.
  std::string tmp;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == q) {
      tmp.push_back(q);
      ++i;
    } else {
      tmp.push_back(body[i]);
    }
  }
  for (std::size_t i = 0; i < tmp.size(); ++i) {
    if (tmp[i] == '\\' && i + 1 < tmp.size() && tmp[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else {
      out.push_back(tmp[i]);
    }
  }
  return true;
}
}  // namespace

Operand Operand::parse(std::string_view text) {
  Operand op;
  op.text_ = std::string(text);
  if (text.empty()) throw std::invalid_argument("Empty variable");
  bool floaty = false;
  for (char c : text)
    floaty |= c == '.' || c == 'e' || c == 'E';
  if (floaty) {
    double d;
    if (parse_float(text, d) && text.back() != '.') {
      op.literal_ = Value(d);
      return op;
    }
  } else {
    std::int64_t i;
    if (parse_int(text, i)) {
      op.literal_ = Value(i);
      return op;
    }
  }
  std::string_view var = text;
  if (var.size() >= 3 && var.substr(0, 2) == "_(" && var.back() == ')') var = var.substr(2, var.size() - 3);
  std::string lit;
  if (unquote(var, lit)) {
    op.literal_ = Value::safe(std::move(lit));
    return op;
  }
  if (var.find("._") != std::string_view::npos || var[0] == '_')
    throw std::invalid_argument("Variables and attributes may not begin with underscores: '" +
                                std::string(var) + "'");
  std::size_t start = 0;
  while (true) {
    std::size_t dot = var.find('.', start);
    op.parts_.emplace_back(var.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return op;
}

bool Operand::resolve(const Context& context, Value& out) const {
  if (literal_) {
    out = *literal_;
    return true;
  }
  const Value* root = context.find(parts_[0]);
  if (!root) return false;
  if (parts_.size() == 1) {
    out = root->kind() == Value::Kind::Callable ? root->resolved() : *root;
    return true;
  }
  // Walk from the context's value without copying it; only the looked-up values are materialized.
  Value callable_result;
  const Value* cur = root;
  if (root->kind() == Value::Kind::Callable) {
    callable_result = root->resolved();
    cur = &callable_result;
  }
  Value next;
  for (std::size_t i = 1; i < parts_.size(); ++i) {
    if (!cur->lookup(parts_[i], next)) return false;
    if (next.kind() == Value::Kind::Callable) next = next.resolved();
    out = std::move(next);
    cur = &out;
  }
  return true;
}

Value FilterExpression::resolve(Context& context, bool ignore_failures) const {
  Value obj;
  if (!var_.resolve(context, obj)) {
    if (ignore_failures) {
      obj = Value();
    } else {
      const std::string& sii = engine_->options.string_if_invalid;
      if (!sii.empty()) {
        auto p = sii.find("%s");
        if (p == std::string::npos) return Value(sii);
        std::string s = sii;
        s.replace(p, 2, var_.text());
        return Value(s);
      }
      obj = Value(std::string());
    }
  }
  for (const auto& f : filters_) {
    Value arg;
    const Value* argp = nullptr;
    if (f.arg) {
      // A missing argument variable is an error in Django (VariableDoesNotExist); here it is the invalid
      // string, which keeps rendering going.
      if (!f.arg->resolve(context, arg)) arg = Value(engine_->options.string_if_invalid);
      argp = &arg;
    }
    Value next = f.def->fn(obj, argp, context.autoescape());
    if (f.def->is_safe && obj.is_safe()) {
      if (!next.is_string()) next = Value(next.str());
      next = next.with_safe(true);
    }
    obj = std::move(next);
  }
  return obj;
}

namespace {
// numberformat.format() prints floats with an exponent in positional notation.
std::string float_for_output(double d) {
  std::string r = python_float_repr(d);
  auto e = r.find('e');
  if (e == std::string::npos) return r;
  std::string sign;
  std::string mant = r.substr(0, e);
  if (mant[0] == '-') {
    sign = "-";
    mant.erase(0, 1);
  }
  int exp = std::stoi(r.substr(e + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  int point = 1 + exp;  // digits before the decimal point
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(-point, '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out = digits + std::string(point - digits.size(), '0');
  } else {
    out = digits.substr(0, point) + "." + digits.substr(point);
  }
  return sign + out;
}
}  // namespace

void render_value(const Value& v, const Context& context, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::String:
      if (context.autoescape() && !v.is_safe())
        escape_append(out, v.string_view());
      else
        out.append(v.string_view());
      return;
    case Value::Kind::Int:
    case Value::Kind::Bool:
    case Value::Kind::None:
      v.append_str(out);
      return;
    case Value::Kind::Float:
      out += float_for_output(v.as_double());
      return;
    case Value::Kind::DateTime: {
      const DateTime& d = *v.datetime();
      std::string s = format_date(d, d.has_time ? "N j, Y, P" : "N j, Y");
      if (context.autoescape())
        escape_append(out, s);
      else
        out += s;
      return;
    }
    default: {
      std::string s = v.str();
      if (context.autoescape())
        escape_append(out, s);
      else
        out += s;
    }
  }
}

}  // namespace duet::templates::detail
