# Project-wide warning set, applied per target so that third-party headers
# (Torch, ITK, VTK) included as SYSTEM stay quiet.
function(weaksight_target_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
                                             -Wno-deprecated-declarations)
    if(WEAKSIGHT_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
