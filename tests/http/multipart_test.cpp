#include "duet/http/multipart.hpp"

#include <gtest/gtest.h>

#include "duet/http/exceptions.hpp"
#include "duet/http/request.hpp"
#include "duet/runtime.hpp"

using namespace duet::http;
using duet::conf::Settings;

namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string part(std::string_view headers, std::string_view data) {
  return "--XyZ\r\n" + std::string(headers) + "\r\n\r\n" + std::string(data) + "\r\n";
}

std::string form(std::initializer_list<std::string> parts) {
  std::string out;
  for (auto& p : parts)
    out += p;
  return out + "--XyZ--\r\n";
}

HttpRequest post(std::string body, std::function<void(Settings&)> f = nullptr, std::string ctype = kType) {
  Settings s;
  if (f) f(s);
  return HttpRequest({.method = "POST",
                      .headers = {{"Content-Type", ctype}},
                      .body = std::make_shared<BufferBodySource>(std::move(body))},
                     std::make_shared<const Settings>(std::move(s)));
}

const std::string kForm = form({
    part("Content-Disposition: form-data; name=\"title\"", "Hello \xC3\xA9"),
    part("Content-Disposition: form-data; name=\"tag\"", "a"),
    part("Content-Disposition: form-data; name=\"tag\"", "b\r\nc"),
    part(
        "Content-Disposition: form-data; name=\"doc\"; filename=\"C:\\\\dir\\\\r\xC3\xA9sum\xC3\xA9.txt\"\r\n"
        "Content-Type: text/plain; charset=utf-8",
        std::string("line1\r\n--XyYnot-a-boundary\r\n") + std::string(1000, 'z')),
});

}  // namespace

TEST(Multipart, ParsesFieldsAndFiles) {
  auto r = post("preamble\r\n" + kForm + "epilogue");
  EXPECT_EQ(r.POST()["title"], "Hello \xC3\xA9");
  EXPECT_EQ(r.POST().getlist("tag"), (std::vector<std::string>{"a", "b\r\nc"}));
  ASSERT_TRUE(r.FILES().contains("doc"));
  auto f = r.FILES()["doc"];
  EXPECT_EQ(f->name(), "r\xC3\xA9sum\xC3\xA9.txt");
  EXPECT_EQ(f->content_type(), "text/plain");
  EXPECT_EQ(f->charset(), "utf-8");
  EXPECT_TRUE(f->in_memory());
  EXPECT_EQ(f->read(), std::string("line1\r\n--XyYnot-a-boundary\r\n") + std::string(1000, 'z'));
  EXPECT_THROW(r.body(), RawPostDataException);  // the body was streamed through the parser
}

TEST(Multipart, SameResultWhateverTheChunking) {
  // Feed one byte at a time: boundaries and headers split across every possible position.
  Settings s;
  MultiPartParser p(kType, s);
  for (char c : kForm)
    p.feed(std::string_view(&c, 1));
  auto f = p.finish();
  EXPECT_EQ(f.post.getlist("tag").size(), 2u);
  EXPECT_EQ(f.files["doc"]->size(), 1000u + 28u);
}

