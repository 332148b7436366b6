#include "duet/views/redirect.hpp"

#include <stdexcept>

namespace duet::views {

namespace {

// Python's `format % kwargs` for the forms a URL uses: "%(name)s" and "%%".
std::string percent_format(std::string_view format, const urls::UrlKwargs& kwargs) {
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      out.push_back('%');
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '(') {
      auto close = format.find(')', i + 2);
      if (close != std::string_view::npos && close + 1 < format.size() && format[close + 1] == 's') {
        std::string_view name = format.substr(i + 2, close - i - 2);
        const std::any* value = nullptr;
        for (const auto& [key, v] : kwargs)
          if (key == name) value = &v;  // later entries override earlier ones, as in ResolverMatch
        if (!value)
          throw std::invalid_argument("RedirectView url '" + std::string(format) + "' names '" +
                                      std::string(name) + "', which the URL does not capture");
        out += urls::url_value_to_string(*value);
        i = close + 1;
        continue;
      }
    }
    throw std::invalid_argument("RedirectView url '" + std::string(format) +
                                "' has a '%' that is neither %(name)s nor %%");
  }
  return out;
}

}  // namespace

std::optional<std::string> RedirectView::get_redirect_url() {
  std::string target;
  if (!url.empty()) {
    target = percent_format(url, kwargs);
  } else if (!pattern_name.empty()) {
    urls::ReverseArgs reverse_args;
    if (!kwargs.empty()) {
      reverse_args.kwargs = kwargs;
    } else {
      for (const auto& a : args)
        reverse_args.args.emplace_back(a);
    }
    target = urls::reverse(pattern_name, reverse_args, request ? request->settings().ROOT_URLCONF : "");
  } else {
    return std::nullopt;
  }
  if (query_string && request) {
    auto qs = request->META().find("QUERY_STRING");
    if (qs != request->META().end() && !qs->second.empty()) target += "?" + qs->second;
  }
  return target;
}

http::HttpResponse RedirectView::get(http::HttpRequest&) {
  auto target = get_redirect_url();
  if (!target) return http::HttpResponseGone();
  if (permanent) return http::HttpResponsePermanentRedirect(*target);
  return http::HttpResponseRedirect(*target);
}

}  // namespace duet::views
