// URL patterns, the resolver and reverse() (django.urls): path(), re_path(), include(), resolve(), reverse().
#pragma once

#include <any>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "duet/conf/settings.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/urls/converters.hpp"
#include "duet/urls/view.hpp"

namespace duet::urls {

class Pattern;  // a compiled route or regex (src/urls/pattern.hpp)
class URLPattern;
class URLResolver;

/// A value captured from a URL or passed to reverse(), plus its name for keyword arguments.
using UrlKwargs = std::vector<std::pair<std::string, std::any>>;

/// No pattern matched. `tried` lists, per attempted pattern, the chain of route strings that led to it
/// (for the DEBUG 404 page); `path` is the unmatched remainder.
class Resolver404 : public http::Http404 {
 public:
  Resolver404(std::string path, std::vector<std::vector<std::string>> tried);
  std::string path;
  std::vector<std::vector<std::string>> tried;
};

/// reverse() found no URL; the message is Django's.
class NoReverseMatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What resolve() found: the view (as the caller stored it), the captured arguments and names.
class ResolverMatch {
 public:
  /// The view object given to path()/re_path(), type-erased; the handler layer decides what a view is.
  /// It is the URLconf's own object, not a copy (a view may hold state that is costly to copy, and routing
  /// runs for every request): valid while the resolver that made this match lives, as tried() is. The
  /// handler keeps its URLconf for its whole life and a registered URLconf is never freed. Empty for a
  /// ResolverMatch not made by a resolver.
  const std::any& func() const noexcept;
  /// Unnamed groups of re_path() patterns (only when there are no named ones), as strings.
  std::vector<std::string> args;
  /// Converted captures (std::int64_t for int, std::string for str/slug/path, boost::uuids::uuid for uuid,
  /// what a custom converter returns) and the patterns' extra kwargs, later entries overriding earlier.
  UrlKwargs kwargs;
  std::string url_name;
  std::vector<std::string> app_names;
  std::vector<std::string> namespaces;
  /// The route strings joined ("blog/<int:year>/").
  std::string route;

  /// Django's ResolverMatch.tried: every pattern tried up to and including the match, each as the chain of
  /// route strings that led to it. Computed when called, by walking the URLconf again (routing does not pay
  /// for a list almost nobody reads), so it needs the resolver that made this match alive: it is for
  /// request.resolver_match and for matches of registered URLconfs (a URLconf replaced by register_urlconf
  /// is kept). Empty for a ResolverMatch not made by a resolver.
  std::vector<std::vector<std::string>> tried() const;

  /// ':'-joined app_names / namespaces; view_name is "ns:name".
  std::string app_name() const;
  std::string namespace_() const;
  std::string view_name() const;

  /// The kwarg named `name`, or null.
  const std::any* find_kwarg(std::string_view name) const;
  bool has_kwarg(std::string_view name) const { return find_kwarg(name) != nullptr; }

  /// Typed access: the exact stored type, any integer type from an int capture (range-checked), or a string
  /// rendering of any capture. Throws std::out_of_range when absent, std::invalid_argument when the stored
  /// value cannot become T.
  template <class T>
  T kwarg(std::string_view name) const {
    const std::any* v = find_kwarg(name);
    if (!v) throw std::out_of_range("no URL argument named '" + std::string(name) + "'");
    if (auto* exact = std::any_cast<T>(v)) return *exact;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (auto* i = std::any_cast<std::int64_t>(v)) {
        if (std::in_range<T>(*i)) return static_cast<T>(*i);
        throw std::invalid_argument("URL argument '" + std::string(name) + "' is out of range");
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      return url_value_to_string(*v);
    }
    throw std::invalid_argument("URL argument '" + std::string(name) + "' holds a " + v->type().name() +
                                ", not a " + typeid(T).name());
  }

  /// The view as type V (throws std::bad_any_cast for another type).
  template <class V>
  const V& view() const {
    return std::any_cast<const V&>(func());
  }

