// Python-regex support on top of Boost.Regex: syntax translation and Django's regex_helper.normalize
// (turning a pattern into format strings for reverse()).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace duet::urls::detail {

/// A Python `re` pattern rewritten for Boost.Regex's Perl syntax: (?P<n>…) -> (?<n>…), (?P=n) -> \k<n>,
/// \Z -> \z. `group_names` gets one entry per capturing group, "" for unnamed ones.
std::string translate_regex(std::string_view python, std::vector<std::string>* group_names = nullptr);

/// Python's re.escape (3.7+): escapes ()[]{}?*+-|^$\.&~# and whitespace.
std::string re_escape(std::string_view s);

/// One way to write a URL for a pattern: text with parameter slots.
struct Possibility {
  struct Token {
    bool param;
    std::string text;  // literal text, or the parameter's name
  };
  std::vector<Token> tokens;
  std::vector<std::string> params;  // in order, each once
};

/// Django's normalize(): the possibilities of a pattern, optional groups giving one possibility without and
/// one with them (at most 64). Unnamed groups are named "_0", "_1", ...
std::vector<Possibility> normalize(std::string_view python);

}  // namespace duet::urls::detail
