// The node's slots: objects the layers above keep per node (detail/node_slot.hpp).
#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace otp::detail {

class node_impl;

class node_slots {
 public:
  std::shared_ptr<void> get(node_impl& n, const void* key,
                            std::shared_ptr<void> (*make)(node_impl&)) {
    std::lock_guard lock(mu_);
    for (auto& [k, v] : slots_)
      if (k == key) return v;
    slots_.emplace_back(key, make(n));
    return slots_.back().second;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> slots_;
};

}  // namespace otp::detail
