// Errors in Python: bad input -> ValueError with the library's message
// (the text the tools print after `error:`); a failed write -> OSError; a numerical failure ->
// nlhf.NumericalError; a broken invariant -> nlhf.InternalError (a bug in nlhf); Ctrl-C during long
// work (interrupt.cc) -> KeyboardInterrupt.
#include <fmt/format.h>

#include "bindings.h"
#include "nlhf/cancel.h"
#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/output/files.h"

namespace nlhf::python {

void BindErrors(py::module_& m) {
  static py::exception<NumericalFailure> numerical(m, "NumericalError", PyExc_ArithmeticError);
  numerical.attr("result") = py::none();  // the result, where there is one (set by __init__.py)
  numerical.doc() =
      "A numerical failure: a non-finite iterate or metric, or an equilibrium that could not be certified. "
      "Never bad input (that is ValueError). Where a result exists, the exception's `result` attribute holds it.";
  static py::exception<InternalError> internal(m, "InternalError", PyExc_RuntimeError);
  internal.doc() = "A broken invariant inside nlhf: a bug, never the user's fault. Please report it.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Interrupted&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const Cancelled& e) {  // the flag of an InterruptScope, polled by a library driver
      // A sweep's says how many tasks are stored.
      if (std::string(e.what()) == Cancelled().what())
        PyErr_SetNone(PyExc_KeyboardInterrupt);
      else
        PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const WriteFailure& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const InputErrors& e) {
      // Every error found in one pass, one per line, as the tools print them.
      std::string text;
      for (const InputError& one : e.errors()) text += (text.empty() ? "" : "\n") + std::string(one.what());
      PyErr_SetString(PyExc_ValueError, text.c_str());
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const NumericalFailure& e) {
      PyErr_SetString(numerical.ptr(), e.what());
    } catch (const InternalError& e) {
      PyErr_SetString(internal.ptr(), fmt::format("internal error (a bug in nlhf, please report it): {}", e.what()).c_str());
    }
  });
}

}  // namespace nlhf::python
