# otp_check_coroutine_compiler(): refuses, at configure time, a C++ compiler
# that miscompiles the coroutine code this library's users write the natural
# way (docs/decisions/0005-compiler-policy.md). It builds and runs
# otp_coroutine_probe.cpp (next to this file) with the project's compiler and
# flags, once per compiler (the result is cached).
#
# A compiler that fails stops the configuration with the probe's findings.
# -DOTP_ACCEPT_MISCOMPILING_COMPILER=ON turns the error into a warning, for
# code that avoids the three patterns the message names. Cross builds (no
# way to run the probe) only get a warning.
#
# Used by the project's own CMakeLists.txt and by find_package(otp).

set(_otp_probe_source "${CMAKE_CURRENT_LIST_DIR}/otp_coroutine_probe.cpp")

function(otp_check_coroutine_compiler)
  set(key "${CMAKE_CXX_COMPILER_ID}-${CMAKE_CXX_COMPILER_VERSION}-${CMAKE_CXX_COMPILER}")
  string(MAKE_C_IDENTIFIER "${key}" key)
  set(verdict_var "OTP_COROUTINE_PROBE_${key}")
  if(NOT DEFINED CACHE{${verdict_var}})
    if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
      message(WARNING "otp: cross-compiling, so the coroutine probe cannot run; "
        "make sure ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} passes "
        "${_otp_probe_source} on the target")
      return()
    endif()
    try_run(run_result compile_ok
      "${CMAKE_BINARY_DIR}/otp_coroutine_probe"
      "${_otp_probe_source}"
      CXX_STANDARD 20
      CXX_STANDARD_REQUIRED ON
      COMPILE_OUTPUT_VARIABLE compile_output
      RUN_OUTPUT_VARIABLE run_output)
    if(NOT compile_ok)
      set(verdict "does not compile C++20 coroutines:\n${compile_output}")
    elseif(NOT run_result STREQUAL "0")
      set(verdict "miscompiles coroutines (the probe exited with '${run_result}'):\n${run_output}")
    else()
      set(verdict "ok")
    endif()
    # The cache keeps one line per entry: newlines are stored as <nl>.
    string(REPLACE "\n" "<nl>" verdict "${verdict}")
    set(${verdict_var} "${verdict}" CACHE INTERNAL "otp coroutine probe verdict")
  endif()
  string(REPLACE "<nl>" "\n" verdict "${${verdict_var}}")
  if(verdict STREQUAL "ok")
    return()
  endif()
  set(text "otp: the C++ compiler ${CMAKE_CXX_COMPILER} (${CMAKE_CXX_COMPILER_ID} "
    "${CMAKE_CXX_COMPILER_VERSION}) ${verdict}\n"
    "Code written against otp the natural way would corrupt memory at run time. "
    "Use a compiler that passes the probe, e.g. Clang 19 on Debian 12: "
    "apt-get install clang-19, then configure with -DCMAKE_CXX_COMPILER=clang++-19. "
    "To go on anyway, pass -DOTP_ACCEPT_MISCOMPILING_COMPILER=ON and, inside "
    "coroutines, name every class temporary and lambda before the co_await that "
    "uses it and never put co_await in an arm of ?: (see docs/decisions/0005-compiler-policy.md).")
  if(OTP_ACCEPT_MISCOMPILING_COMPILER)
    message(WARNING ${text})
  else()
    message(FATAL_ERROR ${text})
  endif()
endfunction()
