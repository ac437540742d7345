#include "table_keeper.hpp"

#include <utility>

namespace order_system {

namespace {

otp::pid partner_pid(const std::string& partner) { return otp::whereis(partner); }

/// Makes the named table unless it exists, owned by the caller with
/// `heir` (may be null) as its heir.
template <class Table>
void ensure(const char* name, otp::pid heir) {
  try {
    (void)Table::named(name);
  } catch (const otp::table_error& e) {
    if (e.why() != otp::table_error::kind::no_such_table) throw;
    (void)Table::create({.access = otp::table_access::public_,
                         .name = name,
                         .heir = heir,
                         .read_concurrency = true,
                         .write_concurrency = true});
  }
}

/// Makes `heir` the heir of `t` if the caller owns it.
template <class Table>
void hand_heirship(const char* name, otp::pid heir) {
  try {
    Table t = Table::named(name);
    if (t.owner() == otp::self()) t.set_heir(heir);
  } catch (const otp::table_error&) {
    // Deleted in the meantime (both keepers died): the next keeper makes it.
  }
}

}  // namespace

table_keeper::table_keeper(std::string name, std::string partner)
    : name_(std::move(name)), partner_(std::move(partner)) {}

otp::server_result table_keeper::init() {
  const otp::pid partner = partner_pid(partner_);
  ensure<bucket_table>(bucket_table_name, partner);
  ensure<breaker_table>(breaker_table_name, partner);
  if (!partner.is_null()) otp::send(partner, heir_wanted{otp::self()});
  return otp::noreply();
}

otp::server_result table_keeper::handle_info(const otp::ets_transfer<bucket_table>& t) {
  bucket_table tab = t.table;
  tab.set_heir(partner_pid(partner_));  // null while the partner restarts: it asks later
  return otp::noreply();
}

otp::server_result table_keeper::handle_info(const otp::ets_transfer<breaker_table>& t) {
  breaker_table tab = t.table;
  tab.set_heir(partner_pid(partner_));
  return otp::noreply();
}

otp::server_result table_keeper::handle_info(const heir_wanted& w) {
  hand_heirship<bucket_table>(bucket_table_name, w.keeper);
  hand_heirship<breaker_table>(breaker_table_name, w.keeper);
  return otp::noreply();
}

}  // namespace order_system
