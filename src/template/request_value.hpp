// The request as templates see it ({{ request.path }}, {{ request.GET.q }}, {{ request.user }}).
#pragma once

#include "duet/template/value.hpp"

namespace duet::http {
class HttpRequest;
}

namespace duet::templates {

// Refers to `request` without copying: valid while the request is (the render it is given to).
Value request_value(http::HttpRequest& request);

}  // namespace duet::templates
