package dev.bastion.ledger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9162 tree hashing: leaf {@code SHA-256(0x00 || entry)}, node {@code SHA-256(0x01 || l || r)},
 * and the root of a growing tree kept as a compact range (one hash per set bit of the size), so
 * memory is O(log n) whatever the size.
 */
final class MerkleHasher {
  private final List<byte[]> stack = new ArrayList<>();
  private final List<Long> sizes = new ArrayList<>();
  private long size;

  /** An independent copy of this state. */
  MerkleHasher copy() {
    MerkleHasher c = new MerkleHasher();
    c.stack.addAll(stack);
    c.sizes.addAll(sizes);
    c.size = size;
    return c;
  }

  static byte[] leafHash(byte[] entry) {
    MessageDigest md = sha256();
    md.update((byte) 0x00);
    md.update(entry);
    return md.digest();
  }

  static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest md = sha256();
    md.update((byte) 0x01);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  static byte[] emptyRoot() {
    return sha256().digest();
  }

  /** Adds a leaf hash on the right. */
  void append(byte[] leafHash) {
    stack.add(leafHash);
    sizes.add(1L);
    size++;
    while (sizes.size() >= 2
        && sizes.get(sizes.size() - 1).equals(sizes.get(sizes.size() - 2))) {
      byte[] right = stack.remove(stack.size() - 1);
      byte[] left = stack.remove(stack.size() - 1);
      long s = sizes.remove(sizes.size() - 1);
      sizes.remove(sizes.size() - 1);
      stack.add(nodeHash(left, right));
      sizes.add(2 * s);
    }
  }

  long size() {
    return size;
  }

  /** The RFC 9162 Merkle tree hash of all leaves appended so far. */
  byte[] root() {
    if (stack.isEmpty()) {
      return emptyRoot();
    }
    byte[] r = stack.get(stack.size() - 1);
    for (int i = stack.size() - 2; i >= 0; i--) {
      r = nodeHash(stack.get(i), r);
    }
    return r;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
