# duet_add_test(<name> SOURCES <files...> [LAYERS <layers...>] [LABELS <labels...>] [TIMEOUT <seconds>])
# One GoogleTest executable, registered with CTest test by test. LAYERS: the layers it links (default: all);
# naming them keeps a layer's tests building while another layer is being worked on.
find_package(GTest REQUIRED)
include(GoogleTest)

function(duet_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LAYERS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  if(ARG_LAYERS)
    list(TRANSFORM ARG_LAYERS PREPEND duet_)
  else()
    set(ARG_LAYERS duet)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LAYERS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_precompile_headers(${name} REUSE_FROM duet_runtime)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
