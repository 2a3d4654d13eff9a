#pragma once
// The Python module nlhf (docs/python.md): what its sources share. Each Bind* adds one concept's
// classes and functions to the compiled module `_nlhf`; python/nlhf/__init__.py is the public face.
// Every computation is the library's, so Python and the command-line tools agree to the bit; so are
// the checks and messages wherever the library has them (parameters, configs, games, beta, oracles,
// metrics). What only Python has (a policy given as an array, an equilibrium passed back in) is
// checked here, in the same style.
#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/Core>
#include <atomic>
#include <csignal>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/cancel.h"
#include "nlhf/equilibrium.h"
#include "nlhf/errors.h"
#include "nlhf/game.h"
#include "nlhf/metrics.h"
#include "nlhf/nash_set.h"
#include "nlhf/params.h"
#include "nlhf/spec.h"

namespace nlhf::python {

namespace py = pybind11;

void BindErrors(py::module_& m);      // errors.cc
void BindParams(py::module_& m);      // params.cc: registries, docstrings, listings
void BindGame(py::module_& m);        // game.cc: games, descriptors, metrics, equilibria
void BindSolver(py::module_& m);      // solver.cc: solvers stepped from Python, run_solver
void BindExperiment(py::module_& m);  // experiment.cc: run and sweep, the engines of nlhf-run and nlhf-sweep

// A numerical failure (a non-finite iterate, a run that ended in numerical_failure, an equilibrium that
// could not be certified): nlhf.NumericalError in Python, distinct from ValueError (bad input).
class NumericalFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by the bindings' observers when Ctrl-C arrived during long work: KeyboardInterrupt in Python.
struct Interrupted {};

// Named parameters as Python gives them after __init__.py turned each value into its text
// (repr of a float reads back exactly): parsed with the library's own parser, so "auto",
// "0.9*limit" and every range check and message are those of a spec string.
using RawParams = std::vector<std::pair<std::string, std::string>>;

// An equilibrium as Python holds it: with the game it belongs to, so that one passed back in
// (reset, run_solver, metrics) is refused for another game.
struct GameEquilibrium : Equilibrium {
  std::string game;  // GameKey of its game
};
struct GameNash : NashEquilibrium {
  std::string game;
};
// What identifies a game: its canonical spec strings (a matrix game's hold the hash of its bytes).
std::string GameKey(const Game& game);
// SolveEquilibrium and SolveNashEquilibrium, with the result tied to `game` (no Python objects: callable
// with the GIL released).
std::shared_ptr<GameEquilibrium> SolveGameEquilibrium(const Game& game, double beta, const EquilibriumOptions& options);
std::shared_ptr<GameNash> SolveGameNash(const Game& game, const NashSetOptions& options);
// Throws InputError(key) unless `e` is an equilibrium of `game` at `beta` (NaN: any beta).
void CheckEquilibriumOf(const GameEquilibrium& e, const Game& game, double beta, const std::string& key);
void CheckNashOf(const GameNash& e, const Game& game, const std::string& key);
// rho in [0, 1/2] (every game's bound), else InputError("rho").
void CheckRho(double rho);

// ParseSpec, except that a bare name that does not parse (a typo such as "nash-mp") is reported as
// the registry reports an unknown name, with its suggestion.
template <class Registry>
SpecCall ParseEntrySpec(const std::string& text, const Registry& registry, const std::string& key) {
  try {
    return ParseSpec(text);
  } catch (const InputError&) {
    if (text.find('(') == std::string::npos) registry.Find(text, key);
    throw;
  }
}

// A metric by its trace column name; an unknown one is an InputError(key) with a suggestion.
Metric MetricByName(const std::string& name, const std::string& key);

// A read-only numpy view of `v` that keeps `owner` (the Python object holding v) alive: zero-copy.
py::array_t<double> View(const Eigen::VectorXd& v, py::handle owner);
py::array_t<double> View(const Eigen::MatrixXd& m, py::handle owner);
// A numpy array that owns a copy of `v`.
py::array_t<double> Copy(const Eigen::VectorXd& v);
// A numpy array that takes over `v`'s buffer (no copy).
template <class T>
py::array_t<T> Adopt(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule free_when_done(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {static_cast<py::ssize_t>(sizeof(T))}, heap->data(),
                        free_when_done);
}
// Anything numpy reads as an array of real numbers, as float64 in the memory order `Order`
// (py::array::c_style or f_style), without a copy when it already is one. Anything else is an
// InputError at `key`; an array of complex numbers is named as such (numpy's cast of a complex
// array would keep its real parts with only a warning).
template <int Order>
py::array_t<double, Order | py::array::forcecast> RealArray(const py::handle& array, const std::string& key) {
  // Integers and reals only: numpy would also cast complex numbers (dropping the imaginary part),
  // bools (as 0 and 1), strings of digits and objects (None as NaN).
  const auto refuse_complex = [&](const py::array& any) {
    if (!any) return;
    const char kind = any.dtype().kind();
    if (kind == 'f' || kind == 'i' || kind == 'u') return;
    const std::string dtype = py::str(py::handle(any.dtype())).cast<std::string>();
    if (kind == 'c')
      throw InputError(key, fmt::format("is an array of complex numbers ({}), expected real numbers", dtype));
    throw InputError(key, fmt::format("is an array of {} ({}), expected numbers",
                                      kind == 'b' ? "bools" : kind == 'U' || kind == 'S' ? "strings" : "objects", dtype));
  };
  if (py::isinstance<py::array>(array)) {
    refuse_complex(py::reinterpret_borrow<py::array>(array));
  } else {
    py::array any;  // as numpy reads a list: [0.5, 0.5] is float64, ["0.5", "0.5"] strings
    try {
      any = py::array::ensure(array);
    } catch (const py::error_already_set&) {
    }
    refuse_complex(any);
  }
  py::array_t<double, Order | py::array::forcecast> a;
  try {
    a = py::array_t<double, Order | py::array::forcecast>::ensure(array);
  } catch (const py::error_already_set&) {
  }
  if (!a) {
    // Why, for what is not an array yet (a list holding complex numbers): read as numpy reads it.
    py::array any;
    try {
      any = py::array::ensure(array);
    } catch (const py::error_already_set&) {
    }
    refuse_complex(any);
    throw InputError(key, "is not an array of numbers");
  }
  return a;
}
// A numpy array of float64 (any shape of n numbers) as a vector; `key` names it in the ValueError.
Eigen::VectorXd ToVector(const py::handle& array, const std::string& key);

// While long C++ work runs with the GIL released, Ctrl-C (SIGINT) sets a flag instead of waiting
// for the work to end: the library's drivers poll it (flag(), as their options' cancel flag) and
// throw Cancelled, and the bindings' own loops poll InterruptRequested() and throw Interrupted;
// both end the work and become KeyboardInterrupt. Python's own handler is back when the scope ends.
// Scopes do not nest (the outermost one owns the handler); off the main thread a scope does
// nothing.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  // Raise KeyboardInterrupt now if Ctrl-C arrived in the scope (work that ended anyway).
  void ThrowIfInterrupted() const;
  // The flag Ctrl-C sets, for the library's drivers to poll (ExperimentOptions, SweepOptions:
  // they throw Cancelled, which becomes KeyboardInterrupt too); null when the scope does nothing.
  CancelFlag flag() const;

 private:
  bool installed_ = false;
  struct sigaction previous_ {};
};
bool InterruptRequested();

}  // namespace nlhf::python
