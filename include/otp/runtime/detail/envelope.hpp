// The unit carried by a process's inbox: a message or a signal.
//
// Messages and signals share one ordered queue per process, so everything one
// sender sends arrives in the order sent. Messages carry a typed payload;
// signals (link, exit, monitor, ...) are handled by the runtime before the
// process sees its messages.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "otp/runtime/detail/block_alloc.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/pid.hpp"

namespace otp::detail {

struct process;

enum class signal_kind : std::uint8_t {
  message,     // user message (message_envelope<T>)
  link,        // from wants a link
  unlink,      // from removed its link (ref: unlink id, to be acknowledged)
  unlink_ack,  // from has seen our unlink number ref
  exit,        // exit(pid, reason) from `from`
  link_exit,   // `from` died while linked (reason)
  monitor,     // from monitors us with ref
  demonitor,   // from stops monitoring (ref)
  down,        // the process we monitor with ref ended (reason)
  timeout,     // receive timeout number `ref`
  request,     // run fn on the target process (introspection)
  aliased,     // `payload` (a message) sent to alias `ref`: dropped unless the alias is active
  /// A message (message_envelope<T>) sent to the alias its own payload
  /// names (message_vtable::alias_tag): as `aliased`, in one envelope.
  aliased_message,
};

struct envelope {
  envelope* next = nullptr;
  std::uint32_t target_serial = 0;  // incarnation the sender addressed
  signal_kind kind = signal_kind::message;
};

struct message_header;

/// The part every gen_server call request begins with (call_msg<S, Req>
/// derives from it): the caller waiting for the reply and the call's tag.
struct call_header {
  pid caller;
  ref tag;
};

/// What a server of another type needs to refuse a call sent to it by
/// mistake (a server_ref<A> built from the pid of a B): the types involved
/// and where the caller and tag are.
struct call_traits {
  const std::type_info* server;   ///< the server type the caller addressed
  const std::type_info* request;  ///< the request type
  const call_header& (*header)(const message_header* m) noexcept;
};

/// Identity, name and destructor of a message payload type, and for the
/// requests of a behaviour its family (which server type it is for) and how
/// that server handles it: a loop tells its requests from other messages in
/// O(1) and dispatches without a type registry.
struct message_vtable {
  void (*destroy)(envelope*) noexcept;
  const std::type_info* type;
  const void* family;                               // null for ordinary messages
  void (*dispatch)(void* loop, message_header* m);  // set with family
  /// For types that name the alias they are sent to (T::otp_alias_tagged,
  /// the alias in T::ref: the answers of a reply channel): reads its id.
  /// Null for the others.
  std::uint64_t (*alias_tag)(const message_header* m) noexcept;
  /// For call requests (T::otp_call): their traits. Null for the others.
  const call_traits* call;
};

template <class T>
struct message_envelope;

template <class T>
constexpr const void* family_of() noexcept {
  if constexpr (requires { T::otp_family; })
    return T::otp_family;
  else
    return nullptr;
}

template <class T>
constexpr auto dispatch_of() noexcept -> void (*)(void*, message_header*) {
  if constexpr (requires { T::otp_family; })
    return &T::otp_dispatch;
  else
    return nullptr;
}

template <class T>
constexpr auto alias_tag_of() noexcept -> std::uint64_t (*)(const message_header*) noexcept {
  if constexpr (requires { T::otp_alias_tagged; })
    return [](const message_header* m) noexcept -> std::uint64_t {
      return static_cast<const message_envelope<T>*>(m)->value.ref.id();
    };
  else
    return nullptr;
}

template <class T>
constexpr const call_traits* call_traits_of() noexcept {
  if constexpr (requires { T::otp_call; })
    return &T::otp_call;
  else
    return nullptr;
}

template <class T>
inline constexpr message_vtable message_vtable_for{
    [](envelope* e) noexcept {
      auto* m = static_cast<message_envelope<T>*>(e);
      m->~message_envelope<T>();
      block_free(m, sizeof(message_envelope<T>));
    },
    &typeid(T),
    family_of<T>(),
    dispatch_of<T>(),
    alias_tag_of<T>(),
    call_traits_of<T>(),
};

struct message_header : envelope {
  const message_vtable* vt = nullptr;  // also the type key
};

template <class T>
struct message_envelope : message_header {
  template <class... A>
  explicit message_envelope(A&&... a) : value(std::forward<A>(a)...) {
    kind = signal_kind::message;
    vt = &message_vtable_for<T>;
  }
  T value;
};

/// The type key a message of type T carries.
template <class T>
constexpr const message_vtable* type_key() noexcept {
  return &message_vtable_for<T>;
}

template <class T, class... A>
message_header* make_message(A&&... a) {
  void* mem = block_alloc(sizeof(message_envelope<T>));
  try {
    return ::new (mem) message_envelope<T>(std::forward<A>(a)...);
  } catch (...) {
    block_free(mem, sizeof(message_envelope<T>));
    throw;
  }
}

/// Runs on the target (owner context); `target` is null when it is not alive.
using request_fn = void (*)(process* target, void* arg);

struct signal_envelope : envelope {
  pid from;
  std::uint64_t ref = 0;  // monitor ref id, timeout number
  exit_reason reason;
  request_fn fn = nullptr;      // for request
  void* arg = nullptr;          // for request
  envelope* payload = nullptr;  // for aliased: owned
};

signal_envelope* make_signal(signal_kind k, pid from);

/// True for an envelope that holds a message (message_header), plain or
/// sent to an alias.
inline bool is_message(const envelope* e) noexcept {
  return e->kind == signal_kind::message || e->kind == signal_kind::aliased_message;
}

/// Frees any envelope (message or signal).
void destroy_envelope(envelope* e) noexcept;

}  // namespace otp::detail
