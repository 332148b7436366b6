// The body-read load of bench/http (BODY= in instructions.sh, post_body.lua for wrk).
#pragma once

#include <duet/asgi/application.hpp>

namespace hello {

/// `app`, with a POST's whole body read (and dropped) first. hello serves this with HELLO_READ_BODIES=1.
/// In a translation unit of its own: the awaits it adds to main.cpp changed g++'s inlining of the GET
/// rows' app() (+17 to +270 instructions per request).
duet::asgi::Application reading_bodies(duet::asgi::Application app);

}  // namespace hello
