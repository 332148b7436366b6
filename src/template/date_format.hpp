// Django's dateformat: the `date`/`time` filters and the `now` tag. Naive date-times are treated as
// being in UTC (Django with TIME_ZONE = "UTC").
#pragma once

#include "duet/template/value.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace duet::templates::detail {

// nullopt when the format asks for a time field of a date without time (Django raises TypeError there).
std::optional<std::string> try_format_date(const DateTime& d, std::string_view format);
std::string format_date(const DateTime& d, std::string_view format);
// Days since 1970-01-01 (proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d);
// Seconds since the epoch, naive time read as UTC.
std::int64_t epoch_seconds(const DateTime& d);

}  // namespace duet::templates::detail
