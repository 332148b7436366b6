// TLS on the async server: curl over HTTPS with the test's own CA, keep-alive, scheme, and clients that
// do not speak TLS (plain HTTP, silence) being closed without harm to the server.
#include <gtest/gtest.h>

#include <duet/server/command_line.hpp>

#include "support.hpp"
#include "tls_support.hpp"

namespace duet::testing {
namespace {

asgi::Application scheme_app() {
  return [](const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) -> Task<void> {
    if (scope.type != asgi::ScopeType::http) co_return;
    std::string body;
    for (;;) {
      asgi::ReceiveEvent event = co_await receive();
      auto* piece = std::get_if<asgi::HttpRequest>(&event);
      if (!piece) co_return;
      body += piece->body;
      if (!piece->more_body) break;
    }
    asgi::SendEvent start = asgi::HttpResponseStart(200, {{"content-type", "text/plain"}});
    co_await send(std::move(start));
    std::string text = scope.scheme + " " + scope.path + " " + std::to_string(body.size());
    asgi::SendEvent piece = asgi::HttpResponseBody(text);
    co_await send(std::move(piece));
  };
}

class Tls : public ::testing::Test {
 protected:
  server::ServerOptions options() {
    server::ServerOptions o;
    o.tls.certfile = cert.certfile;
    o.tls.keyfile = cert.keyfile;
    return o;
  }
  std::string curl(const std::string& args) {
    return run_command("curl -s --cacert " + cert.certfile + " " + args);
  }

  SelfSignedCert cert;
};

TEST_F(Tls, CurlVerifiesTheCertificateAndTheScopeSaysHttps) {
  TestServer server(scheme_app(), options());
  std::string base = "https://localhost:" + std::to_string(server.port());
  EXPECT_EQ(curl(base + "/hello"), "https /hello 0");
  EXPECT_EQ(curl("--data-binary 'twelve bytes' " + base + "/post"), "https /post 12");
  // Without the CA curl refuses (the certificate really is checked), with -k it accepts.
  EXPECT_EQ(run_command("curl -s " + base + "/hello"), "");
  EXPECT_EQ(run_command("curl -s -k " + base + "/hello"), "https /hello 0");
}

TEST_F(Tls, KeepAliveReusesOneTlsConnection) {
  TestServer server(scheme_app(), options());
  std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  // num_connects is 1 for the request that opened the connection and 0 for ones that reused it.
  std::string out = curl("-o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' " + base + "/a " +
                         base + "/b " + base + "/c");
  EXPECT_EQ(out, "1 0 0 ");
  EXPECT_EQ(server.server->requests_served(), 3u);
}

TEST_F(Tls, LargeBodiesBothWays) {
  TestServer server(scheme_app(), options());
  std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  std::string file = cert.dir + "/big";
  run_command("head -c 3000000 /dev/zero > " + file);
  EXPECT_EQ(curl("--data-binary @" + file + " " + base + "/big"), "https /big 3000000");
}

TEST_F(Tls, PlainHttpOnTheTlsPortIsClosedAndTheServerGoesOn) {
  TestServer server(scheme_app(), options());
  {
    RawClient client(server.port());
    client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(client.closed_by_peer());
  }
  {
    RawClient client(server.port());
    client.send(std::string(5000, '\x16'));  // looks like a handshake record, then garbage
    EXPECT_TRUE(client.closed_by_peer());
  }
  EXPECT_EQ(curl("https://127.0.0.1:" + std::to_string(server.port()) + "/after"), "https /after 0");
}

TEST_F(Tls, SilentClientIsClosedByTheHandshakeTimeout) {
  auto o = options();
  o.timeouts.tls_handshake = std::chrono::milliseconds(500);
  TestServer server(scheme_app(), o);
  RawClient client(server.port());
  EXPECT_TRUE(client.closed_by_peer(std::chrono::seconds(10)));
}

TEST_F(Tls, LimitsStillApplyOverTls) {
  auto o = options();
  o.limits.max_body = 100;
  TestServer server(scheme_app(), o);
  std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(
      curl("-o /dev/null -w '%{http_code}' --data-binary '" + std::string(200, 'x') + "' " + base + "/"),
      "413");
}

TEST_F(Tls, BadFilesFailAtStartWithTheirName) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto o = options();
  o.port = 0;
  o.tls.keyfile = cert.dir + "/missing.pem";
  server::Server server(runtime, scheme_app(), o);
  try {
    server.start();
    FAIL() << "start() accepted a missing key file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
  }
}

TEST_F(Tls, UnixSocketWithTlsIsRefused) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto o = options();
  o.unix_socket = cert.dir + "/sock";
  server::Server server(runtime, scheme_app(), o);
  EXPECT_THROW(server.start(), std::invalid_argument);
}

TEST(TlsCommandLine, CertfileAndKeyfileGoTogether) {
  const char* both[] = {"prog", "--certfile", "c.pem", "--keyfile=k.pem"};
  auto line = server::parse_command_line(4, both);
  EXPECT_EQ(line.server.tls.certfile, "c.pem");
  EXPECT_EQ(line.server.tls.keyfile, "k.pem");
  const char* one[] = {"prog", "--certfile", "c.pem"};
  EXPECT_THROW(server::parse_command_line(3, one), std::invalid_argument);
  const char* threaded[] = {"prog", "--certfile", "c.pem", "--keyfile", "k.pem", "--mode", "threaded"};
  EXPECT_THROW(server::parse_command_line(7, threaded), std::invalid_argument);
}

}  // namespace
}  // namespace duet::testing
