#include "interrupt.hpp"

#include <csignal>
#include <unistd.h>

namespace tach_cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) {
    g_interrupted = 1;
    // A test may take long to finish: say what happens (write(2) is
    // async-signal-safe, stdio is not).
    static const char note[] = "\nKeyboardInterrupt: stopping after the current test "
                               "(Ctrl-C again to quit at once)\n";
    const ssize_t ignored = write(STDERR_FILENO, note, sizeof note - 1);
    (void)ignored;
}

} // namespace

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking call may return early and the loop notices.
    // SA_RESETHAND: the second Ctrl-C has the default effect.
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, nullptr);
}

bool interrupt_requested() { return g_interrupted != 0; }

} // namespace tach_cli
