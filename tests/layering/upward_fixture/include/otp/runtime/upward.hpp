// A runtime header that includes a behaviours header: layering.public_includes
// must reject this tree (the fixture of its failing variant).
#pragma once
#include "otp/behaviours/gen_server.hpp"
