#include "pattern.hpp"

#include <algorithm>
#include <cctype>

#include "regex_helper.hpp"

namespace duet::urls {
namespace {

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80))
      return false;
  return true;
}

}  // namespace

boost::regex compile_python_regex(std::string_view python, std::vector<std::string>* group_names) {
  try {
    return boost::regex(detail::translate_regex(python, group_names), boost::regex::perl);
  } catch (const boost::regex_error& e) {
    throw conf::ImproperlyConfigured("\"" + std::string(python) +
                                     "\" is not a valid regular expression: " + e.what());
  }
}

std::optional<Pattern::Match> Pattern::match(std::string_view path) const {
  if (literal) {
    // The regex would be "^" + the escaped route (+ "\\Z" for an endpoint): the same as these comparisons.
    if (!matches_literal(path)) return std::nullopt;
    return Match{literal->size(), {}, {}};
  }
  if (!path.starts_with(required_prefix)) return std::nullopt;
  if (scanned) return scan(path);
  boost::cmatch m;
  const char* begin = path.data();
  const char* end = path.data() + path.size();
  bool full = is_endpoint && !is_route && !regex_source.empty() && regex_source.back() == '$';
  bool ok = full ? boost::regex_match(begin, end, m, regex, kPythonMatchFlags)
                 : boost::regex_search(begin, end, m, regex, kPythonMatchFlags);
  if (!ok) return std::nullopt;
  Match out;
  out.end = static_cast<std::size_t>(m[0].second - begin);
  bool any_named = false;
  for (std::size_t g = 0; g < group_names.size() && g + 1 < m.size(); ++g) {
    if (!group_names[g].empty() && m[g + 1].matched) any_named = true;
  }
  for (std::size_t g = 0; g < group_names.size() && g + 1 < m.size(); ++g) {
    const auto& sub = m[g + 1];
    if (!sub.matched) continue;
    std::string text = sub.str();
    const auto& name = group_names[g];
    if (name.empty()) {
      if (!any_named) out.args.push_back(std::move(text));
      continue;
    }
    if (auto it = converters.find(name); it != converters.end()) {
      try {
        out.kwargs.emplace_back(name, it->second->to_value(text));
      } catch (const std::invalid_argument&) {
        return std::nullopt;  // Django: a converter's ValueError means "no match"
      }
    } else {
      out.kwargs.emplace_back(name, std::move(text));
    }
  }
  return out;
}

namespace {

bool in_class(Pattern::CharClass chars, char c) {
  switch (chars) {
    case Pattern::CharClass::digit:
      return c >= '0' && c <= '9';
    case Pattern::CharClass::not_slash:
      return c != '/';
    case Pattern::CharClass::slug:
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
             c == '_';
  }
  return false;
}

std::optional<Pattern::CharClass> char_class_of(const std::string& converter_regex) {
  if (converter_regex == "[0-9]+") return Pattern::CharClass::digit;
  if (converter_regex == "[^/]+") return Pattern::CharClass::not_slash;
  if (converter_regex == "[-a-zA-Z0-9_]+") return Pattern::CharClass::slug;
  return std::nullopt;
}

}  // namespace

std::optional<Pattern::Match> Pattern::scan(std::string_view path) const {
  std::size_t pos = 0;
  std::string_view values[16];  // make_route_pattern scans routes of at most this many converters
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    if (!path.substr(pos).starts_with(segment.text_before)) return std::nullopt;
    pos += segment.text_before.size();
    const std::size_t start = pos;
    while (pos < path.size() && in_class(segment.chars, path[pos]))
      ++pos;
    if (pos == start) return std::nullopt;
    values[i] = path.substr(start, pos - start);
  }
  if (!path.substr(pos).starts_with(text_after)) return std::nullopt;
  pos += text_after.size();
  if (is_endpoint && pos != path.size()) return std::nullopt;
  Match out;
  out.end = pos;
  out.kwargs.reserve(segments.size());
  for (std::size_t i = 0; i < segments.size(); ++i) {
    try {
      out.kwargs.emplace_back(segments[i].name, segments[i].converter->to_value(values[i]));
    } catch (const std::invalid_argument&) {
      return std::nullopt;  // Django: a converter's ValueError means "no match"
    }
  }
  return out;
}

