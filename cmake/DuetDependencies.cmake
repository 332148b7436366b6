# Third-party dependencies, all from Debian packages (DESIGN.md §2), gathered into one interface target.
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json url)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(OpenSSL 3 REQUIRED)

add_library(duet_deps INTERFACE)
target_link_libraries(duet_deps INTERFACE
  Boost::headers Boost::json Boost::url fmt::fmt SQLite::SQLite3 PostgreSQL::PostgreSQL
  OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(duet_deps INTERFACE BOOST_ASIO_NO_DEPRECATED)

# The allocator. A request allocates many small blocks (coroutine frames, Asio's aligned operation memory,
# query and response strings); glibc's malloc spent ~27% of the instructions of a /db request on them and
# tcmalloc (gperftools, Debian's libgoogle-perftools-dev) cuts a /db request from 60k to 44k instructions
# (bench/tfb/callgrind.sh). Linked into every program built against duet_deps, tests included, so the suite
# runs on the allocator users run. Sanitizers and libFuzzer bring their own allocator: system malloc there.
set(DUET_MALLOC "tcmalloc" CACHE STRING "Allocator for duet's programs: tcmalloc or system")
set_property(CACHE DUET_MALLOC PROPERTY STRINGS tcmalloc system)
if(DUET_SANITIZE OR DUET_BUILD_FUZZ)
  set(_duet_malloc system)
else()
  set(_duet_malloc ${DUET_MALLOC})
endif()
if(_duet_malloc STREQUAL "tcmalloc")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TCMALLOC IMPORTED_TARGET libtcmalloc_minimal)
  if(NOT TCMALLOC_FOUND)
    message(FATAL_ERROR "duet: tcmalloc not found. Install it (apt-get install libgoogle-perftools-dev, "
                        "or run scripts/install-deps.sh) or configure with -DDUET_MALLOC=system.")
  endif()
  target_link_libraries(duet_deps INTERFACE PkgConfig::TCMALLOC)
  message(STATUS "duet: allocator tcmalloc (${TCMALLOC_LINK_LIBRARIES})")
elseif(NOT _duet_malloc STREQUAL "system")
  message(FATAL_ERROR "duet: DUET_MALLOC must be tcmalloc or system, not '${DUET_MALLOC}'")
endif()
