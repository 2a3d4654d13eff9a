// Errors in Python (STYLE.md's three channels): bad input -> ValueError with the library's message
// (the text the tools print after `error:`); a failed write -> OSError; a numerical failure ->
// nlhf.NumericalError; a broken invariant -> nlhf.InternalError (a bug in nlhf); Ctrl-C during long
// work -> KeyboardInterrupt.
#include <fmt/format.h>

#include <cstring>
#include <new>
#include <thread>

#include "bindings.h"
#include "nlhf/config.h"
#include "nlhf/errors.h"
#include "nlhf/output/files.h"

namespace nlhf::python {

namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_scope_active{false};

void OnSigint(int /*signal*/) { g_interrupted.store(true); }

bool OnMainThread() {
  // Python's main thread is where signal handlers may be changed and where Ctrl-C is delivered.
  const py::object threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

}  // namespace

InterruptScope::InterruptScope() {
  if (!OnMainThread() || g_scope_active.exchange(true)) return;
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
  g_scope_active.store(false);
}

void InterruptScope::ThrowIfInterrupted() const {
  if (installed_ && g_interrupted.load()) throw Interrupted{};
}

bool InterruptRequested() { return g_interrupted.load(std::memory_order_relaxed); }

py::array_t<double> View(const Eigen::VectorXd& v, py::handle owner) {
  py::array_t<double> a({static_cast<py::ssize_t>(v.size())}, {static_cast<py::ssize_t>(sizeof(double))}, v.data(),
                        owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

py::array_t<double> View(const Eigen::MatrixXd& m, py::handle owner) {
  // Eigen is column-major: element (i, j) at i + j * rows.
  const auto s = static_cast<py::ssize_t>(sizeof(double));
  py::array_t<double> a({static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())},
                        {s, s * static_cast<py::ssize_t>(m.rows())}, m.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

py::array_t<double> Copy(const Eigen::VectorXd& v) {
  py::array_t<double> a(v.size());
  std::memcpy(a.mutable_data(), v.data(), sizeof(double) * static_cast<size_t>(v.size()));
  return a;
}

Eigen::VectorXd ToVector(const py::handle& array, const std::string& key) {
  py::array_t<double, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(array);
  } catch (const py::error_already_set&) {
  }
  if (!a) throw InputError(key, "is not an array of numbers");
  if (a.ndim() != 1) throw InputError(key, fmt::format("has {} dimensions, expected a vector (1 dimension)", a.ndim()));
  Eigen::VectorXd v(a.shape(0));
  std::memcpy(v.data(), a.data(), sizeof(double) * static_cast<size_t>(v.size()));
  return v;
}

void BindErrors(py::module_& m) {
  static py::exception<NumericalFailure> numerical(m, "NumericalError", PyExc_ArithmeticError);
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
