#include "duet/views/view.hpp"

#include <boost/core/demangle.hpp>

namespace duet::views::detail {

std::string type_name(const std::type_info& type) {
  return boost::core::demangle(type.name());
}

namespace {
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}
}  // namespace

void throw_mixed_handlers(const std::string& class_name, const std::vector<std::string>& sync,
                          const std::vector<std::string>& async) {
  throw conf::ImproperlyConfigured(
      class_name + " HTTP handlers must either be all sync or all async (sync: " + join(sync) +
      "; async: " + join(async) + ").");
}

void throw_wrong_kind(const std::string& class_name, std::string_view method) {
  throw std::logic_error(class_name + ": the " + std::string(method) +
                         " handler is of the other kind (sync/async) than the view; use as_view(), which "
                         "refuses such a class.");
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

http::HttpResponse method_not_allowed(http::HttpRequest&, const std::vector<std::string>& allowed) {
  return http::HttpResponseNotAllowed(allowed);
}

http::HttpResponse options_response(const std::vector<std::string>& allowed) {
  http::HttpResponse response;
  std::string allow;
  for (const auto& m : allowed)
    allow += (allow.empty() ? "" : ", ") + m;
  response.headers.set("Allow", allow);
  response.headers.set("Content-Length", "0");
  return response;
}

}  // namespace duet::views::detail
