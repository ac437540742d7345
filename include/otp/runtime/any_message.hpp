// otp::any_message: a received message of any type (Erlang's `receive Any ->`).
#pragma once

#include <string>
#include <typeinfo>
#include <utility>

#include "otp/runtime/detail/envelope.hpp"
#include "otp/runtime/errors.hpp"

namespace otp {

/// Owns one received message whose type is only known at run time.
///
/// A receive handler taking `otp::any_message` accepts every message, so
/// `co_await otp::receive<otp::any_message>()` takes the oldest message
/// whatever it is. Behaviours use it for their main loop.
/// @threadsafe Owner only (it is a received message).
/// @mirrors `receive Any -> ... end`
class any_message {
 public:
  /// Takes ownership of a message envelope (runtime use).
  explicit any_message(detail::envelope* e) noexcept
      : e_(static_cast<detail::message_header*>(e)) {}
  any_message(any_message&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  any_message& operator=(any_message&& o) noexcept {
    if (this != &o) {
      reset();
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  any_message(const any_message&) = delete;
  any_message& operator=(const any_message&) = delete;
  ~any_message() { reset(); }

  /// True when the message is a T.
  template <class T>
  bool is() const noexcept {
    return e_ != nullptr && e_->vt == detail::type_key<T>();
  }
  /// The message as a T, or nullptr when it is something else.
  template <class T>
  T* get_if() noexcept {
    return is<T>() ? &static_cast<detail::message_envelope<T>*>(e_)->value : nullptr;
  }
  /// The message as a T. @throws otp::badarg when it is something else.
  template <class T>
  T& get() {
    if (T* v = get_if<T>()) return *v;
    throw badarg(std::string("any_message::get: the message is a ") + type().name() + ", not a " +
                 typeid(T).name());
  }
  /// The C++ type of the message.
  const std::type_info& type() const noexcept { return *e_->vt->type; }
  /// The raw envelope (runtime use).
  detail::message_header* envelope() const noexcept { return e_; }

 private:
  void reset() noexcept {
    if (e_ != nullptr) e_->vt->destroy(std::exchange(e_, nullptr));
  }
  detail::message_header* e_;
};

}  // namespace otp
