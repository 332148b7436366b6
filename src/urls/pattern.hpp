// A compiled route ("<int:year>/") or regex pattern, shared by URLPattern and URLResolver.
#pragma once

#include <boost/regex.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/urls/resolvers.hpp"

namespace duet::urls {

using ConverterMap = std::map<std::string, std::shared_ptr<const Converter>>;

class Pattern {
 public:
  struct Match {
    std::size_t end;  // length of the matched prefix of the path
    std::vector<std::string> args;
    UrlKwargs kwargs;
  };

  /// The pattern as written: the route, or the regex.
  std::string describe;
  /// Python-syntax regex ("^articles/(?P<year>[0-9]+)/\\Z"), used by reverse() and in messages.
  std::string regex_source;
  boost::regex regex;
  bool is_endpoint = false;
  bool is_route = false;
  ConverterMap converters;
  std::vector<std::string> group_names;  // per capturing group, "" if unnamed
  /// A route with no converters ("db/", "api/"): matched by comparing text, as Django 5 does, instead of
  /// running the regex (which costs more than the rest of routing put together).
  std::optional<std::string> literal;
  /// A route's text before its first converter ("articles/" of "articles/<int:year>/"): a path that does
  /// not start with it is refused without running the regex (most routes a request passes over).
  std::string required_prefix;

  /// A route whose converters all match one character class (int, str, slug: the class read from the
  /// converter's regex, so a replaced converter is not mistaken for the built-in one), each followed by text
  /// starting outside its class: greedy scanning then finds exactly what the regex finds, without it.
  enum class CharClass { digit, not_slash, slug };
  struct Segment {
    std::string text_before;
    CharClass chars;
    std::string name;
    const Converter* converter;
  };
  std::vector<Segment> segments;
  std::string text_after;
  bool scanned = false;

  std::optional<Match> match(std::string_view path) const;
  /// For a literal pattern only: whether `path` matches (match() without building its Match, which costs
  /// more than the comparison). The match's end is then literal->size().
  bool matches_literal(std::string_view path) const noexcept {
    return is_endpoint ? path == *literal : path.starts_with(*literal);
  }

 private:
  std::optional<Match> scan(std::string_view path) const;
};

/// Flags giving Python's re semantics: ^/$ at the string's ends only, '.' not matching a newline.
inline const boost::regex_constants::match_flags kPythonMatchFlags =
    boost::match_single_line | boost::match_not_dot_newline;

/// Compiles a Python-syntax regex for Boost; throws conf::ImproperlyConfigured with Django's message.
boost::regex compile_python_regex(std::string_view python, std::vector<std::string>* group_names = nullptr);

}  // namespace duet::urls