 private:
  friend class URLResolver;
  friend class URLPattern;
  const std::any* func_ = nullptr;         // the matched URLPattern's view
  const URLResolver* resolver_ = nullptr;  // the root resolver that made this match, for tried()
  std::string path_;                       // the path it resolved, for tried()
};

/// One entry of a urlpatterns list: a URLPattern or a URLResolver (from include()).
class UrlEntry {
 public:
  explicit UrlEntry(std::shared_ptr<const URLPattern> p) : pattern_(std::move(p)) {}
  explicit UrlEntry(std::shared_ptr<const URLResolver> r) : resolver_(std::move(r)) {}
  const URLPattern* pattern() const noexcept { return pattern_.get(); }
  const URLResolver* resolver() const noexcept { return resolver_.get(); }
  const std::shared_ptr<const URLResolver>& resolver_ptr() const noexcept { return resolver_; }
  /// The route as written ("articles/<int:year>/").
  const std::string& describe() const;

 private:
  std::shared_ptr<const URLPattern> pattern_;
  std::shared_ptr<const URLResolver> resolver_;
};

using UrlPatterns = std::vector<UrlEntry>;

/// include(): a list of patterns mounted under a prefix, optionally an application namespace.
struct Include {
  UrlPatterns patterns;
  std::string app_name;
  std::string namespace_;
};

/// Django's include((patterns, app_name), namespace=...). A namespace without an app_name throws
/// conf::ImproperlyConfigured; the namespace defaults to the app_name.
Include include(UrlPatterns patterns, std::string app_name = {}, std::string namespace_ = {});

/// A view with its pattern.
class URLPattern {
 public:
  URLPattern(std::shared_ptr<const Pattern> pattern, std::any view, std::string name,
             UrlKwargs default_kwargs);
  const Pattern& pattern() const noexcept { return *pattern_; }
  const std::shared_ptr<const Pattern>& pattern_ptr() const noexcept { return pattern_; }
  const std::any& view() const noexcept { return view_; }
  const std::string& name() const noexcept { return name_; }
  const UrlKwargs& default_kwargs() const noexcept { return default_kwargs_; }
  std::optional<ResolverMatch> resolve(std::string_view path) const;
  /// resolve() into `out` (a fresh ResolverMatch), which is left untouched when the path does not match.
  bool resolve_into(std::string_view path, ResolverMatch& out) const;

 private:
  std::shared_ptr<const Pattern> pattern_;
  std::any view_;
  std::string name_;
  UrlKwargs default_kwargs_;
};

/// Reverse arguments: positional `args` or keyword `kwargs` (not both, as in Django).
struct ReverseArgs {
  std::vector<std::any> args{};
  UrlKwargs kwargs{};
  /// The script prefix the result starts with (the request's root_path + "/").
  std::string prefix = "/";
};

/// A list of patterns under a prefix pattern; the root resolver has the prefix "^/".
class URLResolver {
 public:
  URLResolver(std::shared_ptr<const Pattern> pattern, UrlPatterns patterns, std::string app_name = {},
              std::string namespace_ = {}, UrlKwargs default_kwargs = {});
  ~URLResolver();
  const Pattern& pattern() const noexcept { return *pattern_; }
  const std::shared_ptr<const Pattern>& pattern_ptr() const noexcept { return pattern_; }
  const UrlPatterns& url_patterns() const noexcept { return patterns_; }
  const std::string& app_name() const noexcept { return app_name_; }
  const std::string& namespace_() const noexcept { return ns_; }
  const UrlKwargs& default_kwargs() const noexcept { return default_kwargs_; }

  /// Throws Resolver404 (a Http404) when nothing matches.
  ResolverMatch resolve(std::string_view path) const;
  /// The same into `out` (a fresh ResolverMatch, e.g. one already placed where it is kept): no copy or move
  /// of the match on the way out.
  void resolve(std::string_view path, ResolverMatch& out) const;
  /// reverse("ns:name", ...) within this resolver. Throws NoReverseMatch; std::invalid_argument when
  /// both args and kwargs are given.
  std::string reverse(std::string_view viewname, const ReverseArgs& args = {}) const;

