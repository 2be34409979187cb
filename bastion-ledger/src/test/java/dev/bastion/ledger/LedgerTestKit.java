package dev.bastion.ledger;

import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** Shared pieces of the ledger tests: keys, events, raw segment edits. */
final class LedgerTestKit {
  static final NoteSigner SIGNER = NoteSigner.generate("test-ledger");
  static final NoteVerifier KEY = verifier(SIGNER);

  private LedgerTestKit() {}

  static NoteVerifier verifier(NoteSigner s) {
    try {
      return NoteVerifier.parse(s.verifierKey());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Event event(long seed, long i) {
    Random r = new Random(seed * 1_000_003 + i);
    EventKind kind = EventKind.values()[r.nextInt(EventKind.values().length)];
    return new Event(kind, Instant.ofEpochSecond(1_700_000_000L + i, r.nextInt(1000) * 1000L),
        "actor-" + r.nextInt(5), "act-" + i, "sha256:" + Long.toHexString(r.nextLong()),
        r.nextBoolean() ? "ok" : "refused", "run-" + seed,
        Map.of("k" + r.nextInt(3), "v" + r.nextInt(100), "unicode", "é✓"));
  }

  static List<Event> events(long seed, int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(event(seed, i));
    }
    return out;
  }

  static Path onlySegment(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve(Segments.DIR))) {
      List<Path> all = s.sorted().toList();
      if (all.size() != 1) {
        throw new IllegalStateException("expected one segment, found " + all);
      }
      return all.get(0);
    }
  }

  /** The lines of a file, without newlines. */
  static List<byte[]> lines(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        byte[] l = new byte[i - start];
        System.arraycopy(all, start, l, 0, l.length);
        out.add(l);
        start = i + 1;
      }
    }
    return out;
  }

  static void writeLines(Path file, List<byte[]> lines) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] l : lines) {
      b.write(l);
      b.write('\n');
    }
    Files.write(file, b.toByteArray());
  }

  /** The entry lines only, in order. */
  static List<byte[]> entryLines(Path segment) throws IOException {
    return lines(segment).stream().filter(l -> !Segments.isCheckpointLine(l)).toList();
  }

  /**
   * Rewrites the whole log as someone holding {@code signer} would: the given entry lines
   * (re-indexed), one signed checkpoint at the end, origin {@code origin}; derived files and the
   * local copy of the latest checkpoint removed (which would give the rewrite away).
   */
  static void forge(Path dir, List<byte[]> entries, NoteSigner signer, String origin)
      throws Exception {
    List<byte[]> out = new ArrayList<>();
    MerkleHasher h = new MerkleHasher();
    for (int i = 0; i < entries.size(); i++) {
      byte[] event = Segments.parseEntryEvent(entries.get(i));
      byte[] line = Segments.entryLine(i, event);
      h.append(MerkleHasher.leafHash(line));
      out.add(line);
    }
    byte[] note = signer.sign(new Checkpoint(origin, entries.size(), h.root(), List.of()).body());
    out.add(Segments.checkpointLine(note));
    deleteTree(dir.resolve(Ledger.TREE));
    Files.deleteIfExists(dir.resolve(Ledger.OFFSETS));
    Files.deleteIfExists(dir.resolve(Ledger.CHECKPOINT));
    try (Stream<Path> s = Files.list(dir.resolve(Segments.DIR))) {
      for (Path p : s.toList()) {
        Files.delete(p);
      }
    }
    writeLines(Segments.file(dir, 0), out);
  }

  static String origin(byte[] note) throws Exception {
    return Checkpoint.parse(KEY.verify(note)).origin();
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q);
        }
      }
    }
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
