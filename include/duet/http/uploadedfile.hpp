// Uploaded files and the handlers that receive them (django.core.files.uploadedfile / uploadhandler).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace duet::http {

/// One file of request.FILES(): in memory, or in a temporary file that is removed when the last reference
/// to this object goes away (i.e. after the request, unless the view kept it).
class UploadedFile {
 public:
  /// In memory.
  UploadedFile(std::string name, std::string content_type, std::string charset, std::string content);
  /// In a temporary file this object now owns.
  UploadedFile(std::string name, std::string content_type, std::string charset,
               std::filesystem::path temp_path, std::size_t size);
  ~UploadedFile();
  UploadedFile(const UploadedFile&) = delete;
  UploadedFile& operator=(const UploadedFile&) = delete;

  /// The client's file name, reduced to its last path component.
  const std::string& name() const noexcept { return name_; }
  const std::string& content_type() const noexcept { return content_type_; }
  const std::string& charset() const noexcept { return charset_; }
  std::size_t size() const noexcept { return size_; }
  bool in_memory() const noexcept { return !temp_path_; }
  /// The temporary file's path (Django's temporary_file_path()), absent when in memory.
  const std::optional<std::filesystem::path>& temporary_file_path() const noexcept { return temp_path_; }
  /// The whole content (reads the temporary file).
  std::string read() const;
  /// Calls `sink` with successive chunks of at most `chunk_size` bytes.
  void chunks(const std::function<void(std::string_view)>& sink, std::size_t chunk_size = 64 * 1024) const;

 private:
  std::string name_, content_type_, charset_, content_;
  std::optional<std::filesystem::path> temp_path_;
  std::size_t size_ = 0;
};

/// Receives the data of one file at a time while a multipart body is parsed.
class FileUploadHandler {
 public:
  virtual ~FileUploadHandler() = default;
  virtual void new_file(std::string_view field_name, std::string_view file_name,
                        std::string_view content_type, std::string_view charset) = 0;
  virtual void receive_data_chunk(std::string_view data) = 0;
  virtual std::shared_ptr<UploadedFile> file_complete() = 0;
};

/// The default handler: keeps a file in memory up to `memory_limit` bytes
/// (FILE_UPLOAD_MAX_MEMORY_SIZE), then moves it to a temporary file in `temp_dir` (FILE_UPLOAD_TEMP_DIR,
/// empty = the system's). Django picks memory or disk from the whole body's length; deciding per file
/// keeps small files in memory even in a large request.
class SpillingUploadHandler : public FileUploadHandler {
 public:
  SpillingUploadHandler(std::size_t memory_limit, std::filesystem::path temp_dir);
  ~SpillingUploadHandler() override;
  void new_file(std::string_view field_name, std::string_view file_name, std::string_view content_type,
                std::string_view charset) override;
  void receive_data_chunk(std::string_view data) override;
  std::shared_ptr<UploadedFile> file_complete() override;

 private:
  void discard();
  std::size_t memory_limit_;
  std::filesystem::path temp_dir_;
  std::string name_, content_type_, charset_, buffer_;
  std::optional<std::filesystem::path> temp_path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

using UploadHandlerFactory = std::function<std::unique_ptr<FileUploadHandler>()>;

}  // namespace duet::http
