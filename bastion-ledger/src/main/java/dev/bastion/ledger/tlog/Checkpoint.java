package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.bastion.core.BadInputException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A C2SP transparency log checkpoint (c2sp.org/tlog-checkpoint): the note text naming a log's
 * Merkle tree head. Its {@link #body()} is the origin line, the tree size in decimal, the base64
 * RFC 9162 root hash and any extension lines, each ending with a newline:
 *
 * <pre>{@code
 * example.com/log
 * 42
 * 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
 * }</pre>
 *
 * <p>The body is signed as a note with {@link NoteSigner#sign} and read back from a verified note
 * with {@link #parse}. Instances are immutable; {@link #equals} compares the root hash by content.
 *
 * @param origin the log's identity; non-empty, without newlines or other control characters
 * @param size the number of leaves, at least 0
 * @param rootHash the 32-byte SHA-256 RFC 9162 root of the first {@code size} leaves
 * @param extensions the optional extension lines, each non-empty and without control characters
 */
public record Checkpoint(String origin, long size, byte[] rootHash, List<String> extensions) {
  /** The largest checkpoint body, in bytes, that {@link #parse} reads or the constructor builds. */
  public static final int MAX_BYTES = 64 * 1024;

  /** Length of the root hash (SHA-256). */
  public static final int HASH_BYTES = 32;

  private static final String[] LINE_NAMES = {"origin", "tree size", "root hash"};

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if a field breaks the rules above, or the body would be larger
   *     than {@value #MAX_BYTES} bytes
   */
  public Checkpoint {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(rootHash, "rootHash");
    extensions = List.copyOf(extensions);
    String problem = lineProblem(origin);
    if (problem != null) {
      throw new IllegalArgumentException("checkpoint origin " + problem);
    }
    if (size < 0) {
      throw new IllegalArgumentException("checkpoint tree size " + size + " is negative");
    }
    if (rootHash.length != HASH_BYTES) {
      throw new IllegalArgumentException(
          "checkpoint root hash has " + rootHash.length + " bytes, not " + HASH_BYTES);
    }
    rootHash = rootHash.clone();
    for (int i = 0; i < extensions.size(); i++) {
      problem = lineProblem(extensions.get(i));
      if (problem != null) {
        throw new IllegalArgumentException("checkpoint extension line " + (i + 1) + " " + problem);
      }
    }
    long length = body(origin, size, rootHash, extensions).length;
    if (length > MAX_BYTES) {
      throw new IllegalArgumentException(
          "checkpoint body would have " + length + " bytes, more than the limit of " + MAX_BYTES);
    }
  }

  /** A checkpoint without extension lines. */
  public Checkpoint(String origin, long size, byte[] rootHash) {
    this(origin, size, rootHash, List.of());
  }

  /** A copy of the 32-byte root hash. */
  @Override
  public byte[] rootHash() {
    return rootHash.clone();
  }

  /** The note text, byte for byte as c2sp.org/tlog-checkpoint specifies it. */
  public byte[] body() {
    return body(origin, size, rootHash, extensions);
  }

  /**
   * Reads a checkpoint body strictly: exactly the bytes {@link #body()} would write for it.
   *
   * @param body the note text, such as {@link NoteVerifier#verify} returns it
   * @throws BadInputException if the body is larger than {@value #MAX_BYTES} bytes, not UTF-8,
   *     holds a control character other than newline, does not end with a newline, has fewer than
   *     three lines, an empty origin, a tree size that is not a canonical decimal in the range of
   *     {@code long} (no sign, no leading zero), a root hash that is not 32 bytes of standard
   *     padded base64, or an empty extension line
   */
  public static Checkpoint parse(byte[] body) throws BadInputException {
    Objects.requireNonNull(body, "body");
    if (body.length > MAX_BYTES) {
      throw new BadInputException(
          "checkpoint: " + body.length + " bytes, more than the limit of " + MAX_BYTES);
    }
    NoteVerifier.checkCharacters(body, "checkpoint");
    if (body.length == 0 || body[body.length - 1] != '\n') {
      throw new BadInputException("checkpoint: does not end with a newline");
    }
    String text = new String(body, 0, body.length - 1, UTF_8);
    String[] lines = text.split("\n", -1);
    if (lines.length < 3) {
      throw new BadInputException(
          "checkpoint: "
              + lines.length
              + (lines.length == 1 ? " line" : " lines")
              + ", not at least 3 (origin, tree size, root hash)");
    }
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isEmpty()) {
        String what = i < LINE_NAMES.length ? LINE_NAMES[i] : "extension line";
        throw new BadInputException("checkpoint: line " + (i + 1) + ": " + what + " is empty");
      }
    }
    long size = parseSize(lines[1]);
    byte[] hash = NoteVerifier.decodeBase64(lines[2]);
    if (hash == null) {
      throw new BadInputException(
          "checkpoint: line 3: root hash "
              + NoteVerifier.quote(lines[2])
              + " is not standard padded base64");
    }
    if (hash.length != HASH_BYTES) {
      throw new BadInputException(
          "checkpoint: line 3: root hash has " + hash.length + " bytes, not " + HASH_BYTES);
    }
    try {
      return new Checkpoint(lines[0], size, hash, Arrays.asList(lines).subList(3, lines.length));
    } catch (IllegalArgumentException e) {
      // Unreachable: every rule of the constructor was checked above.
      throw new BadInputException("checkpoint: " + e.getMessage(), e);
    }
  }

  /**
   * The checkpoint in a signed note, read without verifying any signature: for telling a file
   * that is not a signed checkpoint at all (bad input) from one whose signature does not hold.
   *
   * @throws BadInputException if {@code note} is not a well-formed signed note whose text is a
   *     checkpoint
   */
  public static Checkpoint ofNote(byte[] note) throws BadInputException {
    return parse(NoteVerifier.parseNote(note).text());
  }

  /** Compares all fields, the root hash by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c
        && origin.equals(c.origin)
        && size == c.size
        && Arrays.equals(rootHash, c.rootHash)
        && extensions.equals(c.extensions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(origin, size, Arrays.hashCode(rootHash), extensions);
  }

  /** The fields, the root hash in base64. */
  @Override
  public String toString() {
    return "Checkpoint[origin="
        + origin
        + ", size="
        + size
        + ", rootHash="
        + Base64.getEncoder().encodeToString(rootHash)
        + ", extensions="
        + extensions
        + "]";
  }

  private static byte[] body(String origin, long size, byte[] rootHash, List<String> extensions) {
    StringBuilder b = new StringBuilder(origin.length() + 80);
    b.append(origin).append('\n');
    b.append(size).append('\n');
    b.append(Base64.getEncoder().encodeToString(rootHash)).append('\n');
    for (String e : extensions) {
      b.append(e).append('\n');
    }
    return b.toString().getBytes(UTF_8);
  }

  /** The tree size: "0", or decimal digits without a leading zero, within {@code long}. */
  private static long parseSize(String s) throws BadInputException {
    if (!s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new BadInputException(
          "checkpoint: line 2: tree size " + NoteVerifier.quote(s) + " is not a decimal number");
    }
    if (s.length() > 1 && s.charAt(0) == '0') {
      throw new BadInputException(
          "checkpoint: line 2: tree size " + NoteVerifier.quote(s) + " has a leading zero");
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new BadInputException(
          "checkpoint: line 2: tree size "
              + NoteVerifier.quote(s)
              + " is larger than "
              + Long.MAX_VALUE,
          e);
    }
  }

  /** Why {@code line} cannot be a checkpoint line, or null. */
  private static String lineProblem(String line) {
    if (line.isEmpty()) {
      return "is empty";
    }
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20) {
        return String.format("contains control character 0x%02x", (int) c);
      }
      if (Character.isHighSurrogate(c)
          && (i + 1 == line.length() || !Character.isLowSurrogate(line.charAt(i + 1)))) {
        return "contains an unpaired surrogate";
      }
      if (Character.isLowSurrogate(c)
          && (i == 0 || !Character.isHighSurrogate(line.charAt(i - 1)))) {
        return "contains an unpaired surrogate";
      }
    }
    return null;
  }
}
