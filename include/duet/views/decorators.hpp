// View decorators (django.views.decorators.http): require_http_methods, require_GET, require_POST,
// require_safe — for sync and async views alike.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "duet/urls/view.hpp"

namespace duet::views {

/// Django's require_http_methods(["GET", "POST"])(view): a request with another method gets 405 with
/// Allow listing `methods` (as given, comma-separated); the others reach the view. The result is a
/// urls::View of the same kind as `view` (a sync view stays sync, an async one async, so no thread hop is
/// added), keeping its name; it goes straight into path().
class RequireHttpMethods {
 public:
  explicit RequireHttpMethods(std::vector<std::string> methods) : methods_(std::move(methods)) {}

  urls::View operator()(urls::View view) const;
  template <urls::ViewCallable F>
  requires(!std::same_as<std::decay_t<F>, urls::View>) urls::View operator()(F view) const {
    return (*this)(urls::View(std::move(view)));
  }

  const std::vector<std::string>& methods() const noexcept { return methods_; }

 private:
  std::vector<std::string> methods_;
};

inline RequireHttpMethods require_http_methods(std::vector<std::string> methods) {
  return RequireHttpMethods(std::move(methods));
}

/// Only GET.
template <class F>
urls::View require_GET(F view) {
  return require_http_methods({"GET"})(std::move(view));
}
/// Only POST.
template <class F>
urls::View require_POST(F view) {
  return require_http_methods({"POST"})(std::move(view));
}
/// Only the safe methods GET and HEAD.
template <class F>
urls::View require_safe(F view) {
  return require_http_methods({"GET", "HEAD"})(std::move(view));
}

}  // namespace duet::views
