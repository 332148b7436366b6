#include "date_format.hpp"

#include <cstdio>

namespace duet::templates::detail {

namespace {
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kMonthsAp[] = {"Jan.", "Feb.", "March", "April", "May",  "June",
                                 "July", "Aug.", "Sept.", "Oct.",  "Nov.", "Dec."};
const char* const kDays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}
// Monday = 0, as Python's weekday().
int weekday(const DateTime& d) {
  auto days = days_from_civil(d.year, d.month, d.day);
  return static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
}
int day_of_year(const DateTime& d) {
  return static_cast<int>(days_from_civil(d.year, d.month, d.day) - days_from_civil(d.year, 1, 1)) + 1;
}
// ISO 8601 (year, week).
std::pair<int, int> iso_week(const DateTime& d) {
  int wd = weekday(d);  // 0..6
  auto days = days_from_civil(d.year, d.month, d.day);
  auto thursday = days - wd + 3;
  // Year of that Thursday.
  int y = d.year;
  if (thursday < days_from_civil(y, 1, 1))
    --y;
  else if (thursday >= days_from_civil(y + 1, 1, 1))
    ++y;
  int week = static_cast<int>((thursday - days_from_civil(y, 1, 1)) / 7) + 1;
  return {y, week};
}
std::string two(int v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}
int hour12(int h) {
  return h % 12 == 0 ? 12 : h % 12;
}
std::string ampm(const DateTime& d) {
  return d.hour > 11 ? "p.m." : "a.m.";
}
std::string f_fmt(const DateTime& d) {
  if (d.minute == 0) return std::to_string(hour12(d.hour));
  return std::to_string(hour12(d.hour)) + ":" + two(d.minute);
}
}  // namespace

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t epoch_seconds(const DateTime& d) {
  return days_from_civil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 + d.second;
}

std::optional<std::string> try_format_date(const DateTime& d, std::string_view fmt) {
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '\\') {
      if (i + 1 < fmt.size()) out += fmt[++i];
      continue;
    }
    if (!d.has_time && std::string_view("aAefgGhHiIOPsTuUZ").find(c) != std::string_view::npos) {
      // Django: "The format for date objects may not contain time-related format specifiers".
      return std::nullopt;
    }
    switch (c) {
      case 'a':
        out += ampm(d);
        break;
      case 'A':
        out += d.hour > 11 ? "PM" : "AM";
        break;
      case 'b': {
        std::string m = kMonths[d.month - 1];
        for (int k = 0; k < 3; ++k)
          out += static_cast<char>(m[k] | 0x20);
        break;
      }
      case 'c': {
        char b[64];
        if (d.has_time) {
          std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d", d.year, d.month, d.day, d.hour,
                        d.minute, d.second);
          out += b;
          if (d.microsecond) {
            std::snprintf(b, sizeof b, ".%06d", d.microsecond);
            out += b;
          }
        } else {
          std::snprintf(b, sizeof b, "%04d-%02d-%02d", d.year, d.month, d.day);
          out += b;
        }
        break;
      }
      case 'd':
        out += two(d.day);
        break;
      case 'D':
        out += std::string(kDays[weekday(d)]).substr(0, 3);
        break;
      case 'e':
        break;
      case 'E':
      case 'F':
        out += kMonths[d.month - 1];
        break;
      case 'f':
        out += f_fmt(d);
        break;
      case 'g':
        out += std::to_string(hour12(d.hour));
        break;
      case 'G':
        out += std::to_string(d.hour);
        break;
      case 'h':
        out += two(hour12(d.hour));
        break;
      case 'H':
        out += two(d.hour);
        break;
      case 'i':
        out += two(d.minute);
        break;
      case 'I':
        out += "0";
        break;
      case 'j':
        out += std::to_string(d.day);
        break;
      case 'l':
        out += kDays[weekday(d)];
        break;
      case 'L':
        out += leap(d.year) ? "True" : "False";
        break;
      case 'm':
        out += two(d.month);
        break;
      case 'M':
        out += std::string(kMonths[d.month - 1]).substr(0, 3);
        break;
      case 'n':
        out += std::to_string(d.month);
        break;
      case 'N':
        out += kMonthsAp[d.month - 1];
        break;
      case 'o':
        out += std::to_string(iso_week(d).first);
        break;
      case 'O':
        out += "+0000";
        break;
      case 'P':
        if (d.minute == 0 && d.hour == 0)
          out += "midnight";
        else if (d.minute == 0 && d.hour == 12)
          out += "noon";
        else
          out += f_fmt(d) + " " + ampm(d);
        break;
      case 'r': {
        if (!d.has_time) return std::nullopt;
        auto s = try_format_date(d, "D, d M Y H:i:s O");
        out += *s;
        break;
      }
      case 's':
        out += two(d.second);
        break;
      case 'S': {
        int day = d.day;
        if (day == 11 || day == 12 || day == 13)
          out += "th";
        else
          out += day % 10 == 1 ? "st" : day % 10 == 2 ? "nd" : day % 10 == 3 ? "rd" : "th";
        break;
      }
      case 't':
        out += std::to_string(days_in_month(d.year, d.month));
        break;
      case 'T':
        out += "UTC";
        break;
      case 'u': {
        char b[16];
        std::snprintf(b, sizeof b, "%06d", d.microsecond);
        out += b;
        break;
      }
      case 'U':
        out += std::to_string(epoch_seconds(d));
        break;
      case 'w':
        out += std::to_string((weekday(d) + 1) % 7);
        break;
      case 'W':
        out += std::to_string(iso_week(d).second);
        break;
      case 'y':
        out += two(d.year % 100);
        break;
      case 'Y':
        out += std::to_string(d.year);
        break;
      case 'z':
        out += std::to_string(day_of_year(d));
        break;
      case 'Z':
        out += "0";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_date(const DateTime& d, std::string_view format) {
  auto r = try_format_date(d, format);
  return r ? *r : std::string();
}

}  // namespace duet::templates::detail
