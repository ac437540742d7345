// What a stage's type declares (its event types) and the type lists its
// gen_server face is built from. Not part of the API; see
// otp/services/gen_stage.hpp.
#pragma once

#include <type_traits>

#include "otp/behaviours/types.hpp"

namespace otp::detail {

/// U emits events (a producer or producer_consumer): `using out = E;`.
template <class U>
concept emits_events = requires {
  typename U::out;
};
/// U takes events (a consumer or producer_consumer): `using in = E;`.
template <class U>
concept takes_events = requires {
  typename U::in;
};

/// Stands for the event type a stage does not have.
struct no_events {};

template <class U>
struct stage_out {
  using type = no_events;
};
template <emits_events U>
struct stage_out<U> {
  using type = typename U::out;
};
template <class U>
struct stage_in {
  using type = no_events;
};
template <takes_events U>
struct stage_in<U> {
  using type = typename U::in;
};

template <class A, class B>
struct concat;
template <class... A, class... B>
struct concat<types<A...>, types<B...>> {
  using type = types<A..., B...>;
};
template <class A, class B>
using concat_t = typename concat<A, B>::type;

/// The list L without X.
template <class X, class L>
struct without;
template <class X>
struct without<X, types<>> {
  using type = types<>;
};
template <class X, class H, class... T>
struct without<X, types<H, T...>> {
  using rest = typename without<X, types<T...>>::type;
  using type = std::conditional_t<std::is_same_v<X, H>, rest, concat_t<types<H>, rest>>;
};
template <class X, class L>
using without_t = typename without<X, L>::type;

}  // namespace otp::detail
