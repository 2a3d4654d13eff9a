// The compiled part of the Python module nlhf (python/README.md); python/nlhf/__init__.py imports it.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.h"
#include "nlhf/build.h"
#include "nlhf/processor.h"
#include "nlhf/rng.h"
#include "nlhf/version.h"

PYBIND11_MODULE(_nlhf, m) {
  // A build for SSE4.1 on a processor without it: an ImportError that says so, not a crash.
  if (const std::string missing = nlhf::MissingProcessorFeatures(); !missing.empty())
    throw pybind11::import_error(missing);
  m.doc() = "The compiled core of nlhf; use the package nlhf, which wraps it.";
  m.attr("__version__") = nlhf::kVersion;
  m.attr("__git_commit__") = nlhf::kGitCommit;
  m.attr("_BUILD_NAME") = nlhf::BuildName(nlhf::ThisBuild());  // as nlhf-sweep's notes name it
  m.attr("_MAX_SEED") = nlhf::kMaxSeed;  // the seed range of every entry point (rng.h)
  nlhf::python::BindErrors(m);
  nlhf::python::BindParams(m);
  nlhf::python::BindGame(m);
  nlhf::python::BindSolver(m);
  nlhf::python::BindExperiment(m);
}
