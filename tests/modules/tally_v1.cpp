// Version 1 of the test module `tally`: a total.
#include "modules/tally_v1.hpp"

OTP_MODULE(tally_api, tally_v1)
