// numpy arrays from and to Eigen vectors (bindings.h): read-only views that keep their owner alive,
// copies, and vectors from any array of numbers.
#include <fmt/format.h>

#include <cstring>

#include "bindings.h"
#include "nlhf/errors.h"

namespace nlhf::python {

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
  const auto a = RealArray<py::array::c_style>(array, key);
  if (a.ndim() != 1) throw InputError(key, fmt::format("has {} dimensions, expected a vector (1 dimension)", a.ndim()));
  Eigen::VectorXd v(a.shape(0));
  std::memcpy(v.data(), a.data(), sizeof(double) * static_cast<size_t>(v.size()));
  return v;
}

}  // namespace nlhf::python
