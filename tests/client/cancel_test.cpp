// Cancellation: a timeout (the client's own, or duet::with_timeout around a request) and a gather member
// cancelled by a sibling's failure. A cancelled exchange must not leave its connection in the pool: the late
// answer would be read as the next request's response.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <duet/client/client.hpp>
#include <duet/runtime.hpp>

#include "client/test_server.hpp"

namespace {

using namespace std::chrono_literals;
using duet::Task;
using duet::client::AsyncClient;
using duet::client::Response;
using duet::client::testing::Reply;
using duet::client::testing::Request;
using duet::client::testing::TestServer;

/// /slow answers "late" after 700 ms, anything else answers its own target at once.
Reply slow_or_fast(const Request& request) {
  std::string target(request.target());
  if (target == "/slow") return Reply{.body = "late", .delay = 700ms};
  return Reply{.body = target};
}

class ClientCancellation : public ::testing::Test {
 protected:
  duet::Runtime runtime{duet::RuntimeOptions{.loops = 1}};
};

}  // namespace

TEST_F(ClientCancellation, ReadTimeoutDropsTheConnectionInsteadOfPoolingIt) {
  TestServer server(slow_or_fast);
  AsyncClient client({.timeout = {.read = 100ms}});
  runtime.block_on([&]() -> Task<void> {
    EXPECT_EQ((co_await client.get(server.url("/warm"))).content, "/warm");  // one pooled connection
    EXPECT_EQ(client.open_connections(), 1u);
    EXPECT_THROW(co_await client.get(server.url("/slow")), duet::client::ReadTimeout);
    // The timed-out exchange's connection is closed, not idle in the pool with "late" on its way.
    EXPECT_EQ(client.open_connections(), 0u);
    auto next = co_await client.get(server.url("/next"));
    EXPECT_EQ(next.content, "/next");
  }());
  EXPECT_EQ(server.accepted(), 2);  // the warm connection, then a new one after the timeout closed it
}

TEST_F(ClientCancellation, WithTimeoutCancelsTheInFlightRead) {
  TestServer server(slow_or_fast);
  AsyncClient client;  // 5 s read timeout: only with_timeout can end the wait
  runtime.block_on([&]() -> Task<void> {
    EXPECT_THROW(co_await duet::with_timeout(client.get(server.url("/slow")), 100ms), duet::TimeoutError);
    EXPECT_EQ(client.open_connections(), 0u);
    EXPECT_EQ((co_await client.get(server.url("/after"))).content, "/after");
  }());
}

TEST_F(ClientCancellation, CancelledRequestEndsAsCancellationNotAsReadError) {
  // Cancellation is not a transport failure of the request (the server logs ReadError as a 500; a client that
  // went away is no error): the awaiting coroutine sees operation_aborted, as from any Asio operation.
  TestServer server(slow_or_fast);
  AsyncClient client;
  std::exception_ptr seen;
  runtime.block_on([&]() -> Task<void> {
    boost::asio::cancellation_signal signal;
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer(executor, 100ms);
    timer.async_wait(
        [&](boost::system::error_code) { signal.emit(boost::asio::cancellation_type::terminal); });
    try {
      co_await boost::asio::co_spawn(
          executor, client.get(server.url("/slow")),
          boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::use_awaitable));
    } catch (...) {
      seen = std::current_exception();
    }
  }());
  ASSERT_TRUE(seen);
  try {
    std::rethrow_exception(seen);
  } catch (const duet::client::HTTPError& error) {
    ADD_FAILURE() << "cancellation surfaced as an HTTP error: " << error.what();
  } catch (const boost::system::system_error& error) {
    EXPECT_EQ(error.code(), boost::asio::error::operation_aborted);
  }
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST_F(ClientCancellation, AGatherMemberCancelledByASiblingsFailure) {
  TestServer server([](const Request& request) {
    std::string target(request.target());
    if (target == "/broken") return Reply{.close = true, .raw = "not http\r\n\r\n"};
    return slow_or_fast(request);
  });
  AsyncClient client;
  runtime.block_on([&]() -> Task<void> {
    std::vector<Task<Response>> calls;
    calls.push_back(client.get(server.url("/slow")));
    calls.push_back(client.get(server.url("/broken")));
    // The sibling's error is what gather rethrows, once the slow member has been cancelled and unwound.
    EXPECT_THROW(co_await duet::gather(std::move(calls)), duet::client::RemoteProtocolError);
    EXPECT_EQ(client.open_connections(), 0u);  // the cancelled member's connection was closed
    EXPECT_EQ((co_await client.get(server.url("/after"))).content, "/after");
  }());
}
