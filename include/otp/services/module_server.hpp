// otp::module_server<Api>: a gen_server whose callbacks are the current
// version of a module (otp/services/module.hpp), and code::upgrade, which
// moves a running one to a newer version without stopping it.
//
//   otp::code::load("tally", "/opt/app/tally_v1.so");
//   auto s = co_await otp::gen_server::start_link<otp::module_server<tally_api>>("tally", 10);
//   int n = co_await otp::call(s.ref(), tally_api::add{5});    // v1's handle_call
//   otp::code::load("tally", "/opt/app/tally_v2.so");
//   auto failed = co_await otp::code::upgrade(s.ref(), "");     // v2 from now on
//
// | function                        | mirrors                                 |
// |---------------------------------|-----------------------------------------|
// | module_server<Api>(module, arg) | a gen_server started from a module      |
// | code::upgrade(ref, extra)       | sys:suspend/1, sys:change_code/4,       |
// |                                 | sys:resume/1 (what release_handler runs |
// |                                 | for one process)                        |
// | code::upgrade_all<Api>(m, extra)| release_handler's upgrade of a module   |
// | code::install<Api>(m, path, x)  | release_handler:install_release/1       |
// | code::downgrade<Api>(m, extra)  | install_release/1 of the previous       |
// |                                 | release (code_change({down, Vsn}, ...)) |
#pragma once

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/behaviours/sys.hpp"
#include "otp/services/code_error.hpp"
#include "otp/services/code_server.hpp"
#include "otp/services/detail/code_registry.hpp"
#include "otp/services/module.hpp"

namespace otp {

namespace code_detail {
template <class T, class List>
struct listed : std::false_type {};
template <class T, class... Ts>
struct listed<T, module_calls<Ts...>> : std::disjunction<std::is_same<T, Ts>...> {};
template <class T, class... Ts>
struct listed<T, module_casts<Ts...>> : std::disjunction<std::is_same<T, Ts>...> {};
}  // namespace code_detail

/// The callback type of a gen_server that runs module code: each call and
/// cast of `Api` goes to the handle_call / handle_cast of the module's
/// version this server runs. Start it as any gen_server:
/// `gen_server::start_link<module_server<Api>>(module_name, start_arg)`.
template <class Api>
class module_server {
 public:
  /// Runs the current version of `module`: its state from `arg`.
  /// @throws code::code_error when the module is not loaded or implements
  ///   another interface (the start fails with that exception's reason).
  module_server(std::string module, typename Api::start_arg arg)
      : self_(otp::self()), mod_(code_detail::enter_current(module, fingerprint(), self_)) {
    try {
      box_ = code().init(arg, mod_->library);
    } catch (...) {
      code_detail::leave(*mod_, self_);
      throw;
    }
  }
  module_server(const module_server&) = delete;
  module_server& operator=(const module_server&) = delete;
  ~module_server() {
    if (mod_ != nullptr) code_detail::leave(*mod_, self_);
  }

  template <class R>
  requires code_detail::listed<R, typename Api::calls>::value typename R::reply handle_call(
      const R& r) {
    return code().handle(box_, r);
  }

  template <class C>
  requires code_detail::listed<C, typename Api::casts>::value void handle_cast(const C& c) {
    code().handle(box_, c);
  }

  /// The version this server runs.
  const std::string& vsn() const noexcept { return mod_->vsn; }

  /// Makes the state of the module's current version from this one (the
  /// new version's code_change), keeping both: commit() then switches,
  /// abort() drops it. @returns why it failed, or nullopt.
  std::optional<std::string> prepare(std::string_view extra) {
    return prepare_to(&code_detail::current, [&](const code_detail::loaded_module& to) {
      auto& to_code = *static_cast<module_code<Api>*>(to.code);
      return to_code.change(box_, mod_->vsn, extra, to.library);
    });
  }
  /// Makes the state of the module's old version from this one (this
  /// version's downgrade, given `extra`), keeping both, as prepare() does.
  /// @returns why it failed (no old version, no downgrade, a state the old
  ///   version does not run on, the downgrade threw), or nullopt.
  std::optional<std::string> prepare_downgrade(std::string_view extra) {
    return prepare_to(&code_detail::old, [&](const code_detail::loaded_module& to) {
      return code().change_down(box_, to.vsn, extra, mod_->library);
    });
  }
  /// Runs the prepared version from now on, with its state. False (nothing
  /// prepared kept) when that version was purged since prepare.
  bool commit() {
    if (next_mod_ == nullptr) return false;
    if (next_mod_ != mod_ && !code_detail::move(*mod_, next_mod_, self_)) {
      abort();
      return false;
    }
    mod_ = std::move(next_mod_);
    box_ = std::move(next_box_);
    return true;
  }
  /// Drops what prepare made.
  void abort() noexcept {
    next_box_.reset();
    next_mod_.reset();
  }

