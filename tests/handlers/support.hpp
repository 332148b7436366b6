// Shared pieces of the handler tests: a URLconf of sync and async views, and a handler built on it.
#pragma once

#include <duet/asgi/call.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/http/exceptions.hpp>
#include <duet/runtime.hpp>
#include <duet/test/client.hpp>
#include <duet/urls/resolvers.hpp>
#include <thread>

namespace duet::testing {

inline conf::Settings test_settings(bool debug = false) {
  conf::Settings settings;
  settings.DEBUG = debug;
  settings.ALLOWED_HOSTS = {"testserver"};
  settings.SECRET_KEY = "not-so-secret-but-hidden";
  return settings;
}

inline handlers::BaseHandler::Options options(std::vector<handlers::MiddlewareSpec> middleware,
                                              urls::UrlPatterns patterns, bool debug = false) {
  handlers::BaseHandler::Options o;
  o.middleware = std::move(middleware);
  o.urlconf = urls::make_resolver(std::move(patterns));
  o.settings = std::make_shared<const conf::Settings>(test_settings(debug));
  return o;
}

}  // namespace duet::testing
