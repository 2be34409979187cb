package dev.bastion.ledger.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Rfc9162}: the hash functions, the proof lengths the verifiers expect, and the verifiers'
 * refusals, each with a one-line message that names the check. Proofs come from {@link
 * TreeStoreTest.Reference}, the recursive RFC definitions.
 */
class Rfc9162Test {
  private static final int N = 40;
  private static final List<byte[]> LEAVES = TreeStoreTest.randomLeaves(new Random(9162), N);
  private static final TreeStoreTest.Reference REF = new TreeStoreTest.Reference(LEAVES);

  private static byte[] sha256(byte[]... parts) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  @Test
  void hashesAreDomainSeparatedSha256() throws Exception {
    byte[] a = Rfc9162.leafHash(new byte[] {1, 2});
    byte[] b = Rfc9162.leafHash(new byte[0]);
    assertThat(a).isEqualTo(sha256(new byte[] {0, 1, 2}));
    assertThat(Rfc9162.nodeHash(a, b)).isEqualTo(sha256(new byte[] {1}, a, b));
    assertThat(Base64.getEncoder().encodeToString(Rfc9162.emptyRoot()))
        .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    // An interior node is never mistaken for a leaf of the same bytes.
    byte[] concat = new byte[64];
    System.arraycopy(a, 0, concat, 0, 32);
    System.arraycopy(b, 0, concat, 32, 32);
    assertThat(Rfc9162.nodeHash(a, b)).isNotEqualTo(Rfc9162.leafHash(concat));
  }

  /** The lengths checked up front are those of the proofs the RFC's recursions produce. */
  @Test
  void expectedLengthsAreThoseOfTheReferenceProofs() {
    List<String> problems = new ArrayList<>();
    for (int size = 1; size <= N; size++) {
      for (int i = 0; i < size; i++) {
        if (Rfc9162.pathLength(i, size) != REF.path(i, size).size()) {
          problems.add("path(" + i + ", " + size + ")");
        }
      }
      for (int m = 1; m < size; m++) {
        if (Rfc9162.consistencyLength(m, size) != REF.proof(m, size).size()) {
          problems.add("proof(" + m + ", " + size + ")");
        }
      }
    }
    // At sizes no reference can build: the largest tree of longs.
    assertThat(Rfc9162.pathLength(0, Long.MAX_VALUE)).isEqualTo(63);
    assertThat(Rfc9162.pathLength(Long.MAX_VALUE - 1, Long.MAX_VALUE)).isEqualTo(62);
    assertThat(Rfc9162.consistencyLength(1, Long.MAX_VALUE)).isEqualTo(63);
    assertThat(problems).isEmpty();
  }

