# cmake -DIN=<text file> -DOUT=<.cpp> -DNAME=<function> -DNAMESPACE=<ns> -DHEADER=<declaring it>
#       -P otp_embed_text.cmake
# Writes a source whose function NAME() returns IN's text, as a raw string
# literal (the observer's page, embedded at build time).
file(READ "${IN}" _text)
set(_delim "otp_embed")
string(FIND "${_text}" ")${_delim}\"" _clash)
if(NOT _clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string's closing delimiter )${_delim}\"")
endif()
set(_content "// Generated from ${IN} by cmake/otp_embed_text.cmake. Do not edit.
#include \"${HEADER}\"

#include <string_view>

namespace ${NAMESPACE} {

std::string_view ${NAME}() noexcept {
  static constexpr std::string_view text = R\"${_delim}(${_text})${_delim}\";
  return text;
}

}  // namespace ${NAMESPACE}
")
set(_old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" _old)
endif()
if(NOT _old STREQUAL _content)
  file(WRITE "${OUT}" "${_content}")
endif()
