#include "operations.hpp"

#include "duet/db/exceptions.hpp"
#include "duet/db/settings.hpp"

namespace duet::db::detail {

Vendor vendor_for(std::string_view alias) {
  try {
    return vendor_of(alias) == "postgresql" ? Vendor::postgresql : Vendor::sqlite;
  } catch (const ImproperlyConfigured&) {
    return Vendor::sqlite;
  }
}

namespace {

// LIKE's wildcards and its escape character, escaped with a backslash (the ESCAPE character on SQLite,
// LIKE's default one on PostgreSQL).
std::string like_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// SQLite's LIKE ignores ASCII case, so its case-sensitive lookups use GLOB, whose wildcards are *, ? and [.
std::string glob_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Operations::date_transform(std::string_view t, const std::string& lhs) const {
  if (vendor_ == Vendor::postgresql) {
    // The session runs in UTC (as Django's does with USE_TZ), so timestamptz parts are UTC parts. EXTRACT
    // gives numeric; the parts are integers (seconds truncated, as strftime('%S') does).
    if (t == "date") return "(" + lhs + ")::date";
    if (t == "week_day") return "(CAST(EXTRACT(DOW FROM " + lhs + ") AS INTEGER) + 1)";
    if (t == "second") return "CAST(FLOOR(EXTRACT(SECOND FROM " + lhs + ")) AS INTEGER)";
    std::string part = t == "year"    ? "YEAR"
                       : t == "month" ? "MONTH"
                       : t == "day"   ? "DAY"
                       : t == "hour"  ? "HOUR"
                                      : "MINUTE";
    return "CAST(EXTRACT(" + part + " FROM " + lhs + ") AS INTEGER)";
  }
  if (t == "year") return "CAST(strftime('%Y', " + lhs + ") AS INTEGER)";
  if (t == "month") return "CAST(strftime('%m', " + lhs + ") AS INTEGER)";
  if (t == "day") return "CAST(strftime('%d', " + lhs + ") AS INTEGER)";
  if (t == "week_day") return "(CAST(strftime('%w', " + lhs + ") AS INTEGER) + 1)";
  if (t == "hour") return "CAST(strftime('%H', " + lhs + ") AS INTEGER)";
  if (t == "minute") return "CAST(strftime('%M', " + lhs + ") AS INTEGER)";
  if (t == "second") return "CAST(strftime('%S', " + lhs + ") AS INTEGER)";
  return "date(" + lhs + ")";
}

std::string Operations::pattern_lookup(std::string_view lookup, const std::string& lhs,
                                       std::string_view value, std::vector<Value>& params) const {
  std::string v(value);
  if (vendor_ == Vendor::postgresql) {
    // Django's PostgreSQL lookups: the column as text, UPPER() on both sides for the i-forms.
    std::string text = lhs + "::text";
    if (lookup == "iexact") {
      params.emplace_back(v);
      return "UPPER(" + text + ") = UPPER(?)";
    }
    if (lookup == "regex" || lookup == "iregex") {
      params.emplace_back(v);
      return text + (lookup == "regex" ? " ~ ?" : " ~* ?");
    }
    bool icase = lookup[0] == 'i';
    std::string_view base = icase ? lookup.substr(1) : lookup;
    std::string pattern = like_escape(v);
    if (base == "contains") pattern = "%" + pattern + "%";
    if (base == "startswith") pattern += "%";
    if (base == "endswith") pattern = "%" + pattern;
    params.emplace_back(std::move(pattern));
    return icase ? "UPPER(" + text + ") LIKE UPPER(?)" : text + " LIKE ?";
  }
  if (lookup == "iexact") {
    params.emplace_back(like_escape(v));
    return lhs + " LIKE ? ESCAPE '\\'";
  }
  if (lookup == "regex") {
    params.emplace_back(v);
    return lhs + " REGEXP ?";
  }
  if (lookup == "iregex") {
    params.emplace_back(v);
    return "iregexp(?, " + lhs + ")";
  }
  if (lookup == "contains") {
    params.emplace_back("*" + glob_escape(v) + "*");
    return lhs + " GLOB ?";
  }
  if (lookup == "startswith") {
    params.emplace_back(glob_escape(v) + "*");
    return lhs + " GLOB ?";
  }
  if (lookup == "endswith") {
    params.emplace_back("*" + glob_escape(v));
    return lhs + " GLOB ?";
  }
  if (lookup == "icontains") {
    params.emplace_back("%" + like_escape(v) + "%");
  } else if (lookup == "istartswith") {
    params.emplace_back(like_escape(v) + "%");
  } else if (lookup == "iendswith") {
    params.emplace_back("%" + like_escape(v));
  } else {
    throw FieldError("unsupported pattern lookup '" + std::string(lookup) + "'");
  }
  return lhs + " LIKE ? ESCAPE '\\'";
}

std::string Operations::limit_offset(std::int64_t low, std::optional<std::int64_t> high,
                                     std::vector<Value>& params) const {
  limit_params(low, high, params);
  if (vendor_ == Vendor::postgresql) {
    // No LIMIT without an upper bound (SQLite's LIMIT -1 is an error here).
    std::string out;
    if (high) out += " LIMIT ?";
    if (low) out += " OFFSET ?";
    return out;
  }
  return " LIMIT ? OFFSET ?";
}

void Operations::limit_params(std::int64_t low, std::optional<std::int64_t> high,
                              std::vector<Value>& params) const {
  if (vendor_ == Vendor::postgresql) {
    if (high) params.emplace_back(*high - low);
    if (low) params.emplace_back(low);
    return;
  }
  params.emplace_back(high ? *high - low : -1);
  params.emplace_back(low);
}

std::string Operations::aggregate(std::string_view function, bool distinct, const std::string& arg) const {
  std::string call = std::string(function) + "(" + (distinct ? "DISTINCT " : "") + arg + ")";
  // PostgreSQL's AVG of integers is numeric (exact text); Django's Avg gives a float.
  if (vendor_ == Vendor::postgresql && function == "AVG") return "CAST(" + call + " AS DOUBLE PRECISION)";
  return call;
}

}  // namespace duet::db::detail
