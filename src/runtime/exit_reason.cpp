#include "otp/runtime/exit_reason.hpp"

#include <backward.hpp>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "otp/runtime/detail/type_name.hpp"
#include "otp/runtime/errors.hpp"
#include "runtime/throw_trace.hpp"

namespace otp {

struct exit_reason::payload {
  std::string text;
  exception_info exc;
  std::shared_ptr<const term> erl;  ///< of_term's term
};

exit_reason exit_reason::shutdown(std::string detail) {
  if (detail.empty()) return shutdown();
  auto p = std::make_shared<payload>();
  p->text = std::move(detail);
  return exit_reason(kind::shutdown, std::move(p));
}

exit_reason exit_reason::other(std::string text) {
  auto p = std::make_shared<payload>();
  p->text = text.empty() ? "undefined" : std::move(text);
  return exit_reason(kind::other, std::move(p));
}

exit_reason exit_reason::of_term(kind k, std::string text, std::shared_ptr<const term> t) {
  auto p = std::make_shared<payload>();
  p->text = text.empty() ? "undefined" : std::move(text);
  p->erl = std::move(t);
  return exit_reason(k == kind::shutdown ? kind::shutdown : kind::other, std::move(p));
}

exit_reason exit_reason::from_exception(std::exception_ptr e) {
  std::shared_ptr<payload> p;  // made only for what is not an exit_error
  const std::type_info* t = abi::__cxa_current_exception_type();
  try {
    std::rethrow_exception(e);
  } catch (const exit_error& x) {
    return x.reason();
  } catch (const std::exception& x) {
    p = std::make_shared<payload>();
    p->exc.type = detail::type_name(typeid(x));
    p->exc.what = x.what();
  } catch (...) {
    p = std::make_shared<payload>();
    p->exc.type = t != nullptr ? detail::type_name(*t) : "unknown";
  }
  // Only a trace recorded for this very object (a throw on another thread,
  // e.g. in otp::blocking, leaves none here; better none than a wrong one).
  const auto& tr = detail::last_throw_trace();
  if (tr.object != nullptr && tr.object == detail::thrown_object(e))
    p->exc.frames.assign(tr.frames, tr.frames + tr.depth);
  p->text = p->exc.what;
  return exit_reason(kind::exception, std::move(p));
}

std::string_view exit_reason::detail() const noexcept {
  return payload_ ? std::string_view(payload_->text) : std::string_view();
}

const term* exit_reason::erlang_term() const noexcept {
  return payload_ ? payload_->erl.get() : nullptr;
}

const exception_info* exit_reason::exception() const noexcept {
  return kind_ == kind::exception && payload_ ? &payload_->exc : nullptr;
}

std::string exit_reason::to_string() const {
  switch (kind_) {
    case kind::normal:
      return "normal";
    case kind::shutdown:
      return payload_ ? "{shutdown," + payload_->text + "}" : "shutdown";
    case kind::kill:
      return "kill";
    case kind::killed:
      return "killed";
    case kind::noproc:
      return "noproc";
    case kind::noconnection:
      return "noconnection";
    case kind::timeout:
      return "timeout";
    case kind::mailbox_overflow:
      return "mailbox_overflow";
    case kind::calling_self:
      return "calling_self";
    case kind::exception:
      return "{exception," + payload_->exc.type + ",\"" + payload_->exc.what + "\"}";
    case kind::other:
      return payload_->text;
  }
  return "unknown";
}

bool operator==(const exit_reason& a, const exit_reason& b) noexcept {
  if (a.kind_ != b.kind_) return false;
  if (a.kind_ == exit_reason::kind::exception)
    return a.payload_->exc.type == b.payload_->exc.type &&
           a.payload_->exc.what == b.payload_->exc.what;
  return a.detail() == b.detail();
}

std::ostream& operator<<(std::ostream& os, const exit_reason& r) { return os << r.to_string(); }

namespace {

/// One resolver for the whole program, made on first use: building one loads
/// and decompresses the binary's debug information, which took ~100 ms per
/// report when each report made its own. Not thread-safe: use under `mu`.
struct shared_resolver {
  std::mutex mu;
  backward::TraceResolver resolver;
  /// Each address's line, once resolved (crashes repeat the same frames).
  std::unordered_map<void*, std::string> lines;
  shared_resolver() {
    backward::StackTrace st;
    st.load_here(1);  // initialises the resolver for this process
    resolver.load_stacktrace(st);
  }
};

}  // namespace

std::string exception_info::stacktrace() const {
  if (frames.empty()) return "(no stack trace captured)\n";
  static shared_resolver shared;
  std::lock_guard lock(shared.mu);
  std::ostringstream out;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto [at, fresh] = shared.lines.try_emplace(frames[i]);
    if (fresh) {
      backward::ResolvedTrace t(backward::Trace(frames[i], i));
      t = shared.resolver.resolve(t);
      at->second = t.object_function.empty() ? "??" : t.object_function;
      if (!t.source.filename.empty())
        at->second += " at " + t.source.filename + ":" + std::to_string(t.source.line);
    }
    out << "#" << i << " " << at->second << "\n";
  }
  return out.str();
}

}  // namespace otp
