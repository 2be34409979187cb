package dev.bastion.core;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 digest: the name of every artifact in Bastion.
 *
 * <p>Written as {@code sha256:<64 lowercase hex digits>}. Equality compares the bytes in constant
 * time, since digests are sometimes compared against attacker-supplied values.
 */
public final class Digest implements Comparable<Digest> {
  public static final String ALGORITHM = "sha256";
  private static final String PREFIX = ALGORITHM + ":";
  private static final int LENGTH = 32;
  /** Never fed: only copied, by {@link #sha256}. */
  private static final MessageDigest PROTOTYPE = newSha256();

  private final byte[] bytes;

  private Digest(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps 32 raw digest bytes (copied). */
  public static Digest ofRaw(byte[] raw) {
    if (raw.length != LENGTH) {
      throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, got " + raw.length);
    }
    return new Digest(raw.clone());
  }

  /** The SHA-256 digest of {@code data}. */
  public static Digest of(byte[] data) {
    return new Digest(sha256().digest(data));
  }

  /** The SHA-256 digest of everything {@code in} yields; the stream is read to its end. */
  public static Digest of(InputStream in) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) != -1; ) {
      md.update(buf, 0, n);
    }
    return new Digest(md.digest());
  }

  /**
   * Parses {@code sha256:<hex>} or bare 64-digit lowercase hex.
   *
   * @throws IllegalArgumentException if {@code text} is not a SHA-256 digest
   */
  public static Digest parse(String text) {
    String hex = text.startsWith(PREFIX) ? text.substring(PREFIX.length()) : text;
    if (hex.length() != 2 * LENGTH || !hex.chars().allMatch(Digest::isLowerHex)) {
      throw new IllegalArgumentException("not a sha256 digest: " + abbreviate(text));
    }
    return new Digest(HexFormat.of().parseHex(hex));
  }

  private static boolean isLowerHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /** A new SHA-256 message digest, for callers that hash as they read. */
  public static MessageDigest sha256() {
    // A copy of an unused one: cheaper than a provider lookup per digest (servers take two
    // digests per request). The original is never fed, so copying it is safe from any thread.
    try {
      return (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      return newSha256(); // a provider whose SHA-256 cannot be copied
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The raw 32 bytes (a copy). */
  public byte[] raw() {
    return bytes.clone();
  }

  /** Lowercase hex, without the algorithm prefix. */
  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  /** The first 12 hex digits, for people reading output. */
  public String shortHex() {
    return hex().substring(0, 12);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest other && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public int compareTo(Digest o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  /** {@code sha256:<hex>}. */
  @Override
  public String toString() {
    return PREFIX + hex();
  }
}
