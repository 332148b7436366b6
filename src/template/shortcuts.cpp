// django.shortcuts render and redirect.
#include "duet/shortcuts.hpp"

#include "duet/template/loader.hpp"

namespace duet {

http::HttpResponse render(http::HttpRequest& request, std::string_view template_name, templates::Dict context,
                          int status, std::optional<std::string> content_type, std::string_view using_) {
  return http::HttpResponse(
      templates::render_to_string(template_name, templates::Context(context), &request, using_), status,
      std::move(content_type));
}

http::HttpResponse render(http::HttpRequest& request, const std::vector<std::string>& template_names,
                          templates::Dict context, int status, std::optional<std::string> content_type,
                          std::string_view using_) {
  return http::HttpResponse(
      templates::render_to_string(template_names, templates::Context(context), &request, using_), status,
      std::move(content_type));
}

namespace {
http::HttpResponse redirect_to(const std::string& url, bool permanent) {
  if (permanent) return http::HttpResponsePermanentRedirect(url);
  return http::HttpResponseRedirect(url);
}
}  // namespace

http::HttpResponse redirect(std::string_view to, bool permanent) {
  try {
    return redirect_to(urls::reverse(to), permanent);
  } catch (const std::exception&) {
    // Django: not a view name (NoReverseMatch; or no URLconf configured at all); a string with neither
    // '/' nor '.' was meant as one, so the error stands.
    if (to.find('/') == std::string_view::npos && to.find('.') == std::string_view::npos) throw;
  }
  return redirect_to(std::string(to), permanent);
}

http::HttpResponse redirect(std::string_view viewname, const urls::ReverseArgs& args, bool permanent) {
  return redirect_to(urls::reverse(viewname, args), permanent);
}

}  // namespace duet