TEST(Multipart, LargeFileSpillsToATemporaryFileThatIsRemoved) {
  std::string big(100000, 'q');
  auto body = form({part("Content-Disposition: form-data; name=\"f\"; filename=\"big.bin\"", big)});
  std::filesystem::path temp;
  {
    auto r = post(body, [](Settings& s) { s.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000; });
    auto f = r.FILES()["f"];
    EXPECT_FALSE(f->in_memory());
    ASSERT_TRUE(f->temporary_file_path());
    temp = *f->temporary_file_path();
    EXPECT_TRUE(std::filesystem::exists(temp));
    EXPECT_EQ(std::filesystem::file_size(temp), big.size());
    EXPECT_EQ(f->read(), big);
    std::size_t chunks = 0;
    f->chunks([&](std::string_view c) { chunks += !c.empty(); }, 4096);
    EXPECT_EQ(chunks, 25u);
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
}

TEST(Multipart, Limits) {
  auto two_fields = form({part("Content-Disposition: form-data; name=\"a\"", "1"),
                          part("Content-Disposition: form-data; name=\"b\"", "2")});
  EXPECT_THROW(post(two_fields, [](Settings& s) { s.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1; }).POST(),
               TooManyFieldsSent);
  auto two_files = form({part("Content-Disposition: form-data; name=\"a\"; filename=\"a\"", "1"),
                         part("Content-Disposition: form-data; name=\"b\"; filename=\"b\"", "2")});
  EXPECT_THROW(post(two_files, [](Settings& s) { s.DATA_UPLOAD_MAX_NUMBER_FILES = 1; }).FILES(),
               TooManyFilesSent);
  auto big_field = form({part("Content-Disposition: form-data; name=\"a\"", std::string(100, 'x'))});
  EXPECT_THROW(post(big_field, [](Settings& s) { s.DATA_UPLOAD_MAX_MEMORY_SIZE = 50; }).POST(),
               RequestDataTooBig);
  // Files do not count against DATA_UPLOAD_MAX_MEMORY_SIZE.
  auto big_file =
      form({part("Content-Disposition: form-data; name=\"a\"; filename=\"f\"", std::string(100, 'x'))});
  EXPECT_EQ(post(big_file, [](Settings& s) { s.DATA_UPLOAD_MAX_MEMORY_SIZE = 50; }).FILES()["a"]->size(),
            100u);
}

TEST(Multipart, MalformedBodiesGive400) {
  auto status = [](auto fn) {
    try {
      fn();
    } catch (...) {
      return status_for_exception(std::current_exception());
    }
    return 200;
  };
  EXPECT_EQ(status([] { post("--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--").POST(); }), 400);
  EXPECT_EQ(status([] { post(part("Content-Disposition: form-data; name=\"a\"", "truncated")).POST(); }),
            400);
  EXPECT_EQ(status([] { post(kForm, nullptr, "multipart/form-data").POST(); }), 400);
  EXPECT_EQ(status([] { post(kForm, nullptr, "multipart/form-data; boundary=\"a\x01\"").POST(); }), 400);
  EXPECT_EQ(status([] { post("--XyZ\r\n" + std::string(20000, 'h')).POST(); }), 400);  // header block too big
  EXPECT_EQ(status([] { post("--XyZjunk\r\n").POST(); }), 400);
  EXPECT_EQ(status([] { post("").POST(); }), 200);  // empty body: empty form, as Django
}

TEST(Multipart, SkipsPartsWithoutDispositionAndEmptyFilenames) {
  auto body = form({part("Content-Type: text/plain", "orphan"),
                    part("Content-Disposition: form-data; name=\"f\"; filename=\"\"", "ignored"),
                    part("Content-Disposition: form-data; name=\"g\"; filename=\"../..\"", "ignored"),
                    part("Content-Disposition: form-data; name=\"ok\"", "1")});
  auto r = post(body);
  EXPECT_EQ(r.POST().size(), 1u);
  EXPECT_TRUE(r.FILES().empty());
}

TEST(Multipart, HeaderParameters) {
  auto [v, p] = parse_header_parameters("form-data; name=\"a;b\"; filename*=UTF-8''%C3%A9.txt; x=\"q\\\"q\"");
  EXPECT_EQ(v, "form-data");
  EXPECT_EQ(p["name"], "a;b");
  EXPECT_EQ(p["filename"], "\xC3\xA9.txt");
  EXPECT_EQ(p["x"], "q\"q");
}

TEST(Multipart, CustomUploadHandler) {
  struct Counting : FileUploadHandler {
    std::size_t* total;
    explicit Counting(std::size_t* t) : total(t) {}
    void new_file(std::string_view, std::string_view, std::string_view, std::string_view) override {}
    void receive_data_chunk(std::string_view d) override { *total += d.size(); }
    std::shared_ptr<UploadedFile> file_complete() override {
      return std::make_shared<UploadedFile>("counted", "", "", "");
    }
  };
  std::size_t total = 0;
  auto r = post(kForm);
  r.upload_handler_factory = [&] { return std::make_unique<Counting>(&total); };
  EXPECT_EQ(r.FILES()["doc"]->name(), "counted");
  EXPECT_EQ(total, 1028u);
}

namespace {
// Hands out a few bytes per aread and refuses blocking reads, like a network body on an event loop.
class AsyncOnlyBody : public BodySource {
 public:
  explicit AsyncOnlyBody(std::string data) : data_(std::move(data)) {}
  std::size_t read(std::span<char>) override {
    throw std::logic_error("blocking read on an async-only body");
  }
  duet::Task<std::size_t> aread(std::span<char> dst) override {
    auto n = std::min<std::size_t>({dst.size(), 7, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, dst.data());
    pos_ += n;
    co_return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};
}  // namespace

TEST(Multipart, AsyncLoadStreamsThroughTheParser) {
  duet::Runtime rt(duet::RuntimeOptions{.loops = 1, .watchdog_sink = {}});
  HttpRequest r({.method = "POST",
                 .headers = {{"Content-Type", kType}},
                 .body = std::make_shared<AsyncOnlyBody>(kForm)},
                std::make_shared<const Settings>());
  rt.block_on(r.aload_post());
  EXPECT_EQ(r.POST().getlist("tag").size(), 2u);  // no blocking read happened
  EXPECT_EQ(r.FILES()["doc"]->size(), 1028u);
}
