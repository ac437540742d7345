// otp::config::changes_of: the arguments of config_change/3 for one application.
#include "otp/services/config_change.hpp"

namespace otp::config {

config_change changes_of(const config_set& before, const config_set& after, std::string_view app) {
  static const app_env none;
  const auto b = before.find(app);
  const auto a = after.find(app);
  const app_env& old_env = b == before.end() ? none : b->second;
  const app_env& new_env = a == after.end() ? none : a->second;

  config_change c;
  for (const auto& [key, e] : new_env) {
    const auto it = old_env.find(key);
    if (it == old_env.end()) {
      c.added.emplace_back(key, e.value);
    } else if (it->second.value != e.value) {
      c.changed.emplace_back(key, e.value);
    }
  }
  for (const auto& [key, e] : old_env) {
    if (!new_env.contains(key)) c.removed.push_back(key);
  }
  return c;
}

}  // namespace otp::config