 private:
  module_code<Api>& code() const { return *static_cast<module_code<Api>*>(mod_->code); }
  /// Keeps the state `make(to)` builds for the version `find(name,
  /// fingerprint)` gives (current or old), once it is the state that version
  /// runs on: what prepare and prepare_downgrade share.
  /// @returns why not (also what the module's code threw), or nullopt.
  template <class Find, class Make>
  std::optional<std::string> prepare_to(Find find, Make make) {
    // Outside the try: an exception of the target version's code is
    // handled while its library is certainly still loaded.
    std::shared_ptr<const code_detail::loaded_module> to;
    try {
      to = find(mod_->name, fingerprint());
      code_detail::state_box box = make(*to);
      const auto& to_code = *static_cast<module_code<Api>*>(to->code);
      if (box.tag != to_code.state_tag())
        return "the change from version " + mod_->vsn + " makes the state " + std::string(box.tag) +
               ", and version " + to->vsn + " runs on " + std::string(to_code.state_tag());
      next_box_ = std::move(box);
      next_mod_ = std::move(to);
      return std::nullopt;
    } catch (const std::exception& e) {
      return std::string(e.what());
    } catch (...) {
      return std::string("the state change threw something that is not a std::exception");
    }
  }
  static const std::string& fingerprint() {
    static const std::string f = code_detail::interface_fingerprint<Api>();
    return f;
  }

