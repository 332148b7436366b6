#include "duet/http/json_response.hpp"

#include <stdexcept>

#include "duet/http/json.hpp"

namespace duet::http {

JsonResponse::JsonResponse(const boost::json::value& data, bool safe, int status)
    : HttpResponse({}, status, "application/json") {
  if (safe && !data.is_object())
    throw std::invalid_argument(
        "In order to allow non-dict objects to be serialized set the safe parameter to False.");
  set_content(json_dumps(data));
}

}  // namespace duet::http
