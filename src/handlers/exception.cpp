#include "duet/handlers/exception.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <memory>
#include <string>
#include <typeinfo>

#include "debug_pages.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/urls/resolvers.hpp"

namespace duet::handlers {

namespace {

std::string plain_page(std::string_view title) {
  std::string page = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>";
  page.append(title).append("</title>\n</head>\n<body>\n  <h1>").append(title).append("</h1>");
  if (title == "Not Found") page += "<p>The requested resource was not found on this server.</p>";
  page += "\n</body>\n</html>\n";
  return page;
}

std::string_view title_for(int status) {
  switch (status) {
    case 400:
      return "Bad Request (400)";
    case 403:
      return "403 Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large (413)";
    default:
      return "Server Error (500)";
  }
}

}  // namespace

std::string exception_type_name(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    if (!type) return "unknown exception";
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? name.get() : type->name();
  }
}

http::HttpResponse response_for_exception(http::HttpRequest& request, std::exception_ptr error) {
  const bool debug = request.settings().DEBUG;
  try {
    std::rethrow_exception(error);
  } catch (const urls::Resolver404& e) {
    if (debug) return http::HttpResponseNotFound(technical_404_page(request, &e, e.what()));
    return http::HttpResponseNotFound(plain_page(title_for(404)));
  } catch (const http::HttpException& e) {
    const int status = e.status_code();
    if (status == 404 && debug)
      return http::HttpResponseNotFound(technical_404_page(request, nullptr, e.what()));
    if (status >= 400 && status < 500 && status != 404) {
      // Django logs these to django.security / django.request; the client gets no detail.
      std::fprintf(stderr, "duet: %s (%d) at %s: %s\n", exception_type_name(error).c_str(), status,
                   request.path.c_str(), e.what());
    }
    http::HttpResponse response(plain_page(title_for(status)), status);
    return response;
  } catch (...) {
    std::string type = exception_type_name(error);
    std::string message;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "duet: Internal Server Error: %s\n  %s: %s\n", request.path.c_str(), type.c_str(),
                 message.c_str());
    if (debug) return http::HttpResponseServerError(technical_500_page(request, type, message));
    return http::HttpResponseServerError(plain_page(title_for(500)));
  }
}

}  // namespace duet::handlers
