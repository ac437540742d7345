// The code server (otp/services/code_server.hpp): a program-wide table of
// loaded module versions, as dlopen is program-wide.
#include "otp/services/code_server.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "otp/runtime/process.hpp"
#include "otp/services/detail/code_registry.hpp"
#include "otp/services/module.hpp"

namespace otp::code_detail {
namespace {

struct versions {
  std::shared_ptr<const loaded_module> current;
  std::shared_ptr<const loaded_module> old;
};

struct registry {
  std::mutex mu;
  std::map<std::string, versions, std::less<>> modules;
  std::map<const loaded_module*, std::set<pid>> running;
  std::set<std::string, std::less<>> changing;  ///< modules a change_guard holds
};

registry& reg() {
  static registry* r = new registry;  // never destroyed: processes may leave at exit
  return *r;
}

code::module_info info_of(const loaded_module& m, registry& r) {
  auto it = r.running.find(&m);
  const int n = it == r.running.end() ? 0 : static_cast<int>(it->second.size());
  return {m.name, m.vsn, m.path, m.interface, n};
}

/// Opens `path` and checks its header. @throws code::code_error
std::shared_ptr<const loaded_module> open_module(std::string_view name, const std::string& path) {
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) throw code::code_error("cannot load " + path + ": " + ::dlerror());
  std::shared_ptr<void> lib(h, [](void* p) { ::dlclose(p); });
  using entry = const module_header* (*)();
  auto fn = reinterpret_cast<entry>(::dlsym(h, "otp_module_v1"));
  if (fn == nullptr)
    throw code::code_error(path + " is not a module: it has no otp_module_v1 entry point");
  const module_header* hdr = fn();
  if (hdr->abi != kAbi)
    throw code::code_error(path + " was built by " + std::string(hdr->abi) + ", this program by " +
                           std::string(kAbi));
  if (hdr->name != name)
    throw code::code_error(path + " is module " + std::string(hdr->name) + ", not " +
                           std::string(name));
  auto m = std::make_shared<loaded_module>();
  m->name = std::string(hdr->name);
  m->vsn = std::string(hdr->vsn);
  m->path = path;
  m->interface = std::string(hdr->interface);
  m->fingerprint = hdr->fingerprint();
  m->code = hdr->code;
  m->library = std::move(lib);
  return m;
}

/// What dropping a version leaves to do once the lock is released:
/// kill its processes, and let go of it (its library may be unloaded then,
/// which runs its destructors: not under the lock).
struct dropped {
  std::set<pid> to_kill;
  std::shared_ptr<const loaded_module> version;
};

/// Takes the version in `slot` out of the table (slot left empty) with its
/// processes, for the caller to kill once the lock is released.
dropped drop(std::shared_ptr<const loaded_module>& slot, registry& r) {
  dropped d;
  if (slot == nullptr) return d;
  if (auto it = r.running.find(slot.get()); it != r.running.end()) {
    d.to_kill = std::move(it->second);
    r.running.erase(it);
  }
  d.version = std::move(slot);
  return d;
}

void kill_all(const dropped& d) {
  for (pid p : d.to_kill) otp::exit(p, exit_reason::kill());
}

bool is_loaded(const registry& r, const loaded_module* m) {
  auto it = r.modules.find(m->name);
  return it != r.modules.end() && (it->second.current.get() == m || it->second.old.get() == m);
}

/// The version in slot `which` (current or old) of `name`.
/// @throws code::code_error when there is none or it has another interface.
std::shared_ptr<const loaded_module> version_locked(
    registry& r, std::string_view name, const std::string& fingerprint,
    std::shared_ptr<const loaded_module> versions::*which) {
  auto it = r.modules.find(name);
  if (it == r.modules.end() || it->second.*which == nullptr)
    throw code::code_error(
        "module " + std::string(name) +
        (which == &versions::current ? " is not loaded" : " has no old version"));
  const auto& m = it->second.*which;
  if (m->fingerprint != fingerprint)
    throw code::code_error("module " + std::string(name) + " " + m->vsn +
                           " was built with another interface than this program's (" +
                           m->fingerprint + " against " + fingerprint + ")");
  return m;
}

std::shared_ptr<const loaded_module> current_locked(registry& r, std::string_view name,
                                                    const std::string& fingerprint) {
  return version_locked(r, name, fingerprint, &versions::current);
}

/// The processes of `name` that run the current version (`current` true)
/// or another one.
std::vector<pid> running_locked(registry& r, std::string_view name, bool current) {
  std::vector<pid> out;
  auto it = r.modules.find(name);
  if (it == r.modules.end()) return out;
  for (const auto& [m, pids] : r.running)
    if (m->name == name && (m == it->second.current.get()) == current)
      out.insert(out.end(), pids.begin(), pids.end());
  return out;
}

}  // namespace

