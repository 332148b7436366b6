#include "duet/urls/resolvers.hpp"

#include <map>
#include <shared_mutex>

#include "pattern.hpp"

namespace duet::urls {
namespace {

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

void set_kwarg(UrlKwargs& kwargs, const std::string& name, std::any value) {
  for (auto& [k, v] : kwargs) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  kwargs.emplace_back(name, std::move(value));
}

// Django's _join_route.
std::string join_route(std::string route1, std::string_view route2) {
  if (route1.empty()) return std::string(route2);
  if (!route2.empty() && route2[0] == '^') route2.remove_prefix(1);
  return route1 + std::string(route2);
}

struct UrlconfRegistry {
  std::shared_mutex mutex;
  std::map<std::string, std::shared_ptr<const URLResolver>, std::less<>> resolvers;
  // URLconfs replaced by a later register_urlconf of the same name: a ResolverMatch of theirs may still call
  // tried(). Re-registering happens at start-up and in tests, so this stays small.
  std::vector<std::shared_ptr<const URLResolver>> replaced;
};

UrlconfRegistry& urlconfs() {
  static UrlconfRegistry r;
  return r;
}

}  // namespace

Resolver404::Resolver404(std::string p, std::vector<std::vector<std::string>> t)
    : http::Http404("Resolver404: no URL pattern matches '" + p + "'"),
      path(std::move(p)),
      tried(std::move(t)) {}

std::string ResolverMatch::app_name() const {
  return join(app_names, ":");
}
std::string ResolverMatch::namespace_() const {
  return join(namespaces, ":");
}
std::string ResolverMatch::view_name() const {
  auto parts = namespaces;
  parts.push_back(url_name);
  return join(parts, ":");
}

const std::any& ResolverMatch::func() const noexcept {
  static const std::any no_view;
  return func_ ? *func_ : no_view;
}

const std::any* ResolverMatch::find_kwarg(std::string_view name) const {
  for (const auto& [k, v] : kwargs)
    if (k == name) return &v;
  return nullptr;
}

const std::string& UrlEntry::describe() const {
  return pattern_ ? pattern_->pattern().describe : resolver_->pattern().describe;
}

Include include(UrlPatterns patterns, std::string app_name, std::string namespace_) {
  if (!namespace_.empty() && app_name.empty())
    throw conf::ImproperlyConfigured(
        "Specifying a namespace in include() without providing an app_name is not supported. Set the "
        "app_name "
        "attribute in the included module, or pass a 2-tuple containing the list of patterns and app_name "
        "instead.");
  if (namespace_.empty()) namespace_ = app_name;
  return Include{std::move(patterns), std::move(app_name), std::move(namespace_)};
}

UrlEntry path(std::string_view route, Include included) {
  return UrlEntry(std::make_shared<const URLResolver>(
      detail::make_route_pattern(route, false), std::move(included.patterns), std::move(included.app_name),
      std::move(included.namespace_)));
}

UrlEntry re_path(std::string_view regex, Include included) {
  return UrlEntry(std::make_shared<const URLResolver>(
      detail::make_regex_pattern(regex, false), std::move(included.patterns), std::move(included.app_name),
      std::move(included.namespace_)));
}

URLPattern::URLPattern(std::shared_ptr<const Pattern> pattern, std::any view, std::string name,
                       UrlKwargs default_kwargs)
    : pattern_(std::move(pattern)),
      view_(std::move(view)),
      name_(std::move(name)),
      default_kwargs_(std::move(default_kwargs)) {}

std::optional<ResolverMatch> URLPattern::resolve(std::string_view path) const {
  ResolverMatch out;
  if (!resolve_into(path, out)) return std::nullopt;
  return out;
}

bool URLPattern::resolve_into(std::string_view path, ResolverMatch& out) const {
  if (pattern_->literal) {
    // Most routes: a miss is one comparison, and a match has no captures.
    if (!pattern_->matches_literal(path)) return false;
    out.args.clear();
    out.kwargs.clear();
  } else {
    auto m = pattern_->match(path);
    if (!m) return false;
    out.args = std::move(m->args);
    out.kwargs = std::move(m->kwargs);
  }
  out.func_ = &view_;
  for (const auto& [k, v] : default_kwargs_)
    set_kwarg(out.kwargs, k, v);
  out.url_name = name_;
  out.route = pattern_->describe;
  return true;
}

URLResolver::URLResolver(std::shared_ptr<const Pattern> pattern, UrlPatterns patterns, std::string app_name,
                         std::string namespace_, UrlKwargs default_kwargs)
    : pattern_(std::move(pattern)),
      patterns_(std::move(patterns)),
      app_name_(std::move(app_name)),
      ns_(std::move(namespace_)),
      default_kwargs_(std::move(default_kwargs)) {}

ResolverMatch URLResolver::resolve(std::string_view path) const {
  ResolverMatch out;
  resolve(path, out);
  return out;
}

void URLResolver::resolve(std::string_view path, ResolverMatch& out) const {
  if (resolve_into(path, out, nullptr)) {
    out.resolver_ = this;
    out.path_ = path;
    return;
  }
  // A miss walks again to list what was tried: the 404 page wants it, a match does not.
  std::vector<std::vector<std::string>> tried;
  ResolverMatch unused;
  resolve_into(path, unused, &tried);
  auto m = pattern_->match(path);
  throw Resolver404(std::string(m ? path.substr(m->end) : path), std::move(tried));
}

std::vector<std::vector<std::string>> ResolverMatch::tried() const {
  std::vector<std::vector<std::string>> out;
  ResolverMatch again;
  if (resolver_) resolver_->resolve_into(path_, again, &out);
  return out;
}

// A miss inside an include() is ordinary control flow (every request for a later include passes over the
// earlier ones): no exception here, and a throw would cost more than the rest of routing. The match is built
// in the caller's object, each level adding its part, rather than returned and moved level by level.
bool URLResolver::resolve_into(std::string_view path, ResolverMatch& out,
                               std::vector<std::vector<std::string>>* tried) const {
  // A literal prefix (the root's "^/", most include()s) captures nothing: no Match to build.
  std::optional<Pattern::Match> m;
  std::size_t end;
  if (pattern_->literal) {
    if (!pattern_->matches_literal(path)) return false;
    end = pattern_->literal->size();
  } else {
    m = pattern_->match(path);
    if (!m) return false;
    end = m->end;
  }
  const auto new_path = path.substr(end);
  std::vector<std::vector<std::string>> sub_tried;
  auto record = [&](const UrlEntry& entry) {
    if (!tried) return;
    if (sub_tried.empty()) {
      tried->emplace_back(1, entry.describe());
      return;
    }
    for (auto& chain : sub_tried) {
      chain.insert(chain.begin(), entry.describe());
      tried->push_back(std::move(chain));
    }
    sub_tried.clear();
  };
  for (const auto& entry : patterns_) {
    const bool matched = entry.pattern()
                             ? entry.pattern()->resolve_into(new_path, out)
                             : entry.resolver()->resolve_into(new_path, out, tried ? &sub_tried : nullptr);
    record(entry);
    if (!matched) continue;
    // This level's captures, then its extra kwargs, then the inner match's: later entries override.
    if ((m && !m->kwargs.empty()) || !default_kwargs_.empty()) {
      UrlKwargs kwargs = m ? std::move(m->kwargs) : UrlKwargs{};
      for (const auto& [k, v] : default_kwargs_)
        set_kwarg(kwargs, k, v);
      for (auto& [k, v] : out.kwargs)
        set_kwarg(kwargs, k, std::move(v));
      out.kwargs = std::move(kwargs);
    }
    // Positional arguments only when there are no keyword ones (Django's rule).
    if (m && out.kwargs.empty() && !m->args.empty()) {
      out.args.insert(out.args.begin(), std::make_move_iterator(m->args.begin()),
                      std::make_move_iterator(m->args.end()));
    }
    if (!app_name_.empty()) out.app_names.insert(out.app_names.begin(), app_name_);
    if (!ns_.empty()) out.namespaces.insert(out.namespaces.begin(), ns_);
    if (!entry.pattern()) out.route = join_route(entry.describe(), out.route);
    return true;
  }
  return false;
}

std::shared_ptr<const URLResolver> make_resolver(UrlPatterns patterns) {
  return std::make_shared<const URLResolver>(detail::make_regex_pattern("^/", false), std::move(patterns));
}

void register_urlconf(std::string name, UrlPatterns patterns) {
  auto resolver = make_resolver(std::move(patterns));
  auto& r = urlconfs();
  std::unique_lock lock(r.mutex);
  auto& slot = r.resolvers[std::move(name)];
  if (slot) r.replaced.push_back(std::move(slot));
  slot = std::move(resolver);
}

std::shared_ptr<const URLResolver> get_resolver(std::string_view urlconf) {
  std::string name(urlconf);
  if (name.empty()) name = conf::settings()->ROOT_URLCONF;
  auto& r = urlconfs();
  std::shared_lock lock(r.mutex);
  auto it = r.resolvers.find(name);
  if (it == r.resolvers.end())
    throw conf::ImproperlyConfigured("The URLconf '" + name +
                                     "' is not registered (call duet::urls::register_urlconf first).");
  return it->second;
}

ResolverMatch resolve(std::string_view path, std::string_view urlconf) {
  return get_resolver(urlconf)->resolve(path);
}

std::string reverse(std::string_view viewname, const ReverseArgs& args, std::string_view urlconf) {
  return get_resolver(urlconf)->reverse(viewname, args);
}

}  // namespace duet::urls
