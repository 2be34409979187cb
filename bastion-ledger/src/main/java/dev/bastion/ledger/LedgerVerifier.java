package dev.bastion.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.DirectoryLock;
import dev.bastion.core.Json;
import dev.bastion.core.VerificationException;
import dev.bastion.ledger.tlog.AddCheckpoint;
import dev.bastion.ledger.tlog.Checkpoint;
import dev.bastion.ledger.tlog.NoteVerifier;
import dev.bastion.ledger.tlog.Rfc9162;
import dev.bastion.ledger.tlog.TreeStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Checks a ledger offline, from its files and the ledger's public verifier key alone; proves and
 * checks the inclusion of one entry.
 */
public final class LedgerVerifier {
  /** The largest proof file {@link #verifyProof} reads. */
  public static final int MAX_PROOF_BYTES = 1 << 20;

  /**
   * What a successful verification established.
   *
   * @param size the number of entries, all covered by the last signed checkpoint
   * @param root the RFC 9162 root over them, base64
   * @param checkpoints how many signed checkpoints were checked
   * @param checkpoint the last one (a C2SP signed note)
   * @param since the size of the earlier checkpoint the log was shown to extend, or -1
   */
  public record Result(long size, String root, long checkpoints, byte[] checkpoint, long since) {}

  private LedgerVerifier() {}

  /** As {@link #verify(Path, NoteVerifier, byte[])} without an earlier checkpoint. */
  public static Result verify(Path dir, NoteVerifier key) throws IOException, VerificationException {
    return verify(dir, key, (Checkpoint) null);
  }

  /**
   * Recomputes the tree from every entry and checks every signed checkpoint in the segments
   * against it: each entry canonical, at its index, each checkpoint signed by {@code key} with the
   * root of exactly the entries before it. An entry after the last checkpoint is a failure: it was
   * never acknowledged, or written without the key. With {@code since}, an earlier exported
   * checkpoint, also proves that the log only grew since: same origin, at least as many entries,
   * and the same root over the first {@code since.size} entries (and a consistency proof from the
   * stored tree that verifies), which catches a truncated or rewritten history, even one re-signed
   * with a new key. The local copy of the latest checkpoint ({@code checkpoint}), when it is
   * signed by {@code key}, is held to the same check: a log cut or rewritten behind it fails
   * even without {@code since}; a missing or unsigned copy is no evidence and is ignored. Once
   * the entries hold, the derived files proofs are read from (the stored tree, every level
   * against the one below, and the entry offsets) are checked against them as far as they are
   * written; {@link Ledger#repair} rebuilds damaged ones.
   *
   * @throws VerificationException naming the first bad entry or checkpoint, or the damaged
   *     derived file
   * @throws BadInputException if {@code since} is not a signed checkpoint at all
   */
  public static Result verify(Path dir, NoteVerifier key, byte[] since)
      throws IOException, VerificationException, BadInputException {
    Checkpoint earlier = null;
    if (since != null) {
      try {
        earlier = Checkpoint.parse(key.verify(since));
      } catch (BadInputException e) {
        throw new BadInputException("the earlier checkpoint: " + e.getMessage(), e);
      } catch (VerificationException e) {
        throw new VerificationException("the earlier checkpoint: " + why(e, key), e);
      }
    }
    return verify(dir, key, earlier);
  }

