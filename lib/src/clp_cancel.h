#pragma once
// Cancelling a CLP simplex solve (nlhf/cancel.h): an event handler, CLP's own suggested way to stop
// a solve on Ctrl-C. Passed to a ClpSimplex (passInEventHandler, which keeps a copy), it stops
// dual() or primal() at the next event once the flag is set, with status 5 ("stopped by an event");
// the caller then throws Cancelled instead of reading the result.
#include <ClpEventHandler.hpp>
#include <atomic>

#include "nlhf/cancel.h"

namespace nlhf {

class CancelEvents : public ClpEventHandler {
 public:
  explicit CancelEvents(CancelFlag cancel) : cancel_(cancel) {}
  int event(Event /*which*/) override {
    return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed) ? 0 : -1;
  }
  ClpEventHandler* clone() const override { return new CancelEvents(*this); }

 private:
  CancelFlag cancel_;
};

}  // namespace nlhf
