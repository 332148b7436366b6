// The DEBUG pages (django.views.debug): what went wrong, for the developer only.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "duet/http/request.hpp"

namespace duet::urls {
class Resolver404;
}

namespace duet::handlers {

/// The demangled type of the exception ("std::out_of_range").
std::string exception_type_name(const std::exception_ptr& error);

/// "Page not found (404)" with the URL patterns tried, when `resolver_error` is given.
std::string technical_404_page(http::HttpRequest& request, const urls::Resolver404* resolver_error,
                               std::string_view message);

/// The exception's type and message, the request, and the settings with secrets hidden.
std::string technical_500_page(http::HttpRequest& request, std::string_view type, std::string_view message);

}  // namespace duet::handlers
