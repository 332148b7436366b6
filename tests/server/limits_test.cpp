// Every limit answers with its own status and closes the connection.
#include <gtest/gtest.h>

#include "server/support.hpp"
#include "server/test_app.hpp"

namespace duet::testing {
namespace {

server::ServerOptions small_limits() {
  server::ServerOptions options;
  options.limits.max_request_line = 100;
  options.limits.max_header_bytes = 300;
  options.limits.max_header_count = 5;
  options.limits.max_body = 16;
  return options;
}

class Limits : public ::testing::Test {
 protected:
  std::shared_ptr<AppProbe> probe = std::make_shared<AppProbe>();
  TestServer server{test_app(probe), small_limits()};

  /// Sends `request`, returns the status line's code, and checks that the server closed the connection.
  std::string status_of(const std::string& request) {
    RawClient client(server.port());
    client.send(request);
    std::string response = client.read_all();
    return response.substr(0, response.find("\r\n"));
  }
};

TEST_F(Limits, LongRequestLineIs414) {
  EXPECT_EQ(status_of("GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 414 URI Too Long");
}

TEST_F(Limits, LongRequestLineIs414EvenBeforeItEnds) {
  RawClient client(server.port());
  client.send("GET /" + std::string(200, 'a'));
  std::string response = client.read_all();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 414")) << response;
}

TEST_F(Limits, RequestLineAtTheLimitIsServed) {
  std::string target = "/" + std::string(100 - 14 - 1, 'a');  // "GET " + target + " HTTP/1.1" == 100
  EXPECT_EQ(status_of("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            "HTTP/1.1 200 OK");
}

TEST_F(Limits, LargeHeadersAre431) {
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(400, 'b') + "\r\n\r\n"),
            "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(Limits, TooManyHeadersAre431) {
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 6; ++i)
    request += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(request + "\r\n"), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(Limits, LargeContentLengthIs413BeforeTheBody) {
  EXPECT_EQ(status_of("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"),
            "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(probe->started.load(), 0);
}

TEST_F(Limits, LargeChunkedBodyIs413) {
  EXPECT_EQ(status_of("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n"),
            "HTTP/1.1 413 Payload Too Large");
}

TEST_F(Limits, BodyAtTheLimitIsServed) {
  RawClient client(server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
  EXPECT_EQ(body_of(client.read_response()), "0123456789abcdef");
}

TEST(MaxConnections, ExtraConnectionsGet503) {
  auto probe = std::make_shared<AppProbe>();
  server::ServerOptions options;
  options.limits.max_connections = 1;
  TestServer server(test_app(probe), options, 1);
  RawClient first(server.port());
  first.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(first.read_response()), "path:/a");
  RawClient second(server.port());
  EXPECT_TRUE(second.read_all().starts_with("HTTP/1.1 503"));
  // The first is still served.
  first.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(first.read_response()), "path:/b");
}

}  // namespace
}  // namespace duet::testing
