# The Python module `nlhf` (python/): pybind11 (Debian's pybind11-dev) and an interpreter that has numpy.
# NLHF_PYTHON defaults to ON exactly when both are found; -DNLHF_PYTHON=OFF skips the module, and
# -DNLHF_PYTHON=ON makes a missing piece an error. The interpreter is the first with numpy among
# $NLHF_PYTHON, -DPython_EXECUTABLE, python3 on PATH and /usr/bin/python3 (the one scripts/setup.sh installs
# numpy for: a python3 from pyenv or a venv that comes first on PATH often has no numpy).
# As a subproject (add_subdirectory) nlhf builds no module unless the parent sets NLHF_PYTHON=ON,
# and never changes the parent's cached Python_EXECUTABLE.
if(NOT PROJECT_IS_TOP_LEVEL AND NOT NLHF_PYTHON)
  option(NLHF_PYTHON "Build the Python module nlhf (needs pybind11 and a Python with numpy)" OFF)
  message(STATUS "nlhf: no Python module (a subproject builds it only with -DNLHF_PYTHON=ON)")
  return()
endif()
set(_nlhf_python "")
foreach(_candidate "$ENV{NLHF_PYTHON}" "${Python_EXECUTABLE}" python3 /usr/bin/python3)
  if(_candidate STREQUAL "")
    continue()
  endif()
  find_program(_nlhf_python_path NAMES ${_candidate} NO_CACHE)
  if(NOT _nlhf_python_path)
    continue()
  endif()
  execute_process(COMMAND ${_nlhf_python_path} -c "import numpy" RESULT_VARIABLE _numpy_rc OUTPUT_QUIET ERROR_QUIET)
  if(_numpy_rc EQUAL 0)
    set(_nlhf_python ${_nlhf_python_path})
    break()
  endif()
  unset(_nlhf_python_path)
endforeach()

set(_nlhf_python_found OFF)
if(_nlhf_python)
  if(PROJECT_IS_TOP_LEVEL)
    set(Python_EXECUTABLE ${_nlhf_python} CACHE FILEPATH "The Python the module nlhf is built for" FORCE)
  else()
    set(Python_EXECUTABLE ${_nlhf_python})  # nlhf's scope only: the parent's cache entry stays
  endif()
  find_package(Python 3.9 COMPONENTS Interpreter Development.Module QUIET)
  if(Python_FOUND)
    set(PYBIND11_FINDPYTHON ON)
    find_package(pybind11 2.6 CONFIG QUIET)
    if(pybind11_FOUND)
      set(_nlhf_python_found ON)
    endif()
  endif()
endif()

option(NLHF_PYTHON "Build the Python module nlhf (needs pybind11 and a Python with numpy)" ${_nlhf_python_found})
if(NLHF_PYTHON AND NOT _nlhf_python_found)
  message(FATAL_ERROR "NLHF_PYTHON is ON but pybind11 or a Python with numpy (and its headers) was not found; "
                      "run 'bash scripts/setup.sh' (installs pybind11-dev, python3-dev and python3-numpy) or pass "
                      "-DNLHF_PYTHON=OFF")
endif()
if(NLHF_PYTHON)
  message(STATUS "nlhf: Python module for ${Python_EXECUTABLE} (Python ${Python_VERSION})")
else()
  message(STATUS "nlhf: no Python module (pybind11 or a Python with numpy not found)")
endif()
