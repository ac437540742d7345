// The application controller of a node: the table of loaded and running
// applications with their environments (a node slot, read from any thread),
// and the controller process that starts and stops them through one master
// process per running application.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "otp/behaviours/application.hpp"
#include "otp/behaviours/from.hpp"
#include "otp/behaviours/server_ref.hpp"
#include "otp/behaviours/server_result.hpp"
#include "otp/behaviours/types.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/task.hpp"

namespace otp::detail {

class node_impl;

/// One loaded application.
struct app_entry {
  enum class phase : std::uint8_t { loaded, starting, running, stopping };
  std::shared_ptr<const application_spec> spec;
  phase state = phase::loaded;
  restart_type type = restart_type::temporary;
  pid master;  // null for a library application (no start callback)
};

/// A node's applications (a node slot). `mu` guards everything; the
/// controller process is the only writer of `state`, `running` and the
/// halt fields, load/unload/put_env write the rest.
struct app_table {
  explicit app_table(node_impl&) {}

  std::shared_mutex mu;
  std::map<std::string, app_entry, std::less<>> apps;
  /// Running applications in start order.
  std::vector<std::string> running;
  /// application → JSON object.
  std::map<std::string, nlohmann::json, std::less<>> env;
  /// Set by stop_all (and a halt): no more starts.
  bool shutting_down = false;
  /// Set once the applications stopped after a permanent one ended.
  std::optional<exit_reason> halt;
  std::condition_variable_any halted;
};

app_table& apps_of(node_impl& n);
app_table& apps_of(node& n);

/// Requests to the controller (gen_server calls).
struct app_start_req {
  using reply = application_outcome;
  std::string name;
  restart_type type;
};
struct app_stop_req {
  using reply = application_outcome;
  std::string name;
};
struct app_stop_all_req {
  using reply = application_outcome;
};
/// A master's answer to its start.
struct app_master_started {
  std::string name;
  pid master;
  start_result result;
};
/// The controller asks a master to stop its application.
struct app_master_stop {};

/// The body of an application's master process (application_master.cpp).
proc app_master(std::shared_ptr<const application_spec> spec, pid controller);

/// The controller process: registered as "application_controller", traps
/// exits, linked to every master.
class app_controller {
 public:
  using info = types<app_master_started, exit_msg>;

  explicit app_controller(app_table& t);

  call_result<application_outcome> handle_call(app_start_req r, from<application_outcome> f);
  call_result<application_outcome> handle_call(app_stop_req r, from<application_outcome> f);
  call_result<application_outcome> handle_call(app_stop_all_req, from<application_outcome> f);
  server_result handle_info(app_master_started m);
  server_result handle_info(const exit_msg& e);
  task<void> terminate(const exit_reason& reason);

 private:
  /// Stops every application, one at a time, the last started first; with
  /// `halt`, records it for await_halt once all have stopped.
  void begin_stop_all(std::optional<exit_reason> halt);
  /// Stops the last started running application; true when none is left.
  bool stop_next();
  /// Marks the last started running application stopping (and the node
  /// shutting down): its name and master, or nullopt when none runs.
  std::optional<std::pair<std::string, pid>> take_last_running();
  server_result all_stopped_check();
  /// Application `name` is no longer running: reports it, answers its stop waiters.
  void ended(const std::string& name, const exit_reason& reason);

  app_table& t_;
  std::map<pid, std::string> masters_;
  std::map<std::string, from<application_outcome>, std::less<>> starting_;
  std::map<std::string, std::vector<from<application_outcome>>, std::less<>> stopping_;
  bool stopping_all_ = false;
  std::optional<exit_reason> halt_;
  std::vector<from<application_outcome>> stop_all_waiters_;
};

/// The calling node's controller, started on first use.
task<server_ref<app_controller>> app_controller_ref();

/// Reports that application `name` started (info) or exited (notice, or
/// error for an abnormal end of a permanent or transient application).
void app_report(node_impl& n, const std::string& name, const exit_reason* exited,
                restart_type type);

}  // namespace otp::detail
