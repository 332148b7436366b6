// Filters over values and sequences: default, length, first/last, join, dictsort, yesno, pluralize, ...
#include "date_format.hpp"
#include "filters.hpp"
#include "text.hpp"

#include <algorithm>
#include <random>

namespace duet::templates::detail {

namespace {

using Args = const Value*;

// Django's _property_resolver: an index or a dotted lookup.
bool resolve_property(const Value& item, const std::string& path, Value& out) {
  Value cur = item;
  std::size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty() || part[0] == '_') return false;
    Value next;
    if (!cur.lookup(part, next)) return false;
    cur = next.resolved();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  out = cur;
  return true;
}

Value dictsort(const Value& v, const Value& arg, bool reverse) {
  List items;
  if (!v.items(items) || v.is_string()) return Value(std::string());
  std::string path = arg.str();
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& i : items) {
    Value k;
    if (!resolve_property(i, path, k)) return Value(std::string());
    keyed.emplace_back(std::move(k), i);
  }
  bool error = false;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    auto c = reverse ? Value::compare(b.first, a.first) : Value::compare(a.first, b.first);
    if (!c) error = true;
    return c && *c < 0;
  });
  if (error) return Value(std::string());
  List out;
  for (auto& [k, i] : keyed)
    out.push_back(std::move(i));
  return Value(std::move(out));
}

std::string fmt_time(const Value& v, const Value* a, const char* def) {
  const DateTime* d = v.datetime();
  if (!d) return std::string();
  std::string f = a ? a->str() : def;
  if (f == "DATE_FORMAT")
    f = "N j, Y";
  else if (f == "DATETIME_FORMAT")
    f = "N j, Y, P";
  else if (f == "TIME_FORMAT")
    f = "P";
  else if (f == "SHORT_DATE_FORMAT")
    f = "m/d/Y";
  else if (f == "SHORT_DATETIME_FORMAT")
    f = "m/d/Y P";
  else if (f == "YEAR_MONTH_FORMAT")
    f = "F Y";
  else if (f == "MONTH_DAY_FORMAT")
    f = "F j";
  auto r = try_format_date(*d, f);
  return r ? *r : std::string();
}

// Django's timesince: the two largest adjacent units, "0 minutes" when not positive.
std::string timesince(const DateTime& d, const DateTime& now) {
  std::int64_t delta = epoch_seconds(now) - epoch_seconds(d);
  if (!d.has_time || !now.has_time) {
    delta = (days_from_civil(now.year, now.month, now.day) - days_from_civil(d.year, d.month, d.day)) * 86400;
  }
  if (delta <= 0) return "0\xc2\xa0minutes";
  static const std::pair<std::int64_t, const char*> chunks[] = {{60 * 60 * 24 * 365, "year"},
                                                                {60 * 60 * 24 * 30, "month"},
                                                                {60 * 60 * 24 * 7, "week"},
                                                                {60 * 60 * 24, "day"},
                                                                {60 * 60, "hour"},
                                                                {60, "minute"}};
  // Leap days are not counted in the years (Django subtracts them).
  std::int64_t leapdays = 0;
  for (int y = d.year; y < now.year; ++y)
    leapdays += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
  if (d.year < now.year) {
    // Django: calendar.leapdays(d.year, now.year), adjusted when d is after Feb in a leap year, etc.
    bool dl = (d.year % 4 == 0 && (d.year % 100 != 0 || d.year % 400 == 0));
    bool nl = (now.year % 4 == 0 && (now.year % 100 != 0 || now.year % 400 == 0));
    if (dl && d.month > 2) --leapdays;
    if (nl && now.month > 2) ++leapdays;
  }
  std::int64_t since = delta - leapdays * 86400;
  auto unit = [](std::int64_t n, const char* name) {
    return std::to_string(n) + "\xc2\xa0" + name + (n == 1 ? "" : "s");
  };
  for (std::size_t i = 0; i < 6; ++i) {
    std::int64_t count = since / chunks[i].first;
    if (count == 0) continue;
    std::string out = unit(count, chunks[i].second);
    if (i + 1 < 6) {
      std::int64_t count2 = (since - chunks[i].first * count) / chunks[i + 1].first;
      if (count2 != 0) out += ", " + unit(count2, chunks[i + 1].second);
    }
    return out;
  }
  return "0\xc2\xa0minutes";
}

}  // namespace

