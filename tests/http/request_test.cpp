#include "duet/http/request.hpp"

#include <gtest/gtest.h>

#include "duet/http/exceptions.hpp"
#include "duet/runtime.hpp"

using namespace duet::http;
using duet::conf::Settings;

namespace {

std::shared_ptr<const Settings> make_settings(std::function<void(Settings&)> f = nullptr) {
  Settings s;
  s.ALLOWED_HOSTS = {"example.com", ".sub.org"};
  if (f) f(s);
  return std::make_shared<const Settings>(std::move(s));
}

HttpRequest make(RequestParts parts, std::function<void(Settings&)> f = nullptr) {
  return HttpRequest(std::move(parts), make_settings(std::move(f)));
}

// A body that hands out at most `step` bytes per read, like a socket.
class TrickleBody : public BodySource {
 public:
  TrickleBody(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
  std::size_t read(std::span<char> dst) override {
    auto n = std::min({dst.size(), step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, dst.data());
    pos_ += n;
    ++reads;
    return n;
  }
  duet::Task<std::size_t> aread(std::span<char> dst) override { co_return read(dst); }
  int reads = 0;

 private:
  std::string data_;
  std::size_t step_, pos_ = 0;
};

}  // namespace

TEST(HttpRequest, BasicAttributes) {
  auto r = make({.method = "get",
                 .path = "/app/caf\xC3\xA9/",
                 .root_path = "/app",
                 .query_string = "q=1&q=2",
                 .headers = {{"Host", "example.com"}, {"User-Agent", "t"}, {"X-A", "1"}, {"x-a", "2"}}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/app/caf\xC3\xA9/");
  EXPECT_EQ(r.path_info, "/caf\xC3\xA9/");
  EXPECT_EQ(r.GET().getlist("q").size(), 2u);
  EXPECT_EQ(r.headers["user-agent"], "t");
  EXPECT_EQ(r.headers["USER_AGENT"], "t");
  EXPECT_EQ(r.headers["X-A"], "1,2");
  EXPECT_EQ(r.META()["HTTP_USER_AGENT"], "t");
  EXPECT_EQ(r.META()["QUERY_STRING"], "q=1&q=2");
  EXPECT_EQ(r.get_full_path(), "/app/caf%C3%A9/?q=1&q=2");
  EXPECT_EQ(r.get_full_path_info(), "/caf%C3%A9/?q=1&q=2");
}

// from_view() (what the ASGI handler uses) builds the same request as the RequestParts constructor.
TEST(HttpRequest, FromViewMatchesRequestParts) {
  const std::string path = "/app/caf\xC3\xA9/", root = "/app/", query = "q=1", host = "10.0.0.1";
  for (const std::string_view mount : {std::string_view(), std::string_view(root)}) {
    RequestParts parts{.method = "post",
                       .scheme = "https",
                       .path = path,
                       .root_path = std::string(mount),
                       .query_string = query,
                       .headers = {{"content-type", "text/plain; charset=latin-1"}, {"host", "h"}},
                       .client = std::pair<std::string, std::uint16_t>(host, 5000),
                       .server = std::pair<std::string, std::uint16_t>("srv", 8000)};
    RequestPartsView view{.method = "post",
                          .scheme = "https",
                          .path = path,
                          .root_path = mount,
                          .query_string = query,
                          .headers = parts.headers,
                          .client = std::pair<std::string_view, std::uint16_t>(host, 5000),
                          .server = std::pair<std::string_view, std::uint16_t>("srv", 8000)};
    HttpRequest a(std::move(parts), make_settings());
    HttpRequest b = HttpRequest::from_view(std::move(view), make_settings());
    EXPECT_EQ(b.method, "POST");
    EXPECT_EQ(b.path, a.path);
    EXPECT_EQ(b.path_info, a.path_info);
    EXPECT_EQ(b.content_type, "text/plain");
    EXPECT_EQ(b.encoding, "latin-1");
    EXPECT_EQ(b.headers.items(), a.headers.items());
    EXPECT_EQ(b.META(), a.META());
    EXPECT_EQ(b.scheme(), "https");
    EXPECT_EQ(b.get_full_path(), a.get_full_path());
  }
}

TEST(HttpRequest, UnderscoreHeadersAreDropped) {
  auto r = make({.headers = {{"X_Forwarded_For", "spoof"}, {"X-Forwarded-For", "real"}}});
  EXPECT_EQ(r.META()["HTTP_X_FORWARDED_FOR"], "real");
  EXPECT_EQ(r.headers.size(), 1u);
}

// Lower-case names as a server hands them over are stored as they are, and the same rules still hold:
// repeats joined, '_' dropped.
TEST(HttpRequest, LowerCaseHeadersFollowTheSameRules) {
  auto plain = make({.headers = {{"host", "example.com"}, {"accept", "*/*"}}});
  EXPECT_EQ(plain.headers.size(), 2u);
  EXPECT_EQ(plain.headers["Accept"], "*/*");
  auto repeated =
      make({.headers = {{"x-a", "1"}, {"host", "h"}, {"x-a", "2"}, {"cookie", "a=1"}, {"cookie", "b=2"}}});
  EXPECT_EQ(repeated.headers.size(), 3u);
  EXPECT_EQ(repeated.headers["x-a"], "1,2");
  EXPECT_EQ(repeated.COOKIES().at("b"), "2");
  auto underscore = make({.headers = {{"x_forwarded_for", "spoof"}, {"x-forwarded-for", "real"}}});
  EXPECT_EQ(underscore.headers.size(), 1u);
  EXPECT_EQ(underscore.META()["HTTP_X_FORWARDED_FOR"], "real");
}

TEST(HttpRequest, ContentTypeAndCookies) {
  auto r =
      make({.headers = {
                {"Content-Type", "Text/Plain; charset=latin-1"}, {"Cookie", "a=1; b=2"}, {"Cookie", "c=3"}}});
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.encoding, "latin-1");
  EXPECT_EQ(r.COOKIES().at("a"), "1");
  EXPECT_EQ(r.COOKIES().at("c"), "3");
  EXPECT_EQ(r.META()["CONTENT_TYPE"], "Text/Plain; charset=latin-1");
}

TEST(HttpRequest, GetHostValidatesAllowedHosts) {
  EXPECT_EQ(make({.headers = {{"Host", "example.com:8000"}}}).get_host(), "example.com:8000");
  EXPECT_EQ(make({.headers = {{"Host", "a.sub.org"}}}).get_host(), "a.sub.org");
  EXPECT_EQ(make({.headers = {{"Host", "sub.org"}}}).get_host(), "sub.org");
  EXPECT_EQ(make({.headers = {{"Host", "example.com."}}}).get_host(), "example.com.");
  try {
    make({.headers = {{"Host", "evil.com"}}}).get_host();
    FAIL();
  } catch (const DisallowedHost& e) {
    EXPECT_EQ(std::string(e.what()),
              "Invalid HTTP_HOST header: 'evil.com'. You may need to add 'evil.com' to ALLOWED_HOSTS.");
    EXPECT_EQ(e.status_code(), 400);
  }
  try {
    make({.headers = {{"Host", "bad host"}}}).get_host();
    FAIL();
  } catch (const DisallowedHost& e) {
    EXPECT_NE(std::string(e.what()).find("RFC 1034/1035"), std::string::npos);
  }
  // DEBUG with no ALLOWED_HOSTS allows the localhost forms only.
  auto debug = [](Settings& s) {
    s.ALLOWED_HOSTS.clear();
    s.DEBUG = true;
  };
  EXPECT_EQ(make({.headers = {{"Host", "localhost:8000"}}}, debug).get_host(), "localhost:8000");
  EXPECT_EQ(make({.headers = {{"Host", "[::1]:8000"}}}, debug).get_host(), "[::1]:8000");
  EXPECT_THROW(make({.headers = {{"Host", "example.com"}}}, debug).get_host(), DisallowedHost);
  // No Host header: SERVER_NAME and a non-default port.
  EXPECT_EQ(make({.server = std::pair{std::string("example.com"), std::uint16_t{8080}}}).get_host(),
            "example.com:8080");
  EXPECT_EQ(make({.server = std::pair{std::string("example.com"), std::uint16_t{80}}}).get_host(),
            "example.com");
}

TEST(HttpRequest, ForwardedHostAndProto) {
  auto cfg = [](Settings& s) {
    s.USE_X_FORWARDED_HOST = true;
    s.SECURE_PROXY_SSL_HEADER = std::pair{std::string("HTTP_X_FORWARDED_PROTO"), std::string("https")};
  };
  auto r = make({.path = "/x",
                 .headers = {{"Host", "internal"},
                             {"X-Forwarded-Host", "example.com"},
                             {"X-Forwarded-Proto", "https"}}},
                cfg);
  EXPECT_EQ(r.get_host(), "example.com");
  EXPECT_TRUE(r.is_secure());
  EXPECT_EQ(r.build_absolute_uri(), "https://example.com/x");
  auto plain = make({.headers = {{"Host", "example.com"}}});
  EXPECT_FALSE(plain.is_secure());
}

TEST(HttpRequest, BuildAbsoluteUri) {
  auto r = make({.path = "/a/b/", .query_string = "x=1", .headers = {{"Host", "example.com"}}});
  EXPECT_EQ(r.build_absolute_uri(), "http://example.com/a/b/?x=1");
  EXPECT_EQ(r.build_absolute_uri("/c"), "http://example.com/c");
  EXPECT_EQ(r.build_absolute_uri("d?y=2"), "http://example.com/a/b/d?y=2");
  EXPECT_EQ(r.build_absolute_uri("../e"), "http://example.com/a/e");
  EXPECT_EQ(r.build_absolute_uri("https://other.org/z"), "https://other.org/z");
  EXPECT_EQ(r.build_absolute_uri("//cdn.org/z"), "http://cdn.org/z");
}

TEST(HttpRequest, UrlencodedPostFromStreamingBody) {
  auto body = std::make_shared<TrickleBody>("a=1&b=x+y&a=2", 3);
  auto r = make(
      {.method = "POST", .headers = {{"Content-Type", "application/x-www-form-urlencoded"}}, .body = body});
  EXPECT_EQ(r.POST().getlist("a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(r.POST()["b"], "x y");
  EXPECT_FALSE(r.POST().is_mutable());
  EXPECT_GT(body->reads, 2);
  EXPECT_EQ(r.body(), "a=1&b=x+y&a=2");  // kept after parsing a urlencoded form, as Django does
}

TEST(HttpRequest, PostIsEmptyForOtherMethodsAndTypes) {
  auto put = make({.method = "PUT",
                   .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                   .body = std::make_shared<BufferBodySource>("a=1")});
  EXPECT_TRUE(put.POST().empty());
  EXPECT_EQ(put.body(), "a=1");
  auto json = make({.method = "POST",
                    .headers = {{"Content-Type", "application/json"}},
                    .body = std::make_shared<BufferBodySource>("{\"a\":1}")});
  EXPECT_TRUE(json.POST().empty());
  EXPECT_EQ(json.body(), "{\"a\":1}");
}

TEST(HttpRequest, BodyLimitsGive413) {
  auto small = [](Settings& s) { s.DATA_UPLOAD_MAX_MEMORY_SIZE = 4; };
  // Announced length over the limit: refused before reading.
  auto announced = make({.method = "POST",
                         .headers = {{"Content-Length", "100"}},
                         .body = std::make_shared<BufferBodySource>("12345")},
                        small);
  EXPECT_THROW(announced.body(), RequestDataTooBig);
  // No length announced: refused while reading.
  auto r = make({.method = "POST", .body = std::make_shared<BufferBodySource>("12345")}, small);
  try {
    r.body();
    FAIL();
  } catch (const RequestDataTooBig& e) {
    EXPECT_EQ(e.status_code(), 413);
  }
  auto fields = make({.method = "POST",
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                      .body = std::make_shared<BufferBodySource>("a=1&b=2&c=3")},
                     [](Settings& s) { s.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2; });
  EXPECT_THROW(fields.POST(), TooManyFieldsSent);
  auto get_fields = make({.query_string = "a&b&c"}, [](Settings& s) { s.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2; });
  EXPECT_THROW(get_fields.GET(), TooManyFieldsSent);
}

TEST(HttpRequest, StreamReadThenBodyIsAnError) {
  auto r = make({.method = "POST", .body = std::make_shared<BufferBodySource>("hello")});
  char buf[2];
  EXPECT_EQ(r.read(buf), 2u);
  EXPECT_THROW(r.body(), RawPostDataException);
}

TEST(HttpRequest, AsyncBodyAndPost) {
  duet::Runtime rt(duet::RuntimeOptions{.loops = 1});
  auto r = make({.method = "POST",
                 .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                 .body = std::make_shared<TrickleBody>("k=v", 1)});
  rt.block_on([&]() -> duet::Task<void> {
    co_await r.aload_post();
    auto body = co_await r.abody();
    EXPECT_EQ(body, "k=v");
  }());
  EXPECT_EQ(r.POST()["k"], "v");
}

TEST(HttpRequest, ExceptionStatuses) {
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(Http404())), 404);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(PermissionDenied())), 403);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(BadRequest())), 400);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(SuspiciousOperation("x"))), 400);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(DisallowedHost("x"))), 400);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(RequestDataTooBig())), 413);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(TooManyFilesSent())), 400);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(MultiPartParserError("x"))), 400);
  EXPECT_EQ(status_for_exception(std::make_exception_ptr(std::runtime_error("x"))), 500);
}