  @Test
  void everyReferenceProofVerifies() {
    List<String> problems = new ArrayList<>();
    for (int size = 1; size <= N; size++) {
      for (int i = 0; i < size; i++) {
        try {
          Rfc9162.verifyInclusion(i, size, LEAVES.get(i), REF.path(i, size), REF.mth(0, size));
        } catch (VerificationException e) {
          problems.add("inclusion(" + i + ", " + size + "): " + e.getMessage());
        }
      }
      for (int m = 1; m <= size; m++) {
        try {
          Rfc9162.verifyConsistency(m, size, REF.mth(0, m), REF.mth(0, size), REF.proof(m, size));
        } catch (VerificationException e) {
          problems.add("consistency(" + m + ", " + size + "): " + e.getMessage());
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @FunctionalInterface
  interface Verification {
    void run() throws VerificationException;
  }

  private static byte[] root(int n) {
    return REF.mth(0, n);
  }

  private static List<byte[]> with(List<byte[]> proof, byte[] extra) {
    List<byte[]> p = new ArrayList<>(proof);
    p.add(extra);
    return p;
  }

  /** A refusal, and a fragment its message must contain. */
  static Stream<Arguments> refusals() {
    byte[] leaf5 = LEAVES.get(5);
    List<byte[]> path5 = REF.path(5, 13);
    List<byte[]> proof6 = REF.proof(6, 13);
    List<byte[]> proof8 = REF.proof(8, 13);
    byte[] zero = new byte[32];
    return Stream.of(
        Arguments.of(
            "index == size",
            (Verification) () -> Rfc9162.verifyInclusion(13, 13, leaf5, path5, root(13)),
            "index 13 is not below tree size 13"),
        Arguments.of(
            "empty tree",
            (Verification) () -> Rfc9162.verifyInclusion(0, 0, leaf5, List.of(), root(0)),
            "not below tree size 0"),
        Arguments.of(
            "negative index",
            (Verification) () -> Rfc9162.verifyInclusion(-1, 13, leaf5, path5, root(13)),
            "negative"),
        Arguments.of(
            "short leaf hash",
            (Verification) () -> Rfc9162.verifyInclusion(5, 13, new byte[31], path5, root(13)),
            "leaf hash is 31 bytes"),
        Arguments.of(
            "missing root",
            (Verification) () -> Rfc9162.verifyInclusion(5, 13, leaf5, path5, null),
            "root is missing"),
        Arguments.of(
            "an empty proof node",
            (Verification)
                () -> Rfc9162.verifyInclusion(5, 13, leaf5, with(path5, new byte[0]), root(13)),
            "node 4 is 0 bytes"),
        Arguments.of(
            "a node too many",
            (Verification) () -> Rfc9162.verifyInclusion(5, 13, leaf5, with(path5, zero), root(13)),
            "5 nodes, a proof for leaf 5 of 13 has 4"),
        Arguments.of(
            "wrong root",
            (Verification) () -> Rfc9162.verifyInclusion(5, 13, leaf5, path5, root(12)),
            "leaf 5 does not lead to the root of tree size 13"),
        Arguments.of(
            "size1 > size2",
            (Verification) () -> Rfc9162.verifyConsistency(7, 6, root(7), root(6), List.of()),
            "size1 7 is greater than size2 6"),
        Arguments.of(
            "from the empty tree",
            (Verification) () -> Rfc9162.verifyConsistency(0, 6, root(0), root(6), List.of()),
            "size1 is 0"),
        Arguments.of(
            "from the empty tree to the empty tree",
            (Verification) () -> Rfc9162.verifyConsistency(0, 0, root(0), root(0), List.of()),
            "size1 is 0"),
        Arguments.of(
            "equal sizes, a proof",
            (Verification) () -> Rfc9162.verifyConsistency(6, 6, root(6), root(6), proof6),
            "sizes are equal but the proof has"),
        Arguments.of(
            "equal sizes, different roots",
            (Verification) () -> Rfc9162.verifyConsistency(6, 6, root(6), root(7), List.of()),
            "sizes are equal (6) but the roots differ"),
        Arguments.of(
            "empty proof",
            (Verification) () -> Rfc9162.verifyConsistency(6, 13, root(6), root(13), List.of()),
            "0 nodes, a proof from 6 to 13 has " + proof6.size()),
        Arguments.of(
            "short root2",
            (Verification) () -> Rfc9162.verifyConsistency(6, 13, root(6), new byte[16], proof6),
            "root2 is 16 bytes"),
        Arguments.of(
            "wrong root1",
            (Verification) () -> Rfc9162.verifyConsistency(6, 13, root(5), root(13), proof6),
            "does not lead to root1 of tree size 6"),
        Arguments.of(
            "wrong root2",
            (Verification) () -> Rfc9162.verifyConsistency(6, 13, root(6), root(12), proof6),
            "does not lead to root2 of tree size 13"),
        Arguments.of(
            "power-of-two size1, wrong root1",
            (Verification) () -> Rfc9162.verifyConsistency(8, 13, root(7), root(13), proof8),
            "does not lead to root2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refusalsNameTheCheckOnOneLine(String name, Verification v, String fragment) {
    assertThatThrownBy(v::run)
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining(fragment)
        .hasMessageNotContaining("\n");
  }

  /** The proof of a tree of one leaf is empty, and the leaf is the root. */
  @Test
  void aSingleLeafIsItsOwnRoot() throws Exception {
    byte[] leaf = LEAVES.get(0);
    Rfc9162.verifyInclusion(0, 1, leaf, List.of(), leaf);
    assertThatThrownBy(() -> Rfc9162.verifyInclusion(0, 1, leaf, List.of(), LEAVES.get(1)))
        .isInstanceOf(VerificationException.class);
  }

  /** Reordering the nodes of a proof breaks it, even though each node is genuine. */
  @Test
  void reorderedProofsAreRefused() {
    List<String> accepted = new ArrayList<>();
    for (int size = 3; size <= N; size++) {
      for (int i = 0; i < size; i++) {
        List<byte[]> p = new ArrayList<>(REF.path(i, size));
        if (p.size() < 2) {
          continue;
        }
        Collections.swap(p, 0, p.size() - 1);
        try {
          Rfc9162.verifyInclusion(i, size, LEAVES.get(i), p, root(size));
          accepted.add("inclusion(" + i + ", " + size + ")");
        } catch (VerificationException expected) {
          // refused, as it must be
        }
      }
      for (int m = 1; m < size; m++) {
        List<byte[]> p = new ArrayList<>(REF.proof(m, size));
        if (p.size() < 2) {
          continue;
        }
        Collections.swap(p, 0, p.size() - 1);
        try {
          Rfc9162.verifyConsistency(m, size, root(m), root(size), p);
          accepted.add("consistency(" + m + ", " + size + ")");
        } catch (VerificationException expected) {
          // refused, as it must be
        }
      }
    }
    assertThat(accepted).isEmpty();
  }
}