void register_list_filters(Library& l) {
  add(l, "default", FilterArg::Required, false,
      [](const Value& v, Args a, bool) { return v.truthy() ? v : *a; });
  add(l, "default_if_none", FilterArg::Required, false,
      [](const Value& v, Args a, bool) { return v.is_none() ? *a : v; });
  add(l, "length", FilterArg::None, true, [](const Value& v, Args, bool) {
    auto n = v.length();
    return Value(static_cast<std::int64_t>(n.value_or(0)));
  });
  add(l, "length_is", FilterArg::Required, false, [](const Value& v, Args a, bool) {
    auto n = v.length();
    auto want = py_int(*a);
    if (!n || !want) return Value(std::string());
    return Value(static_cast<std::int64_t>(*n) == *want);
  });
  add(l, "first", FilterArg::None, false, [](const Value& v, Args, bool) {
    Value out;
    if (v.is_string() || v.list() || (v.json() && v.json()->is_array()) || v.kind() == Value::Kind::Object)
      if (v.lookup("0", out)) return out;
    return Value(std::string());
  });
  add(l, "last", FilterArg::None, true, [](const Value& v, Args, bool) {
    Value out;
    if (v.is_string() || v.list() || (v.json() && v.json()->is_array()) || v.kind() == Value::Kind::Object)
      if (v.lookup("-1", out)) return out;
    return Value(std::string());
  });
  add(l, "random", FilterArg::None, true, [](const Value& v, Args, bool) {
    List items;
    if (!v.items(items) || items.empty()) return Value(std::string());
    static thread_local std::mt19937 rng{std::random_device{}()};
    return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
  });
  add(l, "join", FilterArg::Required, true, [](const Value& v, Args a, bool ae) {
    List items;
    if (!v.items(items)) return v;
    std::string sep = a->is_safe() ? a->str() : escape(a->str());
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += sep;
      if (ae && !items[i].is_safe())
        out += escape(items[i].str());
      else
        out += items[i].str();
    }
    return Value::safe(out);
  });
  add(l, "dictsort", FilterArg::Required, false,
      [](const Value& v, Args a, bool) { return dictsort(v, *a, false); });
  add(l, "dictsortreversed", FilterArg::Required, false,
      [](const Value& v, Args a, bool) { return dictsort(v, *a, true); });
  add(l, "yesno", FilterArg::Optional, false, [](const Value& v, Args a, bool) {
    std::string arg = a ? a->str() : "yes,no,maybe";
    std::vector<std::string> bits;
    std::size_t pos = 0;
    while (true) {
      auto c = arg.find(',', pos);
      bits.push_back(arg.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
      if (c == std::string::npos) break;
      pos = c + 1;
    }
    if (bits.size() < 2) return v;
    std::string yes = bits[0], no = bits[1], maybe = bits.size() == 3 ? bits[2] : bits[1];
    if (v.is_none()) return Value(maybe);
    return Value(v.truthy() ? yes : no);
  });
  add(l, "pluralize", FilterArg::Optional, false, [](const Value& v, Args a, bool) {
    std::string arg = a ? a->str() : "s";
    if (arg.find(',') == std::string::npos) arg = "," + arg;
    auto c = arg.find(',');
    if (arg.find(',', c + 1) != std::string::npos) return Value(std::string());
    std::string singular = arg.substr(0, c), plural = arg.substr(c + 1);
    if (v.is_number()) return Value(py_float(v).value() == 1 ? singular : plural);
    if (v.is_string()) {
      auto d = py_float(v);
      if (!d) return Value(std::string());
      return Value(*d == 1 ? singular : plural);
    }
    if (auto n = v.length()) return Value(*n == 1 ? singular : plural);
    return Value(std::string());
  });
  add(l, "date", FilterArg::Optional, false,
      [](const Value& v, Args a, bool) { return Value(fmt_time(v, a, "N j, Y")); });
  add(l, "time", FilterArg::Optional, false, [](const Value& v, Args a, bool) {
    const DateTime* d = v.datetime();
    if (!d || !d->has_time) return Value(std::string());
    return Value(fmt_time(v, a, "P"));
  });
  add(l, "timesince", FilterArg::Optional, false, [](const Value& v, Args a, bool) {
    const DateTime* d = v.datetime();
    if (!d) return Value(std::string());
    const DateTime* now = a ? a->datetime() : nullptr;
    return Value(timesince(*d, now ? *now : DateTime::now()));
  });
  add(l, "timeuntil", FilterArg::Optional, false, [](const Value& v, Args a, bool) {
    const DateTime* d = v.datetime();
    if (!d) return Value(std::string());
    const DateTime* now = a ? a->datetime() : nullptr;
    return Value(timesince(now ? *now : DateTime::now(), *d));
  });
}

}  // namespace duet::templates::detail
