# otp_add_module(<target> NAME <module> VERSION <vsn> SOURCES <files>...)
#   Builds one version of a hot-upgradable module (otp/services/module.hpp):
#   a shared library loaded with otp::code::load. It compiles against the
#   library's headers but does not link the library: its calls into the
#   runtime bind to the program that loads it, which must export its symbols
#   (otp_enable_modules). Same compiler, flags and library version as the
#   program: the code server refuses a module built otherwise.
# otp_enable_modules(<target>)
#   Lets the program <target> load modules: exports its symbols and links
#   the whole library into it.
function(otp_add_module target)
  cmake_parse_arguments(M "" "NAME;VERSION" "SOURCES" ${ARGN})
  if(NOT M_NAME OR NOT M_VERSION OR NOT M_SOURCES)
    message(FATAL_ERROR "otp_add_module(${target}): NAME, VERSION and SOURCES are required")
  endif()
  add_library(${target} MODULE ${M_SOURCES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:otp::otp,INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_definitions(${target} PRIVATE
    OTP_MODULE_NAME="${M_NAME}" OTP_MODULE_VSN="${M_VERSION}")
  set_target_properties(${target} PROPERTIES PREFIX "")
endfunction()

function(otp_enable_modules target)
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
  # The whole (static) library: a module may call runtime functions the
  # program itself never does, and they must be there to bind to.
  # (Link options come before the libraries: the archive's members are all
  # in by the time the usual link of otp::otp looks at it.)
  target_link_libraries(${target} PRIVATE otp::otp)
  target_link_options(${target} PRIVATE
    "LINKER:--whole-archive" "$<TARGET_FILE:otp::otp>" "LINKER:--no-whole-archive")
endfunction()
