// Version 1 of the module `order_risk` (risk_api.hpp).
#include "risk/risk_v1.hpp"

OTP_MODULE(order_system::risk_api, order_system::risk_v1)
