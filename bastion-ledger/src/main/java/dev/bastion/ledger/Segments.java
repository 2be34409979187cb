package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ledger's segment files: {@code segments/<first entry index, 20 digits>.jsonl}, each a run of
 * lines. An entry line is the canonical JSON {@code {"event":E,"i":N}}; a checkpoint line is
 * {@code {"checkpoint":NOTE}}, the C2SP signed note over the tree of every entry before it. Every
 * segment but the last ends with a checkpoint line.
 */
final class Segments {
  static final String DIR = "segments";

  /** The longest line accepted. */
  static final int MAX_LINE = 1 << 20;

  private static final Pattern NAME = Pattern.compile("[0-9]{20}\\.jsonl");
  private static final byte[] CHECKPOINT_PREFIX =
      "{\"checkpoint\":".getBytes(StandardCharsets.UTF_8);

  private Segments() {}

  /** One segment file and the index of its first entry. */
  record Segment(long first, Path path) {}

  static Path file(Path ledgerDir, long first) {
    return ledgerDir.resolve(DIR).resolve(String.format("%020d.jsonl", first));
  }

  /** The segments in order; a file with another name there is an error. */
  static List<Segment> list(Path ledgerDir) throws IOException, VerificationException {
    Path d = ledgerDir.resolve(DIR);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    List<Segment> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(d)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        if (n.startsWith(".")) {
          continue; // a temporary file
        }
        if (!NAME.matcher(n).matches()) {
          throw new VerificationException(p + ": not a ledger segment");
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          throw new VerificationException(p + ": not a regular file (a link, a directory); a"
              + " segment holds the entries themselves, so the ledger was damaged or tampered"
              + " with");
        }
        out.add(new Segment(Long.parseLong(n.substring(0, 20)), p));
      }
    }
    return out;
  }

  /** The line of entry {@code index}: {@code {"event":E,"i":N}}, canonical. */
  static byte[] entryLine(long index, byte[] canonicalEvent) {
    byte[] head = "{\"event\":".getBytes(StandardCharsets.UTF_8);
    byte[] tail = (",\"i\":" + index + "}").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(head.length + canonicalEvent.length + tail.length);
    return b.put(head).put(canonicalEvent).put(tail).array();
  }

  /** The line that records a signed checkpoint note. */
  static byte[] checkpointLine(byte[] note) {
    ObjectNode o = Json.object();
    o.put("checkpoint", new String(note, StandardCharsets.UTF_8));
    return Json.canonical(o);
  }

  static boolean isCheckpointLine(byte[] line) {
    if (line.length < CHECKPOINT_PREFIX.length) {
      return false;
    }
    for (int i = 0; i < CHECKPOINT_PREFIX.length; i++) {
      if (line[i] != CHECKPOINT_PREFIX[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The note of a checkpoint line, checked to be exactly canonical.
   *
   * @throws VerificationException if the line is not a well-formed checkpoint line
   */
  static byte[] noteOf(byte[] line, String where) throws VerificationException {
    JsonNode o;
    try {
      o = Json.parse(line, where);
    } catch (BadInputException e) {
      throw new VerificationException(where + ": not valid JSON", e);
    }
    if (o.size() != 1 || !o.path("checkpoint").isTextual()) {
      throw new VerificationException(where + ": malformed checkpoint line");
    }
    byte[] note = o.get("checkpoint").asText().getBytes(StandardCharsets.UTF_8);
    if (!java.util.Arrays.equals(checkpointLine(note), line)) {
      throw new VerificationException(where + ": checkpoint line not in canonical form");
    }
    return note;
  }

  /** The canonical event of an entry line, whatever its index (for tools that re-index). */
  static byte[] parseEntryEvent(byte[] line) throws VerificationException {
    try {
      JsonNode o = Json.parse(line, "entry line");
      if (!o.path("event").isObject()) {
        throw new VerificationException("not an entry line");
      }
      return Json.canonical(o.get("event"));
    } catch (BadInputException e) {
      throw new VerificationException("not an entry line", e);
    }
  }

  /** What {@link #parseEntry} found. */
  record Entry(Event event, byte[] leaf) {}

  /**
   * Checks an entry line: canonical, the expected index, a well-formed event.
   *
   * @throws VerificationException naming the entry
   */
  static Entry parseEntry(long index, byte[] line) throws VerificationException {
    String at = "ledger entry " + index;
    JsonNode o;
    try {
      o = Json.parse(line, at);
    } catch (BadInputException e) {
      throw new VerificationException(at + ": not valid JSON", e);
    }
    JsonNode i = o.path("i");
    if (i.isMissingNode()) {
      // Not "its index field is , expected N": a line that is neither an entry nor a checkpoint
      // (e.g. a checkpoint line whose key was damaged) is named as such.
      throw new VerificationException(at + ": its line is neither an entry (no index field) nor"
          + " a checkpoint; it was damaged or forged");
    }
    if (!i.isIntegralNumber() || i.asLong() != index) {
      throw new VerificationException(at + ": its index field is " + i + ", expected " + index
          + " (an entry was removed, added or moved)");
    }
    if (o.size() != 2 || !o.path("event").isObject()) {
      throw new VerificationException(at + ": malformed entry line");
    }
    Event event;
    try {
      event = Event.fromJson(o.get("event"));
    } catch (RuntimeException e) {
      throw new VerificationException(at + ": malformed event: " + e.getMessage(), e);
    }
    if (!java.util.Arrays.equals(entryLine(index, Json.canonical(o.get("event"))), line)) {
      throw new VerificationException(at + ": not in canonical form");
    }
    return new Entry(event, MerkleHasher.leafHash(line));
  }

  /** Receives the lines of a segment in order. */
  interface LineVisitor {
    /**
     * @param offset the line's first byte in its segment
     * @param line the line without its newline
     */
    void line(long offset, byte[] line) throws IOException, VerificationException;
  }

  /**
   * Reads the complete lines of {@code file} from {@code from}, up to {@code limit} bytes.
   *
   * @return the offset just after the last complete line (a torn tail is not visited)
   * @throws VerificationException if a line is longer than {@link #MAX_LINE}
   */
  static long scan(Path file, long from, long limit, LineVisitor v)
      throws IOException, VerificationException {
    long offset = from;
    long start = from;
    byte[] block = new byte[1 << 16];
    // The start of a line that runs past the end of a block.
    byte[] pending = new byte[512];
    int pendingLength = 0;
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(from);
      while (offset < limit) {
        int n = in.read(block, 0, (int) Math.min(block.length, limit - offset));
        if (n < 0) {
          break;
        }
        for (int p = 0; p < n; ) {
          int end = p;
          while (end < n && block[end] != '\n') {
            end++;
          }
          int piece = end - p;
          if (pendingLength + piece > MAX_LINE) {
            throw new VerificationException(file + ": a line at byte " + start + " is too long");
          }
          offset += piece;
          if (end == n) {
            if (pendingLength + piece > pending.length) {
              pending = Arrays.copyOf(pending,
                  Math.min(MAX_LINE, Math.max(2 * pending.length, pendingLength + piece)));
            }
            System.arraycopy(block, p, pending, pendingLength, piece);
            pendingLength += piece;
            break;
          }
          byte[] line;
          if (pendingLength == 0) {
            line = Arrays.copyOfRange(block, p, end);
          } else {
            line = Arrays.copyOf(pending, pendingLength + piece);
            System.arraycopy(block, p, line, pendingLength, piece);
            pendingLength = 0;
          }
          offset++; // the newline
          v.line(start, line);
          start = offset;
          p = end + 1;
        }
      }
    }
    return start;
  }

  /**
   * Finds the last checkpoint line of {@code file} by reading backwards.
   *
   * @return {offset of the line, offset just after its newline}, or null if there is none
   */
  static long[] lastCheckpoint(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      // The end of the last complete line.
      long end = size;
      ByteBuffer one = ByteBuffer.allocate(1);
      while (end > 0) {
        one.clear();
        ch.read(one, end - 1);
        if (one.get(0) == '\n') {
          break;
        }
        end--;
      }
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      long lineEnd = end; // just after a newline
      while (lineEnd > 0) {
        long lineStart = startOfLine(ch, lineEnd - 1, buf);
        int n = (int) Math.min(CHECKPOINT_PREFIX.length, lineEnd - 1 - lineStart);
        ByteBuffer head = ByteBuffer.allocate(n);
        ch.read(head, lineStart);
        byte[] h = head.array();
        if (n == CHECKPOINT_PREFIX.length && isCheckpointLine(h)) {
          return new long[] {lineStart, lineEnd};
        }
        lineEnd = lineStart;
      }
      return null;
    }
  }

  /** The offset of the first byte of the line whose newline is at {@code newline}. */
  private static long startOfLine(FileChannel ch, long newline, ByteBuffer buf)
      throws IOException {
    long pos = newline;
    while (pos > 0) {
      int n = (int) Math.min(buf.capacity(), pos);
      buf.clear().limit(n);
      ch.read(buf, pos - n);
      for (int i = n - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          return pos - n + i + 1;
        }
      }
      pos -= n;
    }
    return 0;
  }

  /** Reads {@code length} bytes at {@code offset}. */
  static byte[] read(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw new IOException(file + ": ends before byte " + (offset + length));
        }
      }
      return b.array();
    }
  }
}
