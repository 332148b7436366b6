// AsyncClient and Client: thin fronts over one ClientCore. The blocking client runs each call through
// async_to_sync, so it behaves exactly as the async one (same pool, same timeouts, same errors).
#include "duet/client/client.hpp"

#include "core.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/safety.hpp"

namespace duet::client {

AsyncClient::AsyncClient(ClientOptions options)
    : core_(std::make_shared<detail::ClientCore>(std::move(options))) {}
AsyncClient::~AsyncClient() {
  if (core_) core_->close_idle();
}
AsyncClient::AsyncClient(AsyncClient&&) noexcept = default;
AsyncClient& AsyncClient::operator=(AsyncClient&&) noexcept = default;

Task<Response> AsyncClient::request(std::string method, std::string url, RequestOptions options) {
  return core_->request(std::move(method), std::move(url), std::move(options));
}
Task<Response> AsyncClient::get(std::string url, RequestOptions options) {
  return request("GET", std::move(url), std::move(options));
}
Task<Response> AsyncClient::head(std::string url, RequestOptions options) {
  return request("HEAD", std::move(url), std::move(options));
}
Task<Response> AsyncClient::options(std::string url, RequestOptions options) {
  return request("OPTIONS", std::move(url), std::move(options));
}
Task<Response> AsyncClient::post(std::string url, RequestOptions options) {
  return request("POST", std::move(url), std::move(options));
}
Task<Response> AsyncClient::put(std::string url, RequestOptions options) {
  return request("PUT", std::move(url), std::move(options));
}
Task<Response> AsyncClient::patch(std::string url, RequestOptions options) {
  return request("PATCH", std::move(url), std::move(options));
}
Task<Response> AsyncClient::delete_(std::string url, RequestOptions options) {
  return request("DELETE", std::move(url), std::move(options));
}
Task<StreamingResponse> AsyncClient::stream(std::string method, std::string url, RequestOptions options) {
  return core_->stream(std::move(method), std::move(url), std::move(options));
}
void AsyncClient::close() {
  core_->close_idle();
}
std::size_t AsyncClient::open_connections() const {
  return core_->open_connections();
}

Client::Client(ClientOptions options) : core_(std::make_shared<detail::ClientCore>(std::move(options))) {}
Client::~Client() {
  if (core_) core_->close_idle();
}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Response Client::request(std::string method, std::string url, RequestOptions options) {
  ensure_sync_context("Client::request()", "co_await AsyncClient::request()");
  auto* core = core_.get();
  return async_to_sync([&] { return core->request(std::move(method), std::move(url), std::move(options)); });
}
Response Client::get(std::string url, RequestOptions options) {
  return request("GET", std::move(url), std::move(options));
}
Response Client::head(std::string url, RequestOptions options) {
  return request("HEAD", std::move(url), std::move(options));
}
Response Client::options(std::string url, RequestOptions options) {
  return request("OPTIONS", std::move(url), std::move(options));
}
Response Client::post(std::string url, RequestOptions options) {
  return request("POST", std::move(url), std::move(options));
}
Response Client::put(std::string url, RequestOptions options) {
  return request("PUT", std::move(url), std::move(options));
}
Response Client::patch(std::string url, RequestOptions options) {
  return request("PATCH", std::move(url), std::move(options));
}
Response Client::delete_(std::string url, RequestOptions options) {
  return request("DELETE", std::move(url), std::move(options));
}
StreamingResponse Client::stream(std::string method, std::string url, RequestOptions options) {
  ensure_sync_context("Client::stream()", "co_await AsyncClient::stream()");
  auto* core = core_.get();
  return async_to_sync([&] { return core->stream(std::move(method), std::move(url), std::move(options)); });
}
void Client::close() {
  core_->close_idle();
}
std::size_t Client::open_connections() const {
  return core_->open_connections();
}

}  // namespace duet::client
