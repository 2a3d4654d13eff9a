// Tests of lib/src/sha256.cc against the FIPS 180-4 example vectors (NIST CSRC "Examples with
// Intermediate Values", SHA-256) and the long-message vector of FIPS 180-2 appendix B.3.
#include "nlhf/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace nlhf {
namespace {

TEST(Sha256, MatchesTheNistVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                      "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, MatchesTheMillionAVector) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(h.HexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingEqualsOneShotAtEveryBlockBoundary) {
  std::string s;
  for (int i = 0; i < 200; ++i) s += static_cast<char>('a' + i % 26);
  for (size_t len : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 200u}) {
    const std::string m = s.substr(0, len);
    Sha256 h;
    for (size_t i = 0; i < m.size(); i += 7) h.Update(std::string_view(m).substr(i, 7));
    EXPECT_EQ(h.HexDigest(), Sha256Hex(m)) << "length " << len;
  }
}

}  // namespace
}  // namespace nlhf
