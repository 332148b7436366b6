// Text helpers shared by the renderer and the filters: HTML escaping, Python-compatible number
// formatting and UTF-8 code-point walking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace duet::templates::detail {

// Django's escape(): & < > " ' .
void escape_append(std::string& out, std::string_view s);
std::string escape(std::string_view s);
// Python's repr(float) (shortest round-trip digits, 1e+16 style exponents).
std::string python_float_repr(double d);
// Python's repr(str).
void python_str_repr(std::string& out, std::string_view s);
// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes decode as themselves.
char32_t next_code_point(std::string_view s, std::size_t& i);
void append_utf8(std::string& out, char32_t cp);
std::size_t code_point_count(std::string_view s);
std::vector<std::string_view> code_points(std::string_view s);
// Python's str.isspace() for ASCII and the common Unicode spaces.
bool is_space(char32_t c);
bool is_alnum(char32_t c);
// Unicode case mapping (ICU): simple per code point, full for strings (Python's str.lower()/upper()).
char32_t to_lower(char32_t c);
char32_t to_upper(char32_t c);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
// Python's title() pieces: the Cased and Case_Ignorable properties, full titlecase/lowercase of one
// code point (ß → "Ss").
bool is_cased(char32_t c);
bool is_case_ignorable(char32_t c);
std::string title_case(char32_t c);
std::string lower_case(char32_t c);
// Python's str.strip() / split() (whitespace-separated words).
std::string_view strip(std::string_view s);
std::vector<std::string_view> split_words(std::string_view s);
// Python int() of a string: optional sign and digits with surrounding spaces; false when not an integer.
bool parse_int(std::string_view s, std::int64_t& out);
// Python float() of a string; false when not a number.
bool parse_float(std::string_view s, double& out);

}  // namespace duet::templates::detail
