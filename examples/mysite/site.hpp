// mysite: the example site — settings, URLconf, views and middleware, the way a Django project lays them out
// (settings.py, urls.py, views.py, middleware.py), in one small library the binary and the tests share.
#pragma once

#include <duet/conf/settings.hpp>
#include <duet/urls/resolvers.hpp>
#include <string>

namespace mysite {

/// settings.py
duet::conf::Settings settings();

/// urls.py: the root URLconf, registered as "mysite.urls".
duet::urls::UrlPatterns urlpatterns();

/// Where the aggregating views find /api/ ("http://127.0.0.1:8000"); by default (empty) the host each request
/// came to. MYSITE_API_BASE_URL sets it too.
void set_api_base_url(std::string url);

/// Configures settings, registers the URLconf and the middleware: what Django's setup() does for a project.
void setup();

}  // namespace mysite
