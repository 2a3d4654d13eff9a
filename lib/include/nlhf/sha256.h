#pragma once
// SHA-256 (FIPS 180-4), for content hashes of input files: an edited matrix must never be mistaken
// for the one a run or a sweep was made with. A small streaming implementation, checked against
// the NIST test vectors in tests/unit/sha256_test.cc.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nlhf {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, std::size_t bytes);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // The digest as 64 lowercase hex digits; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  void Block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// SHA-256 of `s` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view s);

}  // namespace nlhf
