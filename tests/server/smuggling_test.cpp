// RFC 9112 request-smuggling defences: each vector is rejected with 400 and the connection closed, and
// the application never sees the request.
#include <gtest/gtest.h>

#include "server/support.hpp"
#include "server/test_app.hpp"

namespace duet::testing {
namespace {

struct Vector {
  const char* name;
  const char* request;
  const char* status = "HTTP/1.1 400 Bad Request";
  /// false for errors in a chunked body: the head was fine, so the application had started.
  bool head_error = true;
};

class Smuggling : public ::testing::TestWithParam<Vector> {};

TEST_P(Smuggling, IsRejectedAndTheConnectionClosed) {
  auto probe = std::make_shared<AppProbe>();
  TestServer server(test_app(probe), {}, 1);
  RawClient client(server.port());
  client.send(GetParam().request);
  std::string response = client.read_all();
  EXPECT_EQ(response.substr(0, response.find("\r\n")), GetParam().status) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  // Nothing after the error response: a smuggled second request was not answered.
  EXPECT_EQ(response.find("HTTP/1.1", 1), std::string::npos) << response;
  if (GetParam().head_error) {
    EXPECT_EQ(probe->started.load(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, Smuggling,
    ::testing::Values(
        Vector{"ContentLengthAndTransferEncoding",
               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
               "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
        Vector{"TransferEncodingAndContentLength",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
               "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
        Vector{"DifferingContentLengths",
               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc"},
        Vector{"ContentLengthList", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd"},
        Vector{"NegativeContentLength", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
        Vector{"TransferEncodingNotChunkedLast",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
        Vector{"TransferEncodingUnknown",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"},
        Vector{"TransferEncodingInHttp10",
               "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        Vector{"ObsFold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n"},
        Vector{"ObsFoldOfTransferEncoding",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
        Vector{"WhitespaceBeforeFirstField", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"},
        Vector{"BareCR", "GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n"},
        Vector{"BareLF", "GET / HTTP/1.1\nHost: x\r\n\r\n"},
        Vector{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"},
        Vector{"MissingHost", "GET / HTTP/1.1\r\n\r\n"},
        Vector{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        Vector{"BadChunkSize",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
               "HTTP/1.1 400 Bad Request", false},
        Vector{"OverflowingChunkSize",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
               "HTTP/1.1 400 Bad Request", false},
        Vector{"ChunkWithoutCRLF",
               "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
               "HTTP/1.1 400 Bad Request", false},
        Vector{"BadVersion", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
        Vector{"NotAPath", "GET nope HTTP/1.1\r\nHost: x\r\n\r\n"},
        Vector{"BadPercentEscape", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
        Vector{"UnknownExpectation",
               "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx",
               "HTTP/1.1 417 Expectation Failed"}),
    [](const ::testing::TestParamInfo<Vector>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace duet::testing
