#include "debug_pages.hpp"

#include <fmt/format.h>

#include "duet/conf/settings.hpp"
#include "duet/urls/resolvers.hpp"

namespace duet::handlers {

namespace {

// Everything on these pages comes from the request or the exception: escape all of it.
std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#x27;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr std::string_view kStyle =
    "<style>body{font:small sans-serif;margin:0}h1{font-weight:normal}#summary{background:#ffc;"
    "padding:10px 20px;border-bottom:1px solid #ddd}#info,#explanation{padding:10px 20px}"
    "table{border:none;border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:2px 6px;"
    "font-size:small}th{width:14em;color:#666}pre{margin:0}</style>";

std::string row(std::string_view name, std::string_view value) {
  return fmt::format("<tr><th>{}</th><td><pre>{}</pre></td></tr>\n", escape(name), escape(value));
}

std::string join(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? ", '" : "'") + items[i] + "'";
  return out + "]";
}

std::string shown(std::string_view name, const std::string& value) {
  return conf::is_sensitive_setting(name) && !value.empty() ? "********************" : value;
}

std::string request_table(http::HttpRequest& request) {
  std::string out = "<table>\n";
  out += row("Request Method", request.method);
  std::string url;
  try {
    url = request.build_absolute_uri();
  } catch (...) {
    url = request.get_full_path();  // a disallowed Host must not hide the page
  }
  out += row("Request URL", url);
  for (const auto& [key, value] : request.META()) {
    if (key.rfind("HTTP_", 0) == 0 || key == "CONTENT_TYPE" || key == "QUERY_STRING" ||
        key == "REMOTE_ADDR") {
      out += row(key, conf::is_sensitive_setting(key) ? "********************" : value);
    }
  }
  return out + "</table>\n";
}

std::string settings_table(const conf::Settings& s) {
  std::string out = "<table>\n";
  out += row("DEBUG", s.DEBUG ? "True" : "False");
  out += row("ALLOWED_HOSTS", join(s.ALLOWED_HOSTS));
  out += row("SECRET_KEY", shown("SECRET_KEY", s.SECRET_KEY));
  out += row("MIDDLEWARE", join(s.MIDDLEWARE));
  out += row("ROOT_URLCONF", s.ROOT_URLCONF);
  out += row("APPEND_SLASH", s.APPEND_SLASH ? "True" : "False");
  auto limit = [](const std::optional<std::size_t>& v) {
    return v ? std::to_string(*v) : std::string("None");
  };
  out += row("DATA_UPLOAD_MAX_MEMORY_SIZE", limit(s.DATA_UPLOAD_MAX_MEMORY_SIZE));
  out += row("DATA_UPLOAD_MAX_NUMBER_FIELDS", limit(s.DATA_UPLOAD_MAX_NUMBER_FIELDS));
  out += row("DATA_UPLOAD_MAX_NUMBER_FILES", limit(s.DATA_UPLOAD_MAX_NUMBER_FILES));
  out += row("FILE_UPLOAD_MAX_MEMORY_SIZE", std::to_string(s.FILE_UPLOAD_MAX_MEMORY_SIZE));
  out += row("DEFAULT_CHARSET", s.DEFAULT_CHARSET);
  return out + "</table>\n";
}

constexpr std::string_view kDebugFooter =
    "<div id=\"explanation\"><p>You're seeing this error because you have <code>DEBUG = True</code> in your "
    "settings. Change that to <code>False</code>, and duet will display a standard page.</p></div>\n";

}  // namespace

std::string technical_404_page(http::HttpRequest& request, const urls::Resolver404* resolver_error,
                               std::string_view message) {
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Page not found at "
      "{}</title>\n"
      "{}\n</head>\n<body>\n<div id=\"summary\">\n<h1>Page not found <span>(404)</span></h1>\n",
      escape(request.path_info), kStyle);
  page += request_table(request);
  page += "</div>\n<div id=\"info\">\n";
  // Django's technical_404_response: a path no pattern matched lists what was tried; a view that raised
  // Http404 lists the patterns tried up to its own, which matched, and shows its message.
  std::vector<std::vector<std::string>> tried;
  const bool resolved = !resolver_error && request.resolver_match;
  if (resolver_error) {
    tried = resolver_error->tried;
  } else if (resolved) {
    tried = request.resolver_match->tried();
  }
  if (!tried.empty()) {
    const std::string& urlconf = request.settings().ROOT_URLCONF;
    page += fmt::format(
        "<p>Using the URLconf defined in <code>{}</code>, duet tried these URL patterns, in this "
        "order:</p>\n<ol>\n",
        escape(urlconf.empty() ? "the root URLconf" : urlconf));
    for (const auto& chain : tried) {
      std::string joined;
      for (const auto& route : chain)
        joined += route + " ";
      page += "<li>" + escape(joined) + "</li>\n";
    }
    std::string_view current = resolved ? std::string_view(request.path_info) : resolver_error->path;
    if (resolved && current.starts_with('/')) current.remove_prefix(1);
    page += fmt::format("</ol>\n<p>The current path, <code>{}</code>, {}</p>\n", escape(current),
                        resolved ? "matched the last one." : "didn't match any of these.");
  }
  if (!resolver_error) page += "<pre>" + escape(message) + "</pre>\n";
  return page + "</div>\n" + std::string(kDebugFooter) + "</body>\n</html>\n";
}

std::string technical_500_page(http::HttpRequest& request, std::string_view type, std::string_view message) {
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} at "
      "{}</title>\n{}\n</head>\n"
      "<body>\n<div id=\"summary\">\n<h1>{}</h1>\n<pre class=\"exception_value\">{}</pre>\n",
      escape(type), escape(request.path_info), kStyle, escape(type), escape(message));
  page += "</div>\n<div id=\"info\">\n<h2>Request information</h2>\n";
  page += request_table(request);
  page += "<h2>Settings</h2>\n";
  page += settings_table(request.settings());
  return page + "</div>\n" + std::string(kDebugFooter) + "</body>\n</html>\n";
}

}  // namespace duet::handlers
