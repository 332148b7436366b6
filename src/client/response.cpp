#include "duet/client/response.hpp"

#include <boost/json/parse.hpp>
#include <cctype>

#include "core.hpp"
#include "duet/client/exceptions.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::client {

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (field.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(field[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return value;
  }
  return std::nullopt;
}

boost::json::value Response::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(content, ec);
  if (ec) throw DecodingError("response body is not JSON: " + ec.message(), method, url);
  return value;
}

bool Response::is_redirect() const noexcept {
  switch (status_code) {
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
      return header("Location").has_value();
    default:
      return false;
  }
}

const Response& Response::raise_for_status() const {
  if (!is_error()) return *this;
  std::string kind = is_client_error() ? "Client error" : "Server error";
  throw HTTPStatusError(
      kind + " '" + std::to_string(status_code) + " " + reason_phrase + "' for url '" + url + "'",
      std::make_shared<const Response>(*this));
}

StreamingResponse::StreamingResponse() = default;
StreamingResponse::StreamingResponse(StreamingResponse&&) noexcept = default;
StreamingResponse& StreamingResponse::operator=(StreamingResponse&&) noexcept = default;
StreamingResponse::~StreamingResponse() = default;

Task<std::optional<std::string>> StreamingResponse::anext_chunk() {
  if (!state_) co_return std::nullopt;
  co_return co_await detail::ClientCore::next_chunk(*state_);
}

Task<std::string> StreamingResponse::aread() {
  std::string body;
  while (auto chunk = co_await anext_chunk())
    body += *chunk;
  co_return body;
}

std::optional<std::string> StreamingResponse::next_chunk() {
  ensure_sync_context("StreamingResponse::next_chunk()", "co_await StreamingResponse::anext_chunk()");
  if (!state_) return std::nullopt;
  auto* state = state_.get();
  return async_to_sync([state] { return detail::ClientCore::next_chunk(*state); });
}

std::string StreamingResponse::read() {
  ensure_sync_context("StreamingResponse::read()", "co_await StreamingResponse::aread()");
  return async_to_sync([this] { return aread(); });
}

bool StreamingResponse::is_complete() const noexcept {
  return state_ && state_->done;
}

void StreamingResponse::close() {
  if (state_ && state_->lease) state_->lease->release(state_->done && state_->parser->keep_alive());
}

}  // namespace duet::client
