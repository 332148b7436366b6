// reverse(): Django's URLResolver._populate and _reverse_with_prefix.
#include <algorithm>
#include <map>

#include "duet/http/encoding.hpp"
#include "duet/urls/resolvers.hpp"
#include "pattern.hpp"
#include "regex_helper.hpp"

namespace duet::urls {
namespace {

struct Candidate {
  std::vector<detail::Possibility> possibilities;
  std::string pattern;  // Python syntax, no leading '^'
  std::shared_ptr<const boost::regex> check;
  UrlKwargs defaults;
  ConverterMap converters;
};

std::string strip_caret(std::string_view s) {
  if (!s.empty() && s[0] == '^') s.remove_prefix(1);
  return std::string(s);
}

Candidate make_candidate(std::string pattern, ConverterMap converters, UrlKwargs defaults) {
  Candidate c;
  c.possibilities = detail::normalize(pattern);
  c.check = std::make_shared<const boost::regex>(compile_python_regex("^" + pattern));
  c.pattern = std::move(pattern);
  c.converters = std::move(converters);
  c.defaults = std::move(defaults);
  return c;
}

ConverterMap merged(const ConverterMap& outer, const ConverterMap& inner) {
  ConverterMap out = inner;
  for (const auto& [k, v] : outer)
    out.emplace(k, v);  // inner wins, as {**outer, **inner}
  return out;
}

UrlKwargs merged(const UrlKwargs& outer, const UrlKwargs& inner) {
  UrlKwargs out = outer;
  for (const auto& kv : inner) {
    auto it = std::find_if(out.begin(), out.end(), [&](auto& e) { return e.first == kv.first; });
    if (it != out.end()) {
      it->second = kv.second;
    } else {
      out.push_back(kv);
    }
  }
  return out;
}

std::string py_repr(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

const std::any* find(const UrlKwargs& kwargs, std::string_view name) {
  for (const auto& [k, v] : kwargs)
    if (k == name) return &v;
  return nullptr;
}

std::string value_text(const std::any& v) {
  try {
    return url_value_to_string(v);
  } catch (const std::invalid_argument&) {
    return {};
  }
}

}  // namespace

struct URLResolver::ReverseTable {
  struct Namespace {
    std::string prefix;
    ConverterMap converters;
    const URLResolver* resolver;
  };
  std::map<std::string, std::vector<Candidate>, std::less<>> names;
  std::map<std::string, Namespace, std::less<>> namespaces;
  std::map<std::string, std::vector<std::string>, std::less<>> apps;
};

URLResolver::~URLResolver() = default;

const URLResolver::ReverseTable& URLResolver::table() const {
  std::call_once(table_once_, [this] {
    auto t = std::make_shared<ReverseTable>();
    // Reversed, as Django's _populate: for a name defined twice the last definition is tried first.
    for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
      if (auto* p = it->pattern()) {
        if (p->name().empty()) continue;
        t->names[p->name()].push_back(make_candidate(strip_caret(p->pattern().regex_source),
                                                     p->pattern().converters, p->default_kwargs()));
        continue;
      }
      const URLResolver& r = *it->resolver();
      auto prefix = strip_caret(r.pattern().regex_source);
      if (!r.namespace_().empty()) {
        t->namespaces[r.namespace_()] = {prefix, r.pattern().converters, &r};
        t->apps[r.app_name()].push_back(r.namespace_());
        continue;
      }
      const auto& sub = r.table();
      for (const auto& [name, candidates] : sub.names)
        for (const auto& c : candidates)
          t->names[name].push_back(make_candidate(prefix + c.pattern,
                                                  merged(r.pattern().converters, c.converters),
                                                  merged(r.default_kwargs(), c.defaults)));
      for (const auto& [ns, info] : sub.namespaces)
        t->namespaces[ns] = {prefix + info.prefix, merged(r.pattern().converters, info.converters),
                             info.resolver};
      for (const auto& [app, list] : sub.apps) {
        auto& dst = t->apps[app];
        dst.insert(dst.end(), list.begin(), list.end());
      }
    }
    table_ = std::move(t);
  });
  return *table_;
}

std::string URLResolver::reverse(std::string_view viewname, const ReverseArgs& a) const {
  if (!a.args.empty() && !a.kwargs.empty())
    throw std::invalid_argument("Don't mix *args and **kwargs in call to reverse()!");
  std::vector<std::string> parts;
  {
    std::size_t start = 0;
    for (;;) {
      auto colon = viewname.find(':', start);
      parts.emplace_back(
          viewname.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
  }
  std::string view = parts.back();
  parts.pop_back();

  const URLResolver* resolver = this;
  std::string ns_pattern;
  ConverterMap ns_converters;
  std::vector<std::string> resolved;
  for (auto ns : parts) {
    const auto& t = resolver->table();
    if (auto app = t.apps.find(ns); app != t.apps.end() && !app->second.empty()) {
      // An application namespace: its default instance (same name), else the last one deployed.
      if (std::find(app->second.begin(), app->second.end(), ns) == app->second.end())
        ns = app->second.front();
    }
    auto it = t.namespaces.find(ns);
    if (it == t.namespaces.end()) {
      if (!resolved.empty()) {
        std::string inside;
        for (const auto& r : resolved)
          inside += (inside.empty() ? "" : ":") + r;
        throw NoReverseMatch("'" + ns + "' is not a registered namespace inside '" + inside + "'");
      }
      throw NoReverseMatch("'" + ns + "' is not a registered namespace");
    }
    resolved.push_back(ns);
    ns_pattern += it->second.prefix;
    for (const auto& [k, v] : it->second.converters)
      ns_converters[k] = v;
    resolver = it->second.resolver;
  }

  const auto& table = resolver->table();
  std::vector<Candidate> prefixed;
  const std::vector<Candidate>* candidates = nullptr;
  if (auto it = table.names.find(view); it != table.names.end()) {
    if (ns_pattern.empty()) {
      candidates = &it->second;
    } else {
      for (const auto& c : it->second)
        prefixed.push_back(
            make_candidate(ns_pattern + c.pattern, merged(ns_converters, c.converters), c.defaults));
      candidates = &prefixed;
    }
  }

  if (candidates) {
    for (const auto& c : *candidates) {
      for (const auto& poss : c.possibilities) {
        std::map<std::string, std::string> text;
        bool ok = true;
        auto to_text = [&](const std::string& name, const std::any& value) {
          try {
            auto conv = c.converters.find(name);
            text[name] =
                conv != c.converters.end() ? conv->second->to_url(value) : url_value_to_string(value);
          } catch (const std::invalid_argument&) {
            ok = false;
          }
        };
        if (!a.args.empty()) {
          if (a.args.size() != poss.params.size()) continue;
          for (std::size_t i = 0; i < poss.params.size() && ok; ++i)
            to_text(poss.params[i], a.args[i]);
        } else {
          // Keys given must be exactly the parameters, except those with defaults.
          for (const auto& [k, v] : a.kwargs) {
            bool is_param = std::find(poss.params.begin(), poss.params.end(), k) != poss.params.end();
            if (!is_param && !find(c.defaults, k)) ok = false;
          }
          for (const auto& p : poss.params)
            if (!find(a.kwargs, p) && !find(c.defaults, p)) ok = false;
          for (const auto& [k, dv] : c.defaults)
            if (auto* given = find(a.kwargs, k); given && value_text(*given) != value_text(dv)) ok = false;
          if (!ok) continue;
          for (const auto& [k, v] : a.kwargs)
            if (ok && std::find(poss.params.begin(), poss.params.end(), k) != poss.params.end())
              to_text(k, v);
        }
        if (!ok) continue;
        std::string candidate;
        bool complete = true;
        for (const auto& tok : poss.tokens) {
          if (!tok.param) {
            candidate += tok.text;
          } else if (auto t = text.find(tok.text); t != text.end()) {
            candidate += t->second;
          } else {
            complete = false;
          }
        }
        if (!complete) continue;
        boost::cmatch m;
        const char* cbegin = candidate.data();
        if (!boost::regex_search(cbegin, cbegin + candidate.size(), m, *c.check, kPythonMatchFlags)) continue;
        std::string url = http::quote(a.prefix + candidate, "!$&'()*+,;=/~:@");
        if (url.rfind("//", 0) == 0) url = "/%2F" + url.substr(2);  // not a scheme-relative URL
        return url;
      }
    }
  }

  if (!candidates || candidates->empty())
    throw NoReverseMatch("Reverse for '" + view + "' not found. '" + view +
                         "' is not a valid view function or pattern name.");
  std::string arg_msg;
  if (!a.args.empty()) {
    arg_msg = "arguments '(";
    for (std::size_t i = 0; i < a.args.size(); ++i)
      arg_msg += (i ? ", " : "") + url_value_repr(a.args[i]);
    arg_msg += a.args.size() == 1 ? ",)'" : ")'";
  } else if (!a.kwargs.empty()) {
    arg_msg = "keyword arguments '{";
    for (std::size_t i = 0; i < a.kwargs.size(); ++i)
      arg_msg += (i ? ", " : "") + py_repr(a.kwargs[i].first) + ": " + url_value_repr(a.kwargs[i].second);
    arg_msg += "}'";
  } else {
    arg_msg = "no arguments";
  }
  std::string tried = "[";
  for (std::size_t i = 0; i < candidates->size(); ++i)
    tried += (i ? ", " : "") + py_repr((*candidates)[i].pattern);
  tried += "]";
  throw NoReverseMatch("Reverse for '" + view + "' with " + arg_msg + " not found. " +
                       std::to_string(candidates->size()) + " pattern(s) tried: " + tried);
}

}  // namespace duet::urls
