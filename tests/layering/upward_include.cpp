// Layering: a source of src/behaviours/ is built with its own layer's private
// headers on the include path and not the runtime's, so reaching into
// src/runtime/ is a compile error (built as the behaviours layer is: see
// OTP_LAYERS in the top CMakeLists.txt).
#if OTP_COMPILE_FAIL
#include "runtime/node_impl.hpp"  // the runtime's private header: must not compile
#else
#include "behaviours/supervisor_support.hpp"  // its own layer's: compiles
#endif
