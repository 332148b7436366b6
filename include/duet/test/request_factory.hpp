// RequestFactory (django.test.RequestFactory): requests to pass to a view directly, without middleware or
// URL resolution.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "duet/http/request.hpp"
#include "duet/test/client.hpp"

namespace duet::test {

/// Makes HttpRequest objects with the same arguments as Client's methods:
///
///     duet::test::RequestFactory factory;
///     auto request = factory.get("/books/", {{"page", "2"}});
///     auto response = book_list(request);
///
/// The body is in memory, so sync and async views alike can read it without waiting.
class RequestFactory {
 public:
  explicit RequestFactory(std::vector<std::pair<std::string, std::string>> default_headers = {});

  http::HttpRequest get(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  http::HttpRequest post(std::string_view path, const Data& form = {}, const RequestOptions& options = {},
                         const std::vector<File>& files = {});
  http::HttpRequest post_json(std::string_view path, const boost::json::value& json,
                              const RequestOptions& options = {});
  http::HttpRequest put(std::string_view path, std::string body = {},
                        std::string content_type = "application/octet-stream",
                        const RequestOptions& options = {});
  http::HttpRequest patch(std::string_view path, std::string body = {},
                          std::string content_type = "application/octet-stream",
                          const RequestOptions& options = {});
  http::HttpRequest delete_(std::string_view path, const RequestOptions& options = {});
  http::HttpRequest head(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  http::HttpRequest options(std::string_view path, const RequestOptions& options = {});
  http::HttpRequest generic(std::string method, std::string_view path, std::string body = {},
                            std::string content_type = {}, const RequestOptions& options = {});

 private:
  std::vector<std::pair<std::string, std::string>> default_headers_;
};

/// Django's AsyncRequestFactory makes ASGI requests for async views; duet has one request type for both
/// kinds of view, so it is the same factory.
using AsyncRequestFactory = RequestFactory;

}  // namespace duet::test
