// Why a process ended: the reason carried by exit signals, EXIT and DOWN.
#pragma once

#include <cstdint>
#include <exception>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace otp {

class term;  // otp/dist/term.hpp: the Erlang term a reason from another node was

/// What a C++ exception that escaped a process body left behind.
struct exception_info {
  std::string type;           ///< demangled dynamic type, e.g. "std::runtime_error"
  std::string what;           ///< `what()`, empty for non-std exceptions
  std::vector<void*> frames;  ///< raw return addresses captured at the throw
  /// The stack trace at the throw point, symbolised now (slow; for reports).
  std::string stacktrace() const;
};

/// The reason a process exited, as carried by exit signals and EXIT/DOWN messages.
///
/// Kinds mirror Erlang's conventional reasons: `normal`, `shutdown`,
/// `{shutdown, Detail}`, `kill` (only as a signal: the untrappable kill),
/// `killed` (what links of a killed process receive), `noproc`,
/// `noconnection`, `timeout`, `mailbox_overflow`, `calling_self`, an escaped
/// C++ exception, and `other` for user-defined reasons (any text).
///
/// Values are immutable and cheap to copy (one shared pointer).
/// @threadsafe Immutable value.
/// @mirrors exit reasons of erlang:exit/1,2
class exit_reason {
 public:
  enum class kind : std::uint8_t {
    normal,
    shutdown,  // plain `shutdown`, or `{shutdown, detail}` when detail() is non-empty
    kill,
    killed,
    noproc,
    noconnection,
    timeout,
    mailbox_overflow,
    calling_self,
    exception,
    other,
  };

  /// `normal`.
  exit_reason() noexcept = default;

  static exit_reason normal() noexcept { return exit_reason(); }
  static exit_reason shutdown() noexcept { return exit_reason(kind::shutdown); }
  /// `{shutdown, detail}`: a normal termination with a note (not a crash).
  static exit_reason shutdown(std::string detail);
  static exit_reason kill() noexcept { return exit_reason(kind::kill); }
  static exit_reason killed() noexcept { return exit_reason(kind::killed); }
  static exit_reason noproc() noexcept { return exit_reason(kind::noproc); }
  static exit_reason noconnection() noexcept { return exit_reason(kind::noconnection); }
  static exit_reason timeout() noexcept { return exit_reason(kind::timeout); }
  static exit_reason mailbox_overflow() noexcept { return exit_reason(kind::mailbox_overflow); }
  static exit_reason calling_self() noexcept { return exit_reason(kind::calling_self); }
  /// A user-defined reason, printed as given (e.g. "bad_state", "{badmatch,3}").
  /// An empty text is invalid and becomes "undefined".
  static exit_reason other(std::string text);
  /// A reason that is an Erlang term (from another node): `shutdown` with
  /// `detail` for {shutdown, Detail}, else `other` printed as `text`; the
  /// term is kept, so the reason goes on to another node unchanged.
  /// (otp::from_term<exit_reason> makes these.)
  static exit_reason of_term(kind k, std::string text, std::shared_ptr<const term> t);
  /// The reason for an exception that escaped a process: type, what() and the
  /// stack trace captured at the throw (when the throw happened in a process).
  static exit_reason from_exception(std::exception_ptr e);

  kind get_kind() const noexcept { return kind_; }
  bool is(kind k) const noexcept { return kind_ == k; }
  /// True for `normal` only.
  bool is_normal() const noexcept { return kind_ == kind::normal; }
  /// True for `shutdown` and `{shutdown, _}`.
  bool is_shutdown() const noexcept { return kind_ == kind::shutdown; }
  /// True where a supervisor sees a normal end: `normal`, `shutdown`, `{shutdown, _}`.
  bool is_normal_termination() const noexcept { return is_normal() || is_shutdown(); }

  /// The `{shutdown, detail}` detail, the text of an `other` reason, or the
  /// what() of an exception; empty otherwise.
  std::string_view detail() const noexcept;
  /// The exception details for kind::exception, else nullptr.
  const exception_info* exception() const noexcept;
  /// The Erlang term of a reason made by of_term, else nullptr.
  const term* erlang_term() const noexcept;

  /// Erlang-like text: `normal`, `{shutdown,db_down}`, `killed`,
  /// `{exception,std::runtime_error,"boom"}`, or the `other` text.
  std::string to_string() const;

  /// Same kind and same detail (exceptions compare by type and what()).
  friend bool operator==(const exit_reason& a, const exit_reason& b) noexcept;

 private:
  struct payload;
  explicit exit_reason(kind k) noexcept : kind_(k) {}
  exit_reason(kind k, std::shared_ptr<const payload> p) noexcept
      : kind_(k), payload_(std::move(p)) {}

  kind kind_ = kind::normal;
  std::shared_ptr<const payload> payload_;
};

std::ostream& operator<<(std::ostream& os, const exit_reason& r);

}  // namespace otp
