package dev.bastion.ledger.tlog;

import dev.bastion.core.VerificationException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * RFC 9162 Merkle tree hashing with SHA-256, and the verifiers for inclusion (section 2.1.3.2) and
 * consistency (section 2.1.4.2) proofs.
 *
 * <p>The verifiers fail closed: they return normally only when the proof holds, and otherwise throw
 * {@link VerificationException} with a one-line message naming the check that failed. Every hash
 * they use (leaf, proof node, root) must be {@value #HASH_LENGTH} bytes, except that two roots of
 * the same size are only compared.
 *
 * <p>Consistency from the empty tree ({@code size1 == 0}) is always refused: RFC 9162 defines the
 * proof for {@code 0 < size1 <= size2} only, and an empty "proof" from nothing would verify against
 * any pair of roots (the behaviour of the transparency-dev/merkle test vectors).
 *
 * <p>All methods are static, stateless and thread-safe.
 */
public final class Rfc9162 {
  /** The length in bytes of every hash (SHA-256). */
  public static final int HASH_LENGTH = 32;

  private Rfc9162() {}

  /** The leaf hash {@code SHA-256(0x00 || entry)}. */
  public static byte[] leafHash(byte[] entry) {
    MessageDigest md = sha256();
    md.update((byte) 0x00);
    md.update(entry);
    return md.digest();
  }

  /** The interior node hash {@code SHA-256(0x01 || left || right)}. */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    return nodeHash(sha256(), left, right);
  }

  /** The root of the empty tree, {@code SHA-256("")}. */
  public static byte[] emptyRoot() {
    return sha256().digest();
  }

  /**
   * Checks that {@code leafHash} is the leaf at {@code index} of the tree of {@code size} leaves
   * whose root is {@code root} (RFC 9162 section 2.1.3.2).
   *
   * @param proof the inclusion proof, from the leaf's sibling up (as {@link
   *     TreeStore#inclusionProof} returns it)
   * @throws VerificationException if {@code index >= size}, a hash has the wrong length, the proof
   *     has the wrong number of nodes for {@code (index, size)}, or the root it leads to is not
   *     {@code root}
   */
  public static void verifyInclusion(
      long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
      throws VerificationException {
    if (index < 0 || size < 0) {
      throw new VerificationException(
          "inclusion proof: negative index " + index + " or size " + size);
    }
    if (index >= size) {
      throw new VerificationException(
          "inclusion proof: index " + index + " is not below tree size " + size);
    }
    requireHash("inclusion proof: leaf hash", leafHash);
    requireHash("inclusion proof: root", root);
    requireNodes("inclusion proof", proof);
    int want = pathLength(index, size);
    if (proof.size() != want) {
      throw new VerificationException(
          "inclusion proof: "
              + proof.size()
              + " nodes, a proof for leaf "
              + index
              + " of "
              + size
              + " has "
              + want);
    }
    MessageDigest md = sha256();
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (sn == 0) {
        throw new VerificationException("inclusion proof: longer than the path to the root");
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = nodeHash(md, p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = nodeHash(md, r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    if (sn != 0) {
      throw new VerificationException("inclusion proof: shorter than the path to the root");
    }
    if (!MessageDigest.isEqual(r, root)) {
      throw new VerificationException(
          "inclusion proof: leaf " + index + " does not lead to the root of tree size " + size);
    }
  }

  /**
   * Checks that the tree of {@code size2} leaves with root {@code root2} extends the tree of {@code
   * size1} leaves with root {@code root1} (RFC 9162 section 2.1.4.2).
   *
   * <p>Equal sizes need an empty proof and equal roots. {@code size1 == 0} is always refused (see
   * the class comment).
   *
   * @throws VerificationException if {@code size1 == 0} or {@code size1 > size2}, the proof has the
   *     wrong number of nodes, a hash has the wrong length, or either root does not match the one
   *     the proof leads to
   */
  public static void verifyConsistency(
      long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof)
      throws VerificationException {
    if (size1 < 0 || size2 < 0) {
      throw new VerificationException("consistency proof: negative size " + size1 + " or " + size2);
    }
    if (size1 > size2) {
      throw new VerificationException(
          "consistency proof: size1 " + size1 + " is greater than size2 " + size2);
    }
    if (size1 == 0) {
      throw new VerificationException(
          "consistency proof: size1 is 0; nothing is proved consistent with the empty tree");
    }
    if (size1 == size2) {
      if (!proof.isEmpty()) {
        throw new VerificationException(
            "consistency proof: sizes are equal but the proof has " + proof.size() + " nodes");
      }
      if (!MessageDigest.isEqual(root1, root2)) {
        throw new VerificationException(
            "consistency proof: sizes are equal (" + size1 + ") but the roots differ");
      }
      return;
    }
    requireHash("consistency proof: root1", root1);
    requireHash("consistency proof: root2", root2);
    requireNodes("consistency proof", proof);
    int want = consistencyLength(size1, size2);
    if (proof.size() != want) {
      throw new VerificationException(
          "consistency proof: "
              + proof.size()
              + " nodes, a proof from "
              + size1
              + " to "
              + size2
              + " has "
              + want);
    }
    MessageDigest md = sha256();
    // Step 2: when size1 is a power of two the first node is root1 itself, known to the verifier.
    boolean seedIsRoot1 = Long.bitCount(size1) == 1;
    byte[] fr = seedIsRoot1 ? root1 : proof.get(0);
    byte[] sr = fr;
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    for (int i = seedIsRoot1 ? 0 : 1; i < proof.size(); i++) {
      byte[] c = proof.get(i);
      if (sn == 0) {
        throw new VerificationException("consistency proof: longer than the path to root2");
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = nodeHash(md, c, fr);
        sr = nodeHash(md, c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sr = nodeHash(md, sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    if (sn != 0) {
      throw new VerificationException("consistency proof: shorter than the path to root2");
    }
    if (!MessageDigest.isEqual(fr, root1)) {
      throw new VerificationException(
          "consistency proof: does not lead to root1 of tree size " + size1);
    }
    if (!MessageDigest.isEqual(sr, root2)) {
      throw new VerificationException(
          "consistency proof: does not lead to root2 of tree size " + size2);
    }
  }

  /**
   * The number of nodes in the inclusion proof of leaf {@code index} in a tree of {@code size}
   * leaves: the siblings below the point where the paths to {@code index} and {@code size - 1}
   * split, then one left sibling for each level above it where the path turns right.
   */
  static int pathLength(long index, long size) {
    int inner = 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
    return inner + Long.bitCount(index >>> inner);
  }

  /**
   * The number of nodes in the consistency proof from {@code size1} to {@code size2}, {@code 0 <
   * size1 < size2}: the inclusion proof, in the tree of {@code size2}, of the last complete subtree
   * of the tree of {@code size1}, preceded by that subtree unless it is the whole tree.
   */
  static int consistencyLength(long size1, long size2) {
    int level = Long.numberOfTrailingZeros(size1);
    long node = (size1 - 1) >>> level;
    long nodes = ((size2 - 1) >>> level) + 1;
    return (node == 0 ? 0 : 1) + pathLength(node, nodes);
  }

  static byte[] nodeHash(MessageDigest md, byte[] left, byte[] right) {
    md.update((byte) 0x01);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static void requireHash(String what, byte[] hash) throws VerificationException {
    if (hash == null || hash.length != HASH_LENGTH) {
      throw new VerificationException(
          what
              + " is "
              + (hash == null ? "missing" : hash.length + " bytes")
              + ", not "
              + HASH_LENGTH);
    }
  }

  private static void requireNodes(String what, List<byte[]> proof) throws VerificationException {
    for (int i = 0; i < proof.size(); i++) {
      byte[] p = proof.get(i);
      if (p == null || p.length != HASH_LENGTH) {
        throw new VerificationException(
            what
                + ": node "
                + i
                + " is "
                + (p == null ? "missing" : p.length + " bytes")
                + ", not "
                + HASH_LENGTH);
      }
    }
  }
}
