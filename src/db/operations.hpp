// The SQL that differs between backends (Django's DatabaseOperations), chosen by the query's alias through
// vendor_of() so that compiling a query needs no connection (the async path compiles on the loop thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/db/value.hpp"

namespace duet::db::detail {

enum class Vendor { sqlite, postgresql };

/// The vendor of `alias`; SQLite when the alias is not configured (yet): a query built before configure()
/// is only checked, not run, and is compiled again when it runs.
Vendor vendor_for(std::string_view alias);

class Operations {
 public:
  explicit Operations(Vendor vendor) : vendor_(vendor) {}
  Vendor vendor() const noexcept { return vendor_; }

  /// A date part of `lhs` as an integer (year, month, day, week_day 1=Sunday, hour, minute, second), or its
  /// date (date).
  std::string date_transform(std::string_view transform, const std::string& lhs) const;

  /// The condition for a pattern lookup (iexact, contains, icontains, startswith, istartswith, endswith,
  /// iendswith, regex, iregex) of `lhs` against `value`, pushing its parameter onto `params`.
  std::string pattern_lookup(std::string_view lookup, const std::string& lhs, std::string_view value,
                             std::vector<Value>& params) const;

  /// " LIMIT ? OFFSET ?" (or the parts needed), pushing its parameters.
  std::string limit_offset(std::int64_t low, std::optional<std::int64_t> high,
                           std::vector<Value>& params) const;
  /// Only the parameters of limit_offset() (a cached statement already has its SQL).
  void limit_params(std::int64_t low, std::optional<std::int64_t> high, std::vector<Value>& params) const;

  /// An aggregate call: Avg is a float on every backend, as Django's Avg over integers is.
  std::string aggregate(std::string_view function, bool distinct, const std::string& arg) const;

 private:
  Vendor vendor_;
};

}  // namespace duet::db::detail
