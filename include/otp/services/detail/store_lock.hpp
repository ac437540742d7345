// A table store's lock, taken shared by readers of a read_concurrency table
// and exclusively otherwise.
#pragma once

#include <shared_mutex>

namespace otp::detail {

class store_lock {
 public:
  store_lock(std::shared_mutex& mu, bool exclusive) : mu_(mu), exclusive_(exclusive) {
    if (exclusive_)
      mu_.lock();
    else
      mu_.lock_shared();
  }
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;
  ~store_lock() {
    if (exclusive_)
      mu_.unlock();
    else
      mu_.unlock_shared();
  }

 private:
  std::shared_mutex& mu_;
  bool exclusive_;
};

}  // namespace otp::detail
