// JsonResponse (django.http.JsonResponse) over Boost.JSON.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "duet/http/json_writer.hpp"
#include "duet/http/response.hpp"

namespace duet::http {

/// Serializes `data` with Content-Type application/json. With `safe` (the default) only an object is
/// accepted, as in Django (top-level arrays were a JSON-hijacking vector in old browsers); pass
/// safe = false for anything else. Output is compact UTF-8 (Django's json.dumps adds spaces and escapes
/// non-ASCII; both are the same JSON).
class JsonResponse : public HttpResponse {
 public:
  explicit JsonResponse(const boost::json::value& data, bool safe = true, int status = 200);
  /// An object or an array is serialized as it is (passed as a boost::json::value it would be copied first).
  explicit JsonResponse(const boost::json::object& data, bool safe = true, int status = 200);
  explicit JsonResponse(const boost::json::array& data, bool safe = true, int status = 200);
  /// What a JsonWriter wrote, taken as it is (`safe`: it must be an object).
  explicit JsonResponse(JsonWriter&& data, bool safe = true, int status = 200);
};

}  // namespace duet::http