  struct ReverseTable;  // built on first reverse(), then shared read-only

 private:
  const ReverseTable& table() const;
  friend class ResolverMatch;
  // resolve() without the exception: fills `out` on a match. `tried`, when not null, receives every pattern
  // tried (the matched one last, on a match).
  bool resolve_into(std::string_view path, ResolverMatch& out,
                    std::vector<std::vector<std::string>>* tried) const;
  std::shared_ptr<const Pattern> pattern_;
  UrlPatterns patterns_;
  std::string app_name_, ns_;
  UrlKwargs default_kwargs_;
  mutable std::once_flag table_once_;
  mutable std::shared_ptr<const ReverseTable> table_;
};

/// path(route, view, name, extra_kwargs): a route with converters ("articles/<int:year>/"). Throws
/// conf::ImproperlyConfigured for an unknown converter, a bad parameter name or whitespace in <…>.
template <class View>
requires(!std::same_as<std::decay_t<View>, Include>) UrlEntry
    path(std::string_view route, View&& view, std::string name = {}, UrlKwargs extra_kwargs = {});
UrlEntry path(std::string_view route, Include included);

/// re_path(regex, view, name, extra_kwargs): a Python-syntax regex ((?P<name>…) groups, \Z), run by
/// Boost.Regex. Throws conf::ImproperlyConfigured for an invalid regex.
template <class View>
requires(!std::same_as<std::decay_t<View>, Include>) UrlEntry
    re_path(std::string_view regex, View&& view, std::string name = {}, UrlKwargs extra_kwargs = {});
UrlEntry re_path(std::string_view regex, Include included);

namespace detail {
/// A view callable is stored as urls::View, so the handler knows whether it is sync or async; anything else
/// is stored as given (the resolver does not care what a view is).
template <class V>
std::any store_view(V&& view) {
  if constexpr (ViewCallable<std::decay_t<V>>) {
    return std::any(urls::View(std::forward<V>(view)));
  } else {
    return std::any(std::forward<V>(view));
  }
}
std::shared_ptr<const Pattern> make_route_pattern(std::string_view route, bool is_endpoint);
std::shared_ptr<const Pattern> make_regex_pattern(std::string_view regex, bool is_endpoint);
}  // namespace detail

template <class View>
requires(!std::same_as<std::decay_t<View>, Include>) UrlEntry
    path(std::string_view route, View&& view, std::string name, UrlKwargs extra_kwargs) {
  return UrlEntry(std::make_shared<const URLPattern>(detail::make_route_pattern(route, true),
                                                     detail::store_view(std::forward<View>(view)),
                                                     std::move(name), std::move(extra_kwargs)));
}

template <class View>
requires(!std::same_as<std::decay_t<View>, Include>) UrlEntry
    re_path(std::string_view regex, View&& view, std::string name, UrlKwargs extra_kwargs) {
  return UrlEntry(std::make_shared<const URLPattern>(detail::make_regex_pattern(regex, true),
                                                     detail::store_view(std::forward<View>(view)),
                                                     std::move(name), std::move(extra_kwargs)));
}

/// The root resolver for a urlpatterns list (Django's get_resolver on a URLconf).
std::shared_ptr<const URLResolver> make_resolver(UrlPatterns patterns);

/// Registers a URLconf under a name (Django: a module path) for ROOT_URLCONF to refer to.
void register_urlconf(std::string name, UrlPatterns patterns);
/// The resolver of the named URLconf; "" means settings ROOT_URLCONF. Throws conf::ImproperlyConfigured
/// when it was not registered.
std::shared_ptr<const URLResolver> get_resolver(std::string_view urlconf = {});

/// resolve()/reverse() on the ROOT_URLCONF (or `urlconf`).
ResolverMatch resolve(std::string_view path, std::string_view urlconf = {});
std::string reverse(std::string_view viewname, const ReverseArgs& args = {}, std::string_view urlconf = {});

}  // namespace duet::urls
