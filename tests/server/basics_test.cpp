// Ordinary HTTP/1.1 over real sockets: curl, keep-alive, pipelining, chunked both ways, HEAD, 100-continue.
#include <gtest/gtest.h>

#include "server/support.hpp"
#include "server/test_app.hpp"

namespace duet::testing {
namespace {

class Basics : public ::testing::Test {
 protected:
  std::shared_ptr<AppProbe> probe = std::make_shared<AppProbe>();
  TestServer server{test_app(probe)};
  std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
  }
};

TEST_F(Basics, CurlGet) {
  EXPECT_EQ(run_command("curl -s " + url("/hello")), "path:/hello");
  std::string head = run_command("curl -s -D - -o /dev/null " + url("/hello"));
  EXPECT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(head.find("Server: duet"), std::string::npos);
  EXPECT_NE(head.find("Date: "), std::string::npos);
  EXPECT_NE(head.find("Content-Length: 11"), std::string::npos);
}

TEST_F(Basics, CurlPostAndQuery) {
  EXPECT_EQ(run_command("curl -s --data-binary 'a=1&b=2' '" + url("/echo?x=%20y") + "'"), "a=1&b=2");
  std::string head = run_command("curl -s -D - -o /dev/null --data-binary 'z' '" + url("/echo?x=%20y") + "'");
  EXPECT_NE(head.find("x-query: x=%20y"), std::string::npos);
  EXPECT_NE(head.find("x-method: POST"), std::string::npos);
}

TEST_F(Basics, CurlChunkedUploadAndPercentDecodedPath) {
  std::string out = run_command(
      "printf 'streamed body' | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- " + url("/echo"));
  EXPECT_EQ(out, "streamed body");
  EXPECT_EQ(run_command("curl -s " + url("/a%20b")), "path:/a b");
}

TEST_F(Basics, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    client.send("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = client.read_response();
    EXPECT_EQ(body_of(response), "path:/n" + std::to_string(i));
    EXPECT_EQ(response.find("Connection: close"), std::string::npos);
  }
}

TEST_F(Basics, PipelinedResponsesComeInRequestOrder) {
  RawClient client(server.port());
  // The slow one first: its answer must still come first.
  client.send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "slow done");
  EXPECT_EQ(body_of(client.read_response()), "path:/a");
  EXPECT_EQ(body_of(client.read_response()), "hello");
  std::string last = client.read_response();
  EXPECT_EQ(body_of(last), "path:/b");
  EXPECT_NE(last.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(Basics, PipelinedAnswersBeforeAnErrorAreNotLost) {
  RawClient client(server.port());
  // A malformed head, and an application that fails, after requests answered in the same batch: the
  // earlier answers still come, in order, before the error.
  client.send(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "path:/a");
  EXPECT_NE(client.read_response().find("HTTP/1.1 500"), std::string::npos);

  RawClient second(server.port());
  second.send(
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /d HTTP/1.1\r\nHost x\r\n\r\n");
  EXPECT_EQ(body_of(second.read_response()), "path:/b");
  EXPECT_EQ(body_of(second.read_response()), "path:/c");
  EXPECT_NE(second.read_response().find("HTTP/1.1 400"), std::string::npos);
}

TEST_F(Basics, PipelinedAnswersGoOutWhileTheNextHeadIsIncomplete) {
  RawClient client(server.port());
  // The second head is cut short: the first answer must not wait for the rest of it.
  client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo");
  EXPECT_EQ(body_of(client.read_response()), "path:/a");
  client.send("st: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "path:/b");
}

TEST_F(Basics, ChunkedRequestBodyArrivesInPieces) {
  RawClient client(server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  client.send("6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  std::string response = client.read_response();
  EXPECT_EQ(body_of(response), "hello world");
  // Delivered as it came, not gathered first (at least the two sends, maybe the empty last piece too).
  EXPECT_EQ(response.find("x-pieces: 1\r\n"), std::string::npos);
}

TEST_F(Basics, StreamedResponseIsChunked) {
  RawClient client(server.port());
  client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string response = client.read_response();
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(body_of(response), "one,two,three");
}

TEST_F(Basics, StreamedResponseToHttp10IsCloseDelimited) {
  RawClient client(server.port());
  client.send("GET /stream HTTP/1.0\r\n\r\n");
  std::string response = client.read_all();
  EXPECT_EQ(response.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  EXPECT_EQ(body_of(response), "one,two,three");
}

TEST_F(Basics, HeadHasTheHeadersButNoBody) {
  RawClient client(server.port());
  client.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = client.read_response(true);
  EXPECT_NE(head.find("Content-Length: 11"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  // The next response follows directly: no body bytes were sent for HEAD.
  EXPECT_EQ(body_of(client.read_response()), "path:/after");
}

TEST_F(Basics, ExpectContinueIsAnsweredWhenTheBodyIsRead) {
  RawClient client(server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  std::string interim = client.read_response();
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n")) << interim;
  client.send("data");
  EXPECT_EQ(body_of(client.read_response()), "data");
}

TEST_F(Basics, EachRequestRunsInItsOwnContext) {
  RawClient client(server.port());
  client.send("GET /context HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "GET /context");
}

TEST_F(Basics, ApplicationErrorIs500) {
  RawClient client(server.port());
  client.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string response = client.read_response();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 500 ")) << response;
}

// A CR, LF or NUL in a response header would let an application's data split the response: the server
// answers 500 instead, whatever the byte's offset in the eight-bytes-at-a-time scan; a tab is allowed.
TEST_F(Basics, ResponseHeaderWithCrLfOrNulIs500AtEveryOffset) {
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (int byte : {int{'\r'}, int{'\n'}, 0}) {
        RawClient client(server.port());
        client.send("GET /bad-header?" + std::to_string(length) + "," + std::to_string(at) + "," +
                    std::to_string(byte) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        std::string response = client.read_response();
        EXPECT_TRUE(response.starts_with("HTTP/1.1 500 ")) << length << " " << at << " " << byte;
        EXPECT_EQ(response.find("x-value"), std::string::npos) << response;
      }
    }
    RawClient client(server.port());
    client.send("GET /bad-header?" + std::to_string(length) + ",0,9 HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = client.read_response();
    EXPECT_NE(response.find("x-value: \t" + std::string(length - 1, 'v') + "\r\n"), std::string::npos)
        << response;
  }
}

TEST_F(Basics, Http10KeepAliveOnlyWhenAsked) {
  RawClient client(server.port());
  client.send("GET /x HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(client.read_all().starts_with("HTTP/1.0 200 OK"));
  RawClient keep(server.port());
  keep.send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_NE(keep.read_response().find("Connection: keep-alive"), std::string::npos);
  keep.send("GET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(body_of(keep.read_response()), "path:/y");
}

// A process a view starts must not inherit the listening socket or the open connections: it would keep the
// port bound and the clients' connections open after the server closed them.
TEST_F(Basics, ChildProcessesInheritNoServerSocket) {
  RawClient client(server.port());  // SOCK_CLOEXEC itself, so every socket a child sees is the server's
  client.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client.read_response()), "path:/held");
  std::string fds = run_command("ls -l /proc/self/fd");
  EXPECT_NE(fds.find("/proc/"), std::string::npos) << fds;  // ls listed its own descriptors
  EXPECT_EQ(fds.find("socket:"), std::string::npos) << fds;
}

TEST(Addresses, Ipv6AndUnixSockets) {
  auto probe = std::make_shared<AppProbe>();
  server::ServerOptions v6;
  v6.host = "::1";
  v6.port = 0;
  TestServer server6(test_app(probe), v6);
  RawClient client6(server6.port(), "::1");
  client6.send("GET /client HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client6.read_response()), "::1");

  server::ServerOptions unix_options;
  unix_options.unix_socket = "/tmp/duet-server-test-" + std::to_string(::getpid()) + ".sock";
  TestServer server_unix(test_app(probe), unix_options);
  RawClient client_unix(unix_options.unix_socket);
  client_unix.send("GET /over-unix HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(client_unix.read_response()), "path:/over-unix");
  EXPECT_EQ(run_command("curl -s --unix-socket " + unix_options.unix_socket + " http://x/curl-unix"),
            "path:/curl-unix");
}

}  // namespace
}  // namespace duet::testing
