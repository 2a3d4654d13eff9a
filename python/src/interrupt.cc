// Ctrl-C during long work with the GIL released (bindings.h, InterruptScope): a SIGINT handler of our own
// sets a flag that the bindings' observers poll; Python's handler is back when the scope ends.
#include <pybind11/pybind11.h>

#include "bindings.h"

namespace nlhf::python {

namespace {

// Written by the signal handler: only lock-free atomics are safe there.
static_assert(std::atomic<bool>::is_always_lock_free);
std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_scope_active{false};

void OnSigint(int /*signal*/) { g_interrupted.store(true); }

bool OnMainThread() {
  // Python's main thread is where signal handlers may be changed and where Ctrl-C is delivered.
  const py::object threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

// Whether Python's SIGINT handler is its own, the one that raises KeyboardInterrupt. A handler of the
// user's (signal.signal(SIGINT, f)) is left to run as Python runs it for any call into C: when the
// call returns.
bool RaisesKeyboardInterrupt() {
  const py::object signal = py::module_::import("signal");
  return signal.attr("getsignal")(signal.attr("SIGINT")).is(signal.attr("default_int_handler"));
}

}  // namespace

InterruptScope::InterruptScope() {
  if (!OnMainThread() || !RaisesKeyboardInterrupt() || g_scope_active.exchange(true)) return;
  // Only where Ctrl-C would raise KeyboardInterrupt anyway: not when the user ignores SIGINT, left
  // it at the default (end the process) or handles it in Python.
  struct sigaction current {};
  if (sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler == SIG_IGN || current.sa_handler == SIG_DFL) {
    g_scope_active.store(false);
    return;
  }
  g_interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  installed_ = sigaction(SIGINT, &action, &previous_) == 0;
  if (!installed_) g_scope_active.store(false);
}

InterruptScope::~InterruptScope() {
  if (!installed_) return;
  sigaction(SIGINT, &previous_, nullptr);
  g_interrupted.store(false);
  g_scope_active.store(false);
}

void InterruptScope::ThrowIfInterrupted() const {
  if (installed_ && g_interrupted.load()) throw Interrupted{};
}

CancelFlag InterruptScope::flag() const { return installed_ ? &g_interrupted : nullptr; }

bool InterruptRequested() {
  return g_interrupted.load(std::memory_order_relaxed) && g_scope_active.load(std::memory_order_relaxed);
}

}  // namespace nlhf::python
