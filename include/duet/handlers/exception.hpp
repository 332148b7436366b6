// Exceptions to responses (django.core.handlers.exception) and the DEBUG pages (django.views.debug).
#pragma once

#include <exception>

#include "duet/http/request.hpp"
#include "duet/http/response.hpp"

namespace duet::handlers {

/// The response for an exception that escaped a view or middleware: an http::HttpException gives its
/// status (Http404 → 404, PermissionDenied → 403, BadRequest and SuspiciousOperation → 400,
/// RequestDataTooBig → 413); anything else gives 500. With settings DEBUG, 404 and 500 are the technical
/// pages (the patterns tried; the exception's type and message, the request, and the settings with secrets
/// hidden); without, short plain pages that reveal nothing.
http::HttpResponse response_for_exception(http::HttpRequest& request, std::exception_ptr error);

}  // namespace duet::handlers
