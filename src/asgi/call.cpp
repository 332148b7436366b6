#include "duet/asgi/call.hpp"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace duet::asgi {

namespace {
struct CallState {
  std::string body;
  std::size_t offset = 0;
  bool body_sent = false;
  bool started = false;
  bool finished = false;
  CallResult result;
  std::optional<boost::asio::steady_timer> finished_signal;
};
Task<void> ready() {
  co_return;
}
}  // namespace

Task<CallResult> call(const Application& app, Scope scope, std::string body, CallOptions options) {
  auto executor = co_await boost::asio::this_coro::executor;
  CallState st;
  st.body = std::move(body);
  st.finished_signal.emplace(executor, boost::asio::steady_timer::time_point::max());
  const std::size_t chunk_size = std::max<std::size_t>(options.chunk_size, 1);

  Receive receive = [&st, chunk_size]() -> Task<ReceiveEvent> {
    if (!st.body_sent) {
      std::size_t n = std::min(chunk_size, st.body.size() - st.offset);
      HttpRequest piece{st.body.substr(st.offset, n), false};
      st.offset += n;
      st.body_sent = st.offset == st.body.size();
      piece.more_body = !st.body_sent;
      co_return piece;
    }
    // As a server: nothing more until the response is complete (or the caller gives up).
    if (!st.finished) {
      boost::system::error_code ec;
      co_await st.finished_signal->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    co_return HttpDisconnect{};
  };

  // Not a coroutine: the message is taken at once (and g++ 12 miscompiles some by-value class parameters
  // of coroutines, see messages.hpp).
  Send send = [&st, &options](SendEvent event) -> Task<void> {
    if (auto* start = std::get_if<HttpResponseStart>(&event)) {
      if (st.started) throw ProtocolError("http.response.start sent twice");
      st.started = true;
      st.result.status = start->status;
      st.result.headers = std::move(start->headers);
    } else if (auto* piece = std::get_if<HttpResponseBody>(&event)) {
      if (!st.started) throw ProtocolError("http.response.body sent before http.response.start");
      if (st.finished) throw ProtocolError("http.response.body sent after the response was complete");
      if (st.result.body.size() + piece->body.size() > options.max_response_bytes) {
        throw ProtocolError("response body larger than CallOptions::max_response_bytes");
      }
      st.result.body += piece->body;
      ++st.result.body_messages;
      if (!piece->more_body) {
        st.finished = true;
        st.finished_signal->cancel();
      }
    } else {
      throw ProtocolError(std::string(type_of(event)) + " is not valid in an http scope");
    }
    return ready();
  };

  co_await app(scope, receive, send);
  if (!st.started) throw ProtocolError("the application returned without sending http.response.start");
  st.result.complete = st.finished;
  co_return std::move(st.result);
}

}  // namespace duet::asgi
