// The error every table operation throws on a misuse.
#pragma once

#include <string>

#include "otp/runtime/errors.hpp"

namespace otp {

/// A table operation refused (ETS raises badarg for all of these; this says
/// which). Nothing was changed when it is thrown. It derives from
/// otp::badarg, so code that catches badarg catches it too.
/// @mirrors error:badarg from the ets module
class table_error : public badarg {
 public:
  enum class kind {
    deleted,        // the table was deleted (ets:delete/1, or its owner exited)
    access,         // the caller may not read or write this table (protected, private)
    not_owner,      // give_away or setopts by a process that does not own the table
    bad_recipient,  // give_away to a dead, remote or null pid, or to the owner itself
    bad_heir,       // an heir that is not a local pid
    name_taken,     // create with the name of a live named table
    no_such_table,  // table::named with a name no table has
    type_mismatch,  // table::named with other key, value or table types
    no_key,         // update_counter on a missing key and no default object
    not_a_process,  // create outside a process or mailbox thread
    overflow,       // update_counter past the counter type's range
    bad_limit,      // a select with a limit of 0
  };
  table_error(kind k, const std::string& what) : badarg(what), kind_(k) {}
  kind why() const noexcept { return kind_; }

 private:
  kind kind_;
};

}  // namespace otp
