#include <gtest/gtest.h>

#include <fstream>

#include "duet/http/exceptions.hpp"
#include "duet/http/file_response.hpp"
#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/runtime.hpp"

using namespace duet::http;

TEST(Streaming, SyncGeneratorChunkByChunk) {
  int n = 0;
  StreamingHttpResponse r(ChunkGenerator([&n]() -> std::optional<std::string> {
    if (n == 3) return std::nullopt;
    return std::to_string(n++);
  }));
  EXPECT_TRUE(r.streaming());
  EXPECT_FALSE(r.is_async());
  EXPECT_THROW(r.content(), std::logic_error);
  EXPECT_EQ(r.next_chunk(), "0");
  EXPECT_EQ(n, 1);  // lazily: one chunk produced per call
  EXPECT_EQ(r.consume(), "12");
  EXPECT_EQ(r.next_chunk(), std::nullopt);
}

TEST(Streaming, SyncGeneratorUnderAsyncRunsOffTheLoop) {
  duet::Runtime rt(duet::RuntimeOptions{.loops = 1});
  int n = 0;
  bool on_loop = true;
  HttpResponse r = StreamingHttpResponse(ChunkGenerator([&]() -> std::optional<std::string> {
    on_loop = duet::in_event_loop();
    if (n == 2) return std::nullopt;
    return n++ == 0 ? std::string("a") : std::string();  // the empty chunk is skipped
  }));
  auto chunks = rt.block_on([&]() -> duet::Task<std::vector<std::string>> {
    std::vector<std::string> out;
    while (auto c = co_await r.anext_chunk())
      out.push_back(*c);
    co_return out;
  }());
  EXPECT_EQ(chunks, (std::vector<std::string>{"a"}));
  EXPECT_FALSE(on_loop);
}

TEST(Streaming, AsyncGenerator) {
  duet::Runtime rt(duet::RuntimeOptions{.loops = 1});
  auto n = std::make_shared<int>(0);
  StreamingHttpResponse r(AsyncChunkGenerator([n]() -> duet::Task<std::optional<std::string>> {
    if (*n == 2) co_return std::nullopt;
    co_return "c" + std::to_string((*n)++);
  }));
  EXPECT_TRUE(r.is_async());
  auto all = rt.block_on([&]() -> duet::Task<std::string> {
    std::string out;
    while (auto c = co_await r.anext_chunk())
      out += *c;
    co_return out;
  }());
  EXPECT_EQ(all, "c0c1");
  // From a plain thread, the sync interface drives the async generator through async_to_sync.
  *n = 0;
  StreamingHttpResponse again(AsyncChunkGenerator([n]() -> duet::Task<std::optional<std::string>> {
    if (*n == 1) co_return std::nullopt;
    ++*n;
    co_return std::string("x");
  }));
  EXPECT_EQ(again.consume(), "x");
}

namespace {
std::filesystem::path write_temp(const std::string& name, const std::string& content) {
  auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
}  // namespace

TEST(FileResponse, WholeFile) {
  auto p = write_temp("duet-fr-test.txt", "0123456789");
  FileResponse r(p, {.block_size = 4});
  EXPECT_EQ(r.status_code(), 200);
  EXPECT_EQ(r.headers["Content-Type"], "text/plain");
  EXPECT_EQ(r.headers["Content-Length"], "10");
  EXPECT_EQ(r.headers["Content-Disposition"], "inline; filename=\"duet-fr-test.txt\"");
  EXPECT_EQ(r.headers["Accept-Ranges"], "bytes");
  EXPECT_EQ(r.next_chunk(), "0123");
  EXPECT_EQ(r.consume(), "456789");
  FileResponse a(p, {.as_attachment = true, .filename = "r\xC3\xA9sum\xC3\xA9.pdf"});
  EXPECT_EQ(a.headers["Content-Disposition"], "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(a.headers["Content-Type"], "application/pdf");
  std::filesystem::remove(p);
  EXPECT_THROW(FileResponse{p}, Http404);
}

TEST(FileResponse, Ranges) {
  auto p = write_temp("duet-fr-range.bin", "0123456789");
  auto with = [&](std::string range) { return FileResponse(p, {.range = range}); };
  auto r = with("bytes=2-4");
  EXPECT_EQ(r.status_code(), 206);
  EXPECT_EQ(r.headers["Content-Range"], "bytes 2-4/10");
  EXPECT_EQ(r.headers["Content-Length"], "3");
  EXPECT_EQ(r.consume(), "234");
  EXPECT_EQ(with("bytes=7-").consume(), "789");
  EXPECT_EQ(with("bytes=-3").consume(), "789");
  EXPECT_EQ(with("bytes=5-100").consume(), "56789");
  EXPECT_EQ(with("bytes=-100").consume(), "0123456789");
  auto bad = with("bytes=10-");
  EXPECT_EQ(bad.status_code(), 416);
  EXPECT_EQ(bad.headers["Content-Range"], "bytes */10");
  EXPECT_EQ(bad.consume(), "");
  EXPECT_EQ(with("bytes=-0").status_code(), 416);
  // Ignored: several ranges, bad syntax, other units.
  EXPECT_EQ(with("bytes=0-1,3-4").status_code(), 200);
  EXPECT_EQ(with("bytes=4-2").status_code(), 200);
  EXPECT_EQ(with("items=0-1").status_code(), 200);
  EXPECT_EQ(with("bytes=x-1").consume(), "0123456789");
  // From the request's header.
  HttpRequest req({.headers = {{"Range", "bytes=0-0"}}});
  EXPECT_EQ(FileResponse(req, p).consume(), "0");
  std::filesystem::remove(p);
}
