// mysite: the example site — settings, URLconf, views and middleware, the way a Django project lays them out
// (settings.py, urls.py, views.py, middleware.py), in one small library the binary and the tests share.
#pragma once

#include <duet/conf/settings.hpp>
#include <duet/urls/resolvers.hpp>

namespace mysite {

/// settings.py
duet::conf::Settings settings();

/// urls.py: the root URLconf, registered as "mysite.urls".
duet::urls::UrlPatterns urlpatterns();

/// Configures settings, registers the URLconf and the middleware: what Django's setup() does for a project.
void setup();

}  // namespace mysite
