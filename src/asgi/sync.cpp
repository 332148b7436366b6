#include "duet/asgi/sync.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "duet/asgi/call.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"

namespace duet::asgi {

std::string InputStream::read_all(std::size_t limit) {
  std::string out;
  char buffer[16 * 1024];
  for (;;) {
    std::size_t n = read(buffer);
    if (n == 0) return out;
    if (out.size() + n > limit) throw std::length_error("request body larger than the limit");
    out.append(buffer, n);
  }
}

std::size_t StringInputStream::read(std::span<char> dest) {
  std::size_t n = std::min(dest.size(), data_.size() - offset_);
  std::memcpy(dest.data(), data_.data() + offset_, n);
  offset_ += n;
  return n;
}

namespace {

/// The body of an async request as seen from the sync strand: each refill is one hop back to the loop, so
/// the body streams instead of being read whole first (Django's ASGI handler reads it whole).
class ReceiveInputStream final : public InputStream {
 public:
  explicit ReceiveInputStream(const Receive& receive) : receive_(receive) {}

  std::size_t read(std::span<char> dest) override {
    while (offset_ == pending_.size() && !done_) {
      ReceiveEvent event = async_to_sync([this] { return receive_(); });
      if (auto* piece = std::get_if<HttpRequest>(&event)) {
        pending_ = std::move(piece->body);
        offset_ = 0;
        done_ = !piece->more_body;
      } else {
        throw ClientDisconnected();
      }
    }
    std::size_t n = std::min(dest.size(), pending_.size() - offset_);
    std::memcpy(dest.data(), pending_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  const Receive& receive_;
  std::string pending_;
  std::size_t offset_ = 0;
  bool done_ = false;
};

Task<void> acknowledge_lifespan(const Receive& receive, const Send& send) {
  for (;;) {
    ReceiveEvent event = co_await receive();
    if (std::holds_alternative<LifespanStartup>(event)) {
      co_await send(LifespanStartupComplete{});
    } else if (std::holds_alternative<LifespanShutdown>(event)) {
      co_await send(LifespanShutdownComplete{});
      co_return;
    } else {
      co_return;
    }
  }
}

}  // namespace

Application from_sync(SyncApplication app) {
  auto shared = std::make_shared<SyncApplication>(std::move(app));
  return [shared](const Scope& scope, const Receive& receive, const Send& send) -> Task<void> {
    if (scope.type == ScopeType::lifespan) {
      co_await acknowledge_lifespan(receive, send);
      co_return;
    }
    if (scope.type != ScopeType::http)
      throw ProtocolError("a synchronous application serves http scopes only");
    ReceiveInputStream input(receive);
    SyncResponse response = co_await sync_to_async([&] { return (*shared)(scope, input); });
    const bool streamed = static_cast<bool>(response.next_chunk);
    co_await send(HttpResponseStart{response.status, std::move(response.headers)});
    co_await send(HttpResponseBody{std::move(response.body), streamed});
    while (streamed) {
      // One chunk per hop: a sync generator streams chunk by chunk, each sent with back-pressure.
      std::optional<std::string> chunk = co_await sync_to_async([&] { return response.next_chunk(); });
      if (!chunk) {
        co_await send(HttpResponseBody{{}, false});
        break;
      }
      co_await send(HttpResponseBody{std::move(*chunk), true});
    }
  };
}

SyncApplication to_sync(Application app, std::size_t max_body) {
  auto shared = std::make_shared<Application>(std::move(app));
  return [shared, max_body](const Scope& scope, InputStream& input) -> SyncResponse {
    ensure_sync_context("asgi::to_sync(application)", "co_await the Application directly");
    std::string body = input.read_all(max_body);
    CallResult result = async_to_sync([&] { return call(*shared, scope, std::move(body)); });
    SyncResponse response;
    response.status = result.status;
    response.headers = std::move(result.headers);
    response.body = std::move(result.body);
    return response;
  };
}

}  // namespace duet::asgi
