package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A request to a witness to cosign a checkpoint, in the body format of c2sp.org/tlog-witness
 * {@code add-checkpoint}: the line {@code old <size>}, one line per consistency proof hash
 * (base64), an empty line, then the signed checkpoint.
 *
 * <pre>
 * old 8
 * (base64 of the first proof hash)
 * (base64 of the second proof hash)
 *
 * (origin)
 * 12
 * (base64 of the root hash)
 *
 * — (key name) (base64 of key ID and signature)
 * </pre>
 *
 * <p>The same bytes are an offline consistency proof: from the tree of {@code oldSize} leaves that
 * a witness (or anyone) recorded, to the tree of the checkpoint. {@link #parse} is strict: the size
 * in canonical decimal, at most {@value #MAX_PROOF_HASHES} hashes of 32 bytes in canonical padded
 * base64, every line ending in a newline. It checks the form only; signatures and the proof are
 * checked by whoever holds the keys and the earlier tree ({@link Witness}).
 *
 * @param oldSize the tree size the proof starts from (0: none, as for a first request)
 * @param proof the RFC 9162 consistency proof hashes, in order
 * @param checkpoint the signed checkpoint note, as the log signed it
 */
public record AddCheckpoint(long oldSize, List<byte[]> proof, byte[] checkpoint) {
  /** The most proof lines a request may hold, as c2sp.org/tlog-witness allows. */
  public static final int MAX_PROOF_HASHES = 63;

  /** The largest request read: the proof lines and the largest note. */
  public static final int MAX_BYTES = NoteVerifier.MAX_NOTE_BYTES + 64 * 64;

  private static final byte[] OLD = "old ".getBytes(US_ASCII);

  /**
   * @throws IllegalArgumentException if {@code oldSize} is negative, there are more than {@value
   *     #MAX_PROOF_HASHES} hashes, or one is not {@value Rfc9162#HASH_LENGTH} bytes
   */
  public AddCheckpoint {
    if (oldSize < 0) {
      throw new IllegalArgumentException("old size " + oldSize + " is negative");
    }
    Objects.requireNonNull(checkpoint, "checkpoint");
    if (proof.size() > MAX_PROOF_HASHES) {
      throw new IllegalArgumentException(
          proof.size() + " proof hashes, more than " + MAX_PROOF_HASHES);
    }
    List<byte[]> copy = new ArrayList<>(proof.size());
    for (byte[] h : proof) {
      if (h.length != Rfc9162.HASH_LENGTH) {
        throw new IllegalArgumentException(
            "a proof hash of " + h.length + " bytes, not " + Rfc9162.HASH_LENGTH);
      }
      copy.add(h.clone());
    }
    proof = List.copyOf(copy);
    checkpoint = checkpoint.clone();
  }

  @Override
  public List<byte[]> proof() {
    List<byte[]> copy = new ArrayList<>(proof.size());
    for (byte[] h : proof) {
      copy.add(h.clone());
    }
    return copy;
  }

  @Override
  public byte[] checkpoint() {
    return checkpoint.clone();
  }

  /** The request's bytes, as {@link #parse} reads them back. */
  public byte[] format() {
    ByteArrayOutputStream b = new ByteArrayOutputStream(checkpoint.length + 64 * proof.size() + 32);
    b.writeBytes(("old " + oldSize + "\n").getBytes(US_ASCII));
    for (byte[] h : proof) {
      b.writeBytes(Base64.getEncoder().encode(h));
      b.write('\n');
    }
    b.write('\n');
    b.writeBytes(checkpoint);
    return b.toByteArray();
  }

  /**
   * Reads a request. The checkpoint part is returned as it stands; it is not parsed here.
   *
   * @throws BadInputException naming the line that is not as the format requires
   */
  public static AddCheckpoint parse(byte[] request) throws BadInputException {
    Objects.requireNonNull(request, "request");
    if (request.length > MAX_BYTES) {
      throw new BadInputException(
          "witness request: " + request.length + " bytes, more than the limit of " + MAX_BYTES);
    }
    int end = lineEnd(request, 0, 1);
    if (!startsWith(request, OLD)) {
      throw new BadInputException("witness request: line 1: does not start with \"old \"");
    }
    long oldSize = size(new String(request, OLD.length, end - OLD.length, US_ASCII));
    List<byte[]> proof = new ArrayList<>();
    int pos = end + 1;
    int lineNo = 2;
    while (true) {
      int e = lineEnd(request, pos, lineNo);
      if (e == pos) {
        pos++;
        break;
      }
      if (proof.size() == MAX_PROOF_HASHES) {
        throw new BadInputException("witness request: line " + lineNo + ": more than "
            + MAX_PROOF_HASHES + " proof hashes, or no empty line before the checkpoint");
      }
      byte[] h = NoteVerifier.decodeBase64(new String(request, pos, e - pos, US_ASCII));
      if (h == null || h.length != Rfc9162.HASH_LENGTH) {
        throw new BadInputException("witness request: line " + lineNo + ": not a "
            + Rfc9162.HASH_LENGTH + "-byte hash in padded base64");
      }
      proof.add(h);
      pos = e + 1;
      lineNo++;
    }
    if (pos == request.length) {
      throw new BadInputException("witness request: no checkpoint after the empty line " + lineNo);
    }
    return new AddCheckpoint(oldSize, proof, Arrays.copyOfRange(request, pos, request.length));
  }

  private static long size(String s) throws BadInputException {
    boolean canonical = !s.isEmpty() && s.length() <= 19 && s.chars().allMatch(c -> c >= '0'
        && c <= '9') && (s.equals("0") || s.charAt(0) != '0');
    if (canonical) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        // beyond a long: refused below
      }
    }
    throw new BadInputException("witness request: line 1: the old size " + NoteVerifier.quote(s)
        + " is not a decimal from 0, without leading zeros, within 64 bits");
  }

  /** Where the line that starts at {@code from} ends (its newline); it must have one. */
  private static int lineEnd(byte[] b, int from, int lineNo) throws BadInputException {
    for (int i = from; i < b.length; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    throw new BadInputException("witness request: line " + lineNo + ": "
        + (from == b.length ? "missing" : "does not end with a newline")
        + " (the proof ends with an empty line, then the checkpoint)");
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length
        && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AddCheckpoint other) || other.oldSize != oldSize
        || other.proof.size() != proof.size() || !Arrays.equals(other.checkpoint, checkpoint)) {
      return false;
    }
    for (int i = 0; i < proof.size(); i++) {
      if (!Arrays.equals(proof.get(i), other.proof.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(oldSize) * 31 + Arrays.hashCode(checkpoint);
    for (byte[] p : proof) {
      h = h * 31 + Arrays.hashCode(p);
    }
    return h;
  }

  @Override
  public String toString() {
    return "AddCheckpoint[old " + oldSize + ", " + proof.size() + " proof hashes, "
        + checkpoint.length + " checkpoint bytes]";
  }
}
