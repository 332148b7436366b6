// Filters about HTML and JavaScript output: escaping, safety marks, line breaks, tags, JSON.
#include "filters.hpp"
#include "text.hpp"

#include <boost/json.hpp>

namespace duet::templates::detail {

namespace {

using Args = const Value*;

std::string normalize_newlines(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t pos = 0, f;
  while ((f = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, f - pos);
    out += to;
    pos = f + from.size();
  }
  out.append(s, pos);
  return out;
}

std::string linebreaks(std::string_view value, bool autoescape) {
  std::string v = normalize_newlines(value);
  std::vector<std::string> paras;
  std::size_t pos = 0;
  while (true) {
    std::size_t f = v.find("\n\n", pos);
    if (f == std::string::npos) {
      paras.push_back(v.substr(pos));
      break;
    }
    paras.push_back(v.substr(pos, f - pos));
    pos = f;
    while (pos < v.size() && v[pos] == '\n')
      ++pos;
  }
  std::string out;
  for (std::size_t i = 0; i < paras.size(); ++i) {
    if (i) out += "\n\n";
    out += "<p>" + replace_all(autoescape ? escape(paras[i]) : paras[i], "\n", "<br>") + "</p>";
  }
  return out;
}

// Django's strip_tags: repeatedly drops <...> markup (entities are kept).
std::string strip_tags(std::string_view s) {
  std::string cur(s);
  for (int round = 0; round < 8; ++round) {
    std::string out;
    std::size_t i = 0;
    bool changed = false;
    while (i < cur.size()) {
      if (cur[i] == '<' && i + 1 < cur.size() &&
          (std::isalpha(static_cast<unsigned char>(cur[i + 1])) || cur[i + 1] == '/' || cur[i + 1] == '!' ||
           cur[i + 1] == '?')) {
        std::size_t e = cur.find('>', i);
        if (e == std::string::npos) {
          out.append(cur, i);
          break;
        }
        i = e + 1;
        changed = true;
        continue;
      }
      out += cur[i++];
    }
    cur = out;
    if (!changed) break;
  }
  return cur;
}

std::string escapejs(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = next_code_point(s, i);
    if (c < 32 || c == '\\' || c == '\'' || c == '"' || c == '>' || c == '<' || c == '&' || c == '=' ||
        c == '-' || c == ';' || c == '`' || c == 0x2028 || c == 0x2029) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

// Python's json.dumps (ensure_ascii, ", " and ": " separators).
void py_json(std::string& out, const Value& v) {
  auto str = [&](std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
      char32_t c = next_code_point(s, i);
      char buf[16];
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || (c >= 0x7f && c < 0x10000)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
          } else if (c >= 0x10000) {
            char32_t u = c - 0x10000;
            std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xd800 + (u >> 10)),
                          static_cast<unsigned>(0xdc00 + (u & 0x3ff)));
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    out += '"';
  };
  switch (v.kind()) {
    case Value::Kind::None:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::Float: {
      double d = v.as_double();
      out += std::isnan(d)   ? "NaN"
             : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity")
                             : python_float_repr(d);
      return;
    }
    case Value::Kind::String:
      str(v.string_view());
      return;
    default:
      break;
  }
  bool mapping = v.dict() || (v.json() && v.json()->is_object());
  List items;
  if (!v.items(items)) {
    str(v.str());
    return;
  }
  out += mapping ? '{' : '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    if (mapping) {
      str(items[i].string_view());
      out += ": ";
      Value val;
      v.lookup(items[i].string_view(), val);
      py_json(out, val);
    } else {
      py_json(out, items[i]);
    }
  }
  out += mapping ? '}' : ']';
}

void unordered_list(std::string& out, const List& items, int tabs, bool autoescape) {
  std::string indent(tabs, '\t');
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Value& item = items[i];
    std::string sub;
    List children;
    const Value& next = i + 1 < items.size() ? items[i + 1] : item;
    if (i + 1 < items.size() && (next.list() || (next.json() && next.json()->is_array())) &&
        next.items(children)) {
      ++i;
      std::string inner;
      unordered_list(inner, children, tabs + 1, autoescape);
      if (!inner.empty()) sub = "\n" + indent + "<ul>\n" + inner + "\n" + indent + "</ul>\n" + indent;
    }
    std::string text = item.str();
    if (autoescape && !item.is_safe()) text = escape(text);
    lines.push_back(indent + "<li>" + text + sub + "</li>");
  }
  for (std::size_t i = 0; i < lines.size(); ++i)
    out += (i ? "\n" : "") + lines[i];
}

}  // namespace

void register_html_filters(Library& l) {
  add(l, "escape", FilterArg::None, true, [](const Value& v, Args, bool) {
    if (v.is_safe()) return Value(v.str()).with_safe(true);
    return Value::safe(escape(v.str()));
  });
  add(l, "force_escape", FilterArg::None, true,
      [](const Value& v, Args, bool) { return Value::safe(escape(v.str())); });
  add(l, "safe", FilterArg::None, true, [](const Value& v, Args, bool) {
    if (v.is_string()) return v.with_safe(true);
    return Value::safe(v.str());
  });
  add(l, "safeseq", FilterArg::None, true, [](const Value& v, Args, bool) {
    List items, out;
    v.items(items);
    for (const auto& i : items)
      out.push_back(Value::safe(i.str()));
    return Value(std::move(out));
  });
  add(l, "linebreaks", FilterArg::None, true,
      [](const Value& v, Args, bool ae) { return Value::safe(linebreaks(v.str(), ae && !v.is_safe())); });
  add(l, "linebreaksbr", FilterArg::None, true, [](const Value& v, Args, bool ae) {
    std::string s = normalize_newlines(v.str());
    if (ae && !v.is_safe()) s = escape(s);
    return Value::safe(replace_all(s, "\n", "<br>"));
  });
  add(l, "linenumbers", FilterArg::None, true, [](const Value& v, Args, bool ae) {
    std::string s = v.str();
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (true) {
      auto f = s.find('\n', pos);
      lines.push_back(s.substr(pos, f == std::string::npos ? std::string::npos : f - pos));
      if (f == std::string::npos) break;
      pos = f + 1;
    }
    int width = static_cast<int>(std::to_string(lines.size()).size());
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%0*zu. ", width, i + 1);
      out += (i ? "\n" : "") + std::string(buf) + (ae && !v.is_safe() ? escape(lines[i]) : lines[i]);
    }
    return Value::safe(out);
  });
  add(l, "striptags", FilterArg::None, true,
      [](const Value& v, Args, bool) { return Value(strip_tags(v.str())); });
  add(l, "escapejs", FilterArg::None, false,
      [](const Value& v, Args, bool) { return Value(escapejs(v.str())); });
  add(l, "json_script", FilterArg::Required, true, [](const Value& v, Args a, bool) {
    std::string js;
    py_json(js, v);
    std::string esc;
    for (char c : js) {
      if (c == '>')
        esc += "\\u003E";
      else if (c == '<')
        esc += "\\u003C";
      else if (c == '&')
        esc += "\\u0026";
      else
        esc += c;
    }
    return Value::safe("<script id=\"" + escape(a->str()) + "\" type=\"application/json\">" + esc +
                       "</script>");
  });
  add(l, "unordered_list", FilterArg::None, true, [](const Value& v, Args, bool ae) {
    List items;
    v.items(items);
    std::string out;
    unordered_list(out, items, 1, ae);
    return Value::safe(out);
  });
}

}  // namespace duet::templates::detail
