// A module: a version of a server's callback code in a shared library, the
// unit of hot code upgrade (docs/guide/hot_upgrade.md, decision 0009).
//
// The host program and every version of a module compile one interface type
// (its calls, casts and start argument); each version has its own state
// type, private to it. A version names its state with a tag and, from the
// second version on, the state it upgrades from:
//
//   struct tally_api {                       // tally_api.hpp, in the host too
//     static constexpr const char* name = "tally";
//     struct add { int by; using reply = int; };
//     struct get { using reply = int; };
//     struct reset {};
//     using calls = otp::module_calls<add, get>;
//     using casts = otp::module_casts<reset>;
//     using start_arg = int;
//   };
//
//   struct tally_v2 {                        // tally_v2.cpp, the module
//     static constexpr const char* state_tag = "tally.v2";
//     using previous = tally_v1;             // from tally_v1's header
//     int n;
//     int adds;
//     explicit tally_v2(int start) : n(start), adds(0) {}
//     tally_v2(const tally_v1& old, std::string_view old_vsn, std::string_view extra);
//     int handle_call(tally_api::add a) { ++adds; return n += a.by; }
//     int handle_call(tally_api::get) const { return n; }
//     void handle_cast(tally_api::reset) { n = 0; }
//   };
//   OTP_MODULE(tally_api, tally_v2)
//
// built with otp_add_module() (cmake/otp_module.cmake), which names the
// module and its version. The constructor from `previous` is the
// version's code_change: it must not change the old state, so that a failed
// upgrade leaves every process with its old state. A version that can be
// downgraded also turns its state back into the previous one's (Erlang's
// code_change({down, Vsn}, ...), run by the version being left):
//
//     tally_v1 downgrade(std::string_view to_vsn, std::string_view extra) const;
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp {

/// The calls of a module interface: request types declaring `reply`.
template <class... R>
struct module_calls {};
/// The casts of a module interface.
template <class... C>
struct module_casts {};

namespace code_detail {

/// What must match between the program and a module for their objects to be
/// compatible: the compiler, the C++ library and this library's ABI level.
#define OTP_MODULE_STR2(x) #x
#define OTP_MODULE_STR(x) OTP_MODULE_STR2(x)
inline constexpr std::string_view kAbi =
#if defined(__clang__)
    "clang " __clang_version__
#elif defined(__GNUC__)
    "gcc " __VERSION__
#else
    "unknown compiler"
#endif
#if defined(__GLIBCXX__)
    " libstdc++ " OTP_MODULE_STR(__GLIBCXX__) " cxx11abi " OTP_MODULE_STR(_GLIBCXX_USE_CXX11_ABI)
#endif
#if defined(_LIBCPP_VERSION)
        " libc++ " OTP_MODULE_STR(_LIBCPP_VERSION)
#endif
#if defined(_GLIBCXX_DEBUG)
            " glibcxx-debug"
#endif
#if defined(_GLIBCXX_ASSERTIONS)
            " glibcxx-assertions"
#endif
#if defined(__SANITIZE_ADDRESS__)
            " asan"
#elif defined(__SANITIZE_THREAD__)
    " tsan"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    " asan"
#elif __has_feature(thread_sanitizer)
    " tsan"
#endif
#endif
            " otp-module-2";

/// What an interface is, as text: its name, then each call and cast type
/// (in order) with its size and alignment, and each call's reply type. Two
/// compilations of one interface header give the same text; an edited one
/// (a request added, moved, renamed or changed in size) does not.
template <class Api, class Calls = typename Api::calls, class Casts = typename Api::casts>
struct fingerprint_of;
template <class Api, class... R, class... C>
struct fingerprint_of<Api, module_calls<R...>, module_casts<C...>> {
  template <class T>
  static std::string one(const char* kind) {
    if constexpr (std::is_void_v<T>)
      return std::string(kind) + "void;";
    else
      return std::string(kind) + typeid(T).name() + "/" + std::to_string(sizeof(T)) + "/" +
             std::to_string(alignof(T)) + ";";
  }
  static std::string text() {
    std::string s = std::string(Api::name) + ";";
    ((s += one<R>("call ") + one<typename R::reply>("reply ")), ...);
    ((s += one<C>("cast ")), ...);
    return s;
  }
};
template <class Api>
std::string interface_fingerprint() {
  return fingerprint_of<Api>::text();
}

/// A state made by one version of a module: the object, the tag of its type,
/// and what destroys it (code of that version's library, which the box keeps
/// loaded).
struct state_box {
  void* obj = nullptr;
  std::string_view tag;
  void (*destroy)(void*) = nullptr;
  std::shared_ptr<void> library;

  state_box() = default;
  state_box(void* o, std::string_view t, void (*d)(void*), std::shared_ptr<void> lib)
      : obj(o), tag(t), destroy(d), library(std::move(lib)) {}
  state_box(const state_box&) = delete;
  state_box& operator=(const state_box&) = delete;
  state_box(state_box&& o) noexcept
      : obj(std::exchange(o.obj, nullptr)),
        tag(o.tag),
        destroy(o.destroy),
        library(std::move(o.library)) {}
  state_box& operator=(state_box&& o) noexcept {
    if (this != &o) {
      reset();
      obj = std::exchange(o.obj, nullptr);
      tag = o.tag;
      destroy = o.destroy;
      library = std::move(o.library);
    }
    return *this;
  }
  ~state_box() { reset(); }
  void reset() noexcept {
    if (obj != nullptr) destroy(std::exchange(obj, nullptr));
    library.reset();  // after destroy: its code is in the library
  }
};

template <class R>
struct call_slot {
  virtual typename R::reply handle(state_box& s, const R& r) = 0;

 protected:
  ~call_slot() = default;
};
template <class C>
struct cast_slot {
  virtual void handle(state_box& s, const C& c) = 0;

 protected:
  ~cast_slot() = default;
};

template <class Api, class Calls = typename Api::calls, class Casts = typename Api::casts>
struct code_of;
template <class Api, class... R, class... C>
struct code_of<Api, module_calls<R...>, module_casts<C...>> : call_slot<R>..., cast_slot<C>... {
  using call_slot<R>::handle...;
  using cast_slot<C>::handle...;
  /// A new state from the start argument.
  virtual state_box init(const typename Api::start_arg& a, std::shared_ptr<void> lib) = 0;
  /// The state of this version made from `old` (another version's), old left
  /// as it was. @throws std::runtime_error when `old` is not the state this
  /// version upgrades from; what the version's code_change throws.
  virtual state_box change(const state_box& old, std::string_view old_vsn, std::string_view extra,
                           std::shared_ptr<void> lib) = 0;
  /// The state of the version this one upgrades from (`previous`) made from
  /// `cur`, a state of this version, cur left as it was: the downgrade's
  /// code_change, which the version being left runs. `lib` is this
  /// version's library (the new state is destroyed by its code).
  /// @throws std::runtime_error when this version has no downgrade or `cur`
  ///   is not its state; what the version's downgrade throws.
  virtual state_box change_down(const state_box& cur, std::string_view to_vsn,
                                std::string_view extra, std::shared_ptr<void> lib) = 0;
  /// The tag of the state this version runs on.
  virtual std::string_view state_tag() const noexcept = 0;

 protected:
  ~code_of() = default;
};

}  // namespace code_detail

/// The callbacks of one version of a module implementing `Api`.
template <class Api>
using module_code = code_detail::code_of<Api>;

namespace code_detail {

/// What a module's entry point returns.
struct module_header {
  std::string_view abi;          ///< kAbi as the module was compiled
  std::string_view name;         ///< the module's name (otp_add_module NAME)
  std::string_view vsn;          ///< its version (otp_add_module VERSION)
  std::string_view interface;    ///< Api::name
  std::string (*fingerprint)();  ///< interface_fingerprint<Api>, as the module compiled it
  void* code;                    ///< a module_code<Api>*, of static storage
};

template <class T>
struct as_call {};
template <class T>
struct as_cast {};

/// Overrides each slot's `handle` with Impl's handle_call or handle_cast,
/// one layer per request type.
template <class Impl, class Base, class... Ts>
struct overrides : Base {};
template <class Impl, class Base, class R, class... Rest>
struct overrides<Impl, Base, as_call<R>, Rest...> : overrides<Impl, Base, Rest...> {
  using overrides<Impl, Base, Rest...>::handle;
  typename R::reply handle(state_box& s, const R& r) override {
    return static_cast<Impl*>(s.obj)->handle_call(r);
  }
};
template <class Impl, class Base, class C, class... Rest>
struct overrides<Impl, Base, as_cast<C>, Rest...> : overrides<Impl, Base, Rest...> {
  using overrides<Impl, Base, Rest...>::handle;
  void handle(state_box& s, const C& c) override { static_cast<Impl*>(s.obj)->handle_cast(c); }
};

template <class Api, class Impl, class Calls = typename Api::calls,
          class Casts = typename Api::casts>
struct code_impl;
/// The module_code of version Impl: what OTP_MODULE exports.
template <class Api, class Impl, class... R, class... C>
struct code_impl<Api, Impl, module_calls<R...>, module_casts<C...>> final
    : overrides<Impl, code_of<Api>, as_call<R>..., as_cast<C>...> {
  state_box init(const typename Api::start_arg& a, std::shared_ptr<void> lib) override {
    return state_box(new Impl(a), Impl::state_tag, &destroy, std::move(lib));
  }
  state_box change(const state_box& old, std::string_view old_vsn, std::string_view extra,
                   std::shared_ptr<void> lib) override {
    if (old.tag == std::string_view(Impl::state_tag)) {  // the same state type: a copy
      if constexpr (std::is_copy_constructible_v<Impl>)
        return state_box(new Impl(*static_cast<const Impl*>(old.obj)), Impl::state_tag, &destroy,
                         std::move(lib));
      else
        throw std::runtime_error(std::string("code_change: ") + Impl::state_tag +
                                 " cannot be copied to a new version of the same state");
    }
    if constexpr (requires { typename Impl::previous; }) {
      using P = typename Impl::previous;
      if (old.tag == std::string_view(P::state_tag))
        return state_box(new Impl(*static_cast<const P*>(old.obj), old_vsn, extra), Impl::state_tag,
                         &destroy, std::move(lib));
    }
    throw std::runtime_error("code_change: the state is " + std::string(old.tag) + ", which " +
                             std::string(Impl::state_tag) + " does not upgrade from");
  }
  state_box change_down(const state_box& cur, std::string_view to_vsn, std::string_view extra,
                        std::shared_ptr<void> lib) override {
    if (cur.tag != std::string_view(Impl::state_tag))
      throw std::runtime_error("code_change down: the state is " + std::string(cur.tag) + ", not " +
                               std::string(Impl::state_tag));
    if constexpr (requires(const Impl& s, std::string_view v) {
                    typename Impl::previous;
                    { s.downgrade(v, v) } -> std::same_as<typename Impl::previous>;
                  }) {
      using P = typename Impl::previous;
      return state_box(new P(static_cast<const Impl*>(cur.obj)->downgrade(to_vsn, extra)),
                       P::state_tag, &destroy_previous, std::move(lib));
    } else {
      static_assert(
          !requires { &Impl::downgrade; },
          "a version's downgrade must be `previous downgrade(std::string_view to_vsn, "
          "std::string_view extra) const`, with `using previous = ...;`");
      throw std::runtime_error("code_change down: " + std::string(Impl::state_tag) +
                               " has no downgrade to the state it upgrades from");
    }
  }
  std::string_view state_tag() const noexcept override { return Impl::state_tag; }
  static void destroy(void* p) { delete static_cast<Impl*>(p); }
  static void destroy_previous(void* p) {
    if constexpr (requires { typename Impl::previous; })
      delete static_cast<typename Impl::previous*>(p);
  }
};

}  // namespace code_detail
}  // namespace otp

/// Exports version `Impl` of a module implementing `Api`: the entry point the
/// code server looks up (`otp_module_v1`). OTP_MODULE_NAME and
/// OTP_MODULE_VSN come from otp_add_module().
#define OTP_MODULE(Api, Impl)                                                                \
  extern "C" __attribute__((visibility("default"))) const ::otp::code_detail::module_header* \
  otp_module_v1() {                                                                          \
    static ::otp::code_detail::code_impl<Api, Impl> code;                                    \
    static const ::otp::code_detail::module_header header{                                   \
        ::otp::code_detail::kAbi,                                                            \
        OTP_MODULE_NAME,                                                                     \
        OTP_MODULE_VSN,                                                                      \
        Api::name,                                                                           \
        &::otp::code_detail::interface_fingerprint<Api>,                                     \
        static_cast<::otp::module_code<Api>*>(&code)};                                       \
    return &header;                                                                          \
  }