  private static Result verify(Path dir, NoteVerifier key, Checkpoint earlier)
      throws IOException, VerificationException {
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      return verify(dir, key, earlier, true);
    }
  }

  /**
   * The entries and checkpoints checked, not the derived files; for a caller that holds the
   * directory lock already (a repair of those files).
   */
  static Result verifyHeld(Path dir, NoteVerifier key) throws IOException, VerificationException {
    return verify(dir, key, null, false);
  }

  private static Result verify(Path dir, NoteVerifier key, Checkpoint earlier, boolean derived)
      throws IOException, VerificationException {
    List<Segments.Segment> segs = Segments.list(dir);
    if (segs.isEmpty()) {
      throw new VerificationException(dir + ": no ledger segments; the ledger is missing");
    }
    // The local copy of the latest checkpoint, when it verifies, is an earlier checkpoint of
    // this log like --since: the segments must still hold everything it covers.
    Checkpoint local = Ledger.localCheckpoint(dir, key);
    try (Scan scan = new Scan(dir, key, earlier, derived, local)) {
      return scan.run(segs);
    }
  }

  /**
   * Checks that no derived file ends inside a value: a tree level file is whole 32-byte hashes,
   * the offsets whole 8-byte offsets. A writer writes them under the directory lock, so one that
   * is not was cut (a crash, which opening the ledger mends, or a damaged file).
   */
  private static void checkWhole(Path dir) throws IOException, VerificationException {
    for (Path p : Ledger.levelFiles(dir)) {
      long n = Files.size(p);
      if (n % Rfc9162.HASH_LENGTH != 0) {
        throw new VerificationException(p + " is damaged: its " + n + " bytes end inside a"
            + " 32-byte hash" + Ledger.REPAIR_REBUILDS);
      }
    }
    Path off = dir.resolve(Ledger.OFFSETS);
    if (Files.isRegularFile(off) && Files.size(off) % 8 != 0) {
      throw new VerificationException(off + " is damaged: its " + Files.size(off) + " bytes"
          + " end inside an 8-byte offset" + Ledger.REPAIR_REBUILDS);
    }
  }

  /** The state of a verification pass. */
  private static final class Scan implements AutoCloseable {
    final Path dir;
    final NoteVerifier key;
    final Checkpoint earlier;
    final MerkleHasher hasher = new MerkleHasher();
    final TreeStore stored;
    long entries;
    long checkpointed;
    long sinceLastCheckpoint;
    long checkpoints;
    long firstStoredMismatch = -1;
    /** The first entry since the last checkpoint whose stored hash differs, or -1. */
    long batchStoredMismatch = -1;
    final boolean derived;
    /** A derived file of the wrong type or with a partial value, or null. */
    final VerificationException derivedProblem;
    final FileChannel offsets;
    final long offsetsCount;
    final ByteBuffer offsetChunk = ByteBuffer.allocate(64 << 10).flip();
    long offsetChunkFirst;
    long firstOffsetMismatch = -1;
    long mismatchStored;
    long mismatchActual;
    Path mismatchSegment;
    boolean endsWithCheckpoint;
    byte[] rootAtSince;
    /** The exported copy of the latest checkpoint, if it verifies. */
    final Checkpoint local;
    byte[] rootAtLocal;
    Checkpoint last;
    byte[] lastNote;
    String origin;
    /**
     * For a listing: told each event once a signed checkpoint covers it (null otherwise); see
     * {@link #awaitCovered} for a batch still being written at the end.
     */
    Consumer<Event> onEvent;
    /** The events read since the last checkpoint, for {@link #onEvent}. */
    final List<Event> pending = new ArrayList<>();

    Scan(Path dir, NoteVerifier key, Checkpoint earlier, boolean derived, Checkpoint local)
        throws IOException {
      this.dir = dir;
      this.key = key;
      this.earlier = earlier;
      this.local = local;
      this.derived = derived;
      // A derived file of the wrong type or cut inside a value is reported once the entries
      // hold; the files are not opened then (opening the tree would cut such a tail off).
      VerificationException problem = null;
      if (derived) {
        try {
          Ledger.checkDerivedTypes(dir);
          checkWhole(dir);
        } catch (VerificationException e) {
          problem = e;
        }
      }
      this.derivedProblem = problem;
      boolean open = derived && problem == null;
      this.stored = open && Files.isDirectory(dir.resolve(Ledger.TREE))
          ? TreeStore.open(dir.resolve(Ledger.TREE)) : null;
      Path off = dir.resolve(Ledger.OFFSETS);
      FileChannel o = null;
      try {
        o = open && Files.isRegularFile(off) ? FileChannel.open(off, StandardOpenOption.READ)
            : null;
      } catch (IOException | RuntimeException e) {
        if (stored != null) {
          try {
            stored.close();
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
      this.offsets = o;
      // A live ledger writes each batch's offsets after its entries: only those already written
      // are compared.
      this.offsetsCount = offsets == null ? 0 : offsets.size() / 8;
      if (earlier != null && earlier.size() == 0) {
        rootAtSince = hasher.root();
      }
      if (local != null && local.size() == 0) {
        rootAtLocal = hasher.root();
      }
    }

    @Override
    public void close() throws IOException {
      try {
        if (stored != null) {
          stored.close();
        }
      } finally {
        if (offsets != null) {
          offsets.close();
        }
      }
    }

    /** The stored offset of entry {@code index} (below {@link #offsetsCount}), read in order. */
    long storedOffset(long index) throws IOException {
      if (index < offsetChunkFirst || index >= offsetChunkFirst + offsetChunk.limit() / 8) {
        offsetChunk.clear();
        offsetChunkFirst = index;
        long pos = index * 8;
        while (offsetChunk.hasRemaining() && pos + offsetChunk.position() < offsetsCount * 8) {
          if (offsets.read(offsetChunk, pos + offsetChunk.position()) < 0) {
            break;
          }
        }
        offsetChunk.flip();
      }
      return offsetChunk.getLong((int) ((index - offsetChunkFirst) * 8));
    }

    /**
     * After the entries and checkpoints held: the derived files (the stored tree, which proofs
     * are read from, and the entry offsets) against the entries. Missing or shorter ones are not
     * damage: a ledger writes them behind its entries and rebuilds them when it opens.
     */
    void checkDerived() throws IOException, VerificationException {
      String holds = "the " + entries + " entries and their checkpoints hold, but ";
      String repair = "; 'bastion audit repair' rebuilds it from the entries";
      if (derivedProblem != null) {
        throw new VerificationException(holds + derivedProblem.getMessage(), derivedProblem);
      }
      if (stored != null && firstStoredMismatch >= 0) {
        throw new VerificationException(holds + stored.levelFile(0) + " is damaged: the"
            + " stored hash of entry " + firstStoredMismatch + " is not that entry's, so"
            + " proofs of it fail" + repair);
      }
      long[] bad = stored == null ? null : stored.firstInconsistentNode();
      if (bad != null) {
        throw new VerificationException(holds + stored.levelFile((int) bad[0]) + " is damaged:"
            + " its hash " + bad[1] + " is not the hash of the two below it, so proofs through"
            + " it fail" + repair);
      }
      if (firstOffsetMismatch >= 0) {
        // A checkpoint line removed or repeated leaves every entry and root as signed (a batch
        // may hold many entries), and moves the entries after it: the offsets cannot tell that
        // from their own damage.
        Path off = dir.resolve(Ledger.OFFSETS);
        throw new VerificationException(holds + "the offset of entry " + firstOffsetMismatch
            + " is not where that entry starts (" + off + " says byte " + mismatchStored
            + ", it starts at byte " + mismatchActual + " of " + mismatchSegment + "): either "
            + off + " is damaged or the segment was edited before that entry (a line added or"
            + " removed); 'bastion audit repair' rebuilds the offsets from the segment as it"
            + " now is");
      }
    }

    Result run(List<Segments.Segment> segs) throws IOException, VerificationException {
      Scan scan = this;
      for (int i = 0; i < segs.size(); i++) {
        Segments.Segment s = segs.get(i);
        if (s.first() != scan.entries) {
          throw new VerificationException(s.path() + ": starts at entry " + s.first()
              + " but " + scan.entries + " entries come before it");
        }
        long length = Files.size(s.path());
        long end = Segments.scan(s.path(), 0, length, (offset, line) -> scan.line(s, offset, line));
        if (onEvent != null && i == segs.size() - 1) {
          end = awaitCovered(s, end);
          length = end; // a line still being written after the covered ones is not read
        }
        if (end != length) {
          throw new VerificationException("ledger entry " + scan.entries + " (" + s.path()
              + "): cut short (the file does not end with a newline)");
        }
        if (scan.sinceLastCheckpoint > 0 || (i < segs.size() - 1 && !scan.endsWithCheckpoint)) {
          throw scan.notCovered(s);
        }
      }
      if (scan.last == null) {
        throw new VerificationException(dir + ": no signed checkpoint");
      }
      if (earlier != null) {
        scan.checkSince(earlier);
      }
      if (local != null) {
        scan.checkLocal();
      }
      if (derived) {
        scan.checkDerived();
      }
      return new Result(scan.entries, Base64.getEncoder().encodeToString(scan.hasher.root()),
          scan.checkpoints, scan.lastNote, earlier == null ? -1 : earlier.size());
    }

    /**
     * For a listing, which takes no lock: a batch's entries and checkpoint reach the segment in
     * one write, so entries without a checkpoint after them are a write in progress, and are
     * read again until their checkpoint follows (a few milliseconds). Still alone after two
     * seconds, they are a crash's torn tail or a removed checkpoint, and fail as {@link
     * #verify} fails them. Returns how far the segment was read.
     */
    long awaitCovered(Segments.Segment s, long end) throws IOException, VerificationException {
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (sinceLastCheckpoint > 0 && System.nanoTime() - deadline < 0) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        long now = Files.size(s.path());
        if (now > end) {
          end = Segments.scan(s.path(), end, now, (offset, line) -> line(s, offset, line));
        }
      }
      if (sinceLastCheckpoint > 0) {
        throw notCovered(s);
      }
      return end;
    }

    VerificationException notCovered(Segments.Segment s) {
      return new VerificationException("ledger entry " + checkpointed + " (" + s.path()
          + "): not covered by a signed checkpoint (written without the key, or cut off by"
          + " a crash before its checkpoint; opening the ledger cuts such a tail off)");
    }

    void line(Segments.Segment s, long offset, byte[] line)
        throws IOException, VerificationException {
      if (Segments.isCheckpointLine(line)) {
        String where = s.path() + " at byte " + offset;
        byte[] signed = Segments.noteOf(line, where);
        Checkpoint cp = checkpoint(key, signed, "ledger checkpoint at " + where);
        if (origin == null) {
          origin = cp.origin();
        } else if (!origin.equals(cp.origin())) {
          throw new VerificationException("ledger checkpoint at " + where + ": origin "
              + cp.origin() + " differs from the log's " + origin);
        }
        if (cp.size() > entries) {
          throw new VerificationException("ledger entry " + entries + ": missing (an entry was"
              + " removed, or lines were moved); the checkpoint at " + where + " signs "
              + cp.size() + " entries where " + entries + " precede it");
        }
        if (cp.size() < entries) {
          throw new VerificationException("ledger entry " + cp.size() + ": not covered by the"
              + " checkpoint at " + where + ", which signs " + cp.size() + " entries where "
              + entries + " precede it (an entry was added)");
        }
        if (!MessageDigest.isEqual(cp.rootHash(), hasher.root())) {
          // Only a stored hash that differs within this batch points at the changed entry: the
          // entries before it matched a signed root, so a difference there is the tree's damage.
          if (batchStoredMismatch >= 0) {
            throw new VerificationException("ledger entry " + batchStoredMismatch
                + ": its content was changed (it no longer matches its hash in the tree or the"
                + " checkpoint of " + cp.size() + " entries)");
          }
          if (entries - checkpointed == 1) {
            throw new VerificationException("ledger entry " + checkpointed + ": its content was"
                + " changed (it does not match the signed checkpoint of " + cp.size()
                + " entries at " + where + ")");
          }
          throw new VerificationException("ledger entries " + checkpointed + " to "
              + (entries - 1) + ": one of them was changed (they do not match the signed"
              + " checkpoint of " + cp.size() + " entries at " + where + ")");
        }
        checkpoints++;
        checkpointed = entries;
        if (onEvent != null) {
          pending.forEach(onEvent);
          pending.clear();
        }
        sinceLastCheckpoint = 0;
        batchStoredMismatch = -1;
        last = cp;
        lastNote = signed;
        endsWithCheckpoint = true;
        return;
      }
      endsWithCheckpoint = false;
      Segments.Entry e = Segments.parseEntry(entries, line);
      if (stored != null && batchStoredMismatch < 0 && entries < stored.size()
          && !MessageDigest.isEqual(stored.leafHash(entries), e.leaf())) {
        batchStoredMismatch = entries;
        if (firstStoredMismatch < 0) {
          firstStoredMismatch = entries;
        }
      }
      if (firstOffsetMismatch < 0 && entries < offsetsCount && storedOffset(entries) != offset) {
        firstOffsetMismatch = entries;
        mismatchStored = storedOffset(entries);
        mismatchActual = offset;
        mismatchSegment = s.path();
      }
      hasher.append(e.leaf());
      if (onEvent != null) {
        pending.add(e.event());
      }
      entries++;
      sinceLastCheckpoint++;
      if (earlier != null && entries == earlier.size()) {
        rootAtSince = hasher.root();
      }
      if (local != null && entries == local.size()) {
        rootAtLocal = hasher.root();
      }
    }

    /**
     * The exported copy of the latest checkpoint is written only after the segments that hold
     * it were forced: if it covers more than they hold, or other entries, they were cut or
     * rewritten (by someone who could not, or did not, also remove that copy).
     */
    void checkLocal() throws VerificationException {
      if (!local.origin().equals(origin)) {
        if (local.size() == 0) {
          return; // an empty log's: it vouches for nothing
        }
        throw Ledger.replaced(dir, local.origin(), origin, "");
      }
      if (local.size() > entries) {
        throw Ledger.truncated(dir, entries, local.size(), "");
      }
      if (!MessageDigest.isEqual(rootAtLocal, local.rootHash())) {
        throw Ledger.rewritten(dir, local.size(), "");
      }
    }

    void checkSince(Checkpoint earlier) throws IOException, VerificationException {
      if (!earlier.origin().equals(origin)) {
        throw new VerificationException("the earlier checkpoint is of log " + earlier.origin()
            + ", this ledger is " + origin + ": the log was replaced");
      }
      if (earlier.size() > entries) {
        throw new VerificationException("ledger: " + entries + " entries, fewer than the "
            + earlier.size() + " of the earlier checkpoint: the log was truncated");
      }
      if (!MessageDigest.isEqual(rootAtSince, earlier.rootHash())) {
        throw new VerificationException("ledger: its first " + earlier.size()
            + " entries no longer have the root of the earlier checkpoint: history was rewritten");
      }
      // RFC 9162 has no consistency proof from the empty tree or to the same size: there the
      // root comparison above is the whole check.
      if (stored != null && stored.size() >= entries && earlier.size() > 0
          && earlier.size() < entries) {
        List<byte[]> proof = stored.consistencyProof(earlier.size(), entries);
        Rfc9162.verifyConsistency(earlier.size(), entries, earlier.rootHash(), hasher.root(),
            proof);
      }
    }
  }

  private static Checkpoint checkpoint(NoteVerifier key, byte[] signed, String what)
      throws VerificationException {
    try {
      return Checkpoint.parse(key.verify(signed));
    } catch (BadInputException e) {
      throw new VerificationException(what + ": " + e.getMessage(), e);
    } catch (VerificationException e) {
      throw new VerificationException(what + ": " + why(e, key), e);
    }
  }

  /** A signature check's failure, said for a ledger: another key's, or changed since. */
  private static String why(VerificationException e, NoteVerifier key) {
    String m = e.getMessage();
    if (m.contains("no signature by")) {
      return m + " (not signed by this ledger's key " + key.name() + ")";
    }
    if (m.contains("invalid signature by")) {
      return m + " (this ledger's key, but the text or the signature was changed after it was"
          + " signed)";
    }
    return m;
  }

  /**
   * Hands {@code onEvent} every event in order once the signed checkpoint after it verified
   * against the tree recomputed from the entries (as {@link #verify} checks them, the derived
   * files aside), for a listing that must not show an entry someone changed. A failure further
   * on (an edited entry, entries without a checkpoint, a log cut behind its local checkpoint)
   * is thrown after the events before it were handed over. Takes no lock, so a live writer is
   * not held up: a batch it is writing is read again until its checkpoint follows. Memory holds
   * one batch.
   *
   * @return the verified size and root
   * @throws VerificationException naming the first bad entry or checkpoint, or a log cut or
   *     rewritten behind the local copy of its latest checkpoint
   */
  public static Result forEachVerifiedEvent(Path dir, NoteVerifier key, Consumer<Event> onEvent)
      throws IOException, VerificationException {
    List<Segments.Segment> segs = Segments.list(dir);
    if (segs.isEmpty()) {
      throw new VerificationException(dir + ": no ledger segments; the ledger is missing");
    }
    try (Scan scan = new Scan(dir, key, null, false, Ledger.localCheckpoint(dir, key))) {
      scan.onEvent = onEvent;
      return scan.run(segs);
    }
  }

  /** Every event in the ledger, in order, each line checked. */
  public static List<Event> events(Path dir) throws IOException, VerificationException {
    List<Event> out = new ArrayList<>();
    forEachEvent(dir, out::add);
    return out;
  }

  /** Streams the events in order, each line checked; memory does not grow with the log. */
  public static void forEachEvent(Path dir, Consumer<Event> onEvent)
      throws IOException, VerificationException {
    long[] index = {0};
    for (Segments.Segment s : Segments.list(dir)) {
      Segments.scan(s.path(), 0, Files.size(s.path()), (offset, line) -> {
        if (!Segments.isCheckpointLine(line)) {
          onEvent.accept(Segments.parseEntry(index[0]++, line).event());
        }
      });
    }
  }

  /**
   * The newest event of the ledger whose entry line contains {@code marker} (a cheap first
   * filter, such as {@code "action":"approve-pipeline"}) and that {@code match} accepts; empty if
   * none. Reads the segments newest first and stops at the first match, so it costs what follows
   * that event, not the whole log.
   */
  public static Optional<Event> lastEvent(Path dir, String marker, Predicate<Event> match)
      throws IOException, VerificationException {
    byte[] m = marker.getBytes(StandardCharsets.UTF_8);
    List<Segments.Segment> segments = Segments.list(dir);
    for (int k = segments.size() - 1; k >= 0; k--) {
      List<byte[]> lines = new ArrayList<>();
      Path p = segments.get(k).path();
      Segments.scan(p, 0, Files.size(p), (offset, line) -> {
        if (!Segments.isCheckpointLine(line) && contains(line, m)) {
          lines.add(line);
        }
      });
      for (int i = lines.size() - 1; i >= 0; i--) {
        Event e;
        try {
          e = Event.fromJson(Json.parse(Segments.parseEntryEvent(lines.get(i)), p.toString()));
        } catch (BadInputException | IllegalArgumentException ex) {
          throw new VerificationException(p + ": an entry is not a well-formed event: "
              + ex.getMessage(), ex);
        }
        if (match.test(e)) {
          return Optional.of(e);
        }
      }
    }
    return Optional.empty();
  }

  private static boolean contains(byte[] line, byte[] m) {
    outer:
    for (int i = 0; i + m.length <= line.length; i++) {
      for (int j = 0; j < m.length; j++) {
        if (line[i + j] != m[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** The latest signed checkpoint in the segments, or null for a ledger without one. */
  public static byte[] latestCheckpoint(Path dir) throws IOException, VerificationException {
    List<Segments.Segment> segs = Segments.list(dir);
    for (int i = segs.size() - 1; i >= 0; i--) {
      Path p = segs.get(i).path();
      long[] at = Segments.lastCheckpoint(p);
      if (at != null) {
        return Segments.noteOf(Segments.read(p, at[0], (int) (at[1] - at[0] - 1)),
            p + " at byte " + at[0]);
      }
    }
    return null;
  }

  /**
   * The latest signed checkpoint in the segments, checked before anyone keeps it as a trust
   * anchor: signed by {@code key}, and not of fewer entries than the local copy of a later one
   * (which would show a truncated log).
   *
   * @return the note, or null for a ledger without one
   * @throws VerificationException if it does not verify, or the log was truncated
   */
  public static byte[] latestCheckpoint(Path dir, NoteVerifier key)
      throws IOException, VerificationException {
    byte[] note = latestCheckpoint(dir);
    if (note == null) {
      return null;
    }
    Checkpoint cp = checkpoint(key, note, "the latest checkpoint in " + dir.resolve(Segments.DIR));
    Checkpoint local = Ledger.localCheckpoint(dir, key);
    if (local != null && local.origin().equals(cp.origin()) && local.size() > cp.size()) {
      throw Ledger.truncated(dir, cp.size(), local.size(), "");
    }
    return note;
  }

  /**
   * Checks the ledger in {@code dir} against the newest checkpoint exported to {@code exportDir}
   * and signed by {@code key} (see {@link Ledger#newestExport}), as a writer does when it opens
   * it: the latest checkpoint in the segments must be of the same log and no smaller, and, where
   * the stored tree reaches that far, the entries it covers must still have its root. Cheap (no
   * scan of the entries): for listings and proofs, which would otherwise serve a log cut behind
   * its export.
   *
   * @throws VerificationException if the log was truncated, rewritten or replaced behind it
   */
  public static void checkExport(Path dir, NoteVerifier key, Path exportDir)
      throws IOException, VerificationException {
    Ledger.Export export = Ledger.newestExport(exportDir, key);
    if (export == null) {
      return;
    }
    byte[] note = latestCheckpoint(dir);
    if (note == null) {
      throw new VerificationException(dir + ": no signed checkpoint, but " + export.file()
          + " covers " + export.checkpoint().size() + " entries");
    }
    Checkpoint cp = checkpoint(key, note, "the latest checkpoint in " + dir.resolve(Segments.DIR));
    Ledger.checkExport(export, cp);
    Checkpoint ex = export.checkpoint();
    if (!ex.origin().equals(cp.origin()) || ex.size() == 0
        || !Files.isDirectory(dir.resolve(Ledger.TREE))) {
      return;
    }
    try (TreeStore tree = TreeStore.open(dir.resolve(Ledger.TREE))) {
      // Only a stored tree that holds the latest signed root speaks for the entries: a damaged
      // one is not taken for a rewritten history (verify and repair deal with it).
      if (tree.size() >= cp.size() && ex.size() <= cp.size()
          && MessageDigest.isEqual(tree.root(cp.size()), cp.rootHash())
          && !MessageDigest.isEqual(tree.root(ex.size()), ex.rootHash())) {
        throw Ledger.rewrittenBehind(export.file(), ex.size(), Ledger.RUN_VERIFY);
      }
    }
  }

  /**
   * The entry asked for is signed but its stored tree is not yet written out: a live ledger does
   * that within a second; one whose writer was killed, when it is next opened.
   */
  public static final class NotYetExported extends BadInputException {
    private static final long serialVersionUID = 1L;

    NotYetExported(String message) {
      super(message);
    }
  }

  /**
   * The stored tree or the offsets are missing or hold fewer entries than the checkpoint proven
   * against: not damage (a ledger writes them behind its entries), and opening the ledger
   * rebuilds them from the segments.
   */
  public static final class DerivedFilesShort extends VerificationException {
    private static final long serialVersionUID = 1L;

    DerivedFilesShort(String message) {
      super(message);
    }

    DerivedFilesShort(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * An inclusion proof of entry {@code index} in the tree of the latest checkpoint, as JSON:
   * {@code index}, {@code tree_size}, {@code entry} (the entry's line), {@code leaf_hash}, {@code
   * proof} (base64 hashes, RFC 9162 order) and {@code checkpoint} (the signed note). Needs
   * O(log n) reads of the stored tree.
   *
   * @throws BadInputException if there is no such entry
   * @throws NotYetExported if the entry's part of the stored tree is not yet written out
   * @throws DerivedFilesShort if the stored tree or the offsets are missing or short
   */
  public static ObjectNode prove(Path dir, NoteVerifier key, long index)
      throws IOException, VerificationException, BadInputException {
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      // Checked against the local copy of a later checkpoint: no proof from a cut log.
      byte[] note = latestCheckpoint(dir, key);
      if (note == null) {
        throw new VerificationException(dir + ": no signed checkpoint");
      }
      Ledger.checkDerivedTypes(dir);
      Checkpoint cp = checkpoint(key, note, "the latest checkpoint");
      if (index < 0 || index >= cp.size()) {
        throw new BadInputException("--entry " + index + ": the ledger has entries 0 to "
            + (cp.size() - 1));
      }
      try (TreeStore tree = TreeStore.open(dir.resolve(Ledger.TREE))) {
        if (tree.size() < cp.size() && Files.isRegularFile(dir.resolve(Ledger.CHECKPOINT))) {
          // A live ledger writes its tree out with the exported checkpoint, at most a second
          // behind the segments: prove against that one.
          note = Files.readAllBytes(dir.resolve(Ledger.CHECKPOINT));
          cp = checkpoint(key, note, dir.resolve(Ledger.CHECKPOINT).toString());
          if (index >= cp.size()) {
            throw new NotYetExported("--entry " + index + ": not yet in the exported"
                + " checkpoint of " + cp.size() + " entries; try again in a second");
          }
        }
        requireTreeOf(dir, tree, cp);
        byte[] line = entryLine(dir, index);
        byte[] leaf = tree.leafHash(index);
        if (!MessageDigest.isEqual(leaf, MerkleHasher.leafHash(line))) {
          throw new VerificationException("ledger entry " + index + " does not match its hash"
              + " in " + tree.levelFile(0) + ": the entry or that file was changed"
              + CHECK_AND_REPAIR);
        }
        List<byte[]> path = tree.inclusionProof(index, cp.size());
        try {
          // Never hand out a proof that does not hold: a damaged node of the stored tree would
          // give one.
          Rfc9162.verifyInclusion(index, cp.size(), leaf, path, cp.rootHash());
        } catch (VerificationException e) {
          throw new VerificationException("the proof of entry " + index + " read from "
              + dir.resolve(Ledger.TREE) + " does not lead to the signed root: a stored hash"
              + " was changed" + CHECK_AND_REPAIR, e);
        }
        ObjectNode o = Json.object();
        o.put("index", index);
        o.put("tree_size", cp.size());
        o.put("entry", new String(line, StandardCharsets.UTF_8));
        o.put("leaf_hash", Base64.getEncoder().encodeToString(leaf));
        ArrayNode proof = o.putArray("proof");
        for (byte[] h : path) {
          proof.add(Base64.getEncoder().encodeToString(h));
        }
        o.put("checkpoint", new String(note, StandardCharsets.UTF_8));
        return o;
      }
    }
  }

  /**
   * A consistency proof from the tree of the first {@code oldSize} entries to the tree of the
   * latest checkpoint, as a c2sp.org/tlog-witness {@code add-checkpoint} request: what a witness
   * that last cosigned {@code oldSize} entries needs to cosign the latest checkpoint. Needs
   * O(log n) reads of the stored tree; the proof is checked against the signed root before it is
   * handed out.
   *
   * @param oldRoot the root of the first {@code oldSize} entries as an earlier checkpoint states
   *     it, to check the proof from; or null, to check it from the stored tree's root there
   * @throws BadInputException if {@code oldSize} is negative, or beyond the latest checkpoint when
   *     no {@code oldRoot} is given
   * @throws NotYetExported if the latest checkpoint's part of the stored tree is not yet written
   *     out
   * @throws DerivedFilesShort if the stored tree is missing or short
   * @throws VerificationException if {@code oldRoot} is given and the log holds fewer than {@code
   *     oldSize} entries (it was cut since that checkpoint) or its root there is another (it was
   *     rewritten), or the stored tree is damaged
   */
  public static AddCheckpoint consistency(Path dir, NoteVerifier key, long oldSize,
      byte[] oldRoot) throws IOException, VerificationException, BadInputException {
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      // Checked against the local copy of a later checkpoint: no proof from a cut log.
      byte[] note = latestCheckpoint(dir, key);
      if (note == null) {
        throw new VerificationException(dir + ": no signed checkpoint");
      }
      Ledger.checkDerivedTypes(dir);
      Checkpoint cp = checkpoint(key, note, "the latest checkpoint");
      try (TreeStore tree = TreeStore.open(dir.resolve(Ledger.TREE))) {
        if (oldRoot != null && oldSize > cp.size()) {
          throw new VerificationException("the log holds " + cp.size() + " entries, fewer than"
              + " the " + oldSize + " of the earlier checkpoint: it was cut since");
        }
        if (oldSize < 0 || oldSize > cp.size()) {
          throw new BadInputException("the old size " + oldSize + " is not between 0 and the "
              + cp.size() + " entries of the latest checkpoint");
        }
        if (tree.size() < cp.size() && Files.isRegularFile(dir.resolve(Ledger.CHECKPOINT))) {
          // As for an inclusion proof: prove to the exported checkpoint, whose tree is written.
          note = Files.readAllBytes(dir.resolve(Ledger.CHECKPOINT));
          cp = checkpoint(key, note, dir.resolve(Ledger.CHECKPOINT).toString());
          if (oldSize > cp.size()) {
            throw new NotYetExported("the old size " + oldSize + " is beyond the exported"
                + " checkpoint of " + cp.size() + " entries; try again in a second");
          }
        }
        requireTreeOf(dir, tree, cp);
        List<byte[]> proof = List.of();
        if (oldSize > 0 && oldSize < cp.size()) {
          proof = tree.consistencyProof(oldSize, cp.size());
        }
        if (oldSize > 0) {
          byte[] from = oldRoot != null ? oldRoot : tree.root(oldSize);
          try {
            Rfc9162.verifyConsistency(oldSize, cp.size(), from, cp.rootHash(), proof);
          } catch (VerificationException e) {
            throw new VerificationException(oldRoot != null
                ? "the log's first " + oldSize + " entries are not the tree of the earlier"
                    + " checkpoint: the log was rewritten since (" + e.getMessage() + ")"
                : "the consistency proof read from " + dir.resolve(Ledger.TREE) + " does not"
                    + " lead to the signed root: a stored hash was changed" + CHECK_AND_REPAIR,
                e);
          }
        }
        return new AddCheckpoint(oldSize, proof, note);
      }
    }
  }

  /** Refuses a stored tree that is short of the checkpoint proven against, or not its tree. */
  private static void requireTreeOf(Path dir, TreeStore tree, Checkpoint cp)
      throws IOException, VerificationException {
    if (tree.size() < cp.size()) {
      throw new DerivedFilesShort(dir.resolve(Ledger.TREE) + ": holds " + tree.size()
          + " of the " + cp.size() + " entries of the latest checkpoint" + CHECK_AND_REPAIR);
    }
    if (!MessageDigest.isEqual(tree.root(cp.size()), cp.rootHash())) {
      throw new VerificationException(dir.resolve(Ledger.TREE)
          + ": does not match the latest checkpoint" + CHECK_AND_REPAIR);
    }
  }

  /** Where a derived file is damaged: how to tell what happened, and how to mend it. */
  private static final String CHECK_AND_REPAIR = "; 'bastion audit verify' checks the entries,"
      + " 'bastion audit repair' rebuilds the derived files from them";

  /** The line of entry {@code index}, found through the offsets. */
  static byte[] entryLine(Path dir, long index) throws IOException, VerificationException {
    Path offsetsFile = dir.resolve(Ledger.OFFSETS);
    long start;
    try (FileChannel ch = FileChannel.open(offsetsFile, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(8);
      while (b.hasRemaining()) {
        if (ch.read(b, index * 8 + b.position()) < 0) {
          throw new DerivedFilesShort(offsetsFile + ": no offset of entry " + index
              + CHECK_AND_REPAIR);
        }
      }
      start = b.flip().getLong();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new DerivedFilesShort(offsetsFile + ": missing" + CHECK_AND_REPAIR, e);
    }
    Segments.Segment seg = null;
    for (Segments.Segment s : Segments.list(dir)) {
      if (s.first() <= index) {
        seg = s;
      }
    }
    if (seg == null) {
      throw new VerificationException(dir + ": no segment holds entry " + index);
    }
    byte[][] found = new byte[1][];
    String misplaced = offsetsFile + ": the offset of entry " + index + " (byte " + start
        + " of " + seg.path() + ") is not where that entry starts" + CHECK_AND_REPAIR;
    if (start < 0 || start >= Files.size(seg.path())) {
      throw new VerificationException(misplaced);
    }
    try {
      Segments.scan(seg.path(), start, start + Segments.MAX_LINE + 1, (offset, line) -> {
        if (found[0] == null) {
          found[0] = line;
        }
      });
      if (found[0] == null) {
        throw new VerificationException(misplaced);
      }
      Segments.parseEntry(index, found[0]);
    } catch (VerificationException | java.io.EOFException e) {
      throw new VerificationException(misplaced, e);
    }
    return found[0];
  }

  /** A SHA-256 hash in base64, or an {@link IllegalArgumentException} naming {@code what}. */
  private static byte[] hash(String what, String base64) {
    byte[] h;
    try {
      h = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not base64");
    }
    if (h.length != Rfc9162.HASH_LENGTH) {
      throw new IllegalArgumentException(what + " is " + h.length + " bytes, not a SHA-256"
          + " hash (" + Rfc9162.HASH_LENGTH + ")");
    }
    return h;
  }

  /** The fields of a proof, as {@link #prove} writes them. */
  private static final List<String> PROOF_FIELDS =
      List.of("index", "tree_size", "entry", "leaf_hash", "proof", "checkpoint");

  /**
   * Checks a proof written by {@link #prove}, offline: the checkpoint's signature by {@code key},
   * the entry's leaf hash, and its inclusion in the checkpoint's tree.
   *
   * @return the proven entry's event
   * @throws BadInputException if the file is not a proof
   * @throws VerificationException naming what does not hold
   */
  public static Event verifyProof(byte[] proofJson, String where, NoteVerifier key)
      throws BadInputException, VerificationException {
    JsonNode o = Json.parse(proofJson, where);
    long index;
    long treeSize;
    byte[] line;
    byte[] leaf;
    List<byte[]> proof = new ArrayList<>();
    byte[] note;
    try {
      if (!o.isObject()) {
        throw new IllegalArgumentException("a proof is a JSON object");
      }
      // Exactly the fields 'audit prove' writes: anything else is not a proof of this form.
      for (var it = o.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!PROOF_FIELDS.contains(f)) {
          throw new IllegalArgumentException("unknown field '"
              + (f.length() > 40 ? f.substring(0, 40) + "..." : f) + "' (a proof has "
              + String.join(", ", PROOF_FIELDS) + ")");
        }
      }
      if (!o.path("index").isIntegralNumber() || !o.path("tree_size").isIntegralNumber()
          || !o.get("index").canConvertToLong() || !o.get("tree_size").canConvertToLong()
          || o.get("index").asLong() < 0 || o.get("tree_size").asLong() < 1) {
        throw new IllegalArgumentException("'index' and 'tree_size' must be whole numbers,"
            + " 'index' from 0 and 'tree_size' from 1, within 64 bits");
      }
      index = o.get("index").asLong();
      treeSize = o.get("tree_size").asLong();
      line = Json.requireText(o, "entry", where).getBytes(StandardCharsets.UTF_8);
      leaf = hash("'leaf_hash'", Json.requireText(o, "leaf_hash", where));
      if (!o.path("proof").isArray()) {
        throw new IllegalArgumentException("'proof' must be a list");
      }
      for (JsonNode h : o.get("proof")) {
        if (!h.isTextual()) {
          throw new IllegalArgumentException("'proof' must hold base64 hashes");
        }
        proof.add(hash("'proof' hash " + proof.size(), h.asText()));
      }
      note = Json.requireText(o, "checkpoint", where).getBytes(StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": " + e.getMessage(), e);
    }
    Checkpoint cp = checkpoint(key, note, where + ": checkpoint");
    if (cp.size() != treeSize) {
      throw new VerificationException(where + ": tree_size " + treeSize
          + " is not the checkpoint's " + cp.size());
    }
    if (!MessageDigest.isEqual(MerkleHasher.leafHash(line), leaf)) {
      throw new VerificationException(where + ": the entry does not hash to leaf_hash");
    }
    Event event;
    try {
      event = Segments.parseEntry(index, line).event();
    } catch (VerificationException e) {
      throw new VerificationException(where + ": 'entry' is not the ledger's entry " + index
          + " ('index' and the entry's own index differ, or it is not an entry line)", e);
    }
    try {
      Rfc9162.verifyInclusion(index, treeSize, leaf, proof, cp.rootHash());
    } catch (VerificationException e) {
      throw new VerificationException(where + ": entry " + index + " is not in the tree of the"
          + " checkpoint: " + e.getMessage(), e);
    }
    return event;
  }
}
