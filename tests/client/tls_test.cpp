// HTTPS: verification against a CA file, refusal of untrusted certificates and of a wrong host name.
#include <gtest/gtest.h>

#include <duet/client/client.hpp>
#include <duet/runtime.hpp>

#include "client/test_server.hpp"
#include "client/tls_support.hpp"

namespace {

using duet::client::AsyncClient;
using duet::client::Client;
using duet::client::testing::Reply;
using duet::client::testing::Request;
using duet::client::testing::SelfSignedCert;
using duet::client::testing::TestServer;

Reply hello(const Request& request) {
  return Reply{.body = "hello over TLS, " + std::string(request.target())};
}

class ClientTls : public ::testing::Test {
 protected:
  duet::Runtime runtime{duet::RuntimeOptions{.loops = 2}};
  SelfSignedCert cert;
};

TEST_F(ClientTls, TrustedCaFileVerifies) {
  TestServer server(hello, cert.server_context());
  AsyncClient client({.ca_file = cert.cert});
  auto url = "https://localhost:" + std::to_string(server.port());
  runtime.block_on([&]() -> duet::Task<void> {
    EXPECT_EQ((co_await client.get(url + "/one")).content, "hello over TLS, /one");
    EXPECT_EQ((co_await client.get(url + "/two")).content, "hello over TLS, /two");
  }());
  EXPECT_EQ(server.accepted(), 1);  // TLS connections are kept alive too
}

TEST_F(ClientTls, BlockingClientOverTls) {
  TestServer server(hello, cert.server_context());
  Client client({.ca_file = cert.cert});
  EXPECT_EQ(client.get("https://localhost:" + std::to_string(server.port()) + "/s").content,
            "hello over TLS, /s");
}

TEST_F(ClientTls, UntrustedCertificateFailsVerification) {
  TestServer server(hello, cert.server_context());
  AsyncClient client;  // the system store does not know our self-signed certificate
  try {
    runtime.block_on(client.get("https://localhost:" + std::to_string(server.port()) + "/"));
    FAIL() << "no exception";
  } catch (const duet::client::ConnectError& error) {
    EXPECT_NE(std::string(error.what()).find("certificate"), std::string::npos) << error.what();
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(ClientTls, WrongHostNameFailsVerification) {
  TestServer server(hello, cert.server_context());
  AsyncClient client({.ca_file = cert.cert});
  // The certificate names only "localhost".
  EXPECT_THROW(runtime.block_on(client.get("https://127.0.0.1:" + std::to_string(server.port()) + "/")),
               duet::client::ConnectError);
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(ClientTls, VerificationCanBeTurnedOff) {
  TestServer server(hello, cert.server_context());
  AsyncClient client({.verify = false});
  EXPECT_EQ(runtime.block_on(client.get("https://127.0.0.1:" + std::to_string(server.port()) + "/x")).content,
            "hello over TLS, /x");
}

}  // namespace
