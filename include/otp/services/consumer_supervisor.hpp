// consumer_supervisor: a consumer stage that starts one child per event and
// supervises it, with max_demand as the bound on children at once (Elixir's
// ConsumerSupervisor).
//
//   otp::consumer_supervisor::start_link<order>({
//       .start = [](const order& o) { return otp::spawn_link(send_mail, o); },
//       .restart = otp::restart_type::transient,
//       .subscribe_to = {{orders_producer, {.max_demand = 50}}}});
//
// It asks each producer for max_demand events at once; each event starts a
// child (`start(event)`, which must link the child to the caller, as
// spawn_link does); when children end, it asks for as many again, once at
// least min_demand of them have ended. A child that ends abnormally is
// started again with its event when its restart type says so (transient),
// within max_restarts in max_seconds; one more restart stops the
// consumer_supervisor with `shutdown`. Its own end shuts its children down
// (shutdown, then kill after the grace) before it exits.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "otp/behaviours/restart_type.hpp"
#include "otp/behaviours/shutdown.hpp"
#include "otp/services/consumer_supervisor_options.hpp"
#include "otp/services/detail/consumer_supervisor_stage.hpp"
#include "otp/services/gen_stage.hpp"

namespace otp {

/// A running consumer_supervisor for events of type E.
template <class E>
using consumer_supervisor_ref = stage_ref<detail::consumer_supervisor_stage<E>>;

namespace consumer_supervisor {

/// Starts a consumer_supervisor linked to the caller; it traps exits and
/// subscribes to `o.subscribe_to` before the start returns.
/// @returns as gen_server::start_link; `{error, {bad_opts, ...}}` for a
///   missing start function, a permanent restart type (ConsumerSupervisor
///   refuses it too: a child per event has nothing to stay up for) or
///   max_restarts < 0.
/// @mirrors ConsumerSupervisor.start_link/3 with ConsumerSupervisor.init/2
template <class E>
auto start_link(consumer_supervisor_options<E> o, start_options so = {}) {
  return gen_stage::start_link<detail::consumer_supervisor_stage<E>>(std::move(so), std::move(o));
}

/// As start_link, without a link. @mirrors ConsumerSupervisor.start/3
template <class E>
auto start(consumer_supervisor_options<E> o, start_options so = {}) {
  return gen_stage::start<detail::consumer_supervisor_stage<E>>(std::move(so), std::move(o));
}

/// The children running now. @mirrors ConsumerSupervisor.which_children/1
template <class E>
auto which_children(const consumer_supervisor_ref<E>& s,
                    timeout t = timeout(default_call_timeout)) {
  return call(s, typename detail::consumer_supervisor_stage<E>::which{}, t);
}

/// How many children run, and how many are being restarted.
/// @mirrors ConsumerSupervisor.count_children/1
template <class E>
auto count_children(const consumer_supervisor_ref<E>& s,
                    timeout t = timeout(default_call_timeout)) {
  return call(s, typename detail::consumer_supervisor_stage<E>::count{}, t);
}

/// Starts a child for `event` outside any producer's demand (it does not
/// count against max_demand), supervised as the others.
/// @returns ok with the child's pid (a null pid when the start function
///   returned none: `ignore`); error with the exception's reason when the
///   start function throws.
/// @exits as otp::call. @mirrors ConsumerSupervisor.start_child/2
template <class E>
auto start_child(const consumer_supervisor_ref<E>& s, E event,
                 timeout t = timeout(default_call_timeout)) {
  return call(s, typename detail::consumer_supervisor_stage<E>::start_child_req{std::move(event)},
              t);
}
/// Stops `child` as the shutdown option says (shutdown, kill after the
/// grace; kill for brutal_kill), without a restart; its event counts as
/// handled. The reply comes once it is gone.
/// @returns ok, or not_found when `child` is not a running child of `s`.
/// @exits as otp::call. @mirrors ConsumerSupervisor.terminate_child/2
template <class E>
auto terminate_child(const consumer_supervisor_ref<E>& s, pid child,
                     timeout t = timeout(default_call_timeout)) {
  return call(s, typename detail::consumer_supervisor_stage<E>::terminate_child_req{child}, t);
}
}  // namespace consumer_supervisor
}  // namespace otp