  pid self_;
  std::shared_ptr<const code_detail::loaded_module> mod_;
  code_detail::state_box box_;
  std::shared_ptr<const code_detail::loaded_module> next_mod_;
  code_detail::state_box next_box_;
};

namespace code {

namespace detail {
/// Runs `f(server&)` inside the server `s` (a system message), returning
/// what f returns.
template <class Api, class F>
auto run_in(const server_ref<module_server<Api>>& s, F f) {
  using R = std::invoke_result_t<F&, module_server<Api>&>;
  return sys::detail::system_call<R>(
      s.get_pid(), s.name(), otp::detail::sys_op::run,
      std::function<void(sys::detail::server_base&, pid, ref)>(
          [f = std::move(f)](sys::detail::server_base& b, pid caller, ref tag) mutable {
            auto& st = *static_cast<module_server<Api>*>(b.state_ptr());
            if constexpr (std::is_void_v<R>) {
              f(st);
              otp::detail::send_reply(caller, tag, std::monostate{});
            } else {
              otp::detail::send_reply(caller, tag, f(st));
            }
          }),
      timeout(default_call_timeout));
}
}  // namespace detail

/// Moves the server to the current version of its module: suspends it,
/// makes the new state from its state (the new version's code_change, given
/// `extra`), and resumes it running the new version. Calls that arrive
/// meanwhile wait in its mailbox and are answered by the new version; a
/// call it was handling is answered by the old one.
/// When code_change throws or does not take this state, the server keeps
/// its version and state and runs on.
/// @returns nullopt when the server runs the new version, else why not.
/// @exits as sys::suspend does when the server cannot answer (noproc, ...).
/// @mirrors sys:suspend/1, sys:change_code/4, sys:resume/1
template <class Api>
task<std::optional<std::string>> upgrade(server_ref<module_server<Api>> s, std::string extra) {
  co_await sys::suspend(s.get_pid());
  std::optional<std::string> failed;
  std::exception_ptr error;  // resumed whatever happens, then rethrown
  try {
    failed =
        co_await detail::run_in(s, [extra](module_server<Api>& st) { return st.prepare(extra); });
    if (failed)
      co_await detail::run_in(s, [](module_server<Api>& st) { st.abort(); });
    else if (!co_await detail::run_in(s, [](module_server<Api>& st) { return st.commit(); }))
      failed = "the new version was purged during the upgrade";
  } catch (...) {
    error = std::current_exception();
  }
  try {
    co_await sys::resume(s.get_pid());
  } catch (...) {
    if (!error) error = std::current_exception();
  }
  if (error) std::rethrow_exception(error);
  co_return failed;
}

/// What an upgrade of a module's processes did.
struct upgrade_report {
  /// The version the module's processes run afterwards: after an upgrade
  /// the current one, after a downgrade the old one (now current); after a
  /// failure the one they ran (after a rolled back install, the restored one).
  std::string vsn;
  /// Processes suspended for it (those found running the version it moves from).
  std::size_t processes = 0;
  /// From the first suspend to the last resume: how long the module's
  /// processes answered nothing (a call meanwhile waits that long at most).
  std::chrono::microseconds suspended{0};
  /// Processes that ended during it (killed while suspended, say), which
  /// therefore did not switch; their supervisors restart them on whatever
  /// version is current then.
  std::size_t left_out = 0;
  /// Why it failed ("<pid>: why"), or nullopt when every process switched.
  std::optional<std::string> failed;
  /// install() only: the new version was unloaded again after a failure.
  bool rolled_back = false;
};

namespace detail {
/// True when `e` says a process did not answer in time (it may still act
/// on the request); any other exit of a request to it means it ended.
inline bool silent(const exit_error& e) { return e.reason() == exit_reason::timeout(); }

/// Suspends `pids`, runs `prepare` (module_server<Api>& -> why it failed, or
/// nullopt) in each, and then commits every one when all succeeded, else
/// aborts every one; resumes them all (also one whose suspend timed out).
/// A process that ends (any exit of a request to it but a timeout) is left
/// out and counted in `left_out` (when `strict`, one left out before the
/// switch begins fails it all); one that does not answer in time fails it
/// all. Before the switch every prepared process is asked whether it still
/// runs, so that one that ended during the preparing is found before any
/// switches. The report's vsn is left to the caller. What upgrade_all,
/// install and downgrade share.
template <class Api, class Prepare>
task<upgrade_report> change_all(std::vector<pid> pids, Prepare prepare, bool strict) {
  upgrade_report report;
  std::vector<server_ref<module_server<Api>>> held;
  std::optional<std::string>& failed = report.failed;
  const auto start = std::chrono::steady_clock::now();
  for (pid p : pids) {
    try {
      co_await sys::suspend(p);
      held.emplace_back(p);
    } catch (const exit_error& e) {
      if (!silent(e)) {
        ++report.left_out;
        continue;
      }
      held.emplace_back(p);  // its suspend may still arrive: resume it too
      failed = p.to_string() + ": " + e.reason().to_string();
      break;
    }
  }
  std::vector<server_ref<module_server<Api>>> prepared;
  for (const auto& s : held) {
    if (failed) break;
    std::optional<std::string> why;
    try {
      why = co_await run_in(s, prepare);
    } catch (const exit_error& e) {
      if (!silent(e)) {  // killed while suspended
        ++report.left_out;
        continue;
      }
      why = e.reason().to_string();  // no answer in time: it may still prepare
    }
    prepared.push_back(s);
    if (why) failed = s.get_pid().to_string() + ": " + *why;
  }
  if (!failed) {
    std::vector<server_ref<module_server<Api>>> alive;
    for (const auto& s : prepared) {
      try {
        co_await run_in(s, [](module_server<Api>&) {});
        alive.push_back(s);
      } catch (const exit_error& e) {
        if (silent(e)) {
          alive.push_back(s);  // silent, not gone: abort it with the rest
          failed = s.get_pid().to_string() + ": " + e.reason().to_string();
        } else {
          ++report.left_out;
        }
      }
    }
    prepared = std::move(alive);
    if (!failed && strict && report.left_out > 0)
      failed = std::to_string(report.left_out) +
               " process(es) ended during the change, before their switch";
  }
  for (const auto& s : prepared) {
    try {
      if (failed)
        co_await run_in(s, [](module_server<Api>& st) { st.abort(); });
      else if (!co_await run_in(s, [](module_server<Api>& st) { return st.commit(); }))
        failed = s.get_pid().to_string() + ": the version it moves to was purged meanwhile";
    } catch (const exit_error& e) {
      if (failed) continue;  // aborting: it keeps its version whatever happened
      if (silent(e))         // its switch may still come: say so (install reverts)
        failed = s.get_pid().to_string() + ": no answer to the switch";
      else
        ++report.left_out;  // ended after the others were asked to switch
    }
  }
  for (const auto& s : held) {
    try {
      co_await sys::resume(s.get_pid());
    } catch (const exit_error&) {
    }
  }
  report.suspended = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  report.processes = held.size();
  co_return report;
}
}  // namespace detail

/// Upgrades every process running an older version of `module` to its
/// current version, all or none, as a release upgrade does: suspends them
/// all, makes each one's new state (code_change), and only when every one
/// succeeded switches them all; when one fails or does not answer in time,
/// none switches (each keeps its version and state). Then resumes them
/// all. A process that ends meanwhile is left out (counted in `left_out`).
/// Calls that arrive meanwhile wait and are answered by the version the
/// server runs once resumed: none is lost. The processes must run on the
/// caller's node.
/// @returns the report: `failed` nullopt when every process runs the current
///   version, else the first failure. Should the new version be purged
///   between the last code_change and the switch (two more loads
///   meanwhile), the servers switched before that one stay switched, and it
///   is reported.
/// @throws code_error when another upgrade_all, install or downgrade of
///   `module` is running (one at a time per module).
/// @mirrors release_handler's upgrade of one module (suspend, code_change,
///   resume for each process that runs it)
template <class Api>
task<upgrade_report> upgrade_all(std::string module, std::string extra) {
  const code_detail::change_guard one_change(module);
  upgrade_report report = co_await detail::change_all<Api>(
      code_detail::running_old(module),
      [extra](module_server<Api>& st) { return st.prepare(extra); }, false);
  const auto now = report.failed ? old_version(module) : which(module);
  if (now) report.vsn = now->vsn;
  co_return report;
}

/// Installs a new version of `module` from the library at `path` and moves
/// every process running it there, as a release upgrade does: load(), then
/// each process that ran the current version is moved as by upgrade_all().
/// Stricter than upgrade_all: one of those processes that ends before the
/// switch begins (and so never went through code_change) fails it too, so
/// that a version whose code_change was never run on a live state is not
/// taken. (One that ends after the others were asked to switch is only
/// counted in `left_out`: they run the new version already.) A module whose
/// processes come and go all the time may therefore need several tries.
/// When it fails, it is rolled back: every process kept its version and
/// state, and revert() makes the version they run current again (killing
/// a process started on the failed version meanwhile; its supervisor
/// restarts it on the restored one), so a restart does not start the
/// failed version either.
/// @returns the report, with `rolled_back` set after a failure.
/// @throws code_error when the library cannot be loaded (nothing changes),
///   or another upgrade_all, install or downgrade of `module` is running.
/// @mirrors release_handler:install_release/1 for a release that changes
///   one module (which, when it fails, restarts the node on the old
///   release; relup suspends before it loads, this loads first, with the
///   same outcome)
template <class Api>
task<upgrade_report> install(std::string module, std::string path, std::string extra) {
  const code_detail::change_guard one_change(module);
  const std::vector<pid> before = code_detail::running_current(module);
  (void)load(module, path);
  // Those that ran the version it replaces, listed after the load (one
  // started meanwhile ran it too); one of `before` missing ended.
  std::vector<pid> pids = code_detail::running_old(module);
  std::size_t ended = 0;
  for (pid p : before) ended += std::find(pids.begin(), pids.end(), p) == pids.end() ? 1 : 0;
  upgrade_report report;
  if (ended == 0) {
    report = co_await detail::change_all<Api>(
        std::move(pids), [extra](module_server<Api>& st) { return st.prepare(extra); }, true);
  } else {
    report.left_out = ended;
    report.failed =
        std::to_string(ended) + " process(es) ended during the change, before their switch";
  }
  const auto now = report.failed ? old_version(module) : which(module);
  if (now) report.vsn = now->vsn;
  if (report.failed) report.rolled_back = revert(module);
  co_return report;
}

/// Moves every process running the current version of `module` back to
/// its old version, all or none, as the downgrade of a release does: each
/// one's state is turned into the old version's by the current version's
/// `downgrade` (given `extra`); only when every one succeeded do they all
/// switch, and then the old version becomes current again (revert(): a
/// restart runs it too). When one fails, none switches and the versions
/// stay as they were. Calls meanwhile wait, as in upgrade_all.
/// When the old version is purged during it (two loads meanwhile), the
/// processes switched before that stay switched and it is reported.
/// Reverting kills a process started on the version left during it (its
/// supervisor restarts it on the old one), which counts toward the
/// supervisor's restart intensity.
/// @returns the report: the version the processes run afterwards, the
///   processes suspended and for how long, and the first failure (also
///   when there is no old version to go back to).
/// @throws code_error when another upgrade_all, install or downgrade of
///   `module` is running.
/// @mirrors release_handler:install_release/1 of the previous release,
///   which runs code_change({down, Vsn}, State, Extra) in the module left
template <class Api>
task<upgrade_report> downgrade(std::string module, std::string extra) {
  const code_detail::change_guard one_change(module);
  const auto to = old_version(module);
  if (!to) {
    upgrade_report none;
    if (auto now = which(module)) none.vsn = now->vsn;
    none.failed = "module " + module + " has no old version to go back to";
    co_return none;
  }
  upgrade_report report = co_await detail::change_all<Api>(
      code_detail::running_current(module),
      [extra](module_server<Api>& st) { return st.prepare_downgrade(extra); }, false);
  if (!report.failed && !revert(module))
    report.failed = "the old version was purged during the downgrade";
  if (!report.failed) {
    report.vsn = to->vsn;
  } else if (auto now = which(module)) {
    report.vsn = now->vsn;
  }
  co_return report;
}

/// The version `s` runs. @mirrors sys:get_status/1 (the module's vsn)
template <class Api>
auto version_of(const server_ref<module_server<Api>>& s) {
  return detail::run_in(s, [](module_server<Api>& st) { return st.vsn(); });
}

}  // namespace code
}  // namespace otp
