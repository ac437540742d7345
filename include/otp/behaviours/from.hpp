// Where a gen_server call came from, for a deferred reply.
#pragma once

#include "otp/runtime/pid.hpp"

namespace otp {

/// Where a call came from: the caller and the call's tag, typed by the reply
/// R the caller waits for. handle_call(req, from) gets one; pass it to
/// otp::reply to answer later (a deferred reply), from any process.
/// @threadsafe Plain value.
/// @mirrors From in Module:handle_call(Request, From, State)
template <class R>
struct from {
  pid caller;
  ref tag;
};

}  // namespace otp
