// WebSocket over real sockets: Beast's client against the server's ASGI websocket protocol (ws and wss).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <thread>

#include "support.hpp"
#include "tls_support.hpp"

namespace duet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct WsProbe {
  std::atomic<int> disconnect_code{0};
  std::atomic<int> cancelled{0};
  std::atomic<int> received{0};
};

asgi::Application ws_app(std::shared_ptr<WsProbe> probe) {
  return
      [probe](const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) -> Task<void> {
        if (scope.type != asgi::ScopeType::websocket) co_return;
        asgi::ReceiveEvent first = co_await receive();
        if (!std::holds_alternative<asgi::WebSocketConnect>(first))
          throw std::runtime_error("expected connect");
        const std::string& path = scope.path;
        if (path == "/refuse") {
          asgi::SendEvent close = asgi::WebSocketClose(1000);
          co_await send(std::move(close));
          co_return;
        }
        if (path == "/boom") throw std::runtime_error("boom");
        if (path == "/nothing") co_return;
        std::optional<std::string> subprotocol;
        if (!scope.subprotocols.empty()) subprotocol = scope.subprotocols.back();
        asgi::SendEvent accept = asgi::WebSocketAccept(subprotocol, {{"x-accepted", "yes"}});
        co_await send(std::move(accept));
        if (path == "/info") {
          std::string info = scope.scheme + " " + scope.path + " " + scope.query_string;
          for (const auto& p : scope.subprotocols)
            info += " " + p;
          asgi::SendEvent message = asgi::WebSocketSend::from_text(info);
          co_await send(std::move(message));
        } else if (path == "/close") {
          asgi::SendEvent message = asgi::WebSocketSend::from_text("bye");
          co_await send(std::move(message));
          asgi::SendEvent close = asgi::WebSocketClose(4000, "done");
          co_await send(std::move(close));
        } else if (path == "/ticks") {
          try {
            for (int i = 0; i < 100000; ++i) {
              asgi::SendEvent message = asgi::WebSocketSend::from_text("tick");
              co_await send(std::move(message));
              co_await duet::sleep(std::chrono::milliseconds(5));
            }
          } catch (...) {
            probe->cancelled++;
            throw;
          }
          co_return;
        } else if (path == "/late") {
          co_await duet::sleep(std::chrono::milliseconds(1500));
          asgi::SendEvent message = asgi::WebSocketSend::from_text("late");
          co_await send(std::move(message));
        }
        // Echo until the client goes away.
        for (;;) {
          asgi::ReceiveEvent event = co_await receive();
          if (auto* gone = std::get_if<asgi::WebSocketDisconnect>(&event)) {
            probe->disconnect_code = gone->code;
            co_return;
          }
          auto& message = std::get<asgi::WebSocketReceive>(event);
          probe->received++;
          asgi::SendEvent reply = message.text ? asgi::WebSocketSend::from_text(*message.text)
                                               : asgi::WebSocketSend::from_bytes(*message.bytes);
          co_await send(std::move(reply));
        }
      };
}

void set_receive_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/// A blocking Beast client over TCP.
struct WsClient {
  explicit WsClient(std::uint16_t port) : ws(io) {
    beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    set_receive_timeout(beast::get_lowest_layer(ws).native_handle(), 10);
  }
  void handshake(const std::string& target, const std::string& protocols = {}) {
    ws.set_option(websocket::stream_base::decorator([protocols](websocket::request_type& r) {
      if (!protocols.empty()) r.set(beast::http::field::sec_websocket_protocol, protocols);
    }));
    ws.handshake(response, "127.0.0.1", target);
  }
  std::string read() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

  asio::io_context io;
  websocket::stream<tcp::socket> ws;
  websocket::response_type response;
};

class WebSocket : public ::testing::Test {
 protected:
  std::shared_ptr<WsProbe> probe = std::make_shared<WsProbe>();
};

TEST_F(WebSocket, EchoesTextAndBinaryAndHearsTheClientsCloseCode) {
  TestServer server(ws_app(probe));
  WsClient client(server.port());
  client.handshake("/echo");
  EXPECT_EQ(client.response.result_int(), 101);
  EXPECT_EQ(client.response["x-accepted"], "yes");
  EXPECT_EQ(client.response["server"], "duet");
  client.ws.text(true);
  client.ws.write(asio::buffer(std::string("hello")));
  EXPECT_EQ(client.read(), "hello");
  EXPECT_TRUE(client.ws.got_text());
  client.ws.binary(true);
  std::string binary("\0\1\2\xff", 4);
  client.ws.write(asio::buffer(binary));
  EXPECT_EQ(client.read(), binary);
  EXPECT_TRUE(client.ws.got_binary());
  client.ws.close(websocket::close_reason(4321));
  EXPECT_TRUE(eventually([&] { return probe->disconnect_code == 4321; })) << probe->disconnect_code;
  EXPECT_EQ(probe->received, 2);
}

TEST_F(WebSocket, ScopeHasSchemePathQueryAndSubprotocols) {
  TestServer server(ws_app(probe));
  WsClient client(server.port());
  client.handshake("/info?room=1", "chat, superchat");
  EXPECT_EQ(client.response[beast::http::field::sec_websocket_protocol], "superchat");
  EXPECT_EQ(client.read(), "ws /info room=1 chat superchat");
}

