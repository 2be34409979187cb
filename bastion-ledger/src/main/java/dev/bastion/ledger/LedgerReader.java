package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Reads {@code entries.jsonl} line by line, checking each line's shape. */
final class LedgerReader {
  /** The longest entry line accepted. */
  static final int MAX_LINE = 1 << 20;

  interface Visitor {
    void visit(long index, byte[] line, Event event, byte[] leaf, byte[] chainHash)
        throws VerificationException;
  }

  private LedgerReader() {}

  /** The length of the prefix of the file that ends with a newline. */
  static long completeLength(FileChannel ch, long length) throws IOException {
    long pos = length;
    ByteBuffer one = ByteBuffer.allocate(1);
    while (pos > 0) {
      one.clear();
      ch.read(one, pos - 1);
      if (one.get(0) == '\n') {
        return pos;
      }
      pos--;
    }
    return 0;
  }

  /**
   * Visits every entry in order.
   *
   * @throws VerificationException naming the first entry that is malformed, out of order or cut
   */
  static void scan(Path file, Visitor visitor) throws IOException, VerificationException {
    if (!Files.exists(file)) {
      return;
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      long index = 0;
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; (b = in.read()) != -1; ) {
        if (b != '\n') {
          if (line.size() >= MAX_LINE) {
            throw new VerificationException("ledger entry " + index + ": line too long");
          }
          line.write(b);
          continue;
        }
        visitLine(index, line.toByteArray(), visitor);
        line.reset();
        index++;
      }
      if (line.size() > 0) {
        throw new VerificationException(
            "ledger entry " + index + ": incomplete (the file does not end with a newline)");
      }
    }
  }

  private static void visitLine(long index, byte[] bytes, Visitor visitor)
      throws VerificationException {
    JsonNode o;
    try {
      o = Json.parse(bytes, "ledger entry " + index);
    } catch (BadInputException e) {
      throw new VerificationException("ledger entry " + index + ": not valid JSON", e);
    }
    if (o.path("i").asLong(-1) != index || !o.path("i").isIntegralNumber()) {
      throw new VerificationException(
          "ledger entry " + index + ": index field is " + o.path("i") + ", expected " + index);
    }
    Event event;
    try {
      event = Event.fromJson(o.path("event"));
    } catch (RuntimeException e) {
      throw new VerificationException(
          "ledger entry " + index + ": malformed event: " + e.getMessage(), e);
    }
    byte[] eventBytes = Json.canonical(o.path("event"));
    byte[] h;
    try {
      h = HexFormat.of().parseHex(o.path("h").asText());
    } catch (IllegalArgumentException e) {
      throw new VerificationException("ledger entry " + index + ": malformed chain hash", e);
    }
    if (h.length != 32) {
      throw new VerificationException("ledger entry " + index + ": malformed chain hash");
    }
    visitor.visit(index, bytes, event, MerkleHasher.leafHash(eventBytes), h);
  }

  /** All events, in order. */
  static List<Event> readAll(Path file) throws IOException, VerificationException {
    List<Event> out = new ArrayList<>();
    scan(file, (i, line, event, leaf, h) -> out.add(event));
    return out;
  }
}
