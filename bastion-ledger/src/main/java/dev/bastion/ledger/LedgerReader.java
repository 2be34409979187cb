package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * Reads {@code entries.jsonl} strictly: every line must be exactly the canonical JSON {@code
 * {"event":E,"h":H,"i":N}} with N its index and H the chain hash of its content, so no byte of the
 * file can change without an error that names the entry.
 */
final class LedgerReader {
  /** The longest entry line accepted. */
  static final int MAX_LINE = 1 << 20;

  private LedgerReader() {}

  /**
   * What a scan found.
   *
   * @param entries complete entries in the file (up to the limit)
   * @param atHead the tree over the first {@code headSize} entries (null if there are fewer)
   * @param chainAtHead the chain hash after {@code headSize} entries (null if there are fewer)
   * @param offsetAtHead the byte offset just after entry {@code headSize - 1}
   */
  record Scan(long entries, MerkleHasher atHead, byte[] chainAtHead, long offsetAtHead) {}

  /** The length of the prefix of the file that ends with a newline. */
  static long completeLength(FileChannel ch, long length) throws IOException {
    long pos = length;
    ByteBuffer buf = ByteBuffer.allocate(4096);
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

  /**
   * Checks the first {@code limit} bytes of {@code file} entry by entry.
   *
   * @param headSize the size the signed head claims; the state at that size is kept
   * @param onEvent receives each entry's event, in order (may be null)
   * @throws VerificationException naming the first entry that is malformed, out of order, not
   *     canonical, cut short or whose chain hash does not match its content
   */
  static Scan scan(Path file, long limit, long headSize, Consumer<Event> onEvent)
      throws IOException, VerificationException {
    MerkleHasher tree = new MerkleHasher();
    byte[] chain = new byte[32];
    MerkleHasher atHead = headSize == 0 ? tree.copy() : null;
    byte[] chainAtHead = headSize == 0 ? chain : null;
    long offsetAtHead = 0;
    if (!Files.exists(file)) {
      return new Scan(0, atHead, chainAtHead, 0);
    }
    long index = 0;
    long offset = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; offset < limit && (b = in.read()) != -1; ) {
        offset++;
        if (b != '\n') {
          if (line.size() >= MAX_LINE) {
            throw new VerificationException("ledger entry " + index + ": line too long");
          }
          line.write(b);
          continue;
        }
        Checked c = checkLine(index, line.toByteArray(), chain);
        tree.append(c.leaf);
        chain = c.chain;
        if (onEvent != null) {
          onEvent.accept(c.event);
        }
        line.reset();
        index++;
        if (index == headSize) {
          atHead = tree.copy();
          chainAtHead = chain;
          offsetAtHead = offset;
        }
      }
      if (line.size() > 0) {
        throw new VerificationException(
            "ledger entry " + index + ": incomplete (the file does not end with a newline)");
      }
    }
    return new Scan(index, atHead, chainAtHead, offsetAtHead);
  }

  private record Checked(Event event, byte[] leaf, byte[] chain) {}

  private static Checked checkLine(long index, byte[] bytes, byte[] prevChain)
      throws VerificationException {
    String at = "ledger entry " + index + " (line " + (index + 1) + ")";
    JsonNode o;
    try {
      o = Json.parse(bytes, at);
    } catch (BadInputException e) {
      throw new VerificationException(at + ": not valid JSON", e);
    }
    Event event;
    try {
      event = Event.fromJson(o.path("event"));
    } catch (RuntimeException e) {
      throw new VerificationException(at + ": malformed event: " + e.getMessage(), e);
    }
    byte[] leaf = MerkleHasher.leafHash(Json.canonical(o.path("event")));
    byte[] h = Ledger.chainHash(prevChain, leaf);
    byte[] expected = line(index, o.path("event"), h);
    if (!MessageDigest.isEqual(expected, bytes)) {
      JsonNode i = o.path("i");
      if (!i.isIntegralNumber() || i.asLong() != index) {
        throw new VerificationException(at + ": index field is " + i + ", expected " + index);
      }
      String stored = o.path("h").asText();
      if (!stored.equals(HexFormat.of().formatHex(h))) {
        throw new VerificationException(at + ": content does not match its chain hash");
      }
      throw new VerificationException(at + ": not in canonical form");
    }
    return new Checked(event, leaf, h);
  }

  /** The exact bytes of entry {@code index}, without the newline. */
  static byte[] line(long index, JsonNode event, byte[] chainHash) {
    ObjectNode line = Json.object();
    line.put("i", index);
    line.set("event", event);
    line.put("h", HexFormat.of().formatHex(chainHash));
    return Json.canonical(line);
  }
}