TEST_F(WebSocket, CloseBeforeAcceptIs403AndReturningIs403AndThrowingIs500) {
  TestServer server(ws_app(probe));
  for (auto [path, status] : {std::pair{"/refuse", 403}, {"/nothing", 403}, {"/boom", 500}}) {
    WsClient client(server.port());
    beast::error_code ec;
    client.ws.handshake(client.response, "127.0.0.1", path, ec);
    EXPECT_TRUE(ec) << path;
    EXPECT_EQ(client.response.result_int(), status) << path;
  }
}

TEST_F(WebSocket, ApplicationClosesWithCodeAndReason) {
  TestServer server(ws_app(probe));
  WsClient client(server.port());
  client.handshake("/close");
  EXPECT_EQ(client.read(), "bye");
  beast::flat_buffer buffer;
  beast::error_code ec;
  client.ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws.reason().code, 4000);
  EXPECT_EQ(std::string(client.ws.reason().reason.c_str()), "done");
}

TEST_F(WebSocket, ClientDroppingTheConnectionCancelsTheApplication) {
  TestServer server(ws_app(probe));
  {
    WsClient client(server.port());
    client.handshake("/ticks");
    EXPECT_EQ(client.read(), "tick");
    beast::get_lowest_layer(client.ws).close();  // no close frame
  }
  EXPECT_TRUE(eventually([&] { return probe->cancelled == 1; }));
  EXPECT_TRUE(eventually([&] { return server.server->open_connections() == 0; }));
}

TEST_F(WebSocket, MessageOverTheLimitClosesWith1009) {
  server::ServerOptions options;
  options.limits.max_websocket_message = 1000;
  TestServer server(ws_app(probe), options);
  WsClient client(server.port());
  client.handshake("/echo");
  client.ws.write(asio::buffer(std::string(1000, 'a')));
  EXPECT_EQ(client.read().size(), 1000u);
  client.ws.write(asio::buffer(std::string(1001, 'a')));
  beast::flat_buffer buffer;
  beast::error_code ec;
  client.ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws.reason().code, websocket::close_code::too_big);
  EXPECT_TRUE(eventually([&] { return probe->disconnect_code == 1009; })) << probe->disconnect_code;
}

TEST_F(WebSocket, PingsKeepALiveClientAndSilenceClosesADeadOne) {
  server::ServerOptions options;
  options.timeouts.websocket_idle = std::chrono::milliseconds(1000);
  TestServer server(ws_app(probe), options);
  {
    // A live client: reading answers the pings that come every half second, so the late message arrives.
    WsClient client(server.port());
    int pings = 0;
    client.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++pings;
    });
    client.handshake("/late");
    EXPECT_EQ(client.read(), "late");
    EXPECT_GE(pings, 1);
  }
  {
    // A client that upgrades and then never reads nor answers: closed by the idle timeout.
    RawClient raw(server.port());
    raw.send(
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string response = raw.read_response();
    EXPECT_TRUE(response.starts_with("HTTP/1.1 101")) << response;
    EXPECT_TRUE(raw.closed_by_peer(std::chrono::seconds(10)));
  }
}

TEST_F(WebSocket, BadUpgradeRequestsGet400AndPlainHttpStillWorks) {
  TestServer server(
      [](const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) -> Task<void> {
        if (scope.type == asgi::ScopeType::http) {
          asgi::ReceiveEvent ignored = co_await receive();
          asgi::SendEvent start = asgi::HttpResponseStart(200);
          co_await send(std::move(start));
          asgi::SendEvent body = asgi::HttpResponseBody("plain");
          co_await send(std::move(body));
        }
      });
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  for (const std::string& fields :
       {upgrade + "Sec-WebSocket-Version: 13\r\n",
        upgrade + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n",
        upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"}) {
    RawClient raw(server.port());
    raw.send("GET /ws HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n");
    std::string response = raw.read_response();
    EXPECT_TRUE(response.starts_with("HTTP/1.1 400")) << fields << response;
  }
  RawClient raw(server.port());
  raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(raw.read_response()), "plain");
  EXPECT_EQ(body_of(raw.read_response()), "plain");
}

TEST_F(WebSocket, GracefulShutdownSendsGoingAway) {
  TestServer server(ws_app(probe));
  WsClient client(server.port());
  client.handshake("/echo");
  client.ws.write(asio::buffer(std::string("x")));
  EXPECT_EQ(client.read(), "x");
  server.server->shutdown();
  beast::flat_buffer buffer;
  beast::error_code ec;
  client.ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client.ws.reason().code, websocket::close_code::going_away);
  server.server->wait();
  EXPECT_EQ(probe->disconnect_code, 1001);
}

TEST_F(WebSocket, WorksOverTls) {
  SelfSignedCert cert;
  server::ServerOptions options;
  options.tls.certfile = cert.certfile;
  options.tls.keyfile = cert.keyfile;
  TestServer server(ws_app(probe), options);

  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.load_verify_file(cert.certfile);
  context.set_verify_mode(asio::ssl::verify_peer);
  websocket::stream<asio::ssl::stream<tcp::socket>> ws(io, context);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  set_receive_timeout(beast::get_lowest_layer(ws).native_handle(), 10);
  ws.next_layer().handshake(asio::ssl::stream_base::client);
  ws.handshake("localhost", "/info");
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "wss /info ");
  buffer.consume(buffer.size());
  ws.write(asio::buffer(std::string("over tls")));
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "over tls");
  ws.close(websocket::close_code::normal);
  EXPECT_TRUE(eventually([&] { return probe->disconnect_code == 1000; }));
}

}  // namespace
}  // namespace duet::testing
