// Per-node objects of the layers above the runtime (the application
// controller's tables, say): one per key, made on first use, kept until the
// node is destroyed.
#pragma once

#include <memory>

namespace otp::detail {

class node_impl;

/// The object of node `n` under `key`: made by `make(n)` on the first call
/// for that key (under the node's slot lock, so exactly one is made), the
/// same one afterwards. It lives until the node is destroyed (after stop()),
/// so a pointer into it stays valid as long as the node does.
/// @param key any address unique to the caller (a static variable's).
/// @threadsafe From any thread.
std::shared_ptr<void> node_slot(node_impl& n, const void* key,
                                std::shared_ptr<void> (*make)(node_impl& n));

/// node_slot for an object of type T made by `T(n)`.
template <class T>
T& node_slot(node_impl& n) {
  static const char key = 0;
  auto p = node_slot(n, &key,
                     [](node_impl& m) -> std::shared_ptr<void> { return std::make_shared<T>(m); });
  return *static_cast<T*>(p.get());
}

}  // namespace otp::detail
