// django.shortcuts: render, redirect, get_object_or_404, get_list_or_404.
#pragma once

#include "duet/http/exceptions.hpp"
#include "duet/http/response.hpp"
#include "duet/template/context.hpp"
#include "duet/template/value.hpp"
#include "duet/urls/resolvers.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duet::http {
class HttpRequest;
}

namespace duet {

// Renders now (not deferred: process_template_response does not see it, as in Django). Context
// processors run with `request`.
http::HttpResponse render(http::HttpRequest& request, std::string_view template_name,
                          templates::Dict context = {}, int status = 200,
                          std::optional<std::string> content_type = std::nullopt,
                          std::string_view using_ = {});
http::HttpResponse render(http::HttpRequest& request, const std::vector<std::string>& template_names,
                          templates::Dict context = {}, int status = 200,
                          std::optional<std::string> content_type = std::nullopt,
                          std::string_view using_ = {});

// Django's redirect(to): a URL pattern name is reversed; anything else that contains '/' or '.' is taken
// as a URL (urls::NoReverseMatch otherwise). 302, or 301 when `permanent`.
http::HttpResponse redirect(std::string_view to, bool permanent = false);
// reverse(viewname, args) then redirect.
http::HttpResponse redirect(std::string_view viewname, const urls::ReverseArgs& args, bool permanent = false);

// qs.get(q), or Http404 "No <Model> matches the given query." Works with any duet::db QuerySet.
template <class QS, class... A>
auto get_object_or_404(const QS& qs, A&&... a) {
  using T = typename std::decay_t<decltype(qs.get(std::forward<A>(a)...))>;
  try {
    return qs.get(std::forward<A>(a)...);
  } catch (const typename T::DoesNotExist&) {
    throw http::Http404("No " + T::_meta().object_name + " matches the given query.");
  }
}

// The rows of qs (qs.list()), or Http404 when there are none.
template <class QS>
auto get_list_or_404(const QS& qs) {
  auto rows = qs.list();
  if (rows.empty()) {
    using T = typename decltype(rows)::value_type;
    throw http::Http404("No " + T::_meta().object_name + " matches the given query.");
  }
  return rows;
}

}  // namespace duet
