// Where a gen_server call came from, for a deferred reply.
#pragma once

#include <memory>

#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"

namespace otp {

namespace detail {

/// How a call made from another node is answered: the distribution layer
/// turns the reply into a term and sends it to the caller's alias
/// (otp/dist/remote_api.hpp implements it).
template <class R>
class remote_from {
 public:
  remote_from() = default;
  remote_from(const remote_from&) = delete;
  remote_from& operator=(const remote_from&) = delete;
  virtual ~remote_from() = default;
  /// Sends `v` to the caller. @throws what the reply's term_codec throws.
  virtual void answer(stored_t<R> v) = 0;
};

}  // namespace detail

/// Where a call came from: the caller and the call's tag, typed by the reply
/// R the caller waits for. handle_call(req, from) gets one; pass it to
/// otp::reply to answer later (a deferred reply), from any process.
/// For a call from another node, `remote` says how the reply travels (null
/// for a local caller).
/// @threadsafe Plain value.
/// @mirrors From in Module:handle_call(Request, From, State)
template <class R>
struct from {
  pid caller;
  ref tag;
  std::shared_ptr<detail::remote_from<R>> remote;
};

}  // namespace otp
