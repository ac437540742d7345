#include "risk.hpp"

#include <atomic>
#include <stdexcept>

namespace order_system {

std::string module_path(const risk_options& o, std::string_view file) {
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string_view::npos ||
      file.find('\0') != std::string_view::npos)
    throw std::invalid_argument("a module is a file name in the modules directory, not \"" +
                                std::string(file) + "\"");
  return o.modules_dir + "/" + std::string(file);
}

void load_risk_rules(const risk_options& o) {
  const std::string path = module_path(o, o.module_file);
  const auto now = otp::code::which(risk_module);
  if (now && now->path == path) return;
  (void)otp::code::load(risk_module, path);
}

otp::task<otp::code::upgrade_report> upgrade_risk_rules(risk_options o, std::string file,
                                                        std::string extra) {
  std::string path = module_path(o, file);
  // One upgrade at a time: two at once would each load a version, and the
  // second load would purge what the first is moving the server to. (A
  // flag, not a mutex: the coroutine may resume on another thread.)
  static std::atomic<bool> running{false};
  if (running.exchange(true))
    throw otp::code::code_error("another upgrade of " + std::string(risk_module) + " is running");
  struct done {
    ~done() { running.store(false); }
  } release;
  co_return co_await otp::code::install<risk_api>(risk_module, std::move(path), std::move(extra));
}

}  // namespace order_system
