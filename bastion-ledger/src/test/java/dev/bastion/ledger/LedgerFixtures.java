package dev.bastion.ledger;

import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.crypto.Keyring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Shared helpers for the ledger tests: seeded events, line-level file surgery. */
final class LedgerFixtures {
  private LedgerFixtures() {}

  private static final String[] ACTIONS = {"put", "get", "erase", "start", "end", "decide", "predict"};
  private static final String[] OUTCOMES = {"ok", "pass", "fail", "denied"};

  /** A seeded event; {@code seq} makes the run ID unique. */
  static Event event(Random r, int seq) {
    EventKind[] kinds = EventKind.values();
    Map<String, String> details = new TreeMap<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      switch (r.nextInt(3)) {
        case 0 -> details.put("input", Digest.of(bytes(r, 8)).toString());
        case 1 -> details.put("note", "r\u00e9sum\u00e9 \uD83D\uDE00 #" + r.nextInt(100));
        default -> details.put("rows", Integer.toString(r.nextInt(1_000_000)));
      }
    }
    return new Event(
        kinds[r.nextInt(kinds.length)],
        Instant.ofEpochSecond(1_760_000_000L + r.nextInt(10_000_000), r.nextInt(1_000_000_000)),
        Keyring.COMPONENTS.get(r.nextInt(Keyring.COMPONENTS.size())),
        ACTIONS[r.nextInt(ACTIONS.length)],
        Digest.of(bytes(r, 16)).toString(),
        OUTCOMES[r.nextInt(OUTCOMES.length)],
        "run-" + seq,
        details);
  }

  static List<Event> events(long seed, int n) {
    Random r = new Random(seed);
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(event(r, i));
    }
    return out;
  }

  static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** The RFC 9162 root of these events, computed here rather than by the ledger. */
  static String expectedRoot(List<Event> events) {
    MerkleHasher t = new MerkleHasher();
    for (Event e : events) {
      t.append(MerkleHasher.leafHash(Json.canonical(e.toJson())));
    }
    return Base64.getEncoder().encodeToString(t.root());
  }

  static Path entries(Path dir) {
    return dir.resolve(Ledger.ENTRIES);
  }

  static Path head(Path dir) {
    return dir.resolve(Ledger.HEAD);
  }

  /** The lines of entries.jsonl, each without its newline. */
  static List<byte[]> lines(Path dir) throws IOException {
    byte[] all = Files.readAllBytes(entries(dir));
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        out.add(java.util.Arrays.copyOfRange(all, start, i));
        start = i + 1;
      }
    }
    if (start != all.length) {
      throw new IllegalStateException("test ledger does not end with a newline");
    }
    return out;
  }

  /** Writes lines back, each followed by a newline. */
  static void writeLines(Path dir, List<byte[]> lines) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] line : lines) {
      out.writeBytes(line);
      out.write('\n');
    }
    Files.write(entries(dir), out.toByteArray());
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Copies the ledger files (not the lock) from {@code from} to {@code to}. */
  static void copyLedger(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : List.of(Ledger.ENTRIES, Ledger.HEAD)) {
      Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
