#include "duet/test/request_factory.hpp"

#include <boost/json/serialize.hpp>

#include "duet/http/body.hpp"
#include "request_building.hpp"

namespace duet::test {

RequestFactory::RequestFactory(std::vector<std::pair<std::string, std::string>> default_headers)
    : default_headers_(std::move(default_headers)) {}

http::HttpRequest RequestFactory::generic(std::string method, std::string_view path, std::string body,
                                          std::string content_type, const RequestOptions& options) {
  http::RequestParts parts;
  parts.method = std::move(method);
  parts.scheme = options.secure ? "https" : "http";
  std::string target(path);
  auto question = target.find('?');
  parts.path = target.substr(0, question);
  parts.query_string = question == std::string::npos ? "" : target.substr(question + 1);
  parts.client.emplace("127.0.0.1", 0);
  parts.server.emplace("testserver", options.secure ? 443 : 80);
  parts.headers.emplace_back("host", "testserver");
  if (!content_type.empty()) parts.headers.emplace_back("content-type", std::move(content_type));
  parts.headers.emplace_back("content-length", std::to_string(body.size()));
  for (const auto& list : {default_headers_, options.headers}) {
    for (const auto& [name, value] : list) {
      std::string key = detail::lower(name);
      std::erase_if(parts.headers, [&](const auto& h) { return h.first == key; });
      parts.headers.emplace_back(key, value);
    }
  }
  parts.body = std::make_shared<http::BufferBodySource>(std::move(body));
  return http::HttpRequest(std::move(parts));
}

http::HttpRequest RequestFactory::get(std::string_view path, const Data& query,
                                      const RequestOptions& options) {
  return generic("GET", detail::with_query(path, query), {}, {}, options);
}

http::HttpRequest RequestFactory::post(std::string_view path, const Data& form, const RequestOptions& options,
                                       const std::vector<File>& files) {
  return generic("POST", path, detail::encode_multipart(form, files), detail::multipart_content_type(),
                 options);
}

http::HttpRequest RequestFactory::post_json(std::string_view path, const boost::json::value& json,
                                            const RequestOptions& options) {
  return generic("POST", path, boost::json::serialize(json), "application/json", options);
}

http::HttpRequest RequestFactory::put(std::string_view path, std::string body, std::string content_type,
                                      const RequestOptions& options) {
  return generic("PUT", path, std::move(body), std::move(content_type), options);
}

http::HttpRequest RequestFactory::patch(std::string_view path, std::string body, std::string content_type,
                                        const RequestOptions& options) {
  return generic("PATCH", path, std::move(body), std::move(content_type), options);
}

http::HttpRequest RequestFactory::delete_(std::string_view path, const RequestOptions& options) {
  return generic("DELETE", path, {}, {}, options);
}

http::HttpRequest RequestFactory::head(std::string_view path, const Data& query,
                                       const RequestOptions& options) {
  return generic("HEAD", detail::with_query(path, query), {}, {}, options);
}

http::HttpRequest RequestFactory::options(std::string_view path, const RequestOptions& options) {
  return generic("OPTIONS", path, {}, {}, options);
}

}  // namespace duet::test
