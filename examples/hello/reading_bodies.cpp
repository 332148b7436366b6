#include "reading_bodies.hpp"

#include <utility>
#include <variant>

namespace hello {

namespace {

duet::Task<void> read_body(const duet::asgi::Receive& receive, bool& complete) {
  for (;;) {
    duet::asgi::ReceiveEvent event = co_await receive();
    auto* piece = std::get_if<duet::asgi::HttpRequest>(&event);
    if (!piece) co_return;  // http.disconnect: no answer
    if (!piece->more_body) break;
  }
  complete = true;
}

}  // namespace

duet::asgi::Application reading_bodies(duet::asgi::Application app) {
  return [app = std::move(app)](const duet::asgi::Scope& scope, const duet::asgi::Receive& receive,
                                const duet::asgi::Send& send) -> duet::Task<void> {
    // The lambda's captures live in the Application (the server's), not in this frame.
    if (scope.type == duet::asgi::ScopeType::http && scope.method == "POST") {
      bool complete = false;
      co_await read_body(receive, complete);
      if (!complete) co_return;
    }
    co_await app(scope, receive, send);
  };
}

}  // namespace hello
