// Umbrella header: the whole public API.
#pragma once

#include "otp/runtime/any_message.hpp"
#include "otp/runtime/blocking.hpp"
#include "otp/runtime/errors.hpp"
#include "otp/runtime/exit_reason.hpp"
#include "otp/runtime/mailbox.hpp"
#include "otp/runtime/messages.hpp"
#include "otp/runtime/node.hpp"
#include "otp/runtime/pid.hpp"
#include "otp/runtime/process.hpp"
#include "otp/runtime/process_info.hpp"
#include "otp/runtime/receive.hpp"
#include "otp/runtime/spawn.hpp"
#include "otp/runtime/task.hpp"
#include "otp/runtime/timeout.hpp"
#include "otp/runtime/timer.hpp"