namespace detail {

std::shared_ptr<const Pattern> make_route_pattern(std::string_view route, bool is_endpoint) {
  auto p = std::make_shared<Pattern>();
  p->describe = route;
  p->is_route = true;
  p->is_endpoint = is_endpoint;
  const std::string original(route);
  std::string regex = "^";
  std::string_view rest = route;
  std::vector<Pattern::Segment> scannable;
  bool all_scannable = true;
  for (;;) {
    auto open = rest.find('<');
    auto close = open == std::string_view::npos ? std::string_view::npos : rest.find('>', open + 1);
    // Django's _PATH_PARAMETER_COMPONENT_RE needs at least one character between the brackets.
    if (open == std::string_view::npos || close == std::string_view::npos || close == open + 1) {
      regex += re_escape(rest);
      break;
    }
    auto inner = rest.substr(open + 1, close - open - 1);
    if (inner.find_first_of(" \t\n\r\v\f") != std::string_view::npos)
      throw conf::ImproperlyConfigured("URL route '" + original +
                                       "' cannot contain whitespace in angle brackets <\xE2\x80\xA6>.");
    if (p->converters.empty()) p->required_prefix = rest.substr(0, open);
    const std::string_view text_before = rest.substr(0, open);
    regex += re_escape(text_before);
    rest = rest.substr(close + 1);
    std::string converter_name = "str", parameter(inner);
    if (auto colon = inner.find(':'); colon != std::string_view::npos && colon > 0) {
      converter_name = inner.substr(0, colon);
      parameter = inner.substr(colon + 1);
    }
    if (!is_identifier(parameter))
      throw conf::ImproperlyConfigured("URL route '" + original + "' uses parameter name '" + parameter +
                                       "' which isn't a valid Python identifier.");
    auto converter = get_converter(converter_name);
    if (!converter)
      throw conf::ImproperlyConfigured("URL route '" + original + "' uses invalid converter '" +
                                       converter_name + "'.");
    p->converters[parameter] = converter;
    const std::string converter_regex = converter->regex();
    regex += "(?P<" + parameter + ">" + converter_regex + ")";
    if (auto chars = char_class_of(converter_regex))
      scannable.push_back({std::string(text_before), *chars, parameter, converter.get()});
    else
      all_scannable = false;
  }
  if (is_endpoint) regex += "\\Z";
  p->regex_source = regex;
  p->regex = compile_python_regex(regex, &p->group_names);
  if (p->converters.empty()) {
    p->literal = original;
    return p;
  }
  // Greedy scanning finds the regex's match when nothing after a converter could also belong to it: the
  // text following each converter must be non-empty and start outside its class (or, after the last one,
  // be empty: the regex's greedy run then stops where the scan's does).
  for (std::size_t i = 0; all_scannable && i < scannable.size(); ++i) {
    const std::string& next = i + 1 < scannable.size() ? scannable[i + 1].text_before : std::string(rest);
    const bool last = i + 1 == scannable.size();
    if (next.empty() ? !last : in_class(scannable[i].chars, next.front())) all_scannable = false;
  }
  if (all_scannable && scannable.size() <= 16) {
    p->segments = std::move(scannable);
    p->text_after = rest;
    p->scanned = true;
  }
  return p;
}

std::shared_ptr<const Pattern> make_regex_pattern(std::string_view regex, bool is_endpoint) {
  auto p = std::make_shared<Pattern>();
  p->describe = regex;
  p->regex_source = regex;
  p->is_endpoint = is_endpoint;
  p->regex = compile_python_regex(regex, &p->group_names);
  // "^/" (the root resolver's) and "^api/" style include() prefixes are plain text: matched by comparison,
  // as routes without converters are. Only prefixes ("$" has Python's end-or-before-a-final-newline rule)
  // of characters no regex treats specially.
  if (!is_endpoint && regex.size() > 1 && regex.front() == '^' &&
      std::all_of(regex.begin() + 1, regex.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-';
      })) {
    p->literal = std::string(regex.substr(1));
  }
  return p;
}

}  // namespace detail
}  // namespace duet::urls
