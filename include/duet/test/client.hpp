// The test clients (django.test.Client, AsyncClient): requests through the whole application — middleware,
// URL resolution, views — in process, with no socket.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/asgi/application.hpp"
#include "duet/runtime/task.hpp"

namespace duet::test {

/// Form fields or query parameters; a name may repeat (Django's MultiValueDict).
using Data = std::vector<std::pair<std::string, std::string>>;

/// A file to upload with post(): sent as multipart/form-data.
struct File {
  std::string field;
  std::string filename;
  std::string content;
  std::string content_type = "application/octet-stream";
};

struct RequestOptions {
  /// Extra request headers ("Accept", "text/html"); they override the client's defaults.
  std::vector<std::pair<std::string, std::string>> headers{};
  /// Follow redirects (at most 20); Response::redirect_chain lists them.
  bool follow = false;
  /// Make the request over "https".
  bool secure = false;
};

/// What the application answered.
class Response {
 public:
  int status_code = 0;
  /// Header names lower-case, in order, repeated ones kept.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content;
  /// Redirects followed to get here: (URL, status).
  std::vector<std::pair<std::string, int>> redirect_chain;
  /// The request's path, method and query string (Django's response.request).
  std::string request_method;
  std::string request_path;

  /// The first value of header `name` (any case), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  /// The first value of header `name`; throws std::out_of_range naming it when absent.
  std::string operator[](std::string_view name) const;
  bool has_header(std::string_view name) const { return header(name).has_value(); }
  /// The body parsed as JSON; throws std::invalid_argument unless Content-Type is application/json.
  boost::json::value json() const;
  /// The Location header of a redirect ("" when there is none).
  std::string url() const { return header("location").value_or(""); }
};

namespace detail {
class ClientCore;
}

/// The async client: `co_await client.get("/api/")`. It runs the application on the calling coroutine's
/// loop, in a fresh flow per request (so each request leases its own sync strand, as under the server).
/// Cookies set by responses are kept and sent with later requests, as a browser does.
class AsyncClient {
 public:
  /// Serves `app`; by default handlers::get_asgi_application() (settings.MIDDLEWARE, ROOT_URLCONF).
  explicit AsyncClient(asgi::Application app = {});
  ~AsyncClient();
  AsyncClient(AsyncClient&&) noexcept;

  Task<Response> get(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  /// Form data, as multipart/form-data (Django's default), with `files` if any.
  Task<Response> post(std::string_view path, const Data& form = {}, const RequestOptions& options = {},
                      const std::vector<File>& files = {});
  /// A JSON body (Content-Type: application/json).
  Task<Response> post_json(std::string_view path, const boost::json::value& json,
                           const RequestOptions& options = {});
  Task<Response> put(std::string_view path, std::string body = {},
                     std::string content_type = "application/octet-stream",
                     const RequestOptions& options = {});
  Task<Response> patch(std::string_view path, std::string body = {},
                       std::string content_type = "application/octet-stream",
                       const RequestOptions& options = {});
  Task<Response> delete_(std::string_view path, const RequestOptions& options = {});
  Task<Response> head(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  Task<Response> options(std::string_view path, const RequestOptions& options = {});
  /// Any method and raw body.
  Task<Response> generic(std::string method, std::string_view path, std::string body = {},
                         std::string content_type = {}, const RequestOptions& options = {});

  /// The cookie jar: name → value.
  std::map<std::string, std::string>& cookies();

 private:
  std::unique_ptr<detail::ClientCore> core_;
};

/// The blocking client with the same methods. Each request runs through async_to_sync, so call it from a
/// test body or any non-loop thread (on a loop thread it throws SynchronousOnlyOperation).
class Client {
 public:
  explicit Client(asgi::Application app = {});
  ~Client();
  Client(Client&&) noexcept;

  Response get(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  Response post(std::string_view path, const Data& form = {}, const RequestOptions& options = {},
                const std::vector<File>& files = {});
  Response post_json(std::string_view path, const boost::json::value& json,
                     const RequestOptions& options = {});
  Response put(std::string_view path, std::string body = {},
               std::string content_type = "application/octet-stream", const RequestOptions& options = {});
  Response patch(std::string_view path, std::string body = {},
                 std::string content_type = "application/octet-stream", const RequestOptions& options = {});
  Response delete_(std::string_view path, const RequestOptions& options = {});
  Response head(std::string_view path, const Data& query = {}, const RequestOptions& options = {});
  Response options(std::string_view path, const RequestOptions& options = {});
  Response generic(std::string method, std::string_view path, std::string body = {},
                   std::string content_type = {}, const RequestOptions& options = {});

  std::map<std::string, std::string>& cookies();

 private:
  AsyncClient client_;
};

/// Adds "testserver" (the test clients' host) to settings.ALLOWED_HOSTS, as Django's test runner does.
void setup_test_environment();

}  // namespace duet::test
