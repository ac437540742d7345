// otp::remote_api: the requests a typed gen_server takes from processes of
// other nodes (C++ or BEAM), as terms converted by otp::term_codec.
//
//   struct counter {
//     struct get { using reply = int; };
//     struct add { int by; };
//     using remote = otp::remote_api<otp::calls<get>, otp::casts<add>>;
//     int n = 0;
//     int handle_call(get) { return n; }
//     void handle_cast(add a) { n += a.by; }
//   };
//   // and term_codec<counter::get>, term_codec<counter::add> (term_codec.hpp)
//
// With S::remote declared:
// - the server answers gen_server:call(Pid, Req) from another node: the first
//   listed call type whose codec accepts Req (returns instead of throwing)
//   goes to handle_call (plain, with `from`, deferred, or a task: as a local
//   call), and the reply goes back as a term; gen_server:cast(Pid, Msg)
//   likewise goes to handle_cast.
//   A call or cast that no listed type accepts is an info message:
//   handle_info gets it when S takes otp::term or any_message there, else it
//   is logged as unexpected and dropped (the caller then times out);
// - `otp::call(ref, req)` and `otp::cast(ref, msg)` on a server_ref<S> whose
//   pid is of another node send Req as a term in OTP's wire format (the
//   server may be a C++ server of type S or an Erlang gen_server that takes
//   the same terms), and convert the reply back.
//
// Every conversion happens where S is defined: the codecs of the listed types
// must be declared before a server of type S is started or called (a missing
// codec is a compile error, never a silent drop).
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "otp/behaviours/from.hpp"
#include "otp/behaviours/gen_server.hpp"
#include "otp/dist/gen_call.hpp"
#include "otp/dist/term.hpp"
#include "otp/dist/term_codec.hpp"
#include "otp/dist/term_mismatch.hpp"
#include "otp/runtime/any_message.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"

namespace otp {

/// The call request types a server takes from other nodes, in the order they
/// are tried.
template <class... Req>
struct calls {};

/// The cast message types a server takes from other nodes, in the order they
/// are tried.
template <class... Msg>
struct casts {};

/// A gen_server's interface to other nodes: `using remote =
/// otp::remote_api<otp::calls<A, B>, otp::casts<C>>;` in its callback type.
template <class Calls, class Casts = casts<>>
struct remote_api;

namespace detail {

/// Answers a call from another node: the reply as a term, to the caller's
/// alias (`ok` for a call whose reply type is void).
template <class R>
class remote_answer final : public remote_from<R> {
 public:
  explicit remote_answer(remote_call c) : call_(std::move(c)) {}
  void answer(stored_t<R> v) override {
    term t;
    if constexpr (std::is_void_v<R>)
      t = term::atom("ok");
    else
      t = to_term(v);
    try {
      otp::reply(call_, std::move(t));
    } catch (const badarg&) {
      // The node's distribution has stopped: like a reply to a caller that
      // cannot be reached, it is dropped.
    }
  }

 private:
  remote_call call_;
};

/// The R a reply term holds. @exits {bad_reply, Reply} when it holds none.
template <class R>
R reply_from_term(const term& reply) {
  try {
    return from_term<R>(reply);
  } catch (const term_mismatch&) {
    otp::exit(from_term<exit_reason>(term::tuple({term::atom("bad_reply"), reply})));
  }
}

}  // namespace detail

template <class... Req, class... Msg>
struct remote_api<calls<Req...>, casts<Msg...>> {
  /// Whether Q is one of the calls taken from other nodes.
  template <class Q>
  static constexpr bool takes_call = (std::is_same_v<Q, Req> || ...);
  /// Whether Q is one of the casts taken from other nodes.
  template <class Q>
  static constexpr bool takes_cast = (std::is_same_v<Q, Msg> || ...);

  /// Runs the call or cast that `m` is, when a process of another node sent
  /// it and a listed type accepts it; false (nothing done) otherwise.
  template <class S, class Loop>
  static bool dispatch(Loop& loop, any_message& m) {
    const term* t = m.get_if<term>();
    if (t == nullptr) return false;
    if (auto c = as_gen_call(*t)) {
      if (c->from.node() == detail::require_process("gen_server").self().node()) return false;
      return (try_call<S, Req>(loop, *c) || ...);
    }
    if (auto r = as_gen_cast(*t)) return (try_cast<S, Msg>(loop, *r) || ...);
    return false;
  }

  /// Calls the server `to` of another node with `req` as a term and gives its
  /// reply as an R (std::monostate for void).
  /// @exits as gen_call, and {bad_reply, Reply} for a reply that is no R.
  /// @throws what Q's codec throws (nothing is sent then).
  template <class R, class Q>
  static task<detail::stored_t<R>> call(pid to, Q req, timeout t) {
    term request = to_term(req);
    term reply = co_await gen_call(to, std::move(request), t);
    if constexpr (std::is_void_v<R>)
      co_return std::monostate{};
    else
      co_return detail::reply_from_term<R>(reply);
  }

  /// Casts `msg` as a term to the server `to` of another node.
  /// @throws what Q's codec throws (nothing is sent then).
  template <class Q>
  static void cast(pid to, Q&& msg) {
    gen_cast(to, to_term(msg));
  }

 private:
  template <class S, class Q, class Loop>
  static bool try_call(Loop& loop, const remote_call& c) {
    std::optional<Q> q;
    try {
      q.emplace(from_term<Q>(c.request));
    } catch (const std::exception&) {  // term_mismatch, or what a codec throws
      return false;
    }
    using R = reply_of<S, Q>;
    loop.on_request(*q, from<R>{c.from, ref{}, std::make_shared<detail::remote_answer<R>>(c)});
    return true;
  }

  template <class S, class Q, class Loop>
  static bool try_cast(Loop& loop, const term& request) {
    std::optional<Q> q;
    try {
      q.emplace(from_term<Q>(request));
    } catch (const std::exception&) {  // term_mismatch, or what a codec throws
      return false;
    }
    loop.on_cast_value(*q);
    return true;
  }
};

}  // namespace otp