std::shared_ptr<const loaded_module> current(std::string_view name,
                                             const std::string& fingerprint) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  return current_locked(r, name, fingerprint);
}

std::shared_ptr<const loaded_module> old(std::string_view name, const std::string& fingerprint) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  return version_locked(r, name, fingerprint, &versions::old);
}

std::shared_ptr<const loaded_module> enter_current(std::string_view name,
                                                   const std::string& fingerprint, pid self) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  auto m = current_locked(r, name, fingerprint);
  r.running[m.get()].insert(self);
  return m;
}

bool move(const loaded_module& from, const std::shared_ptr<const loaded_module>& to, pid self) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  if (!is_loaded(r, to.get())) return false;
  r.running[to.get()].insert(self);
  if (auto it = r.running.find(&from); it != r.running.end()) {
    it->second.erase(self);
    if (it->second.empty()) r.running.erase(it);
  }
  return true;
}

void leave(const loaded_module& m, pid self) noexcept {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  auto it = r.running.find(&m);
  if (it == r.running.end()) return;
  it->second.erase(self);
  if (it->second.empty()) r.running.erase(it);
}

std::vector<pid> running_old(std::string_view name) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  return running_locked(r, name, false);
}

std::vector<pid> running_current(std::string_view name) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  return running_locked(r, name, true);
}

change_guard::change_guard(std::string module) : module_(std::move(module)) {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  if (!r.changing.insert(module_).second)
    throw code::code_error("another upgrade or downgrade of module " + module_ + " is running");
}

change_guard::~change_guard() {
  registry& r = reg();
  std::lock_guard lock(r.mu);
  r.changing.erase(module_);
}

}  // namespace otp::code_detail

namespace otp::code {

using code_detail::reg;

module_info load(std::string_view name, const std::string& path) {
  // Opened outside the lock: dlopen runs the library's initializers.
  auto m = code_detail::open_module(name, path);
  code_detail::dropped gone;
  module_info out;
  {
    auto& r = reg();
    std::lock_guard lock(r.mu);
    auto& v = r.modules[std::string(name)];
    const auto& before = v.current != nullptr ? v.current : v.old;
    if (before != nullptr && before->fingerprint != m->fingerprint)
      throw code_error(path + " was built with another interface than the loaded versions of " +
                       std::string(name) + " (" + m->fingerprint + " against " +
                       before->fingerprint + ")");
    gone = code_detail::drop(v.old, r);
    v.old = std::move(v.current);
    v.current = m;
    out = code_detail::info_of(*m, r);
  }
  code_detail::kill_all(gone);
  return out;
}

std::optional<module_info> which(std::string_view name) {
  auto& r = reg();
  std::lock_guard lock(r.mu);
  auto it = r.modules.find(name);
  if (it == r.modules.end() || it->second.current == nullptr) return std::nullopt;
  return code_detail::info_of(*it->second.current, r);
}

std::optional<module_info> old_version(std::string_view name) {
  auto& r = reg();
  std::lock_guard lock(r.mu);
  auto it = r.modules.find(name);
  if (it == r.modules.end() || it->second.old == nullptr) return std::nullopt;
  return code_detail::info_of(*it->second.old, r);
}

bool soft_purge(std::string_view name) {
  std::shared_ptr<const code_detail::loaded_module> gone;  // let go of after the lock
  auto& r = reg();
  std::lock_guard lock(r.mu);
  auto it = r.modules.find(name);
  if (it == r.modules.end() || it->second.old == nullptr) return true;
  if (r.running.count(it->second.old.get()) != 0) return false;
  gone = std::move(it->second.old);
  return true;
}

bool purge(std::string_view name) {
  code_detail::dropped gone;
  {
    auto& r = reg();
    std::lock_guard lock(r.mu);
    auto it = r.modules.find(name);
    if (it == r.modules.end()) return false;
    gone = code_detail::drop(it->second.old, r);
  }
  code_detail::kill_all(gone);
  return !gone.to_kill.empty();
}

bool revert(std::string_view name) {
  code_detail::dropped gone;
  {
    auto& r = reg();
    std::lock_guard lock(r.mu);
    auto it = r.modules.find(name);
    if (it == r.modules.end() || it->second.old == nullptr) return false;
    auto& v = it->second;
    gone = code_detail::drop(v.current, r);
    v.current = std::move(v.old);
  }
  code_detail::kill_all(gone);
  return true;
}

}  // namespace otp::code
