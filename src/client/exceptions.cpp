#include "duet/client/exceptions.hpp"

#include "duet/client/response.hpp"

namespace duet::client {

HTTPError::HTTPError(const std::string& message, std::string method, std::string url)
    : std::runtime_error(message + " [" + method + " " + url + "]"),
      method_(std::move(method)),
      url_(std::move(url)) {}

HTTPStatusError::HTTPStatusError(const std::string& message, std::shared_ptr<const Response> response)
    : HTTPError(message, response->method, response->url), response_(std::move(response)) {}

}  // namespace duet::client
