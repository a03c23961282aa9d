// Ctrl-C: the first SIGINT only raises a flag, so the run loop can stop
// between tests and still print its report; a second one ends tach at once.
#pragma once

namespace tach_cli {

void install_interrupt_handler();
bool interrupt_requested();

} // namespace tach_cli
