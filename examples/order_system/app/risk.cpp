#include "risk.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "repo.hpp"

namespace order_system {

namespace {

/// Loads `file` unless the current version came from it.
void load_file(const risk_options& o, const std::string& file) {
  const std::string path = module_path(o, file);
  const auto now = otp::code::which(risk_module);
  if (now && now->path == path) return;
  (void)otp::code::load(risk_module, path);
}

/// One upgrade or downgrade at a time, the record of a permanent version
/// included (the library holds one change of a module at a time, not what
/// the service does after it). @throws otp::code::code_error when one runs.
class one_at_a_time {
 public:
  one_at_a_time() {
    if (running().exchange(true))
      throw otp::code::code_error("another upgrade of " + std::string(risk_module) + " is running");
  }
  ~one_at_a_time() { running().store(false); }
  one_at_a_time(const one_at_a_time&) = delete;
  one_at_a_time& operator=(const one_at_a_time&) = delete;

 private:
  static std::atomic<bool>& running() {
    static std::atomic<bool> r{false};
    return r;
  }
};

/// Records the current version's file as the one the service starts with,
/// asking the repo again while it restarts, for about 5 s (a try itself can
/// wait up to the pool's checkout timeout).
void record_permanent(risk_change& c) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    try {
      query(db_conn::set_setting{risk_setting, current_risk_file()}).get();
      c.permanent = true;
      return;
    } catch (const otp::exit_error& e) {
      if (std::chrono::steady_clock::now() >= deadline) {
        c.permanent_error =
            "the settings could not be written (" + e.reason().to_string() + "): ask again";
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a blocking thread's wait
  }
}

}  // namespace

std::string module_path(const risk_options& o, std::string_view file) {
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string_view::npos ||
      file.find('\0') != std::string_view::npos)
    throw std::invalid_argument("a module is a file name in the modules directory, not \"" +
                                std::string(file) + "\"");
  return o.modules_dir + "/" + std::string(file);
}

std::string load_risk_rules(const risk_options& o, const std::optional<std::string>& permanent) {
  if (permanent && *permanent != o.module_file) {
    try {
      load_file(o, *permanent);
      return *permanent;
    } catch (const std::exception& e) {
      otp::logger::warning("{} {}, made permanent, cannot be loaded ({}): loading {}", risk_module,
                           *permanent, e.what(), o.module_file);
    }
  }
  load_file(o, o.module_file);
  return o.module_file;
}

risk_change upgrade_risk_rules(const risk_options& o, const std::string& file,
                               const std::string& extra, bool permanent) {
  std::string path = module_path(o, file);
  const one_at_a_time only;
  risk_change c;
  c.report = otp::code::install<risk_api>(risk_module, std::move(path), extra).get();
  if (!c.report.failed && permanent) record_permanent(c);
  return c;
}

risk_change downgrade_risk_rules(const std::string& extra, bool permanent) {
  const one_at_a_time only;
  risk_change c;
  c.report = otp::code::downgrade<risk_api>(risk_module, extra).get();
  if (!c.report.failed && permanent) record_permanent(c);
  return c;
}

std::string current_risk_file() {
  const auto now = otp::code::which(risk_module);
  return now ? std::filesystem::path(now->path).filename().string() : std::string();
}

}  // namespace order_system
