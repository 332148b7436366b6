// TemplateResponse: the http layer's deferred-render hook filled with a template and its context.
#include "duet/template/response.hpp"

#include "duet/template/loader.hpp"

#include <stdexcept>

namespace duet::templates {

void TemplateResponseData::set(std::string_view key, Value value) {
  for (auto& [k, v] : context_data) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  context_data.emplace_back(std::string(key), std::move(value));
}

std::string TemplateResponseData::rendered_content() const {
  return render_to_string(template_name, Context(context_data), request, using_);
}

void TemplateResponseData::render(http::HttpResponse& response) {
  response.set_content(rendered_content());
  // A callback may add another; run them by index.
  for (std::size_t i = 0; i < callbacks_.size(); ++i) {
    auto callback = callbacks_[i];
    callback(response);
  }
}

namespace {
std::shared_ptr<TemplateResponseData> make_data(http::HttpRequest* request, std::vector<std::string> names,
                                                Dict context, std::string using_) {
  auto data = std::make_shared<TemplateResponseData>();
  data->template_name = std::move(names);
  data->context_data = std::move(context);
  data->request = request;
  data->using_ = std::move(using_);
  return data;
}
}  // namespace

TemplateResponse::TemplateResponse(http::HttpRequest& request, std::string template_name, Dict context,
                                   int status, std::optional<std::string> content_type, std::string using_)
    : TemplateResponse(request, std::vector<std::string>{std::move(template_name)}, std::move(context),
                       status, std::move(content_type), std::move(using_)) {}

TemplateResponse::TemplateResponse(http::HttpRequest& request, std::vector<std::string> template_names,
                                   Dict context, int status, std::optional<std::string> content_type,
                                   std::string using_)
    : http::HttpResponse({}, status, std::move(content_type)) {
  set_deferred(make_data(&request, std::move(template_names), std::move(context), std::move(using_)));
}

TemplateResponseData& TemplateResponse::data() const {
  return *template_response(*this);
}

void TemplateResponse::add_post_render_callback(PostRenderCallback callback) {
  templates::add_post_render_callback(*this, std::move(callback));
}

SimpleTemplateResponse::SimpleTemplateResponse(std::vector<std::string> template_names, Dict context,
                                               int status, std::optional<std::string> content_type)
    : http::HttpResponse({}, status, std::move(content_type)) {
  set_deferred(make_data(nullptr, std::move(template_names), std::move(context), {}));
}

TemplateResponseData& SimpleTemplateResponse::data() const {
  return *template_response(*this);
}

TemplateResponseData* template_response(const http::HttpResponse& response) {
  return dynamic_cast<TemplateResponseData*>(response.deferred().get());
}

void add_post_render_callback(http::HttpResponse& response, PostRenderCallback callback) {
  auto* data = template_response(response);
  if (!data) throw std::invalid_argument("add_post_render_callback: not a TemplateResponse");
  if (response.is_rendered()) {
    callback(response);
  } else {
    data->callbacks_.push_back(std::move(callback));
  }
}

}  // namespace duet::templates
