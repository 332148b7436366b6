// TemplateResponse (django.template.response): a response rendered after the view returns, so that
// middleware's process_template_response can still change its template and context.
#pragma once

#include "duet/http/response.hpp"
#include "duet/template/value.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace duet::http {
class HttpRequest;
}

namespace duet::templates {

using PostRenderCallback = std::function<void(http::HttpResponse& response)>;

// The deferred part of a TemplateResponse. A view returns it as an HttpResponse (a value), so middleware
// reaches it through template_response(response).
class TemplateResponseData final : public http::DeferredRender {
 public:
  // Candidates, the first that exists renders (Django accepts a name or a list).
  std::vector<std::string> template_name;
  // Later entries override earlier ones with the same key: `context_data.emplace_back("k", v)` sets k.
  Dict context_data;
  // For the context processors; null for a SimpleTemplateResponse. Must outlive render() (the handler
  // renders before the request ends).
  http::HttpRequest* request = nullptr;
  // An engine alias of settings.TEMPLATES; empty: each in turn.
  std::string using_;

  // Sets `key` in context_data (replacing an existing entry).
  void set(std::string_view key, Value value);
  // What render() would put in the content, without changing the response.
  std::string rendered_content() const;
  void render(http::HttpResponse& response) override;

 private:
  friend void add_post_render_callback(http::HttpResponse& response, PostRenderCallback callback);
  std::vector<PostRenderCallback> callbacks_;
};

class TemplateResponse : public http::HttpResponse {
 public:
  TemplateResponse(http::HttpRequest& request, std::string template_name, Dict context = {}, int status = 200,
                   std::optional<std::string> content_type = std::nullopt, std::string using_ = {});
  TemplateResponse(http::HttpRequest& request, std::vector<std::string> template_names, Dict context = {},
                   int status = 200, std::optional<std::string> content_type = std::nullopt,
                   std::string using_ = {});
  TemplateResponseData& data() const;
  void add_post_render_callback(PostRenderCallback callback);
};

// Without a request: no context processors.
class SimpleTemplateResponse : public http::HttpResponse {
 public:
  SimpleTemplateResponse(std::vector<std::string> template_names, Dict context = {}, int status = 200,
                         std::optional<std::string> content_type = std::nullopt);
  TemplateResponseData& data() const;
};

// The TemplateResponse data of `response`, or null when it is an ordinary response.
TemplateResponseData* template_response(const http::HttpResponse& response);

// Django's add_post_render_callback: runs after rendering (at once if already rendered). Throws
// std::invalid_argument for a response that is not a TemplateResponse.
void add_post_render_callback(http::HttpResponse& response, PostRenderCallback callback);

}  // namespace duet::templates
