// The compiled part of the Python module nlhf (python/README.md); python/nlhf/__init__.py imports it.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "nlhf/version.h"

PYBIND11_MODULE(_nlhf, m) {
  m.doc() = "The compiled core of nlhf; use the package nlhf, which wraps it.";
  m.attr("__version__") = nlhf::kVersion;
  m.attr("__git_commit__") = nlhf::kGitCommit;
  nlhf::python::BindErrors(m);
  nlhf::python::BindParams(m);
  nlhf::python::BindGame(m);
  nlhf::python::BindSolver(m);
  nlhf::python::BindExperiment(m);
}
