// Version 2 of the test module `tally`: counts adds too.
#include "modules/tally_v2.hpp"

OTP_MODULE(tally_api, tally_v2)
