#include "duet/http/uploadedfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace duet::http {

UploadedFile::UploadedFile(std::string name, std::string content_type, std::string charset,
                           std::string content)
    : name_(std::move(name)),
      content_type_(std::move(content_type)),
      charset_(std::move(charset)),
      content_(std::move(content)),
      size_(content_.size()) {}

UploadedFile::UploadedFile(std::string name, std::string content_type, std::string charset,
                           std::filesystem::path temp_path, std::size_t size)
    : name_(std::move(name)),
      content_type_(std::move(content_type)),
      charset_(std::move(charset)),
      temp_path_(std::move(temp_path)),
      size_(size) {}

UploadedFile::~UploadedFile() {
  if (temp_path_) {
    std::error_code ec;
    std::filesystem::remove(*temp_path_, ec);
  }
}

std::string UploadedFile::read() const {
  if (!temp_path_) return content_;
  std::string out;
  chunks([&](std::string_view c) { out.append(c); });
  return out;
}

void UploadedFile::chunks(const std::function<void(std::string_view)>& sink, std::size_t chunk_size) const {
  if (chunk_size == 0) chunk_size = 64 * 1024;
  if (!temp_path_) {
    for (std::size_t pos = 0; pos < content_.size(); pos += chunk_size)
      sink(std::string_view(content_).substr(pos, chunk_size));
    return;
  }
  std::ifstream in(*temp_path_, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open uploaded file " + temp_path_->string());
  std::string buf(chunk_size, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    sink(std::string_view(buf.data(), n));
  }
}

SpillingUploadHandler::SpillingUploadHandler(std::size_t memory_limit, std::filesystem::path temp_dir)
    : memory_limit_(memory_limit), temp_dir_(std::move(temp_dir)) {
  if (temp_dir_.empty()) temp_dir_ = std::filesystem::temp_directory_path();
}

SpillingUploadHandler::~SpillingUploadHandler() {
  discard();
}

void SpillingUploadHandler::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (temp_path_) {
    std::error_code ec;
    std::filesystem::remove(*temp_path_, ec);
    temp_path_.reset();
  }
  buffer_.clear();
  size_ = 0;
}

void SpillingUploadHandler::new_file(std::string_view, std::string_view file_name,
                                     std::string_view content_type, std::string_view charset) {
  discard();
  name_ = file_name;
  content_type_ = content_type;
  charset_ = charset;
}

void SpillingUploadHandler::receive_data_chunk(std::string_view data) {
  size_ += data.size();
  if (fd_ < 0 && buffer_.size() + data.size() <= memory_limit_) {
    buffer_.append(data);
    return;
  }
  auto write_all = [this](std::string_view d) {
    while (!d.empty()) {
      auto n = ::write(fd_, d.data(), d.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "writing upload temporary file");
      }
      d.remove_prefix(static_cast<std::size_t>(n));
    }
  };
  if (fd_ < 0) {
    std::string tmpl = (temp_dir_ / "duet-upload-XXXXXX").string();
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "creating upload temporary file");
    temp_path_ = tmpl;
    write_all(buffer_);
    buffer_.clear();
    buffer_.shrink_to_fit();
  }
  write_all(data);
}

std::shared_ptr<UploadedFile> SpillingUploadHandler::file_complete() {
  std::shared_ptr<UploadedFile> out;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    out = std::make_shared<UploadedFile>(name_, content_type_, charset_, *temp_path_, size_);
    temp_path_.reset();  // now owned by the UploadedFile
  } else {
    out = std::make_shared<UploadedFile>(name_, content_type_, charset_, std::move(buffer_));
  }
  buffer_.clear();
  size_ = 0;
  return out;
}

}  // namespace duet::http
