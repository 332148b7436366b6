# Warnings and sanitizers, applied to every target of the project.
add_compile_options(-Wall -Wextra)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 warns on Asio's coroutine internals; the warning has no actionable form here.
  add_compile_options(-Wno-mismatched-new-delete)
endif()

if(DUET_SANITIZE)
  string(REPLACE ";" "," _duet_san "${DUET_SANITIZE}")
  message(STATUS "duet: building with -fsanitize=${_duet_san}")
  add_compile_options(-fsanitize=${_duet_san} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_duet_san})
  if("thread" IN_LIST DUET_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's fences are reported at every instantiation; TSan still checks the accesses around them.
    add_compile_options(-Wno-tsan)
  endif()
  if("undefined" IN_LIST DUET_SANITIZE)
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
