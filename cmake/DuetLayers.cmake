# duet_add_layer(<layer> SOURCES <files...> [DEPENDS <layers...>] [LIBRARIES <targets...>])
# Declares the static library duet_<layer> (alias duet::<layer>) and adds it to `duet`.
# DEPENDS names lower layers (DESIGN.md §3: dependencies point down the table).
function(duet_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;LIBRARIES" ${ARGN})
  set(target duet_${layer})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(duet::${layer} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC duet_deps)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} PUBLIC duet_${dep})
  endforeach()
  if(ARG_LIBRARIES)
    target_link_libraries(${target} PUBLIC ${ARG_LIBRARIES})
  endif()
  # Asio is in the public surface of most layers (Task<T> is an awaitable): compile its headers once.
  if(layer STREQUAL "runtime")
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/pch.hpp)
  else()
    target_precompile_headers(${target} REUSE_FROM duet_runtime)
  endif()
  target_link_libraries(duet INTERFACE ${target})
endfunction()
