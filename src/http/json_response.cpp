#include "duet/http/json_response.hpp"

#include <stdexcept>

#include "duet/http/json.hpp"

namespace duet::http {

namespace {
constexpr const char* kNotAnObject =
    "In order to allow non-dict objects to be serialized set the safe parameter to False.";
}  // namespace

JsonResponse::JsonResponse(const boost::json::value& data, bool safe, int status)
    : HttpResponse({}, status, "application/json") {
  if (safe && !data.is_object()) throw std::invalid_argument(kNotAnObject);
  set_content(json_dumps(data));
}

JsonResponse::JsonResponse(const boost::json::object& data, bool, int status)
    : HttpResponse({}, status, "application/json") {
  set_content(json_dumps(data));
}

JsonResponse::JsonResponse(const boost::json::array& data, bool safe, int status)
    : HttpResponse({}, status, "application/json") {
  if (safe) throw std::invalid_argument(kNotAnObject);
  set_content(json_dumps(data));
}

JsonResponse::JsonResponse(JsonWriter&& data, bool safe, int status)
    : HttpResponse({}, status, "application/json") {
  if (safe && !data.view().starts_with('{')) throw std::invalid_argument(kNotAnObject);
  set_content(std::move(data).str());
}

}  // namespace duet::http
