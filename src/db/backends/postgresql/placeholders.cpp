#include "db/backends/postgresql/placeholders.hpp"

#include <cctype>
#include <cstddef>

namespace duet::db::postgresql {
namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The characters that may start a quote, comment, dollar-quoted body or placeholder.
bool is_special(char c) {
  return c == '\'' || c == '"' || c == '-' || c == '/' || c == '$' || c == '?';
}

// Index just past a quoted run starting at `i` (the opening quote). `backslash`: E'...' escapes.
std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote, bool backslash) {
  ++i;
  while (i < sql.size()) {
    char c = sql[i];
    if (backslash && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      // A doubled quote is an escaped quote, not the end.
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

std::size_t skip_block_comment(std::string_view sql, std::size_t i) {
  int depth = 0;
  while (i < sql.size()) {
    if (sql.compare(i, 2, "/*") == 0) {
      ++depth;
      i += 2;
    } else if (sql.compare(i, 2, "*/") == 0) {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// `$tag$` (tag: empty or an identifier not starting with a digit) opens a dollar-quoted body; returns the
// tag's length including both dollars, or 0 if `i` does not start one (e.g. a `$1` parameter).
std::size_t dollar_tag_length(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) return 0;
  while (j < sql.size() && is_ident_char(sql[j]))
    ++j;
  if (j < sql.size() && sql[j] == '$') return j - i + 1;
  return 0;
}

}  // namespace

std::string to_dollar_placeholders(std::string_view sql) {
  std::size_t count = 0;
  return to_dollar_placeholders(sql, count);
}

std::string to_dollar_placeholders(std::string_view sql, std::size_t& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t next_param = 1;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    std::size_t end = i + 1;
    if (c == '\'') {
      // E'...' / e'...' take backslash escapes; the E was already copied as part of the text before.
      bool escaped =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !is_ident_char(sql[i - 2]));
      end = skip_quoted(sql, i, '\'', escaped);
    } else if (c == '"') {
      end = skip_quoted(sql, i, '"', false);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      end = skip_block_comment(sql, i);
    } else if (c == '$' && (i == 0 || !is_ident_char(sql[i - 1]))) {
      if (std::size_t tag = dollar_tag_length(sql, i); tag != 0) {
        std::size_t close = sql.find(sql.substr(i, tag), i + tag);
        end = close == std::string_view::npos ? sql.size() : close + tag;
      }
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next_param++);
      ++i;
      continue;
    } else {
      // Plain text: copied as one run up to the next character that may start something (this runs for
      // every query of the async path; a character at a time was most of its cost).
      while (end < sql.size() && !is_special(sql[end]))
        ++end;
    }
    out.append(sql.substr(i, end - i));
    i = end;
  }
  count = next_param - 1;
  return out;
}

}  // namespace duet::db::postgresql
